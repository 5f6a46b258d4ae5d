import { Denial, errorClass } from "../errors.js";
import { type AuditRecord, type AuditSink, writeAudit } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { InterceptorOutput } from "../respond/output.js";

/**
 * The one place a decision becomes a reply (as Envoy's `onComplete` is for its filters): the phase's
 * work gives the reply, or any failure becomes the denial the table renders (an unexpected error is
 * `internal.error`, its class logged, never its message); then the one audit line of the invocation,
 * which carries its metrics (src/metrics.ts). Never throws.
 */
export async function conclude(
  audit: AuditRecord,
  started: number,
  logger: AuditSink,
  metrics: Metrics | undefined,
  work: () => Promise<InterceptorOutput>,
  refuse: (denial: Denial) => InterceptorOutput,
): Promise<InterceptorOutput> {
  let output: InterceptorOutput;
  try {
    output = await work();
  } catch (err) {
    const denial = err instanceof Denial ? err : new Denial("internal.error");
    if (!(err instanceof Denial)) audit.errorClass = errorClass(err);
    audit.decision = "deny";
    audit.reason = denial.reason;
    if (denial.detail.scope !== undefined) audit.scopesRequired = denial.detail.scope;
    if (denial.detail.rule !== undefined) audit.rule = denial.detail.rule;
    output = refuse(denial);
  }
  audit.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
  try {
    writeAudit(logger, audit, metrics);
  } catch {
    // A failing log sink must not turn a decision into a thrown invocation.
  }
  return output;
}
