import type { KeyObject } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { verifyJwtSync } from "aws-jwt-verify/jwt-verifier";
import type { Jwk } from "aws-jwt-verify/jwk";
import { parseConfig } from "../../src/config/load.js";
import { SecretUnavailable } from "../../src/errors.js";
import type { SecretFetcher } from "../../src/secrets-manager.js";
import { publicJwks } from "../../src/assertion/jwks.js";
import { fakeClock, ManualClock } from "../support/clock.js";
import { ecKey, edKey, rsaKey } from "../support/keys.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { registerSecret, registerToken } from "../support/secrets.js";
import {
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  ISSUER_B,
  type Json,
  lambdaContext,
  mcpEvent,
  mcpOf,
  run,
  tokenA,
  tokenB,
  withAuth,
} from "../support/harness.js";

/**
 * `assertion` mode: a short-lived JWS signed by the interceptor, verified by the target
 * against the interceptor's published JWKS (as Google IAP, Pomerium and Cloudflare Access do).
 */
const h = new Harness();
const clock = fakeClock(1_900_000_000);
const ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:assertion-key-AbCdEf";
const INTERCEPTOR = "https://interceptor.example";
const pem = (k: KeyObject) => {
  const text = k.export({ format: "pem", type: "pkcs8" }).toString();
  registerSecret(text);
  return text;
};
const jwk = (k: KeyObject, extra: Json = {}) => {
  const value = { ...(k.export({ format: "jwk" }) as Json), ...extra };
  registerSecret(String(value.d));
  return value;
};
const es1 = ecKey("unused-1").privateKey;
const es2 = ecKey("unused-2").privateKey;
const rsa = rsaKey("unused-3").privateKey;
const ed = edKey("unused-4").privateKey;

/** An in-process stand-in for Secrets Manager (the real SDK path has its own test below). */
const secrets = new Map<string, string>();
let reads = 0;
let failure: Error | "hang" | undefined;
const fetcher: SecretFetcher = async (id) => {
  reads++;
  if (failure === "hang") return new Promise<string>(() => undefined);
  if (failure !== undefined) throw failure;
  const v = secrets.get(id);
  if (v === undefined) throw new SecretUnavailable("permanent", "ResourceNotFoundException (HTTP 400)");
  return v;
};

const assertionConfig =
  (extra: Json = {}) =>
  (c: Json) => {
    c.assertion = { issuer: INTERCEPTOR, signingKeySecretArn: ARN, ...extra };
    Object.assign(c.targets as Json, {
      ledger: { mode: "assertion", claims: ["email", "groups", "client_id"] },
      vault: {
        mode: "assertion",
        issuers: [ISSUER_A],
        audience: "urn:vault",
        header: "x-vault-identity",
        headers: { "x-user-email": "email" },
      },
    });
  };
const handler = (extra?: Json) => h.handler(assertionConfig(extra), { secretFetcher: fetcher });
const call = (target: string, token = tokenA({ email: "u1@a.example", groups: ["eng", "ops"] })) =>
  mcpEvent({ name: `${target}___do`, token });

const headersOf = (o: Awaited<ReturnType<typeof run>>) => mcpOf(o).transformedGatewayRequest?.headers ?? {};
const assertionOf = (o: Awaited<ReturnType<typeof run>>, header = "x-identity-assertion") => {
  const value = headersOf(o)[header] ?? "";
  registerToken(value);
  return value;
};
const decode = (jws: string) => {
  const [header, payload] = jws
    .split(".")
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, "base64url").toString()) as Json);
  return { header: header!, payload: payload! };
};
/** The target's check, with the JWK from the published JWKS (aws-jwt-verify). */
const verifyAt = (jws: string, audience: string, jwks = publicJwks(secrets.get(ARN)!)) => {
  const kid = decode(jws).header.kid;
  const key = jwks.keys.find((k) => k.kid === kid);
  if (key === undefined) throw new Error("kid not published");
  return verifyJwtSync(jws, key as unknown as Jwk, { issuer: INTERCEPTOR, audience });
};

beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => {
  secrets.clear();
  secrets.set(ARN, pem(es1));
  reads = 0;
  failure = undefined;
});

describe("claims", () => {
  it("signs exactly iss, sub qualified by the original issuer, aud = target, iat, exp = iat + 60, jti, idp and the configured claims (ES256, kid = RFC 7638 thumbprint)", async () => {
    const o = await run(handler(), call("ledger"));
    const jws = assertionOf(o);
    expectAllow(o, { "x-identity-assertion": jws });
    const { header, payload } = decode(jws);
    const kid = publicJwks(secrets.get(ARN)!).keys[0]!.kid;
    expect(header).toEqual({ alg: "ES256", typ: "JWT", kid });
    expect(payload).toEqual({
      iss: INTERCEPTOR,
      sub: `${ISSUER_A}|u-1`,
      aud: "ledger",
      iat: clock.T,
      exp: clock.T + 60,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      idp: ISSUER_A,
      email: "u1@a.example",
      groups: ["eng", "ops"],
      client_id: "app-a",
    });
    expect(verifyAt(jws, "ledger")).toMatchObject({ sub: `${ISSUER_A}|u-1` });
    expect(o.audit).toMatchObject({
      decision: "allow",
      reason: "mode.assertion",
      mode: "assertion",
      detail: { headersSet: ["x-identity-assertion"], assertionCache: "miss" },
    });
  });

  it("never carries the caller's token nor a claim that was not configured", async () => {
    const token = tokenA({ email: "u1@a.example", secret_note: "do-not-copy" });
    const jws = assertionOf(await run(handler(), call("ledger", token)));
    for (const part of token.split(".")) expect(jws).not.toContain(part);
    const { payload } = decode(jws);
    expect(payload).not.toHaveProperty("scope");
    expect(payload).not.toHaveProperty("secret_note");
    expect(payload).not.toHaveProperty("groups"); // configured, but absent from the token: omitted
  });

  it("carries the verified act chain as it is", async () => {
    const act = { sub: "agent-7", act: { sub: "orchestrator" } };
    const { payload } = decode(assertionOf(await run(handler(), call("ledger", tokenA({ act })))));
    expect(payload.act).toEqual(act);
  });

  it("a second issuer's user gets a subject qualified by that issuer (no collision with the same sub at A)", async () => {
    const jws = assertionOf(await run(handler(), call("ledger", tokenB({ sub: "u-1" }))));
    expect(decode(jws).payload).toMatchObject({ sub: `${ISSUER_B}|u-1`, idp: ISSUER_B });
  });

  it("configured audience and header, combined with claim headers exactly as in claims mode", async () => {
    const o = await run(handler(), call("vault"));
    const jws = assertionOf(o, "x-vault-identity");
    expectAllow(o, { "x-user-email": "u1@a.example", "x-vault-identity": jws });
    expect(decode(jws).payload.aud).toBe("urn:vault");
    expect(() => verifyAt(jws, "vault")).toThrow();
  });

  it("a claim header's own rules still hold: a control character denies claims.unsafe_value, no assertion is sent", async () => {
    expectDeny(await run(handler(), call("vault", tokenA({ email: "a\r\nx-evil: 1" }))), 403, "claims.unsafe_value");
  });

  it("a token with more than 6 KiB of configured claims → 403 claims.unsafe_value, never a truncated assertion", async () => {
    expectDeny(await run(handler(), call("ledger", tokenA({ email: "e".repeat(7_000) }))), 403, "claims.unsafe_value");
  });

  it.each([
    ["RS256", () => pem(rsa)],
    ["EdDSA", () => JSON.stringify(jwk(ed))],
  ])("%s signs when configured, and aws-jwt-verify accepts it against the published key", async (algorithm, secret) => {
    secrets.set(ARN, secret());
    const jws = assertionOf(await run(handler({ algorithm }), call("ledger")));
    expect(decode(jws).header.alg).toBe(algorithm);
    const jwks = publicJwks(secrets.get(ARN)!, algorithm as "RS256" | "EdDSA");
    expect(verifyAt(jws, "ledger", jwks)).toMatchObject({ iss: INTERCEPTOR });
  });
});

describe("lifetimes", () => {
  it("lifetimeSeconds sets exp - iat", async () => {
    const { payload } = decode(assertionOf(await run(handler({ lifetimeSeconds: 15 }), call("ledger"))));
    expect(Number(payload.exp) - Number(payload.iat)).toBe(15);
  });

  it("never outlives the caller's token", async () => {
    const { payload } = decode(assertionOf(await run(handler(), call("ledger", tokenA({ exp: clock.T + 12 })))));
    expect(payload.exp).toBe(clock.T + 12);
  });

  it("a token accepted only within the clock skew after its exp gets no assertion: 401 token.expired, no header", async () => {
    const o = await run(handler(), call("ledger", tokenA({ exp: clock.T - 30 })));
    expectDeny(o, 401, "token.expired");
  });

  it("after its lifetime a target refuses it (aws-jwt-verify: expired)", async () => {
    const jws = assertionOf(await run(handler(), call("ledger")));
    clock.at(59);
    expect(() => verifyAt(jws, "ledger")).not.toThrow();
    // aws-jwt-verify still accepts the exact second of exp (docs/security.md §1.1); one second later it refuses.
    clock.at(61);
    expect(() => verifyAt(jws, "ledger")).toThrow(/expired/i);
  });
});

describe("reuse", () => {
  it("the same token and target get the same assertion while more than half its lifetime is left, then a new one", async () => {
    const hd = handler();
    const token = tokenA();
    const first = await run(hd, call("ledger", token));
    clock.at(29);
    const again = await run(hd, call("ledger", token));
    expect(assertionOf(again)).toBe(assertionOf(first));
    expect(again.audit).toMatchObject({ detail: { assertionCache: "hit" } });
    clock.at(30);
    const renewed = await run(hd, call("ledger", token));
    expect(assertionOf(renewed)).not.toBe(assertionOf(first));
    expect(decode(assertionOf(renewed)).payload.iat).toBe(clock.T + 30);
    expect(renewed.audit).toMatchObject({ detail: { assertionCache: "miss" } });
    expect(reads).toBe(1);
  });

  it("never across targets, users or tokens", async () => {
    const hd = handler();
    const token = tokenA();
    const ledger = assertionOf(await run(hd, call("ledger", token)));
    const vault = assertionOf(await run(hd, call("vault", token)), "x-vault-identity");
    const otherToken = assertionOf(await run(hd, call("ledger", tokenA())));
    const otherUser = assertionOf(await run(hd, call("ledger", tokenA({ sub: "u-2" }))));
    expect(new Set([ledger, vault, otherToken, otherUser]).size).toBe(4);
  });

  it("a replay to another target is refused there (aud)", async () => {
    const jws = assertionOf(await run(handler(), call("ledger")));
    expect(() => verifyAt(jws, "vault")).toThrow(/audience/i);
  });
});

describe("rotation", () => {
  const rotation = (keys: Json[]) => JSON.stringify({ keys });

  it("signs with the newest active key whose notBefore has passed; publishes every key, retired ones included", async () => {
    secrets.set(
      ARN,
      rotation([
        { kid: "k-old", privateKey: pem(es1), status: "retired" },
        { kid: "k-now", jwk: jwk(es2), notBefore: clock.T - 3_600 },
        { kid: "k-next", privateKey: pem(ecKey("unused-5").privateKey), notBefore: new Date((clock.T + 20) * 1000).toISOString() },
      ]),
    );
    const hd = handler();
    const token = tokenA();
    const before = assertionOf(await run(hd, call("ledger", token)));
    expect(decode(before).header.kid).toBe("k-now");
    expect(publicJwks(secrets.get(ARN)!).keys.map((k) => [k.kid, k.alg, k.use])).toEqual([
      ["k-old", "ES256", "sig"],
      ["k-now", "ES256", "sig"],
      ["k-next", "ES256", "sig"],
    ]);
    // At notBefore the next key takes over, without a secret read, and the old assertion is not reused
    // although more than half of its lifetime is left.
    clock.at(20);
    const after = await run(hd, call("ledger", token));
    expect(decode(assertionOf(after)).header.kid).toBe("k-next");
    expect(after.audit).toMatchObject({ detail: { assertionCache: "miss" } });
    expect(reads).toBe(1);
    // Both still verify against the published set: no downtime for assertions in flight.
    expect(() => verifyAt(before, "ledger")).not.toThrow();
    expect(() => verifyAt(assertionOf(after), "ledger")).not.toThrow();
  });

  it("the secret is read again after keyMaxAgeSeconds: a key removed from it stops signing", async () => {
    secrets.set(ARN, rotation([{ kid: "k-1", privateKey: pem(es1) }]));
    const hd = handler({ keyMaxAgeSeconds: 60 });
    expect(decode(assertionOf(await run(hd, call("ledger")))).header.kid).toBe("k-1");
    secrets.set(ARN, rotation([{ kid: "k-2", privateKey: pem(es2) }]));
    clock.at(59);
    expect(decode(assertionOf(await run(hd, call("ledger")))).header.kid).toBe("k-1");
    clock.at(60);
    expect(decode(assertionOf(await run(hd, call("ledger")))).header.kid).toBe("k-2");
    expect(reads).toBe(2);
  });

  it("with prefetchJwks (the Lambda entry) the secret is read at init, not by the first request", async () => {
    const hd = h.handler(assertionConfig(), { secretFetcher: fetcher, prefetchJwks: true });
    await vi.waitFor(() => expect(reads).toBe(1));
    assertionOf(await run(hd, call("ledger")));
    expect(reads).toBe(1);
  });

  it("the promise `prefetched` receives settles once the init reads are done: the first request then reads nothing", async () => {
    const before = { a: h.server.count("/a/jwks"), b: h.server.count("/b/jwks") };
    let settled: Promise<void> | undefined;
    const hd = h.handler(assertionConfig(), {
      secretFetcher: fetcher,
      prefetchJwks: true,
      prefetched: (p) => {
        settled = p;
      },
    });
    await settled;
    expect({ reads, a: h.server.count("/a/jwks") - before.a, b: h.server.count("/b/jwks") - before.b }).toEqual({ reads: 1, a: 1, b: 1 });
    assertionOf(await run(hd, call("ledger")));
    expect({ reads, a: h.server.count("/a/jwks") - before.a, b: h.server.count("/b/jwks") - before.b }).toEqual({ reads: 1, a: 1, b: 1 });
  });

  it("a failed init read settles `prefetched` (never rejects it) and the first request reads again", async () => {
    secrets.delete(ARN);
    let settled: Promise<void> | undefined;
    const hd = h.handler(assertionConfig(), {
      secretFetcher: fetcher,
      prefetchJwks: true,
      prefetched: (p) => {
        settled = p;
      },
    });
    await expect(settled).resolves.toBeUndefined();
    expect(reads).toBe(1);
    secrets.set(ARN, pem(es1));
    assertionOf(await run(hd, call("ledger")));
    expect(reads).toBe(2);
  });

  it("concurrent first requests share one secret read", async () => {
    const hd = handler();
    const outs = await Promise.all([hd(call("ledger"), lambdaContext()), hd(call("vault"), lambdaContext())]);
    expect(outs.map((o) => JSON.stringify(o).includes("transformedGatewayRequest"))).toEqual([true, true]);
    expect(reads).toBe(1);
  });
});

describe("failures: a deny from the table, never an unsigned or stale header", () => {
  const unusable = async (secret: string | undefined, extra?: Json) => {
    if (secret === undefined) secrets.delete(ARN);
    else secrets.set(ARN, secret);
    const mark = logMark();
    const o = await run(handler(extra), call("ledger"));
    expectDeny(o, 500, "assertion.key_unusable");
    expect(logRecordsSince(mark).some((r) => r.level === "ERROR" && r.message === "assertion signing key unusable")).toBe(true);
  };

  it("secret missing (ResourceNotFoundException) → 500 assertion.key_unusable", () => unusable(undefined));
  it("secret neither PEM nor JSON → 500 assertion.key_unusable (the secret text is never logged)", () => {
    registerSecret("not a key at all, but secret text");
    return unusable("not a key at all, but secret text");
  });
  it("a PEM that is not a key → 500 assertion.key_unusable", () =>
    unusable("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"));
  it("a public key only → 500 assertion.key_unusable", () => unusable(JSON.stringify({ ...jwk(es1), d: undefined })));
  it("an RSA key for ES256 → 500 assertion.key_unusable", () => unusable(pem(rsa)));
  it("an RSA-1024 key for RS256 → 500 assertion.key_unusable", () =>
    unusable(pem(rsaKey("weak", 1024).privateKey), { algorithm: "RS256" }));
  it("every key retired → 500 assertion.key_unusable", () =>
    unusable(JSON.stringify({ keys: [{ privateKey: pem(es1), status: "retired" }] })));
  it("the only active key not yet valid → 500 assertion.key_unusable", () =>
    unusable(JSON.stringify({ keys: [{ privateKey: pem(es1), notBefore: 4_000_000_000 }] })));
  it("duplicate kid → 500 assertion.key_unusable", () =>
    unusable(
      JSON.stringify({
        keys: [
          { kid: "a", privateKey: pem(es1) },
          { kid: "a", privateKey: pem(es2) },
        ],
      }),
    ));
  it("an entry with both privateKey and jwk → 500 assertion.key_unusable", () =>
    unusable(JSON.stringify({ keys: [{ privateKey: pem(es1), jwk: jwk(es2) }] })));
  it("an unknown status → 500 assertion.key_unusable", () =>
    unusable(JSON.stringify({ keys: [{ privateKey: pem(es1), status: "maybe" }] })));

  it("Secrets Manager down → 503 assertion.unavailable; the next request reads again and succeeds", async () => {
    failure = new SecretUnavailable("transient", "InternalServiceError (HTTP 500)");
    const hd = handler();
    expectDeny(await run(hd, call("ledger")), 503, "assertion.unavailable");
    failure = undefined;
    expect(assertionOf(await run(hd, call("ledger")))).not.toBe("");
    expect(reads).toBe(2);
  });

  it("Secrets Manager hanging → 503 assertion.unavailable at the deadline inside the Lambda's remaining time; the read is abandoned", async () => {
    failure = "hang";
    let signal: AbortSignal | undefined;
    const watching: SecretFetcher = (id, s) => {
      signal = s;
      return fetcher(id, s);
    };
    const manual = new ManualClock();
    const hd = h.handler(assertionConfig(), { secretFetcher: watching, clock: manual });
    // 400 ms left → a 150 ms deadline, on the injected clock.
    const ctx = { ...lambdaContext(), getRemainingTimeInMillis: () => 400 };
    const pending = run(hd, call("ledger"), ctx);
    await vi.waitFor(() => expect(signal).toBeDefined());
    expect(signal?.aborted).toBe(false);
    manual.advance(150);
    expectDeny(await pending, 503, "assertion.unavailable");
    // The Secrets Manager read was given the request's deadline, which has now fired.
    expect(signal?.aborted).toBe(true);
  });

  it("a failed refresh denies: the cached key set and cached assertions are not used past keyMaxAgeSeconds", async () => {
    const hd = handler({ keyMaxAgeSeconds: 20 });
    const token = tokenA();
    assertionOf(await run(hd, call("ledger", token)));
    clock.at(20);
    failure = new SecretUnavailable("transient", "TimeoutError");
    expectDeny(await run(hd, call("ledger", token)), 503, "assertion.unavailable");
  });

  it.each([
    ["permanent", "ThrottlingException (HTTP 400)", 500, "assertion.key_unusable"],
    ["transient", "ResourceNotFoundException (HTTP 400)", 503, "assertion.unavailable"],
  ] as const)("a %s failed read denies by its permanence, whatever its why (%s) says", async (permanence, why, status, reason) => {
    failure = new SecretUnavailable(permanence, why);
    expectDeny(await run(handler(), call("ledger")), status, reason);
  });
});

describe("config and managed headers", () => {
  const problems = (patch: (c: Json) => void) => {
    const loaded = parseConfig(h.config(patch));
    return loaded.ok ? [] : loaded.problems;
  };

  it("an assertion target without the top-level assertion settings is a config error naming the path", () => {
    expect(problems((c) => Object.assign(c.targets as Json, { ledger: { mode: "assertion" } }))).toEqual([
      'assertion: required when a target uses mode "assertion": { "issuer", "signingKeySecretArn" }',
    ]);
  });

  it.each([
    [{ claims: ["sub"] }, "targets.ledger.claims[0]"],
    [{ claims: ["__proto__"] }, "targets.ledger.claims[0]"],
    [{ header: "Authorization" }, "targets.ledger.header"],
    [{ header: "x-user-email", headers: { "X-User-Email": "email" } }, "targets.ledger.headers"],
    [{ headers: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`x-h${i}`, "sub"])) }, "targets.ledger.headers"],
  ])("target %j is refused at %s", (target, path) => {
    const found = problems((c) => {
      c.assertion = { issuer: INTERCEPTOR, signingKeySecretArn: ARN };
      Object.assign(c.targets as Json, { ledger: { mode: "assertion", ...target } });
    });
    expect(found.map((p) => p.split(":")[0])).toEqual([path]);
  });

  it.each([
    [{ signingKeySecretArn: "arn:aws:s3:::bucket" }, "assertion.signingKeySecretArn"],
    [{ lifetimeSeconds: 3_600 }, "assertion.lifetimeSeconds"],
    [{ algorithm: "HS256" }, "assertion.algorithm"],
  ])("settings %j are refused at %s", (extra, path) => {
    const found = problems(assertionConfig(extra));
    expect(found.map((p) => p.split(":")[0])).toEqual([path]);
  });

  it.each([["x-identity-assertion"], ["X_Identity_Assertion"], ["x-vault-identity"], ["x-user-email"]])(
    "a client-sent %s → 403 policy.client_header_conflict",
    async (name) => {
      const o = await run(handler(), mcpEvent({ name: "reports___daily", headers: withAuth(tokenA(), { [name]: "forged" }) }));
      expectDeny(o, 403, "policy.client_header_conflict");
      expect(reads).toBe(0);
    },
  );
});

describe("the real Secrets Manager client (AWS SDK, loopback endpoint)", () => {
  const sm = new SecretsManagerServer();
  beforeAll(() => sm.start());
  afterAll(() => sm.stop());

  it("reads the key once through the SDK and signs; a missing secret denies 500 assertion.key_unusable", async () => {
    sm.put(ARN, JSON.stringify({ keys: [{ kid: "sdk-1", jwk: jwk(es1) }] }));
    const hd = h.handler(assertionConfig(), { secretsClientConfig: sm.clientConfig() });
    const jws = assertionOf(await run(hd, call("ledger")));
    expect(decode(jws).header.kid).toBe("sdk-1");
    expect(sm.reads).toEqual([ARN]);
    const other = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:absent-AbCdEf";
    const missing = h.handler(assertionConfig({ signingKeySecretArn: other }), { secretsClientConfig: sm.clientConfig() });
    expectDeny(await run(missing, call("ledger")), 500, "assertion.key_unusable");
  });

  it.each([
    ["ResourceNotFoundException", 400, 500, "assertion.key_unusable"],
    ["AccessDeniedException", 400, 500, "assertion.key_unusable"],
    ["DecryptionFailure", 400, 500, "assertion.key_unusable"],
    ["ThrottlingException", 400, 503, "assertion.unavailable"],
    ["InternalServiceError", 500, 503, "assertion.unavailable"],
  ] as const)("a Secrets Manager %s (HTTP %s) → %s %s", async (type, status, code, reason) => {
    sm.fault = { status, type };
    try {
      const hd = h.handler(assertionConfig(), { secretsClientConfig: sm.clientConfig() });
      expectDeny(await run(hd, call("ledger")), code, reason);
    } finally {
      sm.fault = undefined;
    }
  });

  it("a secret with an empty SecretString → 500 assertion.key_unusable", async () => {
    sm.put(ARN, "");
    const hd = h.handler(assertionConfig(), { secretsClientConfig: sm.clientConfig() });
    expectDeny(await run(hd, call("ledger")), 500, "assertion.key_unusable");
  });
});
