import { envelopeKindOf } from "../event/envelope.js";
import type { AuditRecord } from "../log.js";
import { denyOutput, type InterceptorOutput } from "../respond/output.js";
import { conclude } from "./conclude.js";
import type { Invocation } from "./invocation.js";

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
let responseChunk: Promise<typeof import("./response.js")> | undefined;

/**
 * Answers a RESPONSE-phase event through its lazily loaded phase. A chunk that fails to load fails
 * closed (never the unfiltered reply): `internal.error`, one audit line, and a new load next time.
 */
export async function answerResponse(event: unknown, inv: Invocation): Promise<InterceptorOutput> {
  let phase: typeof import("./response.js");
  try {
    phase = await (responseChunk ??= import("./response.js"));
  } catch (err) {
    responseChunk = undefined;
    const kind = envelopeKindOf(event);
    const audit: AuditRecord = { decision: "deny", reason: "internal.error", durationMs: 0, detail: { envelope: kind, phase: "response" } };
    if (inv.requestId !== undefined) audit.requestId = inv.requestId;
    return conclude(
      audit,
      inv.started,
      inv.logger,
      inv.metrics,
      () => Promise.reject(err),
      (denial) =>
        denyOutput(kind, denial, {
          id: null,
          requestId: inv.requestId,
          resourceMetadataUrl: inv.runtime?.config.resourceMetadataUrl,
          bodyOnly: inv.runtime?.config.responseOutput === "body-only",
        }),
    );
  }
  return phase.responsePhase(event, inv);
}
