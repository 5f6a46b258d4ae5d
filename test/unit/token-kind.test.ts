import { afterAll, beforeAll, describe, it } from "vitest";
import { ecKey } from "../support/keys.js";
import { b64url, buildToken } from "../support/tokens.js";
import { expectAllow, expectDeny, Harness, ISSUER_A, type Json, mcpEvent, qualified, run, tokenA, withAuth } from "../support/harness.js";

/** docs/security.md §3 group F: token kind confusion. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const issuerA = (patch: (i: Json) => void) => (c: Json) => patch((c.issuers as Json[])[0]!);
const rfc9068 = issuerA((i) => (i.requireTyp = "at+jwt"));
const call = (token: string, patch?: (c: Json) => void) => run(h.handler(patch), mcpEvent({ headers: withAuth(token) }));

describe("F. Token kind confusion (TK)", () => {
  it.each(["at+jwt", "AT+JWT", "application/at+jwt", "Application/At+Jwt"])("TK-01 RFC 9068 issuer, typ %s → ALLOW", async (typ) => {
    expectAllow(await call(tokenA({}, { typ }), rfc9068), ALLOWED);
  });

  it.each([undefined, "JWT", "at+jwt; x=y"])("TK-02 RFC 9068 issuer, typ %j → DENY(401, token.typ_invalid)", async (typ) => {
    expectDeny(await call(tokenA({}, { typ }), rfc9068), 401, "token.typ_invalid");
  });

  it.each(["dpop+jwt", "logout+jwt", "secevent+jwt", "id_token+jwt"])(
    "TK-03 any issuer, typ %s → DENY(401, token.kind_invalid)",
    async (typ) => {
      expectDeny(await call(tokenA({}, { typ })), 401, "token.kind_invalid");
      expectDeny(await call(tokenA({}, { typ }), rfc9068), 401, "token.kind_invalid");
    },
  );

  const cognito = issuerA((i) => {
    i.audience = ["app-a"];
    delete i.clientIds;
    i.tokenUse = "access";
  });

  it("TK-04 Cognito ID token (token_use id, aud = client id configured as audience) → DENY(401, token.kind_invalid)", async () => {
    expectDeny(
      await call(tokenA({ token_use: "id", aud: "app-a", client_id: undefined }, { typ: undefined }), cognito),
      401,
      "token.kind_invalid",
    );
  });

  it("TK-05 Cognito access token (token_use access, no aud) → ALLOW", async () => {
    const patch = issuerA((i) => {
      delete i.audience;
      i.clientIds = ["app-a"];
      i.tokenUse = "access";
    });
    expectAllow(await call(tokenA({ token_use: "access", aud: undefined }, { typ: undefined }), patch), ALLOWED);
  });

  it.each([{ nonce: "n-1" }, { at_hash: "abc" }])(
    "TK-06 OIDC ID token from a non-Cognito issuer (%j) → DENY(401, token.kind_invalid)",
    async (marker) => {
      const patch = issuerA((i) => (i.audience = ["app-a"]));
      expectDeny(await call(tokenA({ ...marker, aud: "app-a" }, { typ: "JWT" }), patch), 401, "token.kind_invalid");
    },
  );

  it("TK-07 Keycloak-style payload typ ID → DENY(401, token.kind_invalid); Bearer → ALLOW", async () => {
    const keycloak = issuerA((i) => (i.requirePayloadTyp = "Bearer"));
    expectDeny(await call(tokenA({ typ: "ID" }, { typ: "JWT" }), keycloak), 401, "token.kind_invalid");
    expectAllow(await call(tokenA({ typ: "Bearer" }, { typ: "JWT" }), keycloak), ALLOWED);
  });

  it("TK-08 private_key_jwt client assertion (iss = sub = client id) → DENY(401, token.issuer_untrusted)", async () => {
    const token = tokenA({ iss: "app-a", sub: "app-a", aud: "https://idp-a.example/oauth2/token" }, { typ: "JWT" });
    expectDeny(await call(token), 401, "token.issuer_untrusted");
  });

  it("TK-09 Cognito refresh token (JWE, 5 segments) → DENY(401, token.unsupported_format)", async () => {
    const jwe = [
      b64url(JSON.stringify({ cty: "JWT", enc: "A256GCM", alg: "RSA-OAEP" })),
      "a".repeat(342),
      "b".repeat(16),
      "c".repeat(500),
      "d".repeat(22),
    ].join(".");
    expectDeny(await call(jwe), 401, "token.unsupported_format");
  });

  it("TK-10 DPoP proof JWT presented as a bearer token → DENY(401, token.kind_invalid)", async () => {
    const proofKey = ecKey("proof");
    const proof = buildToken({
      header: { typ: "dpop+jwt", alg: "ES256", jwk: proofKey.publicJwk },
      payload: { jti: "p-1", htm: "POST", htu: "https://gateway.example/mcp", iat: Math.floor(Date.now() / 1000) },
      key: proofKey,
    });
    expectDeny(await call(proof), 401, "token.kind_invalid");
  });
});
