import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { triggerIssuerConfig } from "../../src/cognito-trigger-verifier.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { CognitoEndpoint } from "../support/cognito-endpoint.js";
import { loadPreTokenBundle } from "../support/dist.js";
import { jwksOf, rsaKey } from "../support/keys.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { buildToken } from "../support/tokens.js";
import { expectAllow, expectDeny, Harness, type Json, keyA, mcpEvent, mcpOf, nowSeconds, run, withAuth } from "../support/harness.js";
import { testCa } from "../support/tls.js";

/**
 * The Cognito on-behalf-of pattern end to end on loopback: the interceptor (obo, grant
 * cognito-client-metadata) → a Cognito-style token endpoint → the real pre token generation trigger
 * from dist/cognito-pre-token.mjs → a machine token carrying `onBehalfOf`.
 */
const POOL = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool";
const poolKey = rsaKey("pool-1");
const h = new Harness();
const sm = new SecretsManagerServer();
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:cognito-obo-AbCdEf";
const interceptorClient = { id: "gateway-interceptor", secret: "cognito-interceptor-secret-0123456789" };
let cognito: CognitoEndpoint;
type Trigger = (event: Json) => Promise<Json>;
let trigger: Trigger;
let failingTrigger: Trigger;
let omittingTrigger: Trigger;

const userToken = (claims: Json = {}, key = poolKey) =>
  buildToken({
    header: { alg: "RS256", kid: key.kid },
    payload: {
      sub: "5f1c-alice",
      "cognito:groups": ["finance"],
      iss: POOL,
      client_id: "web-app",
      token_use: "access",
      scope: "mcp/invoke",
      username: "alice",
      iat: nowSeconds() - 5,
      exp: nowSeconds() + 600,
      jti: `u-${Math.random()}`,
      ...claims,
    },
    key,
  });

beforeAll(async () => {
  await Promise.all([h.start(), sm.start()]);
  h.server.set("/pool/jwks", { kind: "ok", body: jwksOf(poolKey) });
  const bundle = await loadPreTokenBundle();
  const config = (onInvalidToken: "fail" | "omit") =>
    bundle.PreTokenConfigSchema.parse({
      issuer: POOL,
      jwksUri: h.server.url("/pool/jwks"),
      userClientIds: ["web-app"],
      actorClientIds: [interceptorClient.id],
      contextKeys: ["target"],
      onInvalidToken,
    });
  failingTrigger = bundle.createPreTokenHandler(config("fail"), { ca: testCa }) as unknown as Trigger;
  omittingTrigger = bundle.createPreTokenHandler(config("omit"), { ca: testCa }) as unknown as Trigger;
  trigger = failingTrigger;
  cognito = await new CognitoEndpoint(POOL, poolKey, interceptorClient, (e) => trigger(e)).start();
  sm.put(SECRET_ARN, JSON.stringify({ client_secret: interceptorClient.secret }));
});
afterAll(() => Promise.all([h.stop(), sm.stop(), cognito.stop()]));
beforeEach(() => {
  trigger = failingTrigger;
});

const setup = (c: Json) => {
  // The interceptor also accepts the mobile app's users; the trigger only the web app's (userClientIds).
  (c.issuers as Json[]).push({
    issuer: POOL,
    jwksUri: h.server.url("/pool/jwks"),
    clientIds: ["web-app", "mobile-app"],
    tokenUse: "access",
  });
  (c.targets as Json).ledger = {
    mode: "obo",
    issuers: [POOL],
    obo: {
      grant: "cognito-client-metadata",
      tokenEndpoint: cognito.url,
      clientId: interceptorClient.id,
      clientSecretArn: SECRET_ARN,
      scope: "ledger/read",
      clientMetadata: { callerApp: "agentcore-gateway" },
    },
  };
};
const handler = (more: (c: Json) => void = () => undefined) =>
  h.handler(
    (c) => {
      setup(c);
      more(c);
    },
    { secretsClientConfig: sm.clientConfig() },
  );
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Json;
const event = (token: string) => mcpEvent({ name: "ledger___balance", headers: withAuth(token) });

describe("Cognito on-behalf-of (aws_client_metadata + pre token generation V3)", () => {
  it("the machine token names the interceptor as client and carries the verified user in onBehalfOf", async () => {
    const o = await run(handler(), event(userToken()));
    const issued = mcpOf(o).transformedGatewayRequest!.headers!.Authorization!.slice(7);
    expectAllow(o, { Authorization: `Bearer ${issued}` });
    expect(claimsOf(issued)).toMatchObject({
      sub: interceptorClient.id,
      client_id: interceptorClient.id,
      token_use: "access",
      scope: "ledger/read",
      onBehalfOf: { sub: "5f1c-alice", username: "alice", groups: ["finance"], target: "ledger" },
    });
    const sent = cognito.events.at(-1) as { request: { clientMetadata: Record<string, string> } };
    expect(Object.keys(sent.request.clientMetadata).sort()).toEqual(["callerApp", "onBehalfOfToken", "target"]);
  });

  it("the trigger refuses a user token the interceptor did not verify (forged) → the token request fails", async () => {
    const forged = userToken({}, keyA);
    const direct = (await failingTrigger({
      version: "3",
      triggerSource: "TokenGeneration_ClientCredentials",
      callerContext: { clientId: interceptorClient.id },
      request: { clientMetadata: { onBehalfOfToken: forged } },
      response: {},
    }).catch((e: Error) => e.message)) as unknown;
    expect(direct).toBe("on-behalf-of token rejected");
  });

  it("a trigger failure reaches the caller as DENY(403, obo.refused), never as the caller's own token", async () => {
    trigger = async () => {
      throw new Error("rejected");
    };
    const inbound = userToken();
    const o = await run(handler(), event(inbound));
    expectDeny(o, 403, "obo.refused");
    expect(JSON.stringify(o.output)).not.toContain(inbound.split(".")[1]);
  });

  it("the trigger refuses the user and omits the claim (onInvalidToken: omit) → DENY(403, obo.refused), never the interceptor's own machine identity", async () => {
    trigger = omittingTrigger;
    const o = await run(handler(), event(userToken({ client_id: "mobile-app" })));
    expectDeny(o, 403, "obo.refused");
    expect(cognito.events.length).toBeGreaterThan(0);
  });

  it.each([
    ["another user", { sub: "someone-else", target: "ledger" }],
    ["another target", { sub: "5f1c-alice", target: "payroll" }],
    ["no sub", { username: "alice" }],
    ["a string instead of an object", "5f1c-alice"],
  ])("the machine token's onBehalfOf names %s → DENY(502, obo.invalid_response)", async (_n, onBehalfOf) => {
    trigger = async (e) => ({
      ...e,
      response: { claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { onBehalfOf } } } },
    });
    expectDeny(await run(handler(), event(userToken())), 502, "obo.invalid_response");
  });

  it("userClaim names the trigger's claimName when it is not onBehalfOf", async () => {
    trigger = async (e) => ({
      ...e,
      response: {
        claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { actingFor: { sub: "5f1c-alice" } } } },
      },
    });
    expectDeny(await run(handler(), event(userToken())), 403, "obo.refused");
    const o = await run(
      handler((c) => ((((c.targets as Json).ledger as Json).obo as Json).userClaim = "actingFor")),
      event(userToken()),
    );
    expect(o.audit).toMatchObject({ decision: "allow", mode: "obo" });
  });

  const triggerEvent = (
    token: string | undefined,
    clientId = interceptorClient.id,
    triggerSource = "TokenGeneration_ClientCredentials",
  ) => ({
    version: "3",
    triggerSource,
    callerContext: { clientId },
    request: { clientMetadata: token === undefined ? null : { onBehalfOfToken: token, target: "ledger" }, scopes: [] },
    response: { claimsAndScopeOverrideDetails: null },
  });

  it.each([
    ["expired (beyond the 60 s leeway the interceptor also allows)", () => userToken({ iat: nowSeconds() - 700, exp: nowSeconds() - 61 })],
    ["an ID token", () => userToken({ token_use: "id" })],
    ["from another app client", () => userToken({ client_id: "other-app" })],
    ["from another issuer", () => userToken({ iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other" })],
  ])("the trigger refuses a user token that is %s (fail mode: throws; omit mode: adds nothing)", async (_n, make) => {
    const token = make();
    await expect(failingTrigger(triggerEvent(token))).rejects.toThrow("on-behalf-of token rejected");
    const omitted = await omittingTrigger(triggerEvent(token));
    expect((omitted.response as Json).claimsAndScopeOverrideDetails).toBeNull();
  });

  it("the trigger's Lambda entry without a valid PRE_TOKEN_CONFIG fails every on-behalf-of request, and only those", async () => {
    // The built bundle read its configuration at import; this test process sets none.
    expect(process.env.PRE_TOKEN_CONFIG).toBeUndefined();
    const entry = (await loadPreTokenBundle()).handler as unknown as Trigger;
    // The error's class name survives the minified bundle (src/errors.ts spells it out).
    await expect(entry(triggerEvent(userToken()))).rejects.toMatchObject({ name: "TriggerRefusal", message: "trigger misconfigured" });
    const plain = triggerEvent(undefined);
    expect(await entry(structuredClone(plain))).toEqual(plain);
  });

  it("the trigger refuses a machine client that is not an allowed actor", async () => {
    await expect(failingTrigger(triggerEvent(userToken(), "some-other-client"))).rejects.toThrow("on-behalf-of token rejected");
  });

  it("without onBehalfOfToken, or for another trigger source, the event is returned unchanged", async () => {
    const plain = triggerEvent(undefined);
    expect(await failingTrigger(structuredClone(plain))).toEqual(plain);
    const user = triggerEvent(userToken(), interceptorClient.id, "TokenGeneration_Authentication");
    expect(await failingTrigger(structuredClone(user))).toEqual(user);
  });

  describe("the trigger verifies the user token with the interceptor's own code (strict checks, expiring key cache)", () => {
    let T = 1_960_000_000;
    const weakKey = rsaKey("pool-weak", 1024);
    const rotatedKey = rsaKey("pool-2");
    let fresh: Trigger;
    beforeEach(async () => {
      h.server.set("/pool-rotating/jwks", { kind: "ok", body: jwksOf(poolKey, weakKey) });
      const bundle = await loadPreTokenBundle();
      const config = bundle.PreTokenConfigSchema.parse({
        issuer: POOL,
        jwksUri: h.server.url("/pool-rotating/jwks"),
        userClientIds: ["web-app"],
        actorClientIds: [interceptorClient.id],
      });
      fresh = bundle.createPreTokenHandler(config, { ca: testCa }) as unknown as Trigger;
    });
    afterEach(() => {
      vi.useRealTimers();
      T += 10_000;
    });
    const at = (t: number, claims: Json = {}, key = poolKey) => userToken({ iat: t - 5, exp: t + 600, ...claims }, key);

    it("a key the pool removed stops being trusted once the cached key set is 10 min old", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date(T * 1000));
      await expect(fresh(triggerEvent(at(T)))).resolves.toMatchObject({
        response: { claimsAndScopeOverrideDetails: { accessTokenGeneration: {} } },
      });
      h.server.set("/pool-rotating/jwks", { kind: "ok", body: jwksOf(rotatedKey) });
      vi.setSystemTime(new Date((T + 599) * 1000));
      await expect(fresh(triggerEvent(at(T + 599)))).resolves.toMatchObject({
        response: { claimsAndScopeOverrideDetails: { accessTokenGeneration: {} } },
      });
      vi.setSystemTime(new Date((T + 601) * 1000));
      const mark = logMark();
      await expect(fresh(triggerEvent(at(T + 601)))).rejects.toThrow("on-behalf-of token rejected");
      expect(logRecordsSince(mark).find((r) => r.message === "on-behalf-of token rejected")).toMatchObject({ reason: "token.kid_unknown" });
      await expect(fresh(triggerEvent(at(T + 601, {}, rotatedKey)))).resolves.toMatchObject({
        response: { claimsAndScopeOverrideDetails: { accessTokenGeneration: {} } },
      });
    });

    const dup = () => {
      const now = nowSeconds();
      return `{"sub":"5f1c-alice","iss":"${POOL}","client_id":"web-app","token_use":"access","iat":${now - 5},"exp":${now + 600},"sub":"5f1c-admin"}`;
    };
    it.each([
      ["issued in the future", () => userToken({ iat: nowSeconds() + 600, exp: nowSeconds() + 1200 }), "token.iat_in_future"],
      [
        "with a duplicate claim",
        () => buildToken({ header: { alg: "RS256", kid: poolKey.kid }, payload: dup(), key: poolKey }),
        "token.duplicate_member",
      ],
      ["signed with a 1024-bit key", () => userToken({}, weakKey), "token.key_too_weak"],
      ["without exp", () => userToken({ exp: undefined }), "token.exp_missing"],
      [
        "typed as an ID token",
        () =>
          buildToken({
            header: { alg: "RS256", kid: poolKey.kid, typ: "id_token+jwt" },
            payload: {
              sub: "5f1c-alice",
              iss: POOL,
              client_id: "web-app",
              token_use: "access",
              iat: nowSeconds(),
              exp: nowSeconds() + 600,
            },
            key: poolKey,
          }),
        "token.kind_invalid",
      ],
    ])("a user token %s is refused with the interceptor's reason", async (_n, make, reason) => {
      const mark = logMark();
      await expect(fresh(triggerEvent(make()))).rejects.toThrow("on-behalf-of token rejected");
      expect(logRecordsSince(mark).find((r) => r.message === "on-behalf-of token rejected")).toMatchObject({ reason });
    });
  });

  it("the trigger's issuer config is what the interceptor's config schema makes of the same settings", () => {
    const settings = { issuer: POOL, jwksUri: "https://pool.example/jwks", userClientIds: ["web-app"] };
    expect(triggerIssuerConfig(settings)).toEqual(
      ConfigSchema.parse({ issuers: [{ issuer: POOL, jwksUri: settings.jwksUri, clientIds: ["web-app"], tokenUse: "access" }] }),
    );
  });
});

describe("the trigger's configuration (review finding: prototype member names)", () => {
  it.each(["__proto__", "constructor", "toString", "prototype"])(
    "refuses %s as a claim or member name, so copying can never reach a prototype",
    async (name) => {
      const bundle = await loadPreTokenBundle();
      const base = { issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X", userClientIds: ["web"], actorClientIds: ["ic"] };
      expect(bundle.PreTokenConfigSchema.safeParse({ ...base, claims: { org: name } }).success).toBe(false);
      // As a member name it is refused (zod drops a `__proto__` record key outright): never kept either way.
      const member = bundle.PreTokenConfigSchema.safeParse({ ...base, claims: { [name]: "sub" } });
      expect(member.success && Object.hasOwn(member.data.claims, name)).toBe(false);
      expect(bundle.PreTokenConfigSchema.safeParse({ ...base, claimName: name }).success).toBe(false);
      expect(bundle.PreTokenConfigSchema.safeParse({ ...base, claims: { org: "custom:org" } }).success).toBe(true);
    },
  );
});
