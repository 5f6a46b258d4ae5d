import { envelopeKindOf } from "../event/envelope.js";
import { type AuditRecord, writeAudit } from "../log.js";
import { denyOutput, type InterceptorOutput } from "../respond/output.js";
import { Denial, errorClass } from "../errors.js";
import type { ResponseDeps } from "./response.js";

/**
 * Which phase an event belongs to, without loading the RESPONSE-phase code (a lazy chunk): a
 * RESPONSE-phase event has `gatewayResponse` present and not null under either envelope key. AWS's own
 * example tells the phases apart this way (docs/agentcore-contract.md §1a); in the REQUEST phase the field
 * is absent or `null`.
 */
const present = (v: unknown) => v !== undefined && v !== null;
const field = (o: unknown, key: string): unknown =>
  typeof o === "object" && o !== null && Object.hasOwn(o, key) ? Reflect.get(o, key) : undefined;

export function isResponsePhase(event: unknown): boolean {
  return present(field(field(event, "mcp"), "gatewayResponse")) || present(field(field(event, "http"), "gatewayResponse"));
}

/** The RESPONSE-phase code is a lazy chunk: a gateway that attaches only REQUEST never loads it. */
let responsePhase: Promise<typeof import("./response.js")> | undefined;

export async function respondToResponse(event: unknown, deps: ResponseDeps): Promise<InterceptorOutput> {
  try {
    responsePhase ??= import("./response.js");
    // Awaited here, so a rejection from the phase itself also lands in the catch below.
    return await (await responsePhase).respondToResponse(event, deps);
  } catch (err) {
    // The chunk failed to load: fail closed (never the unfiltered reply), one audit line, retry next time.
    responsePhase = undefined;
    const kind = envelopeKindOf(event);
    const audit: AuditRecord = {
      decision: "deny",
      reason: "internal.error",
      errorClass: errorClass(err),
      durationMs: 0,
      detail: { envelope: kind, phase: "response" },
    };
    if (deps.requestId !== undefined) audit.requestId = deps.requestId;
    try {
      writeAudit(deps.logger, audit);
    } catch {
      // a failing log sink must not turn a decision into a thrown invocation
    }
    return denyOutput(kind, new Denial("internal.error"), {
      id: null,
      requestId: deps.requestId,
      resourceMetadataUrl: deps.runtime?.config.resourceMetadataUrl,
      bodyOnly: deps.runtime?.config.responseOutput === "body-only",
    });
  }
}
