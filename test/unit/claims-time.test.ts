import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { buildToken } from "../support/tokens.js";
import {
  baseClaims,
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  type Json,
  keyA,
  mcpEvent,
  mcpOf,
  PRM,
  qualified,
  rawToken,
  run,
  tokenA,
  withAuth,
} from "../support/harness.js";

/** docs/security.md §3 group D: claims and time, with a fake clock at an integer second T. */
const h = new Harness();
const T = 1_900_000_000;
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(T * 1000));
});
afterEach(() => vi.useRealTimers());

const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const issuerA = (patch: (i: Json) => void) => (c: Json) => patch((c.issuers as Json[])[0]!);
const skew = (seconds: number) => (c: Json) => {
  c.clockSkewSeconds = seconds;
};
const call = (token: string, patch?: (c: Json) => void) => run(h.handler(patch), mcpEvent({ headers: withAuth(token) }));
const HEADER = { alg: "RS256", typ: "at+jwt", kid: keyA.kid };

describe("D. Claims and time (CL)", () => {
  it("CL-01 exp missing → DENY(401, token.exp_missing)", async () => {
    expectDeny(await call(tokenA({ exp: undefined })), 401, "token.exp_missing");
  });

  it("CL-02 exp = T + 1 → ALLOW", async () => {
    expectAllow(await call(tokenA({ exp: T + 1 })), ALLOWED);
  });

  it("CL-03 leeway 0, exp = T (the exact second) → DENY(401, token.expired)", async () => {
    expectDeny(await call(tokenA({ exp: T }), skew(0)), 401, "token.expired");
  });

  it("CL-04 leeway 0, exp = T − 1 → DENY(401, token.expired)", async () => {
    const o = await call(tokenA({ exp: T - 1 }), skew(0));
    expectDeny(o, 401, "token.expired");
    expect(mcpOf(o).transformedGatewayResponse?.body.error.data.wwwAuthenticate).toBe(
      `Bearer error="invalid_token", error_description="The access token is expired", resource_metadata="${PRM}"`,
    );
  });

  it("CL-05 leeway 60, exp = T − 59 → ALLOW", async () => {
    expectAllow(await call(tokenA({ exp: T - 59 })), ALLOWED);
  });

  it("CL-06 leeway 60, exp = T − 60 → DENY(401, token.expired)", async () => {
    expectDeny(await call(tokenA({ exp: T - 60 })), 401, "token.expired");
  });

  it("CL-07 nbf = T + 60 (leeway 60) → ALLOW", async () => {
    expectAllow(await call(tokenA({ nbf: T + 60 })), ALLOWED);
  });

  it("CL-08 nbf = T + 61 (leeway 60) → DENY(401, token.not_yet_valid)", async () => {
    expectDeny(await call(tokenA({ nbf: T + 61 })), 401, "token.not_yet_valid");
  });

  it("CL-09 iat = T + 3600 → DENY(401, token.iat_in_future)", async () => {
    expectDeny(await call(tokenA({ iat: T + 3600 })), 401, "token.iat_in_future");
  });

  it("CL-10 iat = T + 60 → ALLOW; iat = T + 61 → DENY(401, token.iat_in_future)", async () => {
    expectAllow(await call(tokenA({ iat: T + 60 })), ALLOWED);
    expectDeny(await call(tokenA({ iat: T + 61 })), 401, "token.iat_in_future");
  });

  it("CL-11 iat = T − 86 401 with max age 86 400 → DENY(401, token.too_old)", async () => {
    const o = await call(
      tokenA({ iat: T - 86_401 }),
      issuerA((i) => (i.maxTokenAgeSeconds = 86_400)),
    );
    expectDeny(o, 401, "token.too_old");
  });

  it.each([
    ["string", '"1800000000"'],
    ["true", "true"],
    ["null", "null"],
    ["1e400", "1e400"],
    ["array", `[${T + 300}]`],
  ])("CL-12 exp as %s → DENY(401, token.malformed)", async (_n, exp) => {
    const text = JSON.stringify(baseClaims({ exp: "__EXP__" })).replace('"__EXP__"', exp);
    expectDeny(await call(rawToken(HEADER, text)), 401, "token.malformed");
  });

  it.each([-5, 0])("CL-13 exp = %i → DENY(401, token.expired)", async (exp) => {
    expectDeny(await call(tokenA({ exp })), 401, "token.expired");
  });

  it("CL-14 fractional exp (T + 300.5) → ALLOW", async () => {
    expectAllow(await call(tokenA({ exp: T + 300.5 })), ALLOWED);
  });

  it.each([{ iat: String(T) }, { nbf: String(T) }])("CL-15 %j as a string → DENY(401, token.malformed)", async (claims) => {
    expectDeny(await call(tokenA(claims)), 401, "token.malformed");
  });

  it.each([
    ["missing", undefined, "token.subject_invalid"],
    ["empty", "", "token.subject_invalid"],
    ["numeric", 42, "token.malformed"],
    ["object", { id: 1 }, "token.malformed"],
  ])("CL-16 sub %s → DENY(401, %s)", async (_n, sub, reason) => {
    expectDeny(await call(tokenA({ sub })), 401, reason);
  });

  it.each([42, ["app-a"]])("CL-17 client_id %j → DENY(401, token.claim_type)", async (clientId) => {
    expectDeny(await call(tokenA({ client_id: clientId })), 401, "token.claim_type");
  });

  it("CL-18 scope given as an array (Duende, PingFederate, Spring) → ALLOW; an array with a non-string → DENY(401, token.malformed)", async () => {
    expectAllow(await call(tokenA({ scope: ["openid", "mcp:invoke"] })), ALLOWED);
    expectDeny(await call(tokenA({ scope: ["mcp:invoke", 1] })), 401, "token.malformed");
    expectDeny(await call(tokenA({ scope: { mcp: true } })), 401, "token.malformed");
  });

  it("CL-19 Okta-style scp array with scopeClaim scp → ALLOW", async () => {
    const o = await call(
      tokenA({ scope: undefined, scp: ["mcp:invoke"] }),
      issuerA((i) => (i.scopeClaim = "scp")),
    );
    expectAllow(o, ALLOWED);
  });

  it("CL-20 Entra-style scp string with scopeClaim scp → ALLOW", async () => {
    const o = await call(
      tokenA({ scope: undefined, scp: "mcp.invoke other" }),
      issuerA((i) => {
        i.scopeClaim = "scp";
        i.requiredScopes = ["mcp.invoke"];
      }),
    );
    expectAllow(o, ALLOWED);
  });

  it('CL-21 required scopes a b (all of), token has a → DENY(403, scope.insufficient) with scope="a b"', async () => {
    const o = await call(
      tokenA({ scope: "a" }),
      issuerA((i) => (i.requiredScopes = ["a", "b"])),
    );
    expectDeny(o, 403, "scope.insufficient");
    expect(mcpOf(o).transformedGatewayResponse?.body.error.data.wwwAuthenticate).toBe(
      `Bearer error="insufficient_scope", scope="a b", resource_metadata="${PRM}"`,
    );
    expect(o.audit.scopesRequired).toEqual(["a", "b"]);
  });

  it.each([
    ["CL-22", "mcp:invoke-admin"],
    ["CL-23", "x\tmcp:invoke"],
  ])("%s scope %j does not grant mcp:invoke → DENY(403, scope.insufficient)", async (_id, scope) => {
    expectDeny(await call(tokenA({ scope })), 403, "scope.insufficient");
  });

  it("CL-24 scope with extra spaces → ALLOW (empty scope tokens ignored)", async () => {
    expectAllow(await call(tokenA({ scope: "  mcp:invoke  x " })), ALLOWED);
  });

  it.each(["iat", "jti", "client_id"])("CL-25 RFC 9068 issuer, %s missing → DENY(401, token.claim_type)", async (claim) => {
    const o = await call(
      tokenA({ [claim]: undefined }),
      issuerA((i) => (i.requireTyp = "at+jwt")),
    );
    expectDeny(o, 401, "token.claim_type");
  });

  it("CL-26 nested act: policy actor is the current actor only → ALLOW, audit actor=agent-7", async () => {
    const o = await call(tokenA({ act: { sub: "agent-7", act: { sub: "admin" } } }));
    expectAllow(o, ALLOWED);
    expect(o.audit.actor).toBe("agent-7");
  });

  it("CL-27 act as a string → DENY(401, token.claim_type)", async () => {
    expectDeny(await call(tokenA({ act: "agent-7" })), 401, "token.claim_type");
  });

  it("CL-28 machine token (sub == client_id) on a target that requires a user → DENY(403, policy.target_denied)", async () => {
    const token = buildToken({ header: HEADER, payload: baseClaims({ sub: "app-a" }), key: keyA });
    const o = await call(token, (c) => (((c.targets as Json).orders as Json).requireUser = true));
    expectDeny(o, 403, "policy.target_denied");
  });
});
