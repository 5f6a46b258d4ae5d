import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { DENIALS } from "../../src/respond/denials.js";
import { REASONS } from "../../src/respond/reasons.js";

/** docs/security.md §4.2: the one denial table, class by class, exactly. */
const CLASSES: [string[], number, number, string][] = [
  [["auth.missing", "auth.unsupported_scheme"], 401, -31001, "bare"],
  [["auth.malformed", "auth.multiple_credentials"], 400, -31001, "invalid_request"],
  [
    REASONS.filter((r) => r.startsWith("token.") && r !== "token.client_not_allowed").concat("obo.subject_rejected"),
    401,
    -31001,
    "invalid_token",
  ],
  [["scope.insufficient"], 403, -31003, "insufficient_scope"],
  [
    [
      "policy.target_denied",
      "policy.client_header_conflict",
      "policy.claim_unmet",
      "policy.name_not_allowed",
      "token.client_not_allowed",
      "claims.unsafe_value",
      "claims.missing_required",
      "forward.audience_not_bound",
      "obo.refused",
    ],
    403,
    -31003,
    "none",
  ],
  [["request.invalid_jsonrpc", "request.batch_unsupported", "request.duplicate_member", "request.invalid_path"], 400, -32600, "none"],
  [["request.invalid_tool_name"], 400, -32602, "none"],
  [["request.header_mismatch"], 400, -32020, "none"],
  [["jwks.unavailable", "jwks.rate_limited", "obo.unavailable", "assertion.unavailable"], 503, -31503, "none"],
  [["obo.invalid_response"], 502, -31502, "none"],
  [["config.invalid", "obo.client_auth_failed", "event.unsupported", "internal.error", "assertion.key_unusable"], 500, -32603, "none"],
];

describe("denial table (docs/security.md §4.2)", () => {
  it("every reason code belongs to exactly one class", () => {
    const listed = CLASSES.flatMap(([reasons]) => reasons).sort();
    expect(listed).toEqual([...REASONS].sort());
  });

  it.each(CLASSES.flatMap(([reasons, status, code, challenge]) => reasons.map((r) => [r, status, code, challenge] as const)))(
    "%s → HTTP %i, JSON-RPC %i, challenge %s",
    (reason, status, code, challenge) => {
      const spec = DENIALS[reason as keyof typeof DENIALS];
      expect({ status: spec.status, code: spec.code, challenge: spec.challenge }).toEqual({ status, code, challenge });
    },
  );

  it("messages never name a token, an issuer or a tool", () => {
    for (const spec of Object.values(DENIALS)) expect(spec.message).toMatch(/^[A-Z][A-Za-z ]+[a-z]$/);
  });

  it("no denial uses -32001: the gateway's own authorizer does, but the MCP TypeScript SDK reads it as RequestTimeout", () => {
    expect(ErrorCode.RequestTimeout).toBe(-32001);
    for (const [reason, spec] of Object.entries(DENIALS)) expect({ reason, code: spec.code }).not.toEqual({ reason, code: -32001 });
  });
});
