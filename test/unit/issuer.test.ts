import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHandler } from "../../src/handler.js";
import { parseConfig } from "../../src/config/load.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { buildToken } from "../support/tokens.js";
import {
  baseClaims,
  expectAllow,
  expectDeny,
  GATEWAY_AUD,
  Harness,
  ISSUER_A,
  ISSUER_B,
  type Json,
  keyA,
  keyB,
  mcpEvent,
  qualified,
  run,
  tokenA,
  tokenB,
  withAuth,
} from "../support/harness.js";

/** docs/security.md §3 group E: issuer, audience, client, multi-issuer. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.resetKeys());

const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const issuerA = (patch: (i: Json) => void) => (c: Json) => patch((c.issuers as Json[])[0]!);
const call = (token: string, patch?: (c: Json) => void) => run(h.handler(patch), mcpEvent({ headers: withAuth(token) }));

describe("E. Issuer, audience, client, multi-issuer (IS)", () => {
  it("IS-01 iss with a trailing slash → DENY(401, token.issuer_untrusted)", async () => {
    expectDeny(await call(tokenA({ iss: `${ISSUER_A}/` })), 401, "token.issuer_untrusted");
  });

  it.each([
    "HTTPS://IDP-A.EXAMPLE",
    "https://idp-a.example:443",
    "https://idp-a.exampl%65",
    "https://idp-a.example ",
    "https://idp-а.example",
    "http://idp-a.example",
  ])("IS-02 iss variant %j → DENY(401, token.issuer_untrusted)", async (iss) => {
    expectDeny(await call(tokenA({ iss })), 401, "token.issuer_untrusted");
  });

  it.each(["https://idp-a", "https://idp-a.example.com.evil.net", "https://evil/https://idp-a.example"])(
    "IS-03 iss prefix/superstring/embedded %j → DENY(401, token.issuer_untrusted)",
    async (iss) => {
      expectDeny(await call(tokenA({ iss })), 401, "token.issuer_untrusted");
    },
  );

  it("IS-04 iss as an array → DENY(401, token.malformed)", async () => {
    expectDeny(await call(tokenA({ iss: [ISSUER_A] })), 401, "token.malformed");
  });

  it("IS-05 iss missing → DENY(401, token.issuer_untrusted)", async () => {
    expectDeny(await call(tokenA({ iss: undefined })), 401, "token.issuer_untrusted");
  });

  it("IS-06 unknown iss with CR/LF and quotes → DENY(401, token.issuer_untrusted), not 500; no raw CR/LF in reply or log", async () => {
    const mark = logMark();
    const o = await call(tokenA({ iss: 'https://evil.example\r\nX-Injected: "1"' }));
    expectDeny(o, 401, "token.issuer_untrusted");
    expect(JSON.stringify(o.output)).not.toContain("evil");
    expect(String(o.audit.iss)).toBe('https://evil.example\\u000d\\u000aX-Injected: "1"');
    for (const r of logRecordsSince(mark)) expect(JSON.stringify(r)).not.toMatch(/\r|\n/);
  });

  it("IS-07 iss = B signed with A's key (A's kid) → DENY(401, token.kid_unknown), only B's JWKS fetched", async () => {
    const a = h.server.count("/a/jwks");
    const b = h.server.count("/b/jwks");
    const token = buildToken({
      header: { alg: "RS256", kid: keyA.kid },
      payload: baseClaims({ iss: ISSUER_B, aud: "gateway-b" }),
      key: keyA,
    });
    expectDeny(await call(token), 401, "token.kid_unknown");
    expect(h.server.count("/a/jwks") - a).toBe(0);
    expect(h.server.count("/b/jwks") - b).toBe(1);
  });

  it("IS-08 iss = B signed with A's key, the kid exists in both JWKSs → DENY(401, token.signature_invalid)", async () => {
    h.server.set("/b/jwks", { kind: "ok", body: { keys: [{ ...keyB.publicJwk, kid: keyA.kid }] } });
    const token = buildToken({
      header: { alg: "RS256", kid: keyA.kid },
      payload: baseClaims({ iss: ISSUER_B, aud: "gateway-b" }),
      key: keyA,
    });
    expectDeny(await call(token), 401, "token.signature_invalid");
  });

  it("IS-09 shared-key multi-tenant IdP: token signed with the shared key for an untrusted tenant → DENY(401, token.issuer_untrusted)", async () => {
    const patch = issuerA((i) => (i.issuer = "https://login.example/tenant-good/v2.0"));
    expectDeny(await call(tokenA({ iss: "https://login.example/tenant-evil/v2.0" }), patch), 401, "token.issuer_untrusted");
  });

  it("IS-10 trusted tenant iss with the tid of another tenant → DENY(401, token.issuer_untrusted)", async () => {
    const patch = issuerA((i) => (i.tenantClaim = { claim: "tid", value: "tenant-good" }));
    expectDeny(await call(tokenA({ tid: "tenant-evil" }), patch), 401, "token.issuer_untrusted");
    expectAllow(await call(tokenA({ tid: "tenant-good" }), patch), ALLOWED);
  });

  it("IS-11 aud = another API of the same issuer → DENY(401, token.audience_mismatch)", async () => {
    expectDeny(await call(tokenA({ aud: "https://gateway.example/other-api" })), 401, "token.audience_mismatch");
  });

  it("IS-12 aud = [other, gateway] → ALLOW", async () => {
    expectAllow(await call(tokenA({ aud: ["other", GATEWAY_AUD] })), ALLOWED);
  });

  it.each([
    ["missing", undefined],
    ["[]", []],
    ['[""]', [""]],
    ["case variant", GATEWAY_AUD.toUpperCase()],
    ["trailing slash", `${GATEWAY_AUD}/`],
  ])("IS-13 aud %s → DENY(401, token.audience_mismatch)", async (_n, aud) => {
    expectDeny(await call(tokenA({ aud })), 401, "token.audience_mismatch");
  });

  it("IS-14 token from A carrying B's audience → DENY(401, token.audience_mismatch)", async () => {
    expectDeny(await call(tokenA({ aud: "gateway-b" })), 401, "token.audience_mismatch");
  });

  it("IS-15 aud correct, client_id not in A's allowlist → DENY(403, token.client_not_allowed)", async () => {
    expectDeny(await call(tokenA({ client_id: "rogue-app" })), 403, "token.client_not_allowed");
  });

  it("IS-16 Cognito access token (no aud) whose client_id is not allowed → DENY(401, token.audience_mismatch)", async () => {
    const cognito = issuerA((i) => {
      delete i.audience;
      i.clientIds = ["app-a"];
      i.tokenUse = "access";
    });
    expectDeny(
      await call(tokenA({ aud: undefined, token_use: "access", client_id: "rogue-app" }), cognito),
      401,
      "token.audience_mismatch",
    );
    expectAllow(await call(tokenA({ aud: undefined, token_use: "access" }), cognito), ALLOWED);
  });

  it("IS-17 Cognito global issuer form when only the regional one is configured → DENY(401, token.issuer_untrusted)", async () => {
    const regional = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC";
    const patch = issuerA((i) => (i.issuer = regional));
    const token = tokenA({ iss: "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC" });
    expectDeny(await call(token, patch), 401, "token.issuer_untrusted");
  });

  it("IS-18 the same sub from A and from B → both ALLOW(claims), subject headers differ (issuer-qualified)", async () => {
    const a = await call(tokenA({ sub: "u-1" }));
    const b = await call(tokenB({ sub: "u-1" }));
    expectAllow(a, { "X-User-Sub": qualified(ISSUER_A, "u-1") });
    expectAllow(b, { "X-User-Sub": qualified(ISSUER_B, "u-1") });
  });

  it("IS-19 target restricted to issuer A, token from B → DENY(403, policy.target_denied); onDenied strip → ALLOW-NOID", async () => {
    const onlyA = (onDenied: string) => (c: Json) => {
      Object.assign((c.targets as Json).orders as Json, { issuers: [ISSUER_A], onDenied });
    };
    expectDeny(await call(tokenB(), onlyA("deny")), 403, "policy.target_denied");
    const stripped = await call(tokenB(), onlyA("strip"));
    expectAllow(stripped, {});
    expect(stripped.audit).toMatchObject({ reason: "issuer-stripped", mode: "none" });
  });

  it("IS-20 a token minted for target orders (aud = orders) replayed at the gateway → DENY(401, token.audience_mismatch)", async () => {
    expectDeny(await call(tokenA({ aud: "orders", act: { sub: "gateway-interceptor" } })), 401, "token.audience_mismatch");
  });

  it("IS-21 aud = another AgentCore gateway → DENY(401, token.audience_mismatch)", async () => {
    expectDeny(await call(tokenA({ aud: "https://other-gateway.example/mcp" })), 401, "token.audience_mismatch");
  });

  it.each([
    ["audience: null", (c: Json) => ((c.issuers as Json[])[0]!.audience = null), "issuers[0].audience"],
    ["issuer: null", (c: Json) => ((c.issuers as Json[])[0]!.issuer = null), "issuers[0].issuer"],
    ["empty issuer list", (c: Json) => (c.issuers = []), "issuers"],
  ])("IS-22 config with %s → every request DENY(500, config.invalid); the log names %s", async (_n, patch, path) => {
    const config = h.config(patch);
    const loaded = parseConfig(config);
    expect(loaded.ok).toBe(false);
    const mark = logMark();
    const handler = createHandler({ config: loaded });
    const errors = logRecordsSince(mark).filter((r) => r.level === "ERROR");
    expect(JSON.stringify(errors)).toContain(path);
    expectDeny(await run(handler, mcpEvent()), 500, "config.invalid");
    expectDeny(await run(handler, mcpEvent({ method: "tools/list" })), 500, "config.invalid");
  });
});
