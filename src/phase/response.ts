import type { VerifiedToken } from "../auth/verify.js";
import { envelopeKindOf } from "../event/envelope.js";
import { HeaderBag, type RawHeaders } from "../event/headers.js";
import { isJsonRpcId } from "../event/request.js";
import { type McpResponseEvent, parseMcpResponse } from "../event/response-envelope.js";
import type { AuditDetail, AuditRecord } from "../log.js";
import { filterListing, type ListingMethod, listingMethodOf } from "../policy/listing.js";
import { denyOutput, type InterceptorOutput, NOTHING_TO_ANSWER, responseOutput } from "../respond/output.js";
import { Denial, deny, errorClass } from "../errors.js";
import { isPlainObject } from "../plain-object.js";
import { authenticate } from "./authenticate.js";
import { conclude } from "./conclude.js";
import type { Invocation } from "./invocation.js";

/**
 * The RESPONSE phase (the same Lambda attached with `interceptionPoints: ["REQUEST", "RESPONSE"]`):
 * listings (`tools/list`, the gateway's search tool, `prompts/list`) are filtered to what the caller
 * may use; every other response passes through unchanged. The caller is authenticated again from the
 * request's `Authorization` (a warm container answers from the verified-token cache). A caller that
 * cannot be authenticated sees empty listings, never the full ones.
 *
 * Every reply hands the body back, filtered or as received, in the configured `responseOutput` form
 * (respond/output.ts `responseOutput`); the gateway's status is echoed, never changed. When the gateway
 * sent no body (a notification's reply, the `null` body reported after a REQUEST short-circuit) there
 * is nothing to hand back: the reply is the version alone. The `http` envelope keeps its documented
 * pass-through, `{"http":{}}` ("omitted fields keep the originals").
 */
type Json = Record<string, unknown>;

export const PASS_THROUGH_HTTP = Object.freeze({ interceptorOutputVersion: "1.0", http: Object.freeze({}) });

/** Answers one RESPONSE-phase event and writes its one audit line. Never throws. */
export function responsePhase(event: unknown, inv: Invocation): Promise<InterceptorOutput> {
  const kind = envelopeKindOf(event);
  const detail: AuditDetail = { envelope: kind, phase: "response" };
  const audit: AuditRecord = { decision: "allow", reason: "response.passthrough", durationMs: 0, detail };
  if (inv.requestId !== undefined) audit.requestId = inv.requestId;
  return conclude(
    audit,
    inv.started,
    inv.logger,
    inv.metrics,
    // A fault while filtering never lets the unfiltered listing through: it ends in a denial.
    () => (kind === "http" ? Promise.resolve(PASS_THROUGH_HTTP) : respondMcp(event, inv, audit, detail)),
    (denial) =>
      denyOutput(kind, denial, {
        id: audit.jsonrpcId ?? null,
        requestId: inv.requestId,
        resourceMetadataUrl: inv.runtime?.config.resourceMetadataUrl,
        bodyOnly: detail.streaming === true || inv.runtime?.config.responseOutput === "body-only",
      }),
  );
}

async function respondMcp(event: unknown, inv: Invocation, audit: AuditRecord, detail: AuditDetail): Promise<InterceptorOutput> {
  const parsed = parseMcpResponse(event);
  if (parsed === undefined) deny("event.unsupported");
  const { gatewayRequest: request, gatewayResponse: response } = parsed.mcp;
  const streaming = response.isStreamingResponse === true;
  if (streaming) detail.streaming = true;
  const requestBody = isPlainObject(request?.body) ? request.body : undefined;
  const method = typeof requestBody?.method === "string" ? requestBody.method : undefined;
  if (method !== undefined) audit.method = method;
  if (isJsonRpcId(requestBody?.id)) audit.jsonrpcId = requestBody.id;

  // Nothing to hand back: no body (a notification's reply, the reported short-circuit case).
  if (response.body === null || response.body === undefined) return NOTHING_TO_ANSWER;
  const form = inv.runtime?.config.responseOutput ?? "status-and-body";
  const status = typeof response.statusCode === "number" && Number.isInteger(response.statusCode) ? response.statusCode : 200;
  const reply = (body: unknown) => responseOutput(form, status, body, streaming);

  const read = readMessage(response.body);
  // Without a readable request, a reply that carries a listing is treated as one (fail closed).
  const listing = listingMethodOf(method, requestBody?.params) ?? (method === undefined ? listingIn(read?.message) : undefined);
  if (listing === undefined) return reply(response.body);
  detail.listing = listing;
  if (inv.runtime?.config.listingFilter === "off") {
    audit.reason = "listing.filter_off";
    return reply(response.body);
  }
  if (read === undefined) deny("event.unsupported"); // a listing we cannot read is not passed on
  const { message } = read;
  // An error, or no result object: no entries to reveal.
  if (!isPlainObject(message.result)) return reply(response.body);

  const identity = await caller(parsed, inv, audit);
  const filtered = filterListing(inv.runtime?.config, identity, listing, message.result);
  detail.removed = filtered.removed;
  if (filtered.removedTargets.length > 0) detail.removedTargets = filtered.removedTargets;
  if (identity !== undefined) audit.reason = "listing.filtered";
  if (filtered.removed === 0) return reply(response.body);

  // Every other member of the message and of the result (`nextCursor` included) stays as it was.
  const replaced = { ...message, result: filtered.result };
  return reply(read.text ? JSON.stringify(replaced) : replaced);
}

/** The JSON-RPC message of the reply: the parsed object as documented, or JSON text (kept as text). */
function readMessage(body: unknown): { message: Json; text: boolean } | undefined {
  if (isPlainObject(body)) return { message: body, text: false };
  if (typeof body !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return isPlainObject(parsed) ? { message: parsed, text: true } : undefined;
  } catch {
    return undefined;
  }
}

function listingIn(message: Json | undefined): ListingMethod | undefined {
  const result = message?.result;
  if (!isPlainObject(result)) return undefined;
  if (Array.isArray(result.tools)) return "tools/list";
  if (Array.isArray(result.prompts)) return "prompts/list";
  return undefined;
}

/**
 * The caller, authenticated by the REQUEST phase's own step; undefined (and the audit line a deny with
 * the reason) when that fails, so the listing comes back empty. The headers are the request's; when the
 * gateway passed none (`passRequestHeaders` off), those of `gatewayResponse`, where AWS's fine-grained
 * access control sample reads `Authorization` in its RESPONSE interceptor.
 */
async function caller(event: McpResponseEvent, inv: Invocation, audit: AuditRecord): Promise<VerifiedToken | undefined> {
  try {
    const runtime = inv.runtime ?? deny("config.invalid");
    const { gatewayRequest: request, gatewayResponse: response } = event.mcp;
    let headers = new HeaderBag(request?.headers);
    if (headers.isEmpty && isHeaderMap(response.headers)) headers = new HeaderBag(response.headers);
    return await authenticate(runtime, headers, request?.path ?? undefined, inv.deadline, audit);
  } catch (err) {
    if (!(err instanceof Denial)) audit.errorClass = errorClass(err);
    audit.decision = "deny";
    audit.reason = err instanceof Denial ? err.reason : "internal.error";
    return undefined;
  }
}

function isHeaderMap(v: unknown): v is RawHeaders {
  return (
    isPlainObject(v) && Object.values(v).every((x) => typeof x === "string" || (Array.isArray(x) && x.every((s) => typeof s === "string")))
  );
}
