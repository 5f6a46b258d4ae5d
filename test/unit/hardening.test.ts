import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearerToken } from "../../src/auth/bearer.js";
import { parseConfig } from "../../src/config/load.js";
import { HeaderBag } from "../../src/event/headers.js";
import { redact } from "../../src/log.js";
import { Denial } from "../../src/errors.js";
import {
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  ISSUER_B,
  type Json,
  mcpEvent,
  qualified,
  run,
  tokenA,
  tokenB,
} from "../support/harness.js";

/**
 * Defects found by an outside black-box attack on the built bundle, one block each.
 * Every test here failed before its fix.
 */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

/** Median wall time of `fn` over `runs` calls, in ms (a median so one scheduler hiccup does not count). */
function medianMs(fn: () => void, runs = 25): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const reasonOf = (fn: () => unknown): string => {
  try {
    fn();
    return "none";
  } catch (err) {
    return err instanceof Denial ? err.reason : `threw ${String(err)}`;
  }
};

describe("defect 1: every parse of the Authorization header is linear", () => {
  // Whitespace runs that made the old trim (`/^[ \t]+|[ \t]+$/g`) scan the rest of the value from
  // every blank: "Bearer" + 16 370 spaces + "x" cost about 220 ms.
  const worstCases = (cap: number): [string, string][] => [
    ["Bearer + spaces + x", `Bearer${" ".repeat(cap - 7)}x`],
    ["Bearer + tabs + x", `Bearer${"\t".repeat(cap - 7)}x`],
    ["Bearer + mixed blanks + x", `Bearer${" \t".repeat((cap - 8) / 2)}x`],
    ["spaces + Bearer x", `${" ".repeat(cap - 8)}Bearer x`],
    ["Bearer x + blanks + y", `Bearer x${" \t".repeat((cap - 10) / 2)}y`],
    ["only blanks", " ".repeat(cap)],
    ["Bearer + space + commas", `Bearer ${",".repeat(cap - 7)}`],
  ];

  for (const cap of [16_384, 65_536]) {
    // Relative, not a wall-time budget: the worst case may cost at most 50 times a plain token of the
    // same length (a linear parse stays near 1×; the old quadratic trim was thousands of times slower).
    it.each(worstCases(cap))(`a worst-case header at the ${cap}-byte cap (%s) costs about what a plain one does`, (_name, value) => {
      expect(value.length).toBeLessThanOrEqual(cap);
      const headers = new HeaderBag({ authorization: value });
      const plain = new HeaderBag({ authorization: `Bearer ${"a".repeat(value.length - 7)}` });
      const baseline = Math.max(
        medianMs(() => reasonOf(() => bearerToken(plain, "/mcp", cap))),
        0.02,
      );
      const ms = medianMs(() => reasonOf(() => bearerToken(headers, "/mcp", cap)));
      expect(ms, `${ms.toFixed(3)} ms against ${baseline.toFixed(3)} ms for a plain header`).toBeLessThan(baseline * 50);
    });
  }

  it("the trim still accepts blanks around the value and refuses them inside", () => {
    const bag = (v: string) => new HeaderBag({ Authorization: v });
    expect(bearerToken(bag(" \t Bearer abc \t "), undefined, 1024)).toBe("abc");
    expect(bearerToken(bag("Bearer   abc"), undefined, 1024)).toBe("abc");
    expect(reasonOf(() => bearerToken(bag("Bearer\tabc"), undefined, 1024))).toBe("auth.malformed");
    expect(reasonOf(() => bearerToken(bag(" \t "), undefined, 1024))).toBe("auth.malformed");
    expect(reasonOf(() => bearerToken(bag("Bearer abc def"), undefined, 1024))).toBe("auth.malformed");
    expect(reasonOf(() => bearerToken(bag("Bearer \u00a0abc"), undefined, 1024))).toBe("none");
  });

  it("the log redaction is linear too (a value of many `eyJ` without dots)", () => {
    const value = "eyJ".repeat(20_000);
    expect(medianMs(() => redact("field", value), 5)).toBeLessThan(20);
    expect(redact("field", `a eyJhbGciOi.eyJzdWIi.c2ln b`)).toBe("a [REDACTED] b");
    expect(redact("field", `x eyJhbGciOi.eyJzdWIi. y`)).toBe("x [REDACTED] y");
    expect(redact("field", `prefix-eyJhbGciOi.eyJzdWIi.sig`)).not.toContain("eyJzdWIi");
  });
});

describe("defect 2: an on-behalf-of target never receives another issuer's users", () => {
  const oboTarget = (grant: string, issuers?: string[]): Json => ({
    mode: "obo",
    ...(issuers !== undefined ? { issuers } : {}),
    obo: {
      grant,
      tokenEndpoint: "https://idp-a.example/token",
      clientId: "gw",
      clientSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf",
      ...(grant === "token-exchange" ? { audience: "erp-api" } : {}),
    },
  });
  const load = (target: Json, single = false) =>
    parseConfig(
      h.config((c) => {
        if (single) c.issuers = (c.issuers as Json[]).slice(0, 1);
        (c.targets as Json).erp = target;
      }),
    );

  it.each(["token-exchange", "cognito-client-metadata"])(
    "%s with two trusted issuers and no issuers restriction → config invalid, naming the field",
    (grant) => {
      const loaded = load(oboTarget(grant));
      expect(loaded.ok).toBe(false);
      expect(loaded.ok ? [] : loaded.problems).toEqual([expect.stringMatching(/^targets\.erp\.issuers: .*exactly one issuer/)]);
    },
  );

  it.each(["token-exchange", "cognito-client-metadata"])("%s restricted to both issuers → config invalid", (grant) => {
    const loaded = load(oboTarget(grant, [ISSUER_A, ISSUER_B]));
    expect(loaded.ok ? [] : loaded.problems).toEqual([expect.stringMatching(/^targets\.erp\.issuers: /)]);
  });

  it.each(["token-exchange", "cognito-client-metadata"])("%s restricted to one issuer, or with one trusted issuer → valid", (grant) => {
    expect(load(oboTarget(grant, [ISSUER_B])).ok).toBe(true);
    expect(load(oboTarget(grant), true).ok).toBe(true);
  });
});

describe("defect 3: sender-constrained tokens are not plain bearer tokens", () => {
  // RFC 9449 §6.1 (DPoP: cnf.jkt), RFC 8705 §3.1 (mTLS: cnf.x5t#S256), RFC 7800 §3.1 (cnf).
  const bound: [string, Json][] = [
    ["DPoP cnf.jkt", { cnf: { jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" } }],
    ["mTLS cnf.x5t#S256", { cnf: { "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" } }],
    ["cnf.jwk", { cnf: { jwk: { kty: "EC", crv: "P-256", x: "a", y: "b" } } }],
    ["an empty cnf", { cnf: {} }],
  ];

  it.each(bound)("%s on a claims target → DENY(401, token.sender_constrained)", async (_n, claims) => {
    expectDeny(await run(h.handler(), mcpEvent({ token: tokenA(claims) })), 401, "token.sender_constrained");
  });

  it.each(bound)("%s is never forwarded → DENY(401, token.sender_constrained)", async (_n, claims) => {
    const o = await run(
      h.handler(),
      mcpEvent({ name: "legacy___x", token: tokenA({ ...claims, aud: ["https://gateway.example/mcp", "legacy-resource"] }) }),
    );
    expectDeny(o, 401, "token.sender_constrained");
  });

  it("the same token without cnf is allowed", async () => {
    expectAllow(await run(h.handler(), mcpEvent({ token: tokenA() })), { "X-User-Sub": qualified(ISSUER_A, "u-1") });
  });
});

describe("defect 4: lone surrogates never collide with U+FFFD", () => {
  it.each(["ada\ud800", "ada\udc00", "\udfffada", "ada\ud800x"])("sub %j → DENY(403, claims.unsafe_value)", async (sub) => {
    expectDeny(await run(h.handler(), mcpEvent({ token: tokenA({ sub }) })), 403, "claims.unsafe_value");
  });

  it('sub "ada\\ufffd" and a proper surrogate pair are still encoded and sent', async () => {
    const b64 = (s: string) => `=?base64?${Buffer.from(s, "utf8").toString("base64")}?=`;
    expectAllow(await run(h.handler(), mcpEvent({ token: tokenA({ sub: "ada\ufffd" }) })), {
      "X-User-Sub": b64(qualified(ISSUER_A, "ada\ufffd")),
    });
    expectAllow(await run(h.handler(), mcpEvent({ token: tokenB({ sub: "ada\ud83d\ude00" }) })), {
      "X-User-Sub": b64(qualified(ISSUER_B, "ada\ud83d\ude00")),
    });
  });

  it("a lone surrogate inside a list claim → DENY(403, claims.unsafe_value)", async () => {
    expectDeny(await run(h.handler(), mcpEvent({ token: tokenA({ groups: ["a", "b\udbff"] }) })), 403, "claims.unsafe_value");
  });
});

describe("defect 5: maxTokenAgeSeconds fails closed without iat", () => {
  const maxAge = (c: Json) => {
    (c.issuers as Json[])[0]!.maxTokenAgeSeconds = 3_600;
  };

  it("no iat with maxTokenAgeSeconds set → DENY(401, token.claim_type)", async () => {
    expectDeny(await run(h.handler(maxAge), mcpEvent({ token: tokenA({ iat: undefined }) })), 401, "token.claim_type");
  });

  it("no iat without maxTokenAgeSeconds → ALLOW; with iat within the age → ALLOW", async () => {
    const allowed = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
    expectAllow(await run(h.handler(), mcpEvent({ token: tokenA({ iat: undefined }) })), allowed);
    expectAllow(await run(h.handler(maxAge), mcpEvent({ token: tokenA() })), allowed);
  });
});
