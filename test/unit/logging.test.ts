import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type AuditRecord, createLogger, writeAudit } from "../../src/log.js";
import { DENIALS } from "../../src/respond/denials.js";
import { REASONS } from "../../src/respond/reasons.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { buildToken } from "../support/tokens.js";
import { baseClaims, expectDeny, Harness, ISSUER_A, keyA, lambdaContext, mcpEvent, run, tokenA, withAuth } from "../support/harness.js";

/** docs/security.md §3 group O: logging. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

describe("O. Logging (LG)", () => {
  it("LG-01 an allow writes exactly one audit line with the decision fields", async () => {
    const token = tokenA({ jti: "jti-42", act: { sub: "agent-7" } });
    const o = await run(
      h.handler(),
      mcpEvent({ token, headers: withAuth(token, { "X-Amzn-Trace-Id": "Root=1-abc" }) }),
      lambdaContext("req-9"),
    );
    expect(o.audit).toMatchObject({
      level: "INFO",
      decision: "allow",
      reason: "mode.claims",
      method: "tools/call",
      target: "orders",
      tool: "get_order",
      mode: "claims",
      jsonrpcId: 1,
      iss: ISSUER_A,
      sub: "u-1",
      client_id: "app-a",
      actor: "agent-7",
      requestId: "req-9",
      traceId: "Root=1-abc",
      jwt: { kid: "a1", alg: "RS256", jti: "jti-42", exp: expect.any(Number) },
      detail: { envelope: "mcp", headersSet: ["X-User-Sub"] },
    });
    expect(typeof o.audit.durationMs).toBe("number");
  });

  it("LG-01 every line carries the Lambda context: cold_start on the first invocation only, function_name, function_request_id", async () => {
    // Lambda sets this for on-demand environments; Powertools reports cold starts only there.
    vi.stubEnv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    const handler = h.handler();
    vi.unstubAllEnvs();
    const first = await run(handler, mcpEvent(), lambdaContext("req-cold"));
    expect(first.audit).toMatchObject({ cold_start: true, function_name: "interceptor", function_request_id: "req-cold" });
    const second = await run(handler, mcpEvent(), lambdaContext("req-warm"));
    expect(second.audit).toMatchObject({ cold_start: false, function_name: "interceptor", function_request_id: "req-warm" });
    // Without a context (another host) the lines simply lack these fields, and the decision stands.
    const bare = await run(handler, mcpEvent(), undefined);
    expect(bare.audit).toMatchObject({ decision: "allow" });
  });

  it("LG-01 the audit level follows the denial table: its 500s (our faults) are ERROR, every other deny WARN, an allow INFO", () => {
    const logger = createLogger();
    const levelOf = (record: AuditRecord) => {
      const mark = logMark();
      writeAudit(logger, record);
      return logRecordsSince(mark)[0]?.level;
    };
    const errors = REASONS.filter((reason) => levelOf({ decision: "deny", reason, durationMs: 0 }) === "ERROR");
    expect(errors).toEqual(REASONS.filter((r) => DENIALS[r].status === 500));
    expect(errors).toEqual(
      expect.arrayContaining(["config.invalid", "internal.error", "obo.client_auth_failed", "event.unsupported", "assertion.key_unusable"]),
    );
    expect(levelOf({ decision: "deny", reason: "jwks.unavailable", durationMs: 0 })).toBe("WARN");
    expect(levelOf({ decision: "allow", reason: "mode.claims", durationMs: 0 })).toBe("INFO");
  });

  it("LG-01 a deny writes exactly one WARN audit line; config and internal faults are ERROR", async () => {
    const o = await run(h.handler(), mcpEvent({ headers: {} }));
    expect(o.audit).toMatchObject({ level: "WARN", decision: "deny", reason: "auth.missing", method: "tools/call" });
  });

  it("LG-02 none of the token's parts appear in any log line of a full allow/deny sequence", async () => {
    const token = tokenA();
    const mark = logMark();
    await run(h.handler(), mcpEvent({ token }));
    await run(h.handler(), mcpEvent({ token: `${token}x` }));
    const logged = JSON.stringify(logRecordsSince(mark));
    for (const part of token.split(".")) expect(logged).not.toContain(part);
  });

  it("LG-03 claim values mapped to headers are never logged; only header names", async () => {
    const mark = logMark();
    await run(h.handler(), mcpEvent({ name: "crm___x", token: tokenA({ email: "very-private@example.com", org: { id: "org-secret" } }) }));
    const logged = JSON.stringify(logRecordsSince(mark));
    expect(logged).not.toContain("very-private");
    expect(logged).not.toContain("org-secret");
    expect(logged).toContain("x-user-email");
  });

  it("LG-04 CR/LF/ANSI in kid, tool name and JSON-RPC id: one JSON line, escaped, truncated to 256", async () => {
    const kid = `k\r\n\u001b[31m${"x".repeat(400)}`;
    const token = buildToken({ header: { alg: "RS256", kid }, payload: baseClaims(), key: keyA });
    const mark = logMark();
    const o = await run(h.handler(), mcpEvent({ token, name: "evil\r\n___x", id: "id\r\n1" }));
    expectDeny(o, 401, "token.kid_unknown");
    const kidLogged = (o.audit.jwt as { kid: string }).kid;
    expect(kidLogged.startsWith("k\\u000d\\u000a\\u001b[31m")).toBe(true);
    expect(kidLogged.length).toBeLessThanOrEqual(256 + 4 * 5);
    expect(o.audit.jsonrpcId).toBe("id\\u000d\\u000a1");
    for (const r of logRecordsSince(mark)) expect(JSON.stringify(r)).not.toMatch(/[\r\n\u001b]/);
  });

  it("LG-05 a library error carrying attacker text is logged as a reason code only", async () => {
    const mark = logMark();
    await run(h.handler(), mcpEvent({ token: tokenA({ iss: "https://attacker.example/pwn" }) }));
    const logged = JSON.stringify(logRecordsSince(mark));
    expect(logged).not.toContain("issuer not configured");
    expect(logged).toContain("token.issuer_untrusted");
  });

  it("LG-06 claims of a token that failed verification are not logged, except iss and kid", async () => {
    const good = tokenA({ sub: "victim-user", email: "victim@example.com" });
    const o = await run(h.handler(), mcpEvent({ token: `${good.slice(0, -4)}AAAA` }));
    expectDeny(o, 401, "token.signature_invalid");
    expect(o.audit).toMatchObject({ iss: ISSUER_A, jwt: { kid: "a1", alg: "RS256" } });
    expect(o.audit.sub).toBeUndefined();
    expect(JSON.stringify(o.audit)).not.toContain("victim");
  });

  it("LG-07 JWKS fetch failures log the endpoint and the failure, never the response body", async () => {
    h.server.set("/a/jwks", { kind: "raw", body: "<html>BODY-MARKER-123</html>", contentType: "application/json" });
    const mark = logMark();
    await run(h.handler(), mcpEvent());
    const records = logRecordsSince(mark);
    expect(JSON.stringify(records)).not.toContain("BODY-MARKER-123");
    expect(records.find((r) => r.message === "JWKS fetch failed")).toMatchObject({
      jwksUri: h.server.url("/a/jwks"),
      why: "body is not JSON",
    });
    h.server.set("/a/jwks", { kind: "ok", body: { keys: [keyA.publicJwk] } });
  });
});
