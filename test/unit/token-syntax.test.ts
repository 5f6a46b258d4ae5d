import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerToken } from "../support/secrets.js";
import { b64url } from "../support/tokens.js";
import {
  baseClaims,
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  keyA,
  mcpEvent,
  qualified,
  rawToken,
  run,
  tokenA,
  withAuth,
} from "../support/harness.js";

/** docs/security.md §3 group B: token syntax and encoding. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const HEADER = { alg: "RS256", typ: "at+jwt", kid: keyA.kid };
const callWith = async (token: string) => {
  registerToken(token);
  return run(h.handler(), mcpEvent({ headers: withAuth(token) }));
};
const payloadText = (extra: Record<string, unknown> = {}) => JSON.stringify(baseClaims(extra));

describe("B. Token syntax and encoding (TS)", () => {
  it.each([
    ["2 segments", (t: string) => t.split(".").slice(0, 2).join(".")],
    ["4 segments", (t: string) => `${t}.${t.split(".")[2]}`],
  ])("TS-01 %s → DENY(401, token.malformed)", async (_n, mangle) => {
    expectDeny(await callWith(mangle(tokenA())), 401, "token.malformed");
  });

  it("TS-01 5 segments (JWE compact) → DENY(401, token.unsupported_format)", async () => {
    const jwe = [
      b64url(JSON.stringify({ alg: "RSA-OAEP", enc: "A256GCM" })),
      "a".repeat(40),
      "b".repeat(16),
      "c".repeat(40),
      "d".repeat(22),
    ].join(".");
    expectDeny(await callWith(jwe), 401, "token.unsupported_format");
  });

  it.each([
    [
      "empty payload segment",
      (t: string) => {
        const [a, , c] = t.split(".");
        return `${a}..${c}`;
      },
    ],
    [
      "null signature",
      (t: string) => {
        const [a, b] = t.split(".");
        return `${a}.${b}.`;
      },
    ],
  ])("TS-02 %s → DENY(401, token.malformed)", async (_n, mangle) => {
    expectDeny(await callWith(mangle(tokenA())), 401, "token.malformed");
  });

  it.each(["+", "/", "%2E", "\t", "\n"])("TS-03 %j inside a segment → DENY(401, token.malformed)", async (ch) => {
    const [a, b, c] = tokenA().split(".");
    expectDeny(await callWith(`${a}.${b!.slice(0, 10)}${ch}${b!.slice(10)}.${c}`), 401, "token.malformed");
  });

  it.each([0, 1])("TS-04 = padding on segment %i → DENY(401, token.malformed)", async (index) => {
    const parts = tokenA().split(".");
    parts[index] = `${parts[index]}=`;
    expectDeny(await callWith(parts.join(".")), 401, "token.malformed");
  });

  it("TS-05 == appended to the signature → DENY(401, token.malformed)", async () => {
    expectDeny(await callWith(`${tokenA()}==`), 401, "token.malformed");
  });

  it("TS-06 signature with a non-canonical last character (same bytes) → DENY(401, token.malformed)", async () => {
    const token = tokenA();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sig = token.split(".")[2]!;
    const twin = sig.slice(0, -1) + alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1];
    expect(Buffer.from(twin, "base64url").equals(Buffer.from(sig, "base64url"))).toBe(true);
    expectDeny(await callWith(token.slice(0, -sig.length) + twin), 401, "token.malformed");
  });

  it("TS-06 header or payload segment with non-canonical trailing bits → DENY(401, token.malformed)", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let text = payloadText();
    while (b64url(text).length % 4 !== 2) text = `${text.slice(0, -1)} }`;
    const [h, p, sig] = rawToken(HEADER, text).split(".");
    const twin = p!.slice(0, -1) + alphabet[alphabet.indexOf(p!.at(-1)!) ^ 1];
    expect(Buffer.from(twin, "base64url").equals(Buffer.from(p!, "base64url"))).toBe(true);
    expectDeny(await callWith(`${h}.${twin}.${sig}`), 401, "token.malformed");
  });

  it.each(["[1,2]", '"RS256"', "42", "null"])("TS-07 header decodes to %s → DENY(401, token.malformed)", async (header) => {
    expectDeny(await callWith(rawToken(header, payloadText())), 401, "token.malformed");
  });

  it.each([
    ["not JSON", () => "hello"],
    ["trailing garbage", () => `${payloadText()}x`],
    ["UTF-8 BOM prefix", () => `\ufeff${payloadText()}`],
  ])("TS-08 payload %s → DENY(401, token.malformed)", async (_n, payload) => {
    expectDeny(await callWith(rawToken(HEADER, payload())), 401, "token.malformed");
  });

  it("TS-09 invalid UTF-8 inside sub → DENY(401, token.invalid_utf8)", async () => {
    const bytes = Buffer.from(payloadText({ sub: "u-~" }), "utf8");
    bytes[bytes.indexOf("u-~") + 2] = 0xff;
    expectDeny(await callWith(rawToken(HEADER, bytes)), 401, "token.invalid_utf8");
  });

  it("TS-10 payload nested 100 000 levels (≈270 KB) → DENY(401, token.too_large)", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const token = rawToken(HEADER, `{"a":${deep}}`);
    expectDeny(await callWith(token), 401, "token.too_large");
  });

  it("TS-10 payload nested ≈5 000 levels (under the size cap) → DENY(401, token.malformed), no crash", async () => {
    const claims = payloadText().slice(1, -1);
    const token = rawToken(HEADER, `{${claims},"deep":${"[".repeat(5_000)}${"]".repeat(5_000)}}`);
    expect(token.length).toBeLessThan(16_384);
    expectDeny(await callWith(token), 401, "token.malformed");
  });

  it("TS-11 duplicate sub in a correctly signed payload → DENY(401, token.duplicate_member)", async () => {
    const token = rawToken(HEADER, payloadText().replace('"sub":"u-1"', '"sub":"u-1","sub":"admin"'));
    expectDeny(await callWith(token), 401, "token.duplicate_member");
  });

  it("TS-12 duplicate alg in the header → DENY(401, token.duplicate_member)", async () => {
    const token = rawToken(`{"alg":"none","typ":"at+jwt","kid":"${keyA.kid}","alg":"RS256"}`, payloadText(), keyA, "RS256");
    expectDeny(await callWith(token), 401, "token.duplicate_member");
  });

  it("TS-13 duplicate member spelled with escapes (s\\u0075b) → DENY(401, token.duplicate_member)", async () => {
    const token = rawToken(HEADER, payloadText().replace('"sub":"u-1"', '"sub":"u-1","s\\u0075b":"admin"'));
    expectDeny(await callWith(token), 401, "token.duplicate_member");
  });

  it("TS-14 payload with __proto__ → ALLOW(claims), policy sees no admin, Object.prototype unchanged", async () => {
    const token = rawToken(HEADER, `{"__proto__":{"admin":true},${payloadText().slice(1)}`);
    const o = await callWith(token);
    expectAllow(o, { "X-User-Sub": qualified(ISSUER_A, "u-1") });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("admin");
  });

  it("TS-15 header cty JWT (nested) → DENY(401, token.unsupported_format)", async () => {
    expectDeny(await callWith(rawToken({ ...HEADER, cty: "JWT" }, payloadText())), 401, "token.unsupported_format");
  });

  it.each([{ enc: "A256GCM" }, { zip: "DEF" }])(
    "TS-16 header %j in a 3-segment token → DENY(401, token.unsupported_format)",
    async (extra) => {
      expectDeny(await callWith(rawToken({ ...HEADER, ...extra }, payloadText())), 401, "token.unsupported_format");
    },
  );

  it("TS-17 Bearer prefix duplicated → DENY(400, auth.malformed)", async () => {
    const o = await run(h.handler(), mcpEvent({ headers: { authorization: `Bearer Bearer ${tokenA()}` } }));
    expectDeny(o, 400, "auth.malformed");
  });
});
