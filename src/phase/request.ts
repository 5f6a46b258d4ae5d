import { envelopeKindOf, parseEnvelope } from "../event/envelope.js";
import { bestEffortId, readRequest, type RequestView } from "../event/request.js";
import type { AuditDetail, AuditRecord } from "../log.js";
import { decide } from "../policy/decide.js";
import type { NamedThing } from "../policy/names.js";
import { deny } from "../errors.js";
import { allowOutput, denyOutput, type InterceptorOutput } from "../respond/output.js";
import { authenticate } from "./authenticate.js";
import { conclude } from "./conclude.js";
import type { Invocation } from "./invocation.js";

/**
 * The REQUEST phase: read the message, authenticate the caller, refuse client-sent identity headers,
 * decide by policy, and give the addressed target the identity material its mode makes (nothing for
 * a message that addresses no target). The body and names are never rewritten.
 */
export function requestPhase(event: unknown, inv: Invocation): Promise<InterceptorOutput> {
  const kind = envelopeKindOf(event);
  const detail: AuditDetail = { envelope: kind };
  const audit: AuditRecord = { decision: "deny", reason: "internal.error", durationMs: 0, detail };
  if (inv.requestId !== undefined) audit.requestId = inv.requestId;
  // The id first, so that every deny (config.invalid too) echoes it: MCP clients match replies by id.
  let id = bestEffortId(event);
  return conclude(
    audit,
    inv.started,
    inv.logger,
    inv.metrics,
    async () => {
      const runtime = inv.runtime ?? deny("config.invalid");
      const parsed = (await parseEnvelope(event)) ?? deny("event.unsupported");
      const request = readRequest(parsed);
      id = request.id;
      describeRequest(audit, request);
      if (request.headers.isEmpty && !runtime.warnedNoHeaders) {
        runtime.warnedNoHeaders = true;
        inv.logger.error("the gateway passed no request headers: set passRequestHeaders: true in the interceptor configuration");
      }
      const identity = await authenticate(runtime, request.headers, request.path, inv.deadline, audit);
      if (runtime.managed.firstConflict(request.headers) !== undefined) deny("policy.client_header_conflict");
      const plan = decide(runtime.config, request.target, identity, namedIn(request));
      let headers: Record<string, string> = {};
      if (plan.kind === "target") {
        audit.mode = plan.config.mode;
        if (plan.rule !== undefined) audit.rule = plan.rule;
        const mode = runtime.modes.get(plan.target) ?? deny("config.invalid");
        const issued = await mode.issue(plan.target, identity, {
          deadline: inv.deadline,
          exchanger: runtime.exchanger,
          assertions: runtime.assertions,
        });
        Object.assign(detail, issued.detail);
        headers = issued.headers;
        audit.reason = `mode.${plan.config.mode}`;
      } else {
        audit.mode = "none";
        audit.reason = plan.why;
      }
      detail.headersSet = Object.keys(headers);
      audit.decision = "allow";
      return allowOutput(request.envelope, headers, request.body);
    },
    (denial) => denyOutput(kind, denial, { id, requestId: inv.requestId, resourceMetadataUrl: inv.runtime?.config.resourceMetadataUrl }),
  );
}

/** The tool or prompt a message names inside its target, for the per-name rules. */
function namedIn(request: RequestView): NamedThing | undefined {
  if (request.target === undefined) return undefined;
  if (request.method === "tools/call" && request.tool !== undefined) return { kind: "tools", name: request.tool };
  if (request.prompt !== undefined) return { kind: "prompts", name: request.prompt };
  return undefined;
}

function describeRequest(audit: AuditRecord, request: RequestView): void {
  audit.method = request.method;
  audit.jsonrpcId = request.id;
  if (request.target !== undefined) audit.target = request.target;
  if (request.tool !== undefined) audit.tool = request.tool;
  else if (request.toolName !== undefined) audit.tool = request.toolName;
  if (request.prompt !== undefined) audit.prompt = request.prompt;
  const trace = request.headers.single("x-amzn-trace-id");
  if (typeof trace === "string") audit.traceId = trace;
}
