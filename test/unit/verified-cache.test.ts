import { afterAll, beforeAll, beforeEach, describe, it } from "vitest";
import { fakeClock } from "../support/clock.js";
import { jwksOf, rsaKey } from "../support/keys.js";
import { buildToken } from "../support/tokens.js";
import { baseClaims, expectAllow, expectDeny, Harness, ISSUER_A, type Json, keyA, mcpEvent, qualified, run, tokenA, withAuth } from "../support/harness.js";

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
const call = (handler: ReturnType<Harness["handler"]>, token: string, name = "orders___get_order") => run(handler, mcpEvent({ name, headers: withAuth(token) }));

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

  it("a repeated token on a target whose rules it fails is refused (policy and scopes run on every use)", async () => {
    const handler = h.handler((c) => Object.assign((c.targets as Json).reports as Json, { requiredScopes: ["reports/read"] }));
    const token = tokenA();
    expectAllow(await call(handler, token), ALLOWED);
    expectDeny(await call(handler, token, "reports___daily"), 403, "scope.insufficient");
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
    expectDeny(await call(handler, bad), 401, "token.signature_invalid");
    expectDeny(await call(handler, bad), 401, "token.signature_invalid");
  });
});
