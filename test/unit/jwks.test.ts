import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeClock, ManualClock } from "../support/clock.js";
import { createHandler } from "../../src/handler.js";
import { parseConfig } from "../../src/config/load.js";
import { JwksServer } from "../support/jwks-server.js";
import { jwksOf, rsaKey } from "../support/keys.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { buildToken } from "../support/tokens.js";
import {
  baseClaims,
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  ISSUER_B,
  type Json,
  keyA,
  mcpEvent,
  mcpOf,
  qualified,
  run,
  tokenA,
  tokenB,
  withAuth,
} from "../support/harness.js";
import { testCa, untrustedCert, wrongHostCert } from "../support/tls.js";

/** docs/security.md §3 group G: JWKS availability, rotation, caching. */
const h = new Harness();
const k2 = rsaKey("a2");
const { at } = fakeClock(1_900_000_000);

beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.resetKeys());

const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const fastTimeout = (c: Json) => {
  c.jwks = { timeoutMs: 300 };
};
const tokenK2 = () => buildToken({ header: { alg: "RS256", typ: "at+jwt", kid: k2.kid }, payload: baseClaims(), key: k2 });
const call = (handler: ReturnType<Harness["handler"]>, token = tokenA()) => run(handler, mcpEvent({ headers: withAuth(token) }));
const fetches = () => h.server.count("/a/jwks");

function expectUnavailable(o: Awaited<ReturnType<typeof call>>): void {
  expectDeny(o, 503, "jwks.unavailable");
  const data = mcpOf(o).transformedGatewayResponse?.body.error.data;
  expect(data?.retryAfter).toBeGreaterThan(0);
  expect(data?.wwwAuthenticate).toBeUndefined();
}

describe("G. JWKS availability, rotation, caching (JW)", () => {
  it("JW-01 cold cache, JWKS OK → ALLOW with exactly one fetch", async () => {
    const before = fetches();
    const handler = h.handler();
    expectAllow(await call(handler), ALLOWED);
    expectAllow(await call(handler), ALLOWED);
    expect(fetches() - before).toBe(1);
  });

  it.each([500, 404])("JW-02 JWKS answers %i → DENY(503, jwks.unavailable) with Retry-After, no invalid_token", async (status) => {
    h.server.set("/a/jwks", { kind: "status", status });
    expectUnavailable(await call(h.handler()));
  });

  it("JW-03 JWKS answers 302 to another host → DENY(503, jwks.unavailable); redirect not followed", async () => {
    h.server.set("/a/jwks", { kind: "redirect", location: h.server.url("/redirected") });
    expectUnavailable(await call(h.handler()));
    expect(h.server.count("/redirected")).toBe(0);
  });

  it.each([
    ["hangs", { kind: "hang" } as const],
    ["trickles one byte every 100 ms", { kind: "trickle", intervalMs: 100 } as const],
  ])("JW-04/JW-05 JWKS %s → DENY(503, jwks.unavailable) within the fetch budget", async (_n, behaviour) => {
    h.server.set("/a/jwks", behaviour);
    // The fetch budget runs out on the injected clock: no real wait.
    const clock = new ManualClock();
    let settled = false;
    const before = fetches();
    const pending = call(h.handler(fastTimeout, { clock })).finally(() => (settled = true));
    await vi.waitFor(() => expect(fetches() - before).toBe(1));
    clock.advance(299);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    clock.advance(1);
    expectUnavailable(await pending);
  });

  it.each([
    ["HTML", { kind: "raw", body: "<html>login</html>", contentType: "text/html" } as const],
    ["not JSON", { kind: "raw", body: "keys", contentType: "application/json" } as const],
    ['{"keys":{}}', { kind: "ok", body: { keys: {} } } as const],
    ["keys that are not objects", { kind: "ok", body: { keys: ["a", 1] } } as const],
  ])("JW-06 JWKS body %s → DENY(503, jwks.unavailable), nothing cached", async (_n, behaviour) => {
    h.server.set("/a/jwks", behaviour);
    const handler = h.handler();
    expectUnavailable(await call(handler));
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA) });
    at(11);
    expectAllow(await call(handler), ALLOWED);
  });

  it("JW-07 JWKS body of 50 MB → DENY(503, jwks.unavailable) after reading at most the byte cap", async () => {
    h.server.set("/a/jwks", { kind: "huge", bytes: 50 * 1024 * 1024 });
    const rss = process.memoryUsage().rss;
    expectUnavailable(await call(h.handler()));
    expect(process.memoryUsage().rss - rss).toBeLessThan(40 * 1024 * 1024);
  });

  it.each([
    ["a certificate from an untrusted CA", untrustedCert],
    ["a certificate for another host name", wrongHostCert],
  ])("JW-08 JWKS served with %s → DENY(503, jwks.unavailable)", async (_n, tls) => {
    const bad = await new JwksServer(tls).start();
    try {
      bad.set("/a/jwks", { kind: "ok", body: jwksOf(keyA) });
      const handler = h.handler((c) => ((c.issuers as Json[])[0]!.jwksUri = bad.url("/a/jwks")));
      expectUnavailable(await call(handler));
    } finally {
      await bad.stop();
    }
  });

  it("JW-09 after a failed fetch, 100 requests in the next 10 s → all DENY(503), at most one further fetch", async () => {
    h.server.set("/a/jwks", { kind: "status", status: 500 });
    const handler = h.handler();
    expectUnavailable(await call(handler));
    const before = fetches();
    for (let i = 0; i < 100; i++) {
      at(i / 10);
      expectUnavailable(await call(handler));
    }
    expect(fetches() - before).toBeLessThanOrEqual(1);
  });

  it("JW-10 JWKS of issuer A down, B up → A's tokens DENY(503), B's tokens ALLOW", async () => {
    h.server.set("/a/jwks", { kind: "status", status: 500 });
    const handler = h.handler();
    expectUnavailable(await call(handler, tokenA()));
    expectAllow(await call(handler, tokenB()), { "X-User-Sub": qualified(ISSUER_B, "u-1") });
  });

  it("JW-11 rotation: cache {k1}, IdP publishes {k1,k2}, token with k2 → ALLOW after one refetch", async () => {
    const handler = h.handler();
    expectAllow(await call(handler), ALLOWED);
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA, k2) });
    at(11);
    const before = fetches();
    expectAllow(await call(handler, tokenK2()), ALLOWED);
    expect(fetches() - before).toBe(1);
  });

  it("JW-11 a token with an unknown kid whose refetch fails → DENY(503, jwks.unavailable), the cached keys still serve known kids", async () => {
    const handler = h.handler();
    expectAllow(await call(handler), ALLOWED);
    h.server.set("/a/jwks", { kind: "status", status: 500 });
    at(11);
    const before = fetches();
    expectUnavailable(await call(handler, tokenK2()));
    expect(fetches() - before).toBe(1);
    // The failed refetch did not drop the loaded key set: a1 tokens are still verified.
    expectAllow(await call(handler), ALLOWED);
  });

  it("JW-12 revocation: k1 removed by the IdP → ALLOW at cache age 599 s, DENY(401, token.kid_unknown) at 601 s", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA, k2) });
    const handler = h.handler();
    expectAllow(await call(handler), ALLOWED);
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(k2) });
    at(599);
    expectAllow(await call(handler), ALLOWED);
    at(601);
    expectDeny(await call(handler), 401, "token.kid_unknown");
  });

  it("JW-13 kid k1 reused for a new key: DENY(401, token.signature_invalid) before max age, ALLOW after", async () => {
    const handler = h.handler();
    expectAllow(await call(handler), ALLOWED);
    h.server.set("/a/jwks", { kind: "ok", body: { keys: [{ ...k2.publicJwk, kid: keyA.kid }] } });
    const newKeyToken = () => buildToken({ header: { alg: "RS256", typ: "at+jwt", kid: keyA.kid }, payload: baseClaims(), key: k2 });
    at(300);
    expectDeny(await call(handler, newKeyToken()), 401, "token.signature_invalid");
    at(601);
    expectAllow(await call(handler, newKeyToken()), ALLOWED);
  });

  it("JW-14 refresh due but IdP down: ALLOW + WARN at cache age 3 599 s, DENY(503) at 3 601 s", async () => {
    const handler = h.handler();
    expectAllow(await call(handler), ALLOWED);
    h.server.set("/a/jwks", { kind: "status", status: 500 });
    at(3_599);
    const mark = logMark();
    expectAllow(await call(handler), ALLOWED);
    expect(logRecordsSince(mark).some((r) => r.level === "WARN" && String(r.message).includes("serving the cached key set"))).toBe(true);
    at(3_601);
    expectUnavailable(await call(handler));
  });

  it("JW-15 penalty box active and a newly rotated kid arrives → DENY(503, jwks.rate_limited) with Retry-After, ALLOW after the window", async () => {
    const handler = h.handler();
    expectAllow(await call(handler), ALLOWED);
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA, k2) });
    at(1);
    const o = await call(handler, tokenK2());
    expectDeny(o, 503, "jwks.rate_limited");
    expect(mcpOf(o).transformedGatewayResponse?.body.error.data.retryAfter).toBe(9);
    at(11);
    expectAllow(await call(handler, tokenK2()), ALLOWED);
  });

  it("JW-16 JWKS unreachable during cold-start hydration → init completes, DENY(503), recovers when the JWKS returns", async () => {
    h.server.set("/a/jwks", { kind: "status", status: 500 });
    const loaded = parseConfig(h.config());
    const handler = createHandler({ config: loaded, ca: testCa, prefetchJwks: true });
    expectUnavailable(await call(handler));
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA) });
    at(11);
    expectAllow(await call(handler), ALLOWED);
  });

  it("JW-17 20 concurrent verifications on a cold cache → one fetch (coalesced)", async () => {
    const handler = h.handler();
    const before = fetches();
    const outputs = await Promise.all(Array.from({ length: 20 }, () => handler(mcpEvent({ headers: withAuth(tokenA()) }))));
    for (const out of outputs) expect(out).toHaveProperty("mcp.transformedGatewayRequest");
    expect(fetches() - before).toBe(1);
  });

  it("JW-18 JWKS URI configured with http:// → config.invalid at cold start", () => {
    const loaded = parseConfig(h.config((c) => ((c.issuers as Json[])[0]!.jwksUri = "http://127.0.0.1/jwks")));
    expect(loaded).toEqual({ ok: false, problems: ["issuers[0].jwksUri: must be an https:// URL"] });
  });
});
