import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { ACCESS_TOKEN_TYPE, CognitoEndpoint, TOKEN_EXCHANGE_GRANT } from "../support/cognito-endpoint.js";
import { jwksOf, rsaKey } from "../support/keys.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { buildToken } from "../support/tokens.js";
import { expectAllow, expectDeny, Harness, type Json, mcpEvent, mcpOf, nowSeconds, run, withAuth } from "../support/harness.js";

/**
 * `obo` with Amazon Cognito's native RFC 8693 token exchange (grant token-exchange, idp cognito),
 * against a loopback user pool token endpoint that answers as Cognito documents, errors included:
 * https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-token-exchange.html
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetDerivedToken.html
 * https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 */
const POOL = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_NativePool";
const poolKey = rsaKey("native-pool-1");
/** A key the pool signed with before a rotation: still in the JWKS the interceptor reads, no longer honoured by the pool. */
const retiredKey = rsaKey("native-pool-0");
const client = { id: "interceptor-client", secret: "native-exchange-secret-0123456789" };
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:cognito-native-AbCdEf";
const h = new Harness();
const sm = new SecretsManagerServer();
let pool: CognitoEndpoint;

beforeAll(async () => {
  await Promise.all([h.start(), sm.start()]);
  h.server.set("/native/jwks", { kind: "ok", body: jwksOf(poolKey, retiredKey) });
  pool = await new CognitoEndpoint(POOL, poolKey, client).start();
});
afterAll(() => Promise.all([h.stop(), sm.stop(), pool.stop()]));
beforeEach(() => {
  pool.exchange = CognitoEndpoint.defaultExchange();
  pool.requests.length = 0;
  sm.put(SECRET_ARN, JSON.stringify({ client_secret: client.secret }));
});

const userToken = (claims: Json = {}, key = poolKey) =>
  buildToken({
    header: { alg: "RS256", kid: key.kid },
    payload: {
      sub: "7d2e-alice",
      username: "alice",
      "cognito:groups": ["finance"],
      iss: POOL,
      client_id: "web-app",
      token_use: "access",
      scope: "mcp/invoke",
      iat: nowSeconds() - 5,
      exp: nowSeconds() + 600,
      jti: `n-${Math.random()}`,
      ...claims,
    },
    key,
  });

const native = (extra: Json = {}) => ({
  mode: "obo",
  issuers: [POOL],
  obo: {
    grant: "token-exchange",
    idp: "cognito",
    tokenEndpoint: pool.url,
    clientId: client.id,
    clientSecretArn: SECRET_ARN,
    audience: "ledger-api",
    scope: "ledger-api/read",
    ...extra,
  },
});
const setup = (extra: Json) => (c: Json) => {
  (c.issuers as Json[]).push({ issuer: POOL, jwksUri: h.server.url("/native/jwks"), clientIds: ["web-app"], tokenUse: "access" });
  (c.targets as Json).ledger = native(extra);
};
const handler = (extra: Json = {}) => h.handler(setup(extra), { secretsClientConfig: sm.clientConfig() });
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Json;
const event = (token = userToken()) => mcpEvent({ name: "ledger___balance", headers: withAuth(token) });
const bearerOf = (o: Awaited<ReturnType<typeof run>>) => mcpOf(o).transformedGatewayRequest?.headers?.Authorization?.slice(7) ?? "";

describe("obo with Cognito's native token exchange (idp: cognito)", () => {
  it("impersonation: the target gets a pool access token for the user, one audience, no act; the request is exactly RFC 8693 with client_secret_basic", async () => {
    const inbound = userToken();
    const o = await run(handler(), event(inbound));
    const issued = bearerOf(o);
    expectAllow(o, { Authorization: `Bearer ${issued}` });
    const claims = claimsOf(issued);
    expect(claims).toMatchObject({
      iss: POOL,
      sub: "7d2e-alice",
      username: "alice",
      token_use: "access",
      aud: "ledger-api",
      scope: "ledger-api/read",
    });
    expect(claims.act).toBeUndefined();
    expect(pool.requests).toHaveLength(1);
    expect(pool.requests[0]).toEqual({
      clientId: client.id,
      authMethod: "client_secret_basic",
      form: {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: inbound,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        audience: "ledger-api",
        scope: "ledger-api/read",
      },
    });
    expect(o.audit).toMatchObject({ decision: "allow", mode: "obo", target: "ledger", sub: "7d2e-alice" });
  });

  it("delegation: with actorToken the interceptor's client_credentials token goes as actor_token and the issued token names it in act", async () => {
    const o = await run(handler({ actorToken: { scope: "ledger-api/read" } }), event());
    const issued = bearerOf(o);
    expect(claimsOf(issued)).toMatchObject({ sub: "7d2e-alice", aud: "ledger-api", act: { sub: client.id } });
    expect(pool.requests.map((r) => r.form.grant_type)).toEqual(["client_credentials", TOKEN_EXCHANGE_GRANT]);
    const exchange = pool.requests[1]!.form;
    expect(exchange.actor_token_type).toBe(ACCESS_TOKEN_TYPE);
    expect(claimsOf(exchange.actor_token!)).toMatchObject({ iss: POOL, sub: client.id, client_id: client.id, token_use: "access" });
  });

  it("client_secret_post sends the id and secret in the form instead", async () => {
    const o = await run(handler({ clientAuth: "client_secret_post" }), event());
    expect(bearerOf(o)).not.toBe("");
    expect(pool.requests[0]).toMatchObject({
      authMethod: "client_secret_post",
      form: { client_id: client.id, client_secret: client.secret },
    });
  });

  it("a second call for the same user and target is served from the cache", async () => {
    const hnd = handler();
    const inbound = userToken();
    const first = await run(hnd, event(inbound));
    const second = await run(hnd, event(inbound));
    expect(bearerOf(second)).toBe(bearerOf(first));
    expect(second.audit).toMatchObject({ detail: { oboCache: "hit" } });
    expect(pool.requests).toHaveLength(1);
  });

  describe("documented refusals reach the caller as denials, never as the caller's token", () => {
    it.each([
      ["the pool is on the Lite plan (no token exchange)", () => (pool.exchange.featurePlan = "LITE"), {}, "unsupported_grant_type"],
      [
        "the app client lacks ALLOW_TOKEN_EXCHANGE_IMPERSONATION",
        () => pool.exchange.flows.delete("ALLOW_TOKEN_EXCHANGE_IMPERSONATION"),
        {},
        "unauthorized_client",
      ],
      [
        "the app client lacks ALLOW_TOKEN_EXCHANGE_DELEGATION (actor token sent)",
        () => pool.exchange.flows.delete("ALLOW_TOKEN_EXCHANGE_DELEGATION"),
        { actorToken: {} },
        "unauthorized_client",
      ],
      ["the audience is no resource server of the pool", () => undefined, { audience: "hr-api" }, "invalid_target"],
      ["the scope is not the client's", () => undefined, { scope: "ledger-api/admin" }, "invalid_scope"],
    ])("%s → DENY(403, obo.refused)", async (_n, breakIt, extra, error) => {
      breakIt();
      const inbound = userToken();
      const mark = logMark();
      const o = await run(handler(extra), event(inbound));
      expectDeny(o, 403, "obo.refused");
      expect(JSON.stringify(o.output)).not.toContain(inbound.split(".")[1]);
      expect(logRecordsSince(mark).find((r) => r.message === "token endpoint call failed")).toMatchObject({ status: 400, error });
      expect(JSON.stringify(logRecordsSince(mark))).not.toContain("error_description");
    });

    it("the pool no longer honours the subject token (signed with a retired key) → invalid_grant → DENY(401, obo.subject_rejected)", async () => {
      const o = await run(handler(), event(userToken({}, retiredKey)));
      expectDeny(o, 401, "obo.subject_rejected");
      expect(pool.requests.at(-1)?.clientId).toBe(client.id);
    });

    it("a wrong client secret → invalid_client → the secret is read again once, then DENY(500, obo.client_auth_failed)", async () => {
      sm.put(SECRET_ARN, JSON.stringify({ client_secret: "not-the-client-secret-000" }));
      const o = await run(handler(), event());
      expectDeny(o, 500, "obo.client_auth_failed");
      expect(pool.requests).toHaveLength(2);
      expect(pool.requests.every((r) => r.clientId === undefined)).toBe(true);
    });
  });

  describe("the answer must be a Cognito access token for this user (else DENY(502, obo.invalid_response))", () => {
    it.each([
      ["another user's sub", { sub: "someone-else" }, {}],
      ["another issuer", { iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other" }, {}],
      ["an ID token", { token_use: "id" }, {}],
      ["two audiences", { aud: ["ledger-api", "hr-api"] }, {}],
      ["no audience", { aud: undefined }, {}],
      ["an act claim nobody asked for (impersonation)", { act: { sub: "some-agent" } }, {}],
      ["no act although an actor token was sent", { act: undefined }, { actorToken: {} }],
      ["an act naming another actor", { act: { sub: "some-agent" } }, { actorToken: {} }],
    ])("%s", async (_n, issuedClaims, extra) => {
      pool.exchange.issuedClaims = issuedClaims;
      const mark = logMark();
      expectDeny(await run(handler(extra), event()), 502, "obo.invalid_response");
      expect(logRecordsSince(mark).find((r) => r.message === "token endpoint call failed")).toMatchObject({
        status: 200,
        why: "obo.invalid_response",
      });
    });

    it("act may name the actor as client_id (Cognito's act shape is not spelled out)", async () => {
      pool.exchange.issuedClaims = { act: { client_id: client.id } };
      expect(bearerOf(await run(handler({ actorToken: {} }), event()))).not.toBe("");
    });
  });

  it.each([
    [
      { clientAuth: "private_key_jwt" },
      "targets.ledger.obo.clientAuth: Cognito's token endpoint accepts client_secret_basic or client_secret_post only",
    ],
    [
      { requestedTokenType: "urn:ietf:params:oauth:token-type:jwt" },
      "targets.ledger.obo.requestedTokenType: with Cognito, ask for an access token (the target receives it as a Bearer token)",
    ],
    [
      { grant: "cognito-client-metadata", audience: undefined },
      'targets.ledger.obo.idp: idp "cognito" applies to token-exchange only (cognito-client-metadata is always Cognito)',
    ],
    [{ userClaim: "onBehalfOf" }, "targets.ledger.obo.userClaim: userClaim applies to cognito-client-metadata only"],
  ])("config: %j is refused at load with the field path", (extra, problem) => {
    const loaded = parseConfig(h.config(setup(extra)));
    expect(loaded.ok ? [] : loaded.problems).toEqual([problem]);
  });
});
