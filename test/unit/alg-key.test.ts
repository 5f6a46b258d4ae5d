import { createPublicKey } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ecKey, edKey, jwksOf, rsaKey, type TestKey } from "../support/keys.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { b64url, buildToken } from "../support/tokens.js";
import {
  baseClaims,
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  type Json,
  keyA,
  mcpEvent,
  qualified,
  run,
  withAuth,
} from "../support/harness.js";

/** docs/security.md §3 group C: algorithm and key attacks. */
const h = new Harness();
const ec = ecKey("ec1");
const ec521 = ecKey("ec521", "P-521");
const ed = edKey("ed1");
const attacker = rsaKey("evil");
const weak = rsaKey("weak", 1024);
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA) }));

const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const algorithms = (list: string[]) => (c: Json) => {
  (c.issuers as Json[])[0]!.algorithms = list;
};
const call = (token: string, patch?: (c: Json) => void) => run(h.handler(patch), mcpEvent({ headers: withAuth(token) }));
const sign = (header: Json, key: TestKey, signAs?: string) =>
  buildToken({ header, payload: baseClaims(), key, ...(signAs !== undefined ? { signAs } : {}) });

describe("C. Algorithm and key attacks (AK)", () => {
  it.each(["none", "None", "NONE", "nOnE"])("AK-01 alg %s with empty signature → DENY(401, token.malformed)", async (alg) => {
    expectDeny(await call(buildToken({ header: { alg, kid: keyA.kid }, payload: baseClaims(), signature: "" })), 401, "token.malformed");
  });

  it.each(["none", "None", "NONE", "nOnE"])("AK-01 alg %s with an arbitrary signature → DENY(401, token.alg_not_allowed)", async (alg) => {
    expectDeny(
      await call(buildToken({ header: { alg, kid: keyA.kid }, payload: baseClaims(), signature: "c2lnbmF0dXJl" })),
      401,
      "token.alg_not_allowed",
    );
  });

  it.each(["pem", "der"] as const)(
    "AK-02 HS256 keyed with the issuer's RSA public key (%s) → DENY(401, token.alg_not_allowed)",
    async (format) => {
      const spki = createPublicKey(keyA.privateKey);
      const pub = format === "pem" ? spki.export({ type: "spki", format: "pem" }) : spki.export({ type: "spki", format: "der" });
      const token = buildToken({ header: { alg: "HS256", kid: keyA.kid }, payload: baseClaims(), hmacSecret: pub });
      expectDeny(await call(token), 401, "token.alg_not_allowed");
    },
  );

  it.each(["HS384", "HS512", "PS256", "ES256K", "RS256 ", "rs256"])("AK-03 alg %j → DENY(401, token.alg_not_allowed)", async (alg) => {
    expectDeny(await call(sign({ alg, kid: keyA.kid }, keyA, "RS256")), 401, "token.alg_not_allowed");
  });

  it("AK-04 ES256 when the issuer is pinned to RS256 → DENY(401, token.alg_not_allowed)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA, ec) });
    expectDeny(await call(sign({ alg: "ES256", kid: ec.kid }, ec)), 401, "token.alg_not_allowed");
  });

  it("AK-05 JWK without alg, header ES256, RS256 signature with the real RSA key → DENY(401, token.alg_key_mismatch)", async () => {
    expectDeny(
      await call(sign({ alg: "ES256", kid: keyA.kid }, keyA, "RS256"), algorithms(["RS256", "ES256"])),
      401,
      "token.alg_key_mismatch",
    );
  });

  it("AK-06 JWK without alg, header EdDSA, RS256 signature on the RSA key → DENY(401, token.alg_key_mismatch)", async () => {
    expectDeny(
      await call(sign({ alg: "EdDSA", kid: keyA.kid }, keyA, "RS256"), algorithms(["RS256", "EdDSA"])),
      401,
      "token.alg_key_mismatch",
    );
  });

  it("AK-07 JWK without alg, header RS512, ECDSA-SHA512 signature with a P-256 key → DENY(401, token.alg_key_mismatch)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(ec) });
    expectDeny(await call(sign({ alg: "RS512", kid: ec.kid }, ec, "ES512"), algorithms(["RS512", "ES256"])), 401, "token.alg_key_mismatch");
  });

  it("AK-08 JWK with alg RS256, header ES256 → DENY(401, token.alg_key_mismatch)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: { keys: [{ ...keyA.publicJwk, alg: "RS256" }] } });
    expectDeny(
      await call(sign({ alg: "ES256", kid: keyA.kid }, keyA, "RS256"), algorithms(["RS256", "ES256"])),
      401,
      "token.alg_key_mismatch",
    );
  });

  it("AK-09 ES256 signature of all zeros (psychic signature) → DENY(401, token.signature_invalid)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(ec) });
    const token = buildToken({ header: { alg: "ES256", kid: ec.kid }, payload: baseClaims(), signature: b64url(Buffer.alloc(64)) });
    expectDeny(await call(token, algorithms(["ES256"])), 401, "token.signature_invalid");
  });

  it("AK-10 ES256 high-S twin of a valid signature → ALLOW(claims) (mathematically valid)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(ec) });
    const token = sign({ alg: "ES256", kid: ec.kid }, ec);
    const sig = Buffer.from(token.split(".")[2]!, "base64url");
    const n = BigInt("0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    const s = BigInt(`0x${sig.subarray(32).toString("hex")}`);
    const twin = Buffer.concat([sig.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, "0"), "hex")]);
    const twinToken = `${token.split(".").slice(0, 2).join(".")}.${b64url(twin)}`;
    expectAllow(await call(token, algorithms(["ES256"])), ALLOWED);
    expectAllow(await call(twinToken, algorithms(["ES256"])), ALLOWED);
  });

  it.each([
    [
      "flipped",
      (t: string) => {
        const s = Buffer.from(t.split(".")[2]!, "base64url");
        s[10]! ^= 1;
        return `${t.split(".").slice(0, 2).join(".")}.${b64url(s)}`;
      },
    ],
    [
      "truncated",
      (t: string) => {
        const s = Buffer.from(t.split(".")[2]!, "base64url").subarray(0, 128);
        return `${t.split(".").slice(0, 2).join(".")}.${b64url(s)}`;
      },
    ],
    [
      "from another token",
      (t: string) => `${t.split(".").slice(0, 2).join(".")}.${sign({ alg: "RS256", kid: keyA.kid }, keyA).split(".")[2]}`,
    ],
  ])("AK-11 signature %s → DENY(401, token.signature_invalid)", async (_n, mangle) => {
    expectDeny(await call(mangle(sign({ alg: "RS256", kid: keyA.kid }, keyA))), 401, "token.signature_invalid");
  });

  it("AK-12 kid missing → DENY(401, token.kid_missing)", async () => {
    expectDeny(await call(sign({ alg: "RS256", typ: "at+jwt" }, keyA)), 401, "token.kid_missing");
  });

  it.each([42, { a: 1 }, null])("AK-13 kid %j → DENY(401, token.malformed)", async (kid) => {
    expectDeny(await call(sign({ alg: "RS256", kid }, keyA)), 401, "token.malformed");
  });

  it.each(["../../../../dev/null", "' OR 1=1 --", ";id", "|id", "https://evil.example/jwks", "k".repeat(10_000), "a\r\nb\u001b[31m"])(
    "AK-14 kid injection %#: inert → DENY(401, token.kid_unknown), one fetch of the configured JWKS only",
    async (kid) => {
      const before = h.server.count("/a/jwks");
      const o = await call(sign({ alg: "RS256", kid }, keyA));
      expectDeny(o, 401, "token.kid_unknown");
      expect(h.server.count("/a/jwks") - before).toBe(1);
      const logged = (o.audit.jwt as { kid: string }).kid;
      expect(logged.length).toBeLessThanOrEqual(257 + 3 * 5);
      expect(logged).not.toMatch(/[\r\n\u001b]/);
    },
  );

  it("AK-15 100 unknown kids within a second → all DENY, ≤1 refetch, known kid still ALLOW", async () => {
    const handler = h.handler();
    const before = h.server.count("/a/jwks");
    expectAllow(await run(handler, mcpEvent({ headers: withAuth(sign({ alg: "RS256", kid: keyA.kid }, keyA)) })), ALLOWED);
    const reasons = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const o = await run(handler, mcpEvent({ headers: withAuth(sign({ alg: "RS256", kid: `rand-${i}` }, keyA)) }));
      reasons.add(String(o.audit.reason));
      expect(o.audit.decision).toBe("deny");
    }
    expect([...reasons]).toEqual(["jwks.rate_limited"]);
    expect(h.server.count("/a/jwks") - before).toBeLessThanOrEqual(2);
    expectAllow(await run(handler, mcpEvent({ headers: withAuth(sign({ alg: "RS256", kid: keyA.kid }, keyA)) })), ALLOWED);
  });

  it("AK-16 jku to an attacker JWKS, attacker key and kid → DENY(401, token.kid_unknown), attacker never fetched", async () => {
    h.server.set("/evil/jwks", { kind: "ok", body: jwksOf(attacker) });
    const o = await call(sign({ alg: "RS256", kid: attacker.kid, jku: h.server.url("/evil/jwks") }, attacker));
    expectDeny(o, 401, "token.kid_unknown");
    expect(h.server.count("/evil/jwks")).toBe(0);
  });

  it("AK-17 jku to an attacker JWKS reusing the legitimate kid → DENY(401, token.signature_invalid), attacker never fetched", async () => {
    const o = await call(sign({ alg: "RS256", kid: keyA.kid, jku: h.server.url("/evil/jwks") }, attacker));
    expectDeny(o, 401, "token.signature_invalid");
    expect(h.server.count("/evil/jwks")).toBe(0);
  });

  it.each([
    ["legitimate kid", keyA.kid, "token.signature_invalid"],
    ["attacker kid", attacker.kid, "token.kid_unknown"],
  ])("AK-18 embedded jwk header with %s → DENY(401, %s)", async (_n, kid, reason) => {
    expectDeny(await call(sign({ alg: "RS256", kid, jwk: attacker.publicJwk }, attacker)), 401, reason);
  });

  it.each([
    ["legitimate kid", keyA.kid, "token.signature_invalid"],
    ["attacker kid", attacker.kid, "token.kid_unknown"],
  ])("AK-19 x5u/x5c headers with %s → DENY(401, %s), never fetched", async (_n, kid, reason) => {
    const o = await call(sign({ alg: "RS256", kid, x5u: h.server.url("/evil/cert"), x5c: ["MIIB"] }, attacker));
    expectDeny(o, 401, reason);
    expect(h.server.count("/evil/cert")).toBe(0);
  });

  it("AK-20 legitimate token carrying benign jku and x5t → ALLOW(claims), jku not fetched", async () => {
    const o = await call(sign({ alg: "RS256", typ: "at+jwt", kid: keyA.kid, jku: h.server.url("/evil/jwks"), x5t: "abc" }, keyA));
    expectAllow(o, ALLOWED);
    expect(h.server.count("/evil/jwks")).toBe(0);
  });

  it.each([
    ["AK-21", { crit: ["exp-x"], "exp-x": 1 }],
    ["AK-22", { crit: ["b64"], b64: false }],
    ["AK-23", { b64: false }],
    ["AK-24", { crit: [] }],
    ["AK-24", { crit: "exp" }],
    ["AK-24", { crit: ["alg"] }],
  ])("%s header %j → DENY(401, token.crit_unsupported)", async (_id, extra) => {
    expectDeny(await call(sign({ alg: "RS256", kid: keyA.kid, ...extra }, keyA)), 401, "token.crit_unsupported");
  });

  it("AK-25 JWKS key for the kid is RSA-1024 → DENY(401, token.key_too_weak) + ERROR log", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(weak) });
    const mark = logMark();
    expectDeny(await call(sign({ alg: "RS256", kid: weak.kid }, weak)), 401, "token.key_too_weak");
    expect(logRecordsSince(mark).some((r) => r.level === "ERROR" && r.bits === 1024)).toBe(true);
  });

  it("AK-26 JWKS entry for the kid has use enc → DENY(401, token.signature_invalid)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: { keys: [{ ...keyA.publicJwk, use: "enc" }] } });
    expectDeny(await call(sign({ alg: "RS256", kid: keyA.kid }, keyA)), 401, "token.signature_invalid");
  });

  it("AK-27 JWKS entry for the kid is kty oct → DENY(401, token.signature_invalid)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: { keys: [{ kty: "oct", k: b64url("secret-secret-secret"), kid: keyA.kid }] } });
    expectDeny(await call(sign({ alg: "RS256", kid: keyA.kid }, keyA)), 401, "token.signature_invalid");
  });

  it("AK-28 two JWKS entries with the same kid, token signed by the second → DENY(401, token.signature_invalid)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: { keys: [keyA.publicJwk, { ...attacker.publicJwk, kid: keyA.kid }] } });
    expectDeny(await call(sign({ alg: "RS256", kid: keyA.kid }, attacker)), 401, "token.signature_invalid");
  });

  it.each([
    ["ES256", ec, ["ES256"]],
    ["ES512", ec521, ["ES512"]],
    ["EdDSA", ed, ["EdDSA"]],
  ] as const)("%s tokens verify when the issuer allows the algorithm and the key fits → ALLOW(claims)", async (alg, key, list) => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(key) });
    expectAllow(await call(sign({ alg, kid: key.kid }, key), algorithms([...list])), ALLOWED);
  });
});
