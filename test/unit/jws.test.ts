import { describe, expect, it } from "vitest";
import { decodeJws, normaliseMediaType } from "../../src/auth/jws.js";
import { reasonOf } from "../support/pure-inputs.js";

/** src/auth/jws.ts: strict decoding of a compact JWS before any library sees it. */

const seg = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v), "utf8").toString("base64url");
const rawSeg = (bytes: number[] | Buffer) => Buffer.from(bytes).toString("base64url");
const SIG = "c2lnbmF0dXJl"; // "signature", length 12: no partial quantum
const HEADER = { alg: "RS256", kid: "k1", typ: "JWT" };
const PAYLOAD = { iss: "https://idp.example", sub: "alice", exp: 1_800_000_000 };
const token = (header: unknown = HEADER, payload: unknown = PAYLOAD, sig = SIG) => `${seg(header)}.${seg(payload)}.${sig}`;

describe("decodeJws: a well-formed token", () => {
  it("returns the header, payload, alg and kid exactly", () => {
    expect(decodeJws(token())).toEqual({ header: HEADER, payload: PAYLOAD, alg: "RS256", kid: "k1" });
  });

  it("kid and typ are optional; unknown header members are kept", () => {
    expect(decodeJws(token({ alg: "ES256", x5t: "t" }))).toEqual({
      header: { alg: "ES256", x5t: "t" },
      payload: PAYLOAD,
      alg: "ES256",
      kid: undefined,
    });
  });

  it("any alg string is decoded (the allowlist is the verifier's), even none or an empty string", () => {
    expect(decodeJws(token({ alg: "none" })).alg).toBe("none");
    expect(decodeJws(token({ alg: "" })).alg).toBe("");
  });

  it("a huge payload member and a long kid decode unchanged (no size rule here: the bearer reader caps the header)", () => {
    const big = "x".repeat(100_000);
    const out = decodeJws(token({ alg: "RS256", kid: big }, { ...PAYLOAD, blob: big }));
    expect(out.kid).toBe(big);
    expect(out.payload.blob).toBe(big);
  });

  it("a __proto__ member stays an own data property and pollutes nothing (its crit is not the header's)", () => {
    const header = `{"alg":"RS256","__proto__":{"crit":["exp"],"enc":"A128GCM"}}`;
    const out = decodeJws(`${seg(header)}.${seg(`{"__proto__":{"admin":true},"sub":"alice"}`)}.${SIG}`);
    expect(Object.getPrototypeOf(out.header)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(out.payload)).toBe(Object.prototype);
    expect(Object.hasOwn(out.payload, "__proto__")).toBe(true);
    expect(Reflect.get(out.payload, "admin")).toBeUndefined();
    expect(Reflect.get({}, "admin")).toBeUndefined();
  });

  it("nesting: 32 levels of objects decode, 33 are token.malformed", () => {
    const nest = (n: number): string => (n === 0 ? "1" : `{"a":${nest(n - 1)}}`);
    expect(reasonOf(() => decodeJws(`${seg(HEADER)}.${seg(nest(32))}.${SIG}`))).toBeUndefined();
    expect(reasonOf(() => decodeJws(`${seg(HEADER)}.${seg(nest(33))}.${SIG}`))).toBe("token.malformed");
    const arrays = (n: number): string => `{"a":${"[".repeat(n)}${"]".repeat(n)}}`;
    expect(reasonOf(() => decodeJws(`${seg(HEADER)}.${seg(arrays(10_000))}.${SIG}`))).toBe("token.malformed");
  });
});

describe("decodeJws: structure", () => {
  it("five segments (a JWE) → token.unsupported_format", () => {
    expect(reasonOf(() => decodeJws(`${seg(HEADER)}.a.b.c.d`))).toBe("token.unsupported_format");
  });

  it.each([
    ["one segment", seg(HEADER)],
    ["two segments", `${seg(HEADER)}.${seg(PAYLOAD)}`],
    ["four segments", `${token()}.x`],
    ["six segments", `${token()}.x.y.z`],
    ["empty", ""],
    ["only dots", ".."],
    ["empty signature (unsecured JWS)", token(HEADER, PAYLOAD, "")],
    ["empty header", `.${seg(PAYLOAD)}.${SIG}`],
    ["empty payload", `${seg(HEADER)}..${SIG}`],
  ])("%s → token.malformed", (_name, value) => {
    expect(reasonOf(() => decodeJws(value))).toBe("token.malformed");
  });
});

describe("decodeJws: canonical base64url only", () => {
  it.each([
    ["padding", `${seg(HEADER)}=.${seg(PAYLOAD)}.${SIG}`],
    ["standard base64 +", token(HEADER, PAYLOAD, "ab+c")],
    ["standard base64 /", token(HEADER, PAYLOAD, "ab/c")],
    ["a space", token(HEADER, PAYLOAD, "ab c")],
    ["a line feed", token(HEADER, PAYLOAD, "ab\nc")],
    ["a NUL", token(HEADER, PAYLOAD, "ab\u0000c")],
    ["non-ASCII", token(HEADER, PAYLOAD, "abcé")],
    ["a fullwidth letter", token(HEADER, PAYLOAD, "abcＡ")],
    ["an impossible length (4n+1)", token(HEADER, PAYLOAD, "abcde")],
  ])("%s → token.malformed", (_name, value) => {
    expect(reasonOf(() => decodeJws(value))).toBe("token.malformed");
  });

  it("non-zero unused bits in the last character → token.malformed (two strings, one byte string)", () => {
    // Length 4n+2: the last character carries 2 bits, its low 4 must be zero ("AA" ok, "AB".."AP" not).
    expect(reasonOf(() => decodeJws(token(HEADER, PAYLOAD, "AA")))).toBeUndefined();
    expect(reasonOf(() => decodeJws(token(HEADER, PAYLOAD, "AQ")))).toBeUndefined();
    for (const last of ["B", "P", "R", "_"]) expect(reasonOf(() => decodeJws(token(HEADER, PAYLOAD, `A${last}`)))).toBe("token.malformed");
    // Length 4n+3: the last character carries 4 bits, its low 2 must be zero ("AAA", "AAE" ok; "AAB".."AAD" not).
    expect(reasonOf(() => decodeJws(token(HEADER, PAYLOAD, "AAE")))).toBeUndefined();
    for (const last of ["B", "C", "D", "F", "-"])
      expect(reasonOf(() => decodeJws(token(HEADER, PAYLOAD, `AA${last}`)))).toBe("token.malformed");
  });

  it("the same rule holds in the header and the payload", () => {
    const header = seg({ alg: "RS256", kid: "k" }); // 25 bytes: ends in a 2-bit character ("Q")
    const payload = seg({ sub: "alice12" }); // 17 bytes: ends in a 4-bit character ("0")
    expect(reasonOf(() => decodeJws(`${header}.${payload}.${SIG}`))).toBeUndefined();
    const bump = (s: string) => `${s.slice(0, -1)}${String.fromCharCode(s.charCodeAt(s.length - 1) + 1)}`;
    expect([header.length % 4, payload.length % 4].every((r) => r === 2 || r === 3)).toBe(true);
    expect(reasonOf(() => decodeJws(`${bump(header)}.${payload}.${SIG}`))).toBe("token.malformed");
    expect(reasonOf(() => decodeJws(`${header}.${bump(payload)}.${SIG}`))).toBe("token.malformed");
  });
});

describe("decodeJws: strict UTF-8 and strict JSON", () => {
  it.each([
    ["a 0xFF byte", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]],
    ["an overlong '/' (C0 AF)", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]],
    ["a UTF-8-encoded surrogate (ED A0 80)", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]],
    ["a truncated sequence", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d]],
  ])("payload with %s → token.invalid_utf8", (_name, bytes) => {
    expect(reasonOf(() => decodeJws(`${seg(HEADER)}.${rawSeg(bytes)}.${SIG}`))).toBe("token.invalid_utf8");
  });

  it("invalid UTF-8 in the header → token.invalid_utf8", () => {
    expect(reasonOf(() => decodeJws(`${rawSeg([0x7b, 0xff, 0x7d])}.${seg(PAYLOAD)}.${SIG}`))).toBe("token.invalid_utf8");
  });

  it("a byte order mark before the JSON → token.malformed", () => {
    expect(reasonOf(() => decodeJws(`${seg(HEADER)}.${rawSeg([0xef, 0xbb, 0xbf, 0x7b, 0x7d])}.${SIG}`))).toBe("token.malformed");
  });

  it.each([
    ["header", `{"alg":"RS256","alg":"none"}`, seg(PAYLOAD)],
    ["payload", seg(HEADER), `{"sub":"alice","sub":"mallory"}`],
    ["nested payload object", seg(HEADER), `{"org":{"id":"a","id":"b"}}`],
    ["payload __proto__ twice", seg(HEADER), `{"__proto__":1,"__proto__":2}`],
  ])("a duplicate member in the %s → token.duplicate_member", (_name, header, payload) => {
    const h = header.startsWith("{") ? seg(header) : header;
    const p = payload.startsWith("{") ? seg(payload) : payload;
    expect(reasonOf(() => decodeJws(`${h}.${p}.${SIG}`))).toBe("token.duplicate_member");
  });

  it.each([
    ["an array payload", "[]"],
    ["a string payload", `"alice"`],
    ["a null payload", "null"],
    ["a number payload", "1"],
    ["trailing garbage", `{"sub":"a"}x`],
    ["a trailing comma", `{"sub":"a",}`],
    ["single quotes", `{'sub':'a'}`],
    ["a comment", `{"sub":"a"/**/}`],
    ["NaN", `{"exp":NaN}`],
    ["a raw control character in a string", `{"sub":"a\u0001b"}`],
    ["two objects", `{}{}`],
    ["only whitespace", " "],
  ])("%s → token.malformed", (_name, payload) => {
    expect(reasonOf(() => decodeJws(`${seg(HEADER)}.${seg(payload)}.${SIG}`))).toBe("token.malformed");
  });
});

describe("decodeJws: header rules", () => {
  it.each([
    ["alg missing", { kid: "k1" }],
    ["alg a number", { alg: 256 }],
    ["alg an array", { alg: ["RS256"] }],
    ["alg null", { alg: null }],
    ["kid a number", { alg: "RS256", kid: 1 }],
    ["kid null", { alg: "RS256", kid: null }],
    ["typ an object", { alg: "RS256", typ: {} }],
    ["typ null", { alg: "RS256", typ: null }],
    ["header an array", ["RS256"]],
  ])("%s → token.malformed", (_name, header) => {
    expect(reasonOf(() => decodeJws(token(header)))).toBe("token.malformed");
  });

  it.each([
    ["cty JWT (a nested JWT)", { alg: "RS256", cty: "JWT" }],
    ["cty application/jwt", { alg: "RS256", cty: "application/jwt" }],
    ["cty APPLICATION/JWT", { alg: "RS256", cty: "APPLICATION/JWT" }],
    ["enc (a JWE header)", { alg: "RS256", enc: "A128GCM" }],
    ["zip", { alg: "RS256", zip: "DEF" }],
    ["enc even when null", { alg: "RS256", enc: null }],
  ])("%s → token.unsupported_format", (_name, header) => {
    expect(reasonOf(() => decodeJws(token(header)))).toBe("token.unsupported_format");
  });

  it.each([
    ["crit", { alg: "RS256", crit: ["exp"] }],
    ["crit empty", { alg: "RS256", crit: [] }],
    ["b64 false (RFC 7797)", { alg: "RS256", b64: false }],
    ["b64 true", { alg: "RS256", b64: true }],
  ])("%s → token.crit_unsupported", (_name, header) => {
    expect(reasonOf(() => decodeJws(token(header)))).toBe("token.crit_unsupported");
  });

  it("cty other than JWT (or not a string) passes", () => {
    expect(reasonOf(() => decodeJws(token({ alg: "RS256", cty: "json" })))).toBeUndefined();
    expect(reasonOf(() => decodeJws(token({ alg: "RS256", cty: 1 })))).toBeUndefined();
    expect(reasonOf(() => decodeJws(token({ alg: "RS256", cty: "jwt " })))).toBeUndefined();
  });

  it("order: the header is decoded, then the payload, then the header rules apply", () => {
    expect(reasonOf(() => decodeJws(`${seg(`{"alg":1,"alg":2}`)}.${rawSeg([0xff])}.${SIG}`))).toBe("token.duplicate_member");
    expect(reasonOf(() => decodeJws(`${seg({ alg: "RS256", crit: [] })}.${seg("[]")}.${SIG}`))).toBe("token.malformed");
  });
});

describe("normaliseMediaType (RFC 7515 §4.1.9)", () => {
  it.each([
    ["JWT", "jwt"],
    ["application/JWT", "jwt"],
    ["Application/At+JWT", "at+jwt"],
    ["at+jwt", "at+jwt"],
    ["application/", ""],
    ["", ""],
    ["xapplication/jwt", "xapplication/jwt"],
    ["application/application/jwt", "application/jwt"],
    [" application/jwt", " application/jwt"],
  ])("%j → %j", (input, output) => {
    expect(normaliseMediaType(input)).toBe(output);
  });
});
