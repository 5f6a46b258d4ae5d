/**
 * The stable reason codes (security.md §0). Tests and dashboards key on these strings,
 * so they are part of the public contract: add, never rename.
 */
export const REASONS = [
  "auth.missing",
  "auth.malformed",
  "auth.multiple_credentials",
  "auth.unsupported_scheme",
  "token.too_large",
  "token.malformed",
  "token.unsupported_format",
  "token.duplicate_member",
  "token.invalid_utf8",
  "token.alg_not_allowed",
  "token.alg_key_mismatch",
  "token.key_too_weak",
  "token.crit_unsupported",
  "token.kid_missing",
  "token.kid_unknown",
  "token.signature_invalid",
  "token.typ_invalid",
  "token.kind_invalid",
  "token.issuer_untrusted",
  "token.audience_mismatch",
  "token.client_not_allowed",
  "token.expired",
  "token.not_yet_valid",
  "token.iat_in_future",
  "token.too_old",
  "token.exp_missing",
  "token.claim_type",
  "token.subject_invalid",
  "token.sender_constrained",
  "scope.insufficient",
  "policy.target_denied",
  "policy.client_header_conflict",
  "request.invalid_jsonrpc",
  "request.batch_unsupported",
  "request.invalid_tool_name",
  "request.header_mismatch",
  "request.duplicate_member",
  "request.invalid_path",
  "claims.unsafe_value",
  "claims.missing_required",
  "forward.audience_not_bound",
  "obo.subject_rejected",
  "obo.refused",
  "obo.invalid_response",
  "obo.unavailable",
  "obo.client_auth_failed",
  "assertion.unavailable",
  "assertion.key_unusable",
  "jwks.unavailable",
  "jwks.rate_limited",
  "config.invalid",
  "event.unsupported",
  "internal.error",
] as const;

export type Reason = (typeof REASONS)[number];

/** A decision to refuse, carried as a value (never as a thrown library error). */
export class Denial extends Error {
  constructor(
    readonly reason: Reason,
    /** Extra challenge data: the full required scope set for `scope.insufficient`. */
    readonly detail: { scope?: readonly string[]; retryAfter?: number; jsonRpcCode?: number } = {},
  ) {
    super(reason);
  }
}

export function deny(reason: Reason, detail?: Denial["detail"]): never {
  throw new Denial(reason, detail);
}
