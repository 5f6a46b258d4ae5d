import type { Reason } from "./reasons.js";

/**
 * The one denial table (docs/security.md §4.2): reason -> HTTP status, JSON-RPC error code, message and
 * the kind of `WWW-Authenticate` challenge. Every deny the interceptor emits is rendered from here.
 */
export type Challenge = "none" | "bare" | "invalid_request" | "invalid_token" | "insufficient_scope";

export interface DenialSpec {
  status: number;
  code: number;
  message: string;
  challenge: Challenge;
}

const AUTH_REQUIRED: DenialSpec = { status: 401, code: -31001, message: "Authentication required", challenge: "bare" };
const MALFORMED_AUTH: DenialSpec = {
  status: 400,
  code: -31001,
  message: "Malformed Authorization header",
  challenge: "invalid_request",
};
const TOKEN_INVALID: DenialSpec = {
  status: 401,
  code: -31001,
  message: "The access token is invalid",
  challenge: "invalid_token",
};
const TOKEN_EXPIRED: DenialSpec = { ...TOKEN_INVALID, message: "The access token is expired" };
const FORBIDDEN: DenialSpec = {
  status: 403,
  code: -31003,
  message: "Access to this tool is not permitted",
  challenge: "none",
};
const UNAVAILABLE: DenialSpec = { status: 503, code: -31503, message: "Temporarily unavailable", challenge: "none" };
const INTERNAL: DenialSpec = { status: 500, code: -32603, message: "Internal error", challenge: "none" };
const INVALID_REQUEST: DenialSpec = { status: 400, code: -32600, message: "Invalid Request", challenge: "none" };

export const DENIALS: Readonly<Record<Reason, DenialSpec>> = {
  "auth.missing": AUTH_REQUIRED,
  "auth.unsupported_scheme": AUTH_REQUIRED,
  "auth.malformed": MALFORMED_AUTH,
  "auth.multiple_credentials": MALFORMED_AUTH,
  "token.too_large": TOKEN_INVALID,
  "token.malformed": TOKEN_INVALID,
  "token.unsupported_format": TOKEN_INVALID,
  "token.duplicate_member": TOKEN_INVALID,
  "token.invalid_utf8": TOKEN_INVALID,
  "token.alg_not_allowed": TOKEN_INVALID,
  "token.alg_key_mismatch": TOKEN_INVALID,
  "token.key_too_weak": TOKEN_INVALID,
  "token.crit_unsupported": TOKEN_INVALID,
  "token.kid_missing": TOKEN_INVALID,
  "token.kid_unknown": TOKEN_INVALID,
  "token.signature_invalid": TOKEN_INVALID,
  "token.typ_invalid": TOKEN_INVALID,
  "token.kind_invalid": TOKEN_INVALID,
  "token.issuer_untrusted": TOKEN_INVALID,
  "token.audience_mismatch": TOKEN_INVALID,
  "token.expired": TOKEN_EXPIRED,
  "token.not_yet_valid": TOKEN_INVALID,
  "token.iat_in_future": TOKEN_INVALID,
  "token.too_old": TOKEN_EXPIRED,
  "token.exp_missing": TOKEN_INVALID,
  "token.claim_type": TOKEN_INVALID,
  "token.subject_invalid": TOKEN_INVALID,
  "token.sender_constrained": TOKEN_INVALID,
  "obo.subject_rejected": TOKEN_INVALID,
  "scope.insufficient": { status: 403, code: -31003, message: "Insufficient scope", challenge: "insufficient_scope" },
  "token.client_not_allowed": FORBIDDEN,
  "policy.target_denied": FORBIDDEN,
  "policy.claim_unmet": FORBIDDEN,
  "policy.name_not_allowed": FORBIDDEN,
  "policy.client_header_conflict": FORBIDDEN,
  "claims.unsafe_value": FORBIDDEN,
  "claims.missing_required": FORBIDDEN,
  "forward.audience_not_bound": FORBIDDEN,
  "obo.refused": FORBIDDEN,
  "request.invalid_jsonrpc": INVALID_REQUEST,
  "request.batch_unsupported": INVALID_REQUEST,
  "request.duplicate_member": INVALID_REQUEST,
  "request.invalid_path": INVALID_REQUEST,
  "request.invalid_tool_name": { status: 400, code: -32602, message: "Invalid params", challenge: "none" },
  "request.header_mismatch": { status: 400, code: -32020, message: "Header mismatch", challenge: "none" },
  "jwks.unavailable": UNAVAILABLE,
  "jwks.rate_limited": UNAVAILABLE,
  "obo.unavailable": UNAVAILABLE,
  "assertion.unavailable": UNAVAILABLE,
  "obo.invalid_response": { status: 502, code: -31502, message: "Upstream token service error", challenge: "none" },
  "config.invalid": INTERNAL,
  "obo.client_auth_failed": INTERNAL,
  "assertion.key_unusable": INTERNAL,
  "event.unsupported": INTERNAL,
  "internal.error": INTERNAL,
};

/** Seconds a client should wait before retrying a dependency outage. */
export const RETRY_AFTER_SECONDS = 10;
