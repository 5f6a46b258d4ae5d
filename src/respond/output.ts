import type { EnvelopeKind } from "../event/envelope.js";
import type { JsonRpcId } from "../event/request.js";
import { type Challenge, DENIALS, RETRY_AFTER_SECONDS } from "./denials.js";
import type { Denial } from "../errors.js";

/** A request passed on to the target: the headers the interceptor sets and the body as received. */
export interface TransformedRequest {
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A reply that short-circuits the request (a deny) or replaces a target's reply (RESPONSE phase). */
export interface TransformedResponse {
  readonly statusCode?: number;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly body: unknown;
}

interface Transformed {
  readonly transformedGatewayRequest?: TransformedRequest;
  readonly transformedGatewayResponse?: TransformedResponse;
}

/**
 * What the interceptor returns to the gateway (docs/agentcore-contract.md §2), under the key of the event's
 * envelope. An empty `mcp`/`http` object passes the gateway's own message through unchanged.
 */
export type InterceptorOutput =
  | { readonly interceptorOutputVersion: "1.0"; readonly mcp: Transformed }
  | { readonly interceptorOutputVersion: "1.0"; readonly http: Transformed }
  /** RESPONSE phase, when the gateway sent no body to answer (a notification's, a short-circuit's). */
  | { readonly interceptorOutputVersion: "1.0" };

/** How a RESPONSE-phase reply carries its body (config `responseOutput`). */
export type ResponseOutputForm = "status-and-body" | "body-only";

/** The reply when the gateway sent no body: the version alone, as AWS's own sample answers a notification. */
export const NOTHING_TO_ANSWER: InterceptorOutput = Object.freeze({ interceptorOutputVersion: "1.0" });

/**
 * A RESPONSE-phase reply under the `mcp` envelope (docs/response-phase.md): never `{"mcp":{}}`, which a
 * field report says the gateway refuses. The body (filtered, or as received) always goes back; the
 * original status with it in the `status-and-body` form. A streamed reply's events carry the body
 * only: only the first event of a stream may set a status.
 */
export function responseOutput(form: ResponseOutputForm, status: number, body: unknown, streamed: boolean): InterceptorOutput {
  const transformedGatewayResponse = form === "body-only" || streamed ? { body } : { statusCode: status, body };
  return { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse } };
}

/**
 * The allow shape (docs/design.md, docs/agentcore-contract.md §2a): exactly `{headers, body}`, `headers` holding
 * only what the interceptor sets for this target (`{}` when nothing), the body as received.
 */
export function allowOutput(kind: EnvelopeKind, headers: Record<string, string>, body: unknown): InterceptorOutput {
  const transformedGatewayRequest = { headers, body };
  return kind === "mcp"
    ? { interceptorOutputVersion: "1.0", mcp: { transformedGatewayRequest } }
    : { interceptorOutputVersion: "1.0", http: { transformedGatewayRequest } };
}

const quoted = (s: string) => `"${s.replace(/["\\]/g, "\\$&")}"`;

/** RFC 6750 §3 challenge, built only from the table, constants and config, never from the request. */
export function wwwAuthenticate(
  challenge: Challenge,
  message: string,
  scope: readonly string[] | undefined,
  prm: string | undefined,
): string | undefined {
  if (challenge === "none") return undefined;
  const params: string[] = [];
  if (challenge !== "bare") params.push(`error=${quoted(challenge)}`);
  if (challenge === "invalid_token") params.push(`error_description=${quoted(message)}`);
  if (challenge === "insufficient_scope" && scope !== undefined) params.push(`scope=${quoted(scope.join(" "))}`);
  if (prm !== undefined) params.push(`resource_metadata=${quoted(prm)}`);
  return params.length > 0 ? `Bearer ${params.join(", ")}` : "Bearer";
}

export interface DenyContext {
  id: JsonRpcId | null;
  requestId: string | undefined;
  resourceMetadataUrl: string | undefined;
  /**
   * Send the body without a status: a RESPONSE-phase reply in the `body-only` form, or a stream event
   * (only the first of a stream may set a status).
   */
  bodyOnly?: boolean;
}

/**
 * The short-circuit reply (docs/agentcore-contract.md §2b): only `transformedGatewayResponse`, a JSON-RPC
 * error echoing the request id, `error.data.reason` the stable reason code. The MCP envelope documents
 * no response headers, so the challenge and retry hint travel in `error.data` too.
 */
export function denyOutput(kind: EnvelopeKind, denial: Denial, ctx: DenyContext): InterceptorOutput {
  const spec = DENIALS[denial.reason];
  const parseError = denial.detail.jsonRpcCode === -32700;
  const challenge = wwwAuthenticate(spec.challenge, spec.message, denial.detail.scope, ctx.resourceMetadataUrl);
  const retryAfter = spec.status === 503 ? (denial.detail.retryAfter ?? RETRY_AFTER_SECONDS) : undefined;
  const body = {
    jsonrpc: "2.0",
    id: ctx.id,
    error: {
      code: parseError ? -32700 : spec.code,
      message: parseError ? "Parse error" : spec.message,
      data: {
        reason: denial.reason,
        ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
        ...(challenge !== undefined ? { wwwAuthenticate: challenge } : {}),
        ...(retryAfter !== undefined ? { retryAfter } : {}),
      },
    },
  };
  if (kind === "mcp") {
    const transformedGatewayResponse = ctx.bodyOnly === true ? { body } : { statusCode: spec.status, body };
    return { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse } };
  }
  const headers: Record<string, string> = {};
  if (challenge !== undefined) headers["WWW-Authenticate"] = challenge;
  if (retryAfter !== undefined) headers["Retry-After"] = String(retryAfter);
  return {
    interceptorOutputVersion: "1.0",
    http: {
      transformedGatewayResponse: {
        statusCode: spec.status,
        contentType: "application/json",
        headers,
        body: Buffer.from(JSON.stringify(body), "utf8").toString("base64"),
      },
    },
  };
}
