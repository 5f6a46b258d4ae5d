import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { JwksCache } from "../../src/auth/jwks-cache.js";
import { TokenVerifier } from "../../src/auth/verify.js";
import { systemClock } from "../../src/clock.js";
import { parseConfig } from "../../src/config/load.js";
import { fakeClock } from "../support/clock.js";
import { jwksOf, rsaKey } from "../support/keys.js";
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
  type Outcome,
  qualified,
  run,
  tokenA,
  withAuth,
} from "../support/harness.js";

/**
 * The verified-token cache (an agent session sends many calls with one token): it may skip decoding
 * and the signature, never a rule. Each case reuses one token string so the cache is really hit.
 */
const h = new Harness();
const k2 = rsaKey("a2");
const clock = fakeClock(1_960_000_000);
const at = clock.at;
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => {
  h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA, k2) });
});

const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const call = (handler: ReturnType<Harness["handler"]>, token: string, name = "orders___get_order") =>
  run(handler, mcpEvent({ name, headers: withAuth(token) }));
/** The audit line says whether the signature check was skipped for a cached verification. */
const cacheOf = (o: Outcome) => (o.audit.detail as Json | undefined)?.verifiedCache;

describe("verified-token cache", () => {
  it("a repeated token past its exp is refused token.expired (time is re-checked on every use)", async () => {
    const handler = h.handler();
    const token = tokenA({ exp: clock.T + 120 });
    expectAllow(await call(handler, token), ALLOWED);
    at(100);
    expectAllow(await call(handler, token), ALLOWED);
    at(180);
    expectDeny(await call(handler, token), 401, "token.expired");
  });

  it("a cached verification still runs the time rules: past maxTokenAgeSeconds it is refused token.too_old", async () => {
    const handler = h.handler((c) => Object.assign((c.issuers as Json[])[0]!, { maxTokenAgeSeconds: 120 }));
    const token = tokenA({ exp: clock.T + 3_600 }); // iat = T − 10
    expectAllow(await call(handler, token), ALLOWED);
    at(100);
    const hit = await call(handler, token);
    expectAllow(hit, ALLOWED);
    expect(cacheOf(hit)).toBe("hit");
    at(115);
    const old = await call(handler, token);
    expectDeny(old, 401, "token.too_old");
    expect(cacheOf(old)).toBe("hit");
  });

  it("a repeated token on a target whose rules it fails is refused (policy and scopes run on every use)", async () => {
    const handler = h.handler((c) => Object.assign((c.targets as Json).reports as Json, { requiredScopes: ["reports/read"] }));
    const token = tokenA();
    expectAllow(await call(handler, token), ALLOWED);
    const refused = await call(handler, token, "reports___daily");
    expectDeny(refused, 403, "scope.insufficient");
    expect(cacheOf(refused)).toBe("hit");
  });

  it("JW-12 with one token: the IdP removed its key → ALLOW at cache age 599 s, DENY(401, token.kid_unknown) at 601 s", async () => {
    const handler = h.handler();
    const token = tokenA({ exp: clock.T + 3_600 });
    expectAllow(await call(handler, token), ALLOWED);
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(k2) });
    at(599);
    expectAllow(await call(handler, token), ALLOWED);
    at(601);
    expectDeny(await call(handler, token), 401, "token.kid_unknown");
  });

  it("a key-set change drops cached verifications: a token whose key is gone after a rotation refetch is refused", async () => {
    const handler = h.handler();
    const token = tokenA();
    expectAllow(await call(handler, token), ALLOWED);
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(k2, rsaKey("a3")) });
    at(11);
    // Another caller's unknown kid makes the interceptor refetch the key set (now without a1).
    const other = buildToken({ header: { alg: "RS256", typ: "at+jwt", kid: "a3" }, payload: baseClaims(), key: k2 });
    expectDeny(await call(handler, other), 401, "token.signature_invalid");
    // The cached verification of `token` is void: its key is looked up again (the refetch window
    // still runs, so first a 503, then, once a refetch is allowed, the key is simply unknown).
    expectDeny(await call(handler, token), 503, "jwks.rate_limited");
    at(23);
    expectDeny(await call(handler, token), 401, "token.kid_unknown");
  });

  it("a denied token is never cached: the same bad token is refused again with the same reason", async () => {
    const handler = h.handler();
    const bad = `${tokenA().slice(0, -6)}AAAAAA`;
    for (let i = 0; i < 2; i++) {
      const o = await call(handler, bad);
      expectDeny(o, 401, "token.signature_invalid");
      expect(cacheOf(o)).toBe("miss");
    }
    // The same claims, correctly signed, are verified once and then served from the cache.
    const good = tokenA();
    expect(cacheOf(await call(handler, good))).toBe("miss");
    expect(cacheOf(await call(handler, good))).toBe("hit");
  });

  it("a repeated token is served from the cache; a new token is not", async () => {
    const handler = h.handler();
    const token = tokenA();
    const first = await call(handler, token);
    expectAllow(first, ALLOWED);
    expect(cacheOf(first)).toBe("miss");
    const second = await call(handler, token);
    expectAllow(second, ALLOWED);
    expect(cacheOf(second)).toBe("hit");
    expect(cacheOf(await call(handler, tokenA()))).toBe("miss");
  });

  it("an entry is used for at most 5 minutes, even for a token valid an hour longer", async () => {
    const handler = h.handler();
    const token = tokenA({ exp: clock.T + 3_600 });
    expect(cacheOf(await call(handler, token))).toBe("miss");
    at(299);
    expect(cacheOf(await call(handler, token))).toBe("hit");
    at(301);
    const after = await call(handler, token);
    expectAllow(after, ALLOWED);
    expect(cacheOf(after)).toBe("miss");
    at(302);
    expect(cacheOf(await call(handler, token))).toBe("hit");
  });

  it("an entry ends at exp − leeway (60 s), before the token itself does", async () => {
    const handler = h.handler();
    const token = tokenA({ exp: clock.T + 100 });
    expect(cacheOf(await call(handler, token))).toBe("miss");
    at(39);
    expect(cacheOf(await call(handler, token))).toBe("hit");
    at(41);
    const after = await call(handler, token);
    expectAllow(after, ALLOWED);
    expect(cacheOf(after)).toBe("miss");
  });

  it("the cache is bounded: when full, the least recently used entry goes first", async () => {
    const loaded = parseConfig(h.config());
    if (!loaded.ok) throw new Error("test config invalid");
    const jwks = new JwksCache(() => Promise.resolve(jwksOf(keyA, k2)), loaded.config.jwks, {
      staleServed: () => undefined,
      fetchFailed: () => undefined,
    });
    const verifier = new TokenVerifier(loaded.config, jwks, { weakKey: () => undefined }, systemClock, {
      maxEntries: 2,
      maxAgeMs: 300_000,
    });
    const check = async (token: string) => {
      const v = verifier.verify(token);
      await v.identity;
      return v.cache;
    };
    const [t1, t2, t3] = [tokenA(), tokenA(), tokenA()];
    expect([await check(t1), await check(t2), await check(t1)]).toEqual(["miss", "miss", "hit"]);
    // t3 fills the cache past its bound: t2 (least recently used) is evicted, t1 (just used) stays.
    expect(await check(t3)).toBe("miss");
    expect([await check(t1), await check(t3), await check(t2)]).toEqual(["hit", "hit", "miss"]);
  });
});
