import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { ManualClock } from "../support/clock.js";
import { ecKey, rsaKey } from "../support/keys.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { publicKeyOf, StsServer } from "../support/sts-server.js";
import { untrustedCert } from "../support/tls.js";
import { expectAllow, expectDeny, Harness, ISSUER_A, type Json, lambdaContext, mcpEvent, mcpOf, run, tokenA } from "../support/harness.js";

/** docs/security.md §3 group L: on-behalf-of token exchange, target `payments`, against loopback STS and Secrets Manager. */
const h = new Harness();
const sts = new StsServer();
const sm = new SecretsManagerServer();
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:obo-AbCdEf";
const KEY_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:obo-key-AbCdEf";

beforeAll(async () => {
  await Promise.all([h.start(), sts.start(), sm.start()]);
});
afterAll(() => Promise.all([h.stop(), sts.stop(), sm.stop()]));
beforeEach(() => {
  sts.behaviour = { kind: "exchange" };
  sts.requests.length = 0;
  sm.reads.length = 0;
  sm.mode = "ok";
  sm.fault = undefined;
  sm.put(SECRET_ARN, sts.clientSecret);
});

const obo = (audience: string, extra: Json = {}) => ({
  mode: "obo",
  // The token endpoint is issuer A's: only A's users may be exchanged there (defect 2 of the outside attack).
  issuers: [ISSUER_A],
  obo: {
    grant: "token-exchange",
    tokenEndpoint: sts.url,
    clientId: "gateway-interceptor",
    clientSecretArn: SECRET_ARN,
    audience,
    scope: "payments.read",
    ...extra,
  },
});
const withObo =
  (extra: Json = {}, more: (c: Json) => void = () => undefined) =>
  (c: Json) => {
    Object.assign(c.targets as Json, { payments: obo("payments-api", extra), billing: obo("billing-api") });
    more(c);
  };
const handler = (extra?: Json, more?: (c: Json) => void) => h.handler(withObo(extra, more), { secretsClientConfig: sm.clientConfig() });
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Json;
const bearerOf = (o: Awaited<ReturnType<typeof run>>) =>
  mcpOf(o).transformedGatewayRequest?.headers?.Authorization?.replace(/^Bearer /, "") ?? "";
const pay = (token = tokenA()) => mcpEvent({ name: "payments___refund", token });

describe("L. On-behalf-of token exchange (OBO)", () => {
  it("with prefetchJwks (the Lambda entry) the client credential is read at init: `prefetched` settles after it, the first request reads none", async () => {
    let settled: Promise<void> | undefined;
    const hd = h.handler(withObo(), {
      secretsClientConfig: sm.clientConfig(),
      prefetchJwks: true,
      prefetched: (p) => {
        settled = p;
      },
    });
    await settled;
    expect(sm.reads).toEqual([SECRET_ARN]);
    const o = await run(hd, pay());
    expect(bearerOf(o)).not.toBe("");
    expectAllow(o, { Authorization: `Bearer ${bearerOf(o)}` });
    expect(sm.reads).toEqual([SECRET_ARN]);
  });

  it("OBO-01 STS answers 200 → ALLOW(obo) with the exchanged token; the request carried exactly the RFC 8693 fields and the Secrets Manager secret", async () => {
    const inbound = tokenA();
    const o = await run(handler(), pay(inbound));
    const exchanged = bearerOf(o);
    expectAllow(o, { Authorization: `Bearer ${exchanged}` });
    expect(exchanged).not.toBe(inbound);
    expect(claimsOf(exchanged)).toMatchObject({ sub: "u-1", aud: "payments-api", act: { sub: "gateway-interceptor" } });
    expect(sts.requests).toHaveLength(1);
    expect(sts.requests[0]).toMatchObject({
      clientId: "gateway-interceptor",
      form: {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: inbound,
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
        requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
        audience: "payments-api",
        scope: "payments.read",
      },
    });
    expect(sm.reads).toEqual([SECRET_ARN]);
    expect(o.audit).toMatchObject({ decision: "allow", mode: "obo", target: "payments", detail: { oboCache: "miss" } });
  });

  it('OBO-02 token_type "bearer" → ALLOW(obo)', async () => {
    sts.behaviour = { kind: "exchange", tokenType: "bearer" };
    expect(bearerOf(await run(handler(), pay()))).not.toBe("");
  });

  it.each(["N_A", "DPoP"])("OBO-03 token_type %s → DENY(502, obo.invalid_response)", async (tokenType) => {
    sts.behaviour = { kind: "exchange", tokenType };
    expectDeny(await run(handler(), pay()), 502, "obo.invalid_response");
  });

  it.each([
    ["access_token missing", { issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer" }],
    ["issued_token_type missing", { access_token: "abc.def.ghi", token_type: "Bearer" }],
    [
      "issued_token_type id_token",
      { access_token: "abc.def.ghi", issued_token_type: "urn:ietf:params:oauth:token-type:id_token", token_type: "Bearer" },
    ],
    [
      "issued_token_type refresh_token",
      { access_token: "abc.def.ghi", issued_token_type: "urn:ietf:params:oauth:token-type:refresh_token", token_type: "Bearer" },
    ],
  ])("OBO-04 %s → DENY(502, obo.invalid_response)", async (_n, body) => {
    sts.behaviour = { kind: "json", status: 200, body };
    expectDeny(await run(handler(), pay()), 502, "obo.invalid_response");
  });

  it("OBO-05 the STS hands back the inbound token → DENY(502, obo.invalid_response) (would be passthrough)", async () => {
    const inbound = tokenA();
    sts.behaviour = {
      kind: "json",
      status: 200,
      body: { access_token: inbound, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer" },
    };
    const o = await run(handler(), pay(inbound));
    expectDeny(o, 502, "obo.invalid_response");
    expect(JSON.stringify(o.output)).not.toContain(inbound.split(".")[2]);
  });

  it("OBO-06 answer scope broader than requested → DENY(502, obo.invalid_response)", async () => {
    sts.behaviour = {
      kind: "json",
      status: 200,
      body: {
        access_token: "opaque-token-1",
        issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
        token_type: "Bearer",
        scope: "payments.read payments.write",
      },
    };
    expectDeny(await run(handler(), pay()), 502, "obo.invalid_response");
  });

  it.each([
    ["not JSON", { kind: "raw", status: 200, body: "token=abc", contentType: "text/plain" } as const],
    ["HTML", { kind: "raw", status: 200, body: "<html>error</html>", contentType: "text/html" } as const],
    [
      "over 64 KiB",
      {
        kind: "raw",
        status: 200,
        body: JSON.stringify({ access_token: "a".repeat(70_000), token_type: "Bearer" }),
        contentType: "application/json",
      } as const,
    ],
  ])("OBO-07 answer %s → DENY(502, obo.invalid_response)", async (_n, behaviour) => {
    sts.behaviour = behaviour;
    expectDeny(await run(handler(), pay()), 502, "obo.invalid_response");
  });

  it("OBO-08 STS 400 invalid_grant → DENY(401, obo.subject_rejected) with an invalid_token challenge", async () => {
    sts.behaviour = { kind: "json", status: 400, body: { error: "invalid_grant" } };
    const o = await run(handler(), pay());
    expectDeny(o, 401, "obo.subject_rejected");
    expect(mcpOf(o).transformedGatewayResponse?.body.error.data.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/);
  });

  it.each(["invalid_target", "invalid_scope", "unauthorized_client", "access_denied"])(
    "OBO-09 STS 400 %s → DENY(403, obo.refused)",
    async (error) => {
      sts.behaviour = { kind: "json", status: 400, body: { error } };
      expectDeny(await run(handler(), pay()), 403, "obo.refused");
    },
  );

  it("OBO-10 STS 401 invalid_client → the secret is read again once and the call retried; still failing → DENY(500, obo.client_auth_failed)", async () => {
    sm.put(SECRET_ARN, "wrong-secret-value-1234");
    const mark = logMark();
    const o = await run(handler(), pay());
    expectDeny(o, 500, "obo.client_auth_failed");
    expect(sm.reads).toEqual([SECRET_ARN, SECRET_ARN]);
    expect(sts.requests).toHaveLength(2);
    expect(logRecordsSince(mark).find((r) => r.message === "token endpoint call failed")).toMatchObject({
      status: 401,
      error: "invalid_client",
    });
  });

  it("OBO-10 a secret rotated at the IdP: invalid_client, fresh secret, retry → ALLOW(obo)", async () => {
    const stale = handler();
    expect(bearerOf(await run(stale, pay()))).not.toBe("");
    const rotated = "rotated-client-secret-9876543210";
    sts.clientSecret = rotated;
    sm.put(SECRET_ARN, rotated);
    try {
      expect(bearerOf(await run(stale, pay()))).not.toBe("");
      expect(sm.reads).toEqual([SECRET_ARN, SECRET_ARN]);
    } finally {
      sts.clientSecret = "sts-client-secret-0123456789";
    }
  });

  it.each([
    ["500", { kind: "json", status: 500, body: { error: "server_error" } } as const, {}],
    ["connection refused", { kind: "exchange" } as const, { tokenEndpoint: "https://127.0.0.1:9/oauth2/token" }],
  ])("OBO-11 STS %s → DENY(503, obo.unavailable), never the caller's token", async (_n, behaviour, extra) => {
    sts.behaviour = behaviour;
    const inbound = tokenA();
    const o = await run(handler(extra), pay(inbound));
    expectDeny(o, 503, "obo.unavailable");
    expect(JSON.stringify(o.output)).not.toContain(inbound.split(".")[1]);
  });

  it("OBO-11 STS timeout (the call's own budget, timeoutMs) → DENY(503, obo.unavailable), the call cancelled", async () => {
    sts.behaviour = { kind: "hang" };
    sts.abandoned = 0;
    const clock = new ManualClock();
    const inbound = tokenA();
    const pending = run(h.handler(withObo({ timeoutMs: 300 }), { secretsClientConfig: sm.clientConfig(), clock }), pay(inbound));
    await vi.waitFor(() => expect(sts.requests).toHaveLength(1));
    clock.advance(300);
    const o = await pending;
    expectDeny(o, 503, "obo.unavailable");
    expect(JSON.stringify(o.output)).not.toContain(inbound.split(".")[1]);
    await vi.waitFor(() => expect(sts.abandoned).toBe(1));
  });

  it("OBO-11 STS with an untrusted TLS certificate → DENY(503, obo.unavailable)", async () => {
    const bad = await new StsServer().start(untrustedCert);
    try {
      expectDeny(await run(handler({ tokenEndpoint: bad.url }), pay()), 503, "obo.unavailable");
      expect(bad.requests).toHaveLength(0);
    } finally {
      await bad.stop();
    }
  });

  it.each([
    ["answers 500", () => (sm.mode = "error")],
    ["throttles (ThrottlingException)", () => (sm.fault = { status: 400, type: "ThrottlingException" })],
  ])("OBO-12 Secrets Manager %s → DENY(503, obo.unavailable)", async (_n, breakIt) => {
    breakIt();
    const mark = logMark();
    expectDeny(await run(handler(), pay()), 503, "obo.unavailable");
    expect(sts.requests).toHaveLength(0);
    expect(logRecordsSince(mark).some((r) => r.message === "client credential unavailable")).toBe(true);
  });

  // Permanent faults the operator must fix are ours (500), as for the assertion signing key.
  it.each([
    ["does not know the secret (ResourceNotFoundException)", () => sm.secrets.delete(SECRET_ARN)],
    ["refuses the role (AccessDeniedException)", () => (sm.fault = { status: 400, type: "AccessDeniedException" })],
    ["cannot decrypt it (DecryptionFailure)", () => (sm.fault = { status: 400, type: "DecryptionFailure" })],
  ])("OBO-12 Secrets Manager %s → DENY(500, obo.client_auth_failed)", async (_n, breakIt) => {
    breakIt();
    const mark = logMark();
    expectDeny(await run(handler(), pay()), 500, "obo.client_auth_failed");
    expect(sts.requests).toHaveLength(0);
    expect(logRecordsSince(mark).some((r) => r.message === "client credential unavailable")).toBe(true);
  });

  it("OBO-13 the same user and target again within the TTL → ALLOW(obo) from cache; STS called once", async () => {
    const hnd = handler();
    const inbound = tokenA();
    const first = await run(hnd, pay(inbound));
    const second = await run(hnd, pay(inbound));
    expect(bearerOf(second)).toBe(bearerOf(first));
    expect(sts.requests).toHaveLength(1);
    expect(second.audit).toMatchObject({ detail: { oboCache: "hit" } });
  });

  it("OBO-13 concurrent misses for one user and target make one token request", async () => {
    const hnd = handler();
    const inbound = tokenA();
    sts.behaviour = { kind: "delay", ms: 100, then: { kind: "exchange" } };
    const outputs = await Promise.all(Array.from({ length: 10 }, () => hnd(pay(inbound), lambdaContext())));
    const tokens = new Set(outputs.map((o) => JSON.stringify(o).match(/Bearer ([^"]+)/)?.[1]));
    expect(tokens.size).toBe(1);
    expect(sts.requests).toHaveLength(1);
  });

  it("OBO-14 user A then user B on the same target → B gets a freshly exchanged token, never A's", async () => {
    const hnd = handler();
    const a = await run(hnd, pay(tokenA({ sub: "alice" })));
    const b = await run(hnd, pay(tokenA({ sub: "bob" })));
    expect(claimsOf(bearerOf(b)).sub).toBe("bob");
    expect(JSON.stringify(b.output)).not.toContain(bearerOf(a));
    expect(sts.requests).toHaveLength(2);
  });

  it("OBO-15 the same user on payments then billing → separate exchanges and cache entries", async () => {
    const hnd = handler();
    const inbound = tokenA();
    const p = await run(hnd, pay(inbound));
    const b = await run(hnd, mcpEvent({ name: "billing___invoice", token: inbound }));
    expect(claimsOf(bearerOf(p)).aud).toBe("payments-api");
    expect(claimsOf(bearerOf(b)).aud).toBe("billing-api");
    expect(sts.requests.map((r) => r.form.audience)).toEqual(["payments-api", "billing-api"]);
  });

  describe("OBO-16 cache lifetime", () => {
    let T = 1_950_000_000;
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date(T * 1000));
    });
    afterEach(() => {
      vi.useRealTimers();
      T += 10_000;
    });

    it("OBO-16 subject token exp = T + 30, OBO expires_in 300, leeway 10 → the entry expires at T + 20", async () => {
      const hnd = handler({}, (c) => (c.clockSkewSeconds = 10));
      const inbound = tokenA({ exp: T + 30, iat: T - 5 });
      await run(hnd, pay(inbound));
      vi.setSystemTime(new Date((T + 19) * 1000));
      expect((await run(hnd, pay(inbound))).audit.detail).toMatchObject({ oboCache: "hit" });
      vi.setSystemTime(new Date((T + 20) * 1000));
      expect((await run(hnd, pay(inbound))).audit.detail).toMatchObject({ oboCache: "miss" });
      expect(sts.requests).toHaveLength(2);
    });
  });

  it("OBO-17 the exchanged JWT names another audience → DENY(502, obo.invalid_response)", async () => {
    sts.behaviour = { kind: "exchange", aud: "other-api" };
    expectDeny(await run(handler(), pay()), 502, "obo.invalid_response");
  });

  it("OBO-18 inbound may_act not naming the interceptor: the request is still sent; the STS refuses → DENY(401, obo.subject_rejected)", async () => {
    const o = await run(handler(), pay(tokenA({ may_act: { sub: "some-other-agent" } })));
    expectDeny(o, 401, "obo.subject_rejected");
    expect(sts.requests).toHaveLength(1);
  });

  it.each([
    ["http://", "http://127.0.0.1/oauth2/token", "must be an https:// URL"],
    ["the instance metadata address", "https://169.254.169.254/latest/api/token", "must not point at an instance metadata address"],
    ["the IPv6 instance metadata address", "https://[fd00:ec2::254]/token", "must not point at an instance metadata address"],
  ])("OBO-19 token endpoint at %s → config.invalid", (_n, url, message) => {
    const loaded = parseConfig(h.config(withObo({ tokenEndpoint: url })));
    expect(loaded.ok ? [] : loaded.problems).toEqual([`targets.payments.obo.tokenEndpoint: ${message}`]);
  });

  it("OBO-20 the gateway retries an invocation → both ALLOW(obo) with the same token; the retry is served from cache", async () => {
    const hnd = handler();
    const event = pay();
    const first = await run(hnd, event, lambdaContext("retry-1"));
    const retry = await run(hnd, event, lambdaContext("retry-2"));
    expect(bearerOf(retry)).toBe(bearerOf(first));
    expect(sts.requests).toHaveLength(1);
  });

  it("OBO-21 a slow STS inside the request deadline → ALLOW(obo); beyond it → DENY(503, obo.unavailable) at the deadline, and the abandoned call is cancelled", async () => {
    // The Lambda has 2 s left: the deadline is 1.75 s. Time moves on the injected clock, never by sleeping.
    const shortLambda = { ...lambdaContext("short"), getRemainingTimeInMillis: () => 2_000 };
    const clock = new ManualClock();
    const hnd = h.handler(withObo({ timeoutMs: 5_000 }), { secretsClientConfig: sm.clientConfig(), clock });
    sts.behaviour = { kind: "hang" };
    sts.abandoned = 0;
    const late = run(hnd, pay(), shortLambda);
    await vi.waitFor(() => expect(sts.requests).toHaveLength(1));
    clock.advance(1_749);
    expect(sts.abandoned).toBe(0);
    clock.advance(1);
    expectDeny(await late, 503, "obo.unavailable");
    // The token-endpoint call the request no longer waits for is cancelled: its socket is destroyed.
    await vi.waitFor(() => expect(sts.abandoned).toBe(1));

    sts.behaviour = { kind: "delay", ms: 20, then: { kind: "exchange" } };
    const inTime = run(hnd, pay(), shortLambda);
    await vi.waitFor(() => expect(sts.requests).toHaveLength(2));
    clock.advance(1_700);
    const o = await inTime;
    expect(o.audit.reason).toBe("mode.obo");
    expect(bearerOf(o)).not.toBe("");
  });

  it("client_secret_post sends the secret in the form; private_key_jwt signs an assertion with the key from Secrets Manager", async () => {
    await run(handler({ clientAuth: "client_secret_post" }), pay());
    expect(sts.requests[0]).toMatchObject({
      clientId: "gateway-interceptor",
      authorization: undefined,
      form: { client_id: "gateway-interceptor", client_secret: sts.clientSecret },
    });
    for (const key of [rsaKey("assert-rsa"), ecKey("assert-ec")]) {
      sts.clientPublicKey = publicKeyOf(key);
      sm.put(KEY_ARN, JSON.stringify({ private_key: key.privateKey.export({ format: "pem", type: "pkcs8" }) }));
      const o = await run(handler({ clientAuth: "private_key_jwt", clientSecretArn: KEY_ARN }), pay());
      expect(bearerOf(o)).not.toBe("");
      expect(sts.requests.at(-1)?.form.client_assertion_type).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    }
  });

  it("private_key_jwt with private_key given as a JWK object in the secret signs the assertion too", async () => {
    const key = ecKey("assert-jwk");
    sts.clientPublicKey = publicKeyOf(key);
    sm.put(KEY_ARN, JSON.stringify({ private_key: key.privateKey.export({ format: "jwk" }) }));
    const o = await run(handler({ clientAuth: "private_key_jwt", clientSecretArn: KEY_ARN }), pay());
    expect(bearerOf(o)).not.toBe("");
    const assertion = sts.requests.at(-1)?.form.client_assertion ?? "";
    expect(JSON.parse(Buffer.from(assertion.split(".")[0] ?? "", "base64url").toString())).toEqual({ alg: "ES256", typ: "JWT" });
  });

  it("private_key_jwt with a key type no client assertion is made with (EC P-521) → DENY(500, obo.client_auth_failed), nothing sent", async () => {
    sm.put(KEY_ARN, JSON.stringify({ private_key: ecKey("assert-p521", "P-521").privateKey.export({ format: "pem", type: "pkcs8" }) }));
    const mark = logMark();
    expectDeny(await run(handler({ clientAuth: "private_key_jwt", clientSecretArn: KEY_ARN }), pay()), 500, "obo.client_auth_failed");
    expect(sts.requests).toHaveLength(0);
    expect(logRecordsSince(mark).find((r) => r.message === "client credential unavailable")).toMatchObject({
      why: "unsupported private key type",
    });
  });

  it("the client secret is read again once secretMaxAgeSeconds have passed, not before", async () => {
    const clock = new ManualClock();
    const hnd = h.handler(
      withObo({}, (c) => (c.oboCache = { secretMaxAgeSeconds: 30 })),
      { secretsClientConfig: sm.clientConfig(), clock },
    );
    await run(hnd, pay());
    clock.advance(29_000);
    await run(hnd, pay());
    expect(sm.reads).toEqual([SECRET_ARN]);
    clock.advance(1_000);
    expect(bearerOf(await run(hnd, pay()))).not.toBe("");
    expect(sm.reads).toEqual([SECRET_ARN, SECRET_ARN]);
    expect(sts.requests).toHaveLength(3);
  });

  it("private_key_jwt with a plain secret in Secrets Manager → DENY(500, obo.client_auth_failed)", async () => {
    expectDeny(await run(handler({ clientAuth: "private_key_jwt" }), pay()), 500, "obo.client_auth_failed");
  });

  it("actorToken: the interceptor's own client_credentials token goes as actor_token (delegation)", async () => {
    await run(handler({ actorToken: { scope: "sts.actor" } }), pay());
    expect(sts.requests.map((r) => r.form.grant_type)).toEqual(["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"]);
    const exchange = sts.requests[1]!.form;
    expect(exchange.actor_token_type).toBe("urn:ietf:params:oauth:token-type:access_token");
    expect(claimsOf(exchange.actor_token!)).toMatchObject({ sub: "gateway-interceptor" });
  });

  it("a client copy of an obo target's custom header is refused; the caller's own token is never the fallback", async () => {
    const hnd = handler({}, (c) => (((c.targets as Json).payments as Json).header = "X-Upstream-Authorization"));
    const o = await run(
      hnd,
      mcpEvent({
        name: "payments___refund",
        headers: { authorization: `Bearer ${tokenA()}`, "x-upstream-authorization": "Bearer forged" },
      }),
    );
    expectDeny(o, 403, "policy.client_header_conflict");
  });

  it("LG-07 token endpoint failures log the host, status and OAuth error code, never the body or the secret", async () => {
    sts.behaviour = { kind: "json", status: 400, body: { error: "invalid_scope", error_description: "BODY-MARKER-777" } };
    const mark = logMark();
    await run(handler(), pay());
    const records = logRecordsSince(mark);
    expect(records.find((r) => r.message === "token endpoint call failed")).toMatchObject({
      host: new URL(sts.url).host,
      status: 400,
      error: "invalid_scope",
    });
    expect(JSON.stringify(records)).not.toContain("BODY-MARKER-777");
    expect(JSON.stringify(records)).not.toContain(sts.clientSecret);
  });
});
