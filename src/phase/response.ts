import type { Logger } from "@aws-lambda-powertools/logger";
import { bearerToken } from "../auth/bearer.js";
import type { TokenVerifier, UnverifiedNote, VerifiedToken } from "../auth/verify.js";
import type { Config } from "../config/schema.js";
import { envelopeKindOf } from "../event/envelope.js";
import { HeaderBag, type RawHeaders } from "../event/headers.js";
import { type McpResponseEvent, parseMcpResponse } from "../event/response-envelope.js";
import { type AuditDetail, type AuditRecord, writeAudit } from "../log.js";
import { filterListing, type ListingMethod, listingMethodOf } from "../policy/listing.js";
import { denyOutput, type InterceptorOutput, NOTHING_TO_ANSWER, responseOutput } from "../respond/output.js";
import type { Deadline } from "../deadline.js";
import { Denial, deny, errorClass } from "../errors.js";
import type { Reason } from "../respond/reasons.js";
import { isPlainObject } from "../plain-object.js";

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
export interface ResponseDeps {
  /** Undefined when the configuration is invalid: listings then come back empty. */
  runtime: { config: Config; verifier: TokenVerifier } | undefined;
  logger: Logger;
  /** The invocation's deadline (the handler's): a key fetch for the re-authentication runs inside it. */
  deadline: Deadline;
  requestId: string | undefined;
  /** performance.now() when the invocation started. */
  started: number;
}

type Json = Record<string, unknown>;
type JsonRpcId = string | number;

export const PASS_THROUGH_HTTP = Object.freeze({ interceptorOutputVersion: "1.0", http: Object.freeze({}) });

const validId = (v: unknown): v is JsonRpcId => typeof v === "string" || (typeof v === "number" && Number.isFinite(v));

/** Answers one RESPONSE-phase event and writes its one audit line. Never throws. */
export async function respondToResponse(event: unknown, deps: ResponseDeps): Promise<InterceptorOutput> {
  const kind = envelopeKindOf(event);
  const detail: AuditDetail = { envelope: kind, phase: "response" };
  const audit: AuditRecord = { decision: "allow", reason: "response.passthrough", durationMs: 0, detail };
  if (deps.requestId !== undefined) audit.requestId = deps.requestId;
  let output: InterceptorOutput;
  try {
    output = kind === "http" ? PASS_THROUGH_HTTP : await respondMcp(event, deps, audit, detail);
  } catch (err) {
    // A fault while filtering never lets the unfiltered listing through.
    const denial = err instanceof Denial ? err : new Denial("internal.error");
    if (!(err instanceof Denial)) audit.errorClass = errorClass(err);
    audit.decision = "deny";
    audit.reason = denial.reason;
    output = denyOutput(kind, denial, {
      id: audit.jsonrpcId ?? null,
      requestId: deps.requestId,
      resourceMetadataUrl: deps.runtime?.config.resourceMetadataUrl,
      bodyOnly: detail.streaming === true || deps.runtime?.config.responseOutput === "body-only",
    });
  }
  audit.durationMs = Math.round((performance.now() - deps.started) * 1000) / 1000;
  try {
    writeAudit(deps.logger, audit);
  } catch {
    // A failing log sink must not turn a decision into a thrown invocation.
  }
  return output;
}

async function respondMcp(event: unknown, deps: ResponseDeps, audit: AuditRecord, detail: AuditDetail): Promise<InterceptorOutput> {
  const parsed = parseMcpResponse(event);
  if (parsed === undefined) deny("event.unsupported");
  const { gatewayRequest: request, gatewayResponse: response } = parsed.mcp;
  const streaming = response.isStreamingResponse === true;
  if (streaming) detail.streaming = true;
  const requestBody = isPlainObject(request?.body) ? request.body : undefined;
  const method = typeof requestBody?.method === "string" ? requestBody.method : undefined;
  if (method !== undefined) audit.method = method;
  if (validId(requestBody?.id)) audit.jsonrpcId = requestBody.id;

  // Nothing to hand back: no body (a notification's reply, the reported short-circuit case).
  if (response.body === null || response.body === undefined) return NOTHING_TO_ANSWER;
  const form = deps.runtime?.config.responseOutput ?? "status-and-body";
  const status = typeof response.statusCode === "number" && Number.isInteger(response.statusCode) ? response.statusCode : 200;
  const reply = (body: unknown) => responseOutput(form, status, body, streaming);

  const read = readMessage(response.body);
  // Without a readable request, a reply that carries a listing is treated as one (fail closed).
  const listing = listingMethodOf(method, requestBody?.params) ?? (method === undefined ? listingIn(read?.message) : undefined);
  if (listing === undefined) return reply(response.body);
  detail.listing = listing;
  if (deps.runtime?.config.listingFilter === "off") {
    audit.reason = "listing.filter_off";
    return reply(response.body);
  }
  if (read === undefined) deny("event.unsupported"); // a listing we cannot read is not passed on
  const { message } = read;
  // An error, or no result object: no entries to reveal.
  if (!isPlainObject(message.result)) return reply(response.body);

  const identity = await authenticate(parsed, deps, audit);
  const filtered = filterListing(deps.runtime?.config, identity, listing, message.result);
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
 * The caller, authenticated exactly as in the REQUEST phase; undefined (and the audit line a deny with
 * the reason) when that fails. The headers are the request's; when the gateway passed none
 * (`passRequestHeaders` off), those of `gatewayResponse`, where AWS's fine-grained access control
 * sample reads `Authorization` in its RESPONSE interceptor.
 */
async function authenticate(event: McpResponseEvent, deps: ResponseDeps, audit: AuditRecord): Promise<VerifiedToken | undefined> {
  let note: UnverifiedNote = {};
  try {
    if (deps.runtime === undefined) deny("config.invalid");
    const { config, verifier } = deps.runtime;
    const { gatewayRequest: request, gatewayResponse: response } = event.mcp;
    let headers = new HeaderBag(request?.headers);
    if (headers.isEmpty && isHeaderMap(response.headers)) headers = new HeaderBag(response.headers);
    const token = bearerToken(headers, request?.path ?? undefined, config.maxAuthorizationBytes);
    const verification = verifier.verify(token);
    note = verification.note;
    const result = verification.identity;
    const identity = result instanceof Promise ? await deps.deadline.race(result, "jwks.unavailable") : result;
    audit.iss = identity.issuer.issuer;
    audit.sub = identity.sub;
    if (identity.clientId !== undefined) audit.client_id = identity.clientId;
    audit.jwt = { kid: identity.kid, alg: identity.alg, jti: identity.jti, exp: identity.exp };
    return identity;
  } catch (err) {
    const reason: Reason = err instanceof Denial ? err.reason : "internal.error";
    if (!(err instanceof Denial)) audit.errorClass = errorClass(err);
    if (audit.iss === undefined && note.iss !== undefined) audit.iss = note.iss;
    if (audit.jwt === undefined && (note.kid !== undefined || note.alg !== undefined)) audit.jwt = { kid: note.kid, alg: note.alg };
    audit.decision = "deny";
    audit.reason = reason;
    return undefined;
  }
}

function isHeaderMap(v: unknown): v is RawHeaders {
  return (
    isPlainObject(v) && Object.values(v).every((x) => typeof x === "string" || (Array.isArray(x) && x.every((s) => typeof s === "string")))
  );
}
