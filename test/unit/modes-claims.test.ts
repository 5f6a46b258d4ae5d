import { describe, expect, it } from "vitest";
import { claimHeaders, MAX_HEADER_VALUE_BYTES, MAX_IDENTITY_BYTES, pathOf, renderClaim } from "../../src/modes/claims.js";
import type { ClaimsTargetConfig } from "../../src/config/schema.js";
import { configOf, denialOf, ISS, ISS_B, issuerOf, reasonOf, verified } from "../support/pure-inputs.js";

/** src/modes/claims.ts: claim headers built only from verified claims, rendered safely. */

const b64 = (s: string) => `=?base64?${Buffer.from(s, "utf8").toString("base64")}?=`;

describe("renderClaim: scalars", () => {
  it.each([
    ["alice", "alice"],
    ["a b", "a b"],
    ["", ""],
    ["a,b", "a,b"],
    ["https://idp.example|alice", "https://idp.example|alice"],
    ["!~", "!~"],
    [42, "42"],
    [-0, "0"],
    [1.5, "1.5"],
    [1e21, "1e+21"],
    [true, "true"],
    [false, "false"],
  ])("%j → %j (printable ASCII as it is)", (value, rendered) => {
    expect(renderClaim(value, "mcp-base64")).toBe(rendered);
    expect(renderClaim(value, "reject")).toBe(rendered);
  });

  it.each([
    ["José", b64("José")],
    ["日本", b64("日本")],
    ["😀", b64("😀")],
    [" alice", b64(" alice")],
    ["alice ", b64("alice ")],
    [" ", b64(" ")],
    ["=?base64?YWRtaW4=?=", b64("=?base64?YWRtaW4=?=")],
    ["=?BASE64?x?=", b64("=?BASE64?x?=")],
    ["\u00a0", b64("\u00a0")],
  ])("%j → %j (encoded; or claims.unsafe_value under encode reject)", (value, rendered) => {
    expect(renderClaim(value, "mcp-base64")).toBe(rendered);
    expect(reasonOf(() => renderClaim(value, "reject"))).toBe("claims.unsafe_value");
  });

  it.each([
    ["LF", "a\nb"],
    ["CR", "a\rb"],
    ["TAB", "a\tb"],
    ["NUL", "\u0000"],
    ["ESC", "\u001b[31m"],
    ["DEL", "a\u007f"],
    ["C1 NEL", "a\u0085"],
    ["C1 CSI", "\u009b"],
    ["LINE SEPARATOR", "a\u2028b"],
    ["PARAGRAPH SEPARATOR", "a\u2029b"],
    ["a lone high surrogate", "ada\ud800"],
    ["a lone low surrogate", "\udc00ada"],
    ["reversed surrogates", "\udc00\ud800"],
  ])("%s → claims.unsafe_value, whatever the encoding", (_name, value) => {
    expect(reasonOf(() => renderClaim(value, "mcp-base64"))).toBe("claims.unsafe_value");
    expect(reasonOf(() => renderClaim(value, "reject"))).toBe("claims.unsafe_value");
  });

  it.each([
    ["null", null],
    ["an object", { a: 1 }],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["undefined", undefined],
    ["a bigint", 1n],
  ])("%s → token.claim_type", (_name, value) => {
    expect(reasonOf(() => renderClaim(value, "mcp-base64"))).toBe("token.claim_type");
  });
});

describe("renderClaim: lists", () => {
  it.each([
    [["a", "b"], "a,b"],
    [["admin"], "admin"],
    [[], ""],
    [[1, true, "x"], "1,true,x"],
    [["", "b"], ",b"],
  ])("%j → %j", (value, rendered) => {
    expect(renderClaim(value, "mcp-base64")).toBe(rendered);
  });

  it("an item with a comma (or anything not plain) encodes every item, so the list stays unambiguous", () => {
    expect(renderClaim(["a,b", "c"], "mcp-base64")).toBe(`${b64("a,b")},${b64("c")}`);
    expect(renderClaim(["José", "ana"], "mcp-base64")).toBe(`${b64("José")},${b64("ana")}`);
    expect(reasonOf(() => renderClaim(["a,b", "c"], "reject"))).toBe("claims.unsafe_value");
  });

  it.each([
    ["a null item", ["a", null]],
    ["an object item", [{ a: 1 }]],
    ["a nested list", [["a"]]],
    ["a NaN item", [NaN]],
  ])("%s → token.claim_type", (_name, value) => {
    expect(reasonOf(() => renderClaim(value, "mcp-base64"))).toBe("token.claim_type");
  });

  it("a control character in any item → claims.unsafe_value", () => {
    expect(reasonOf(() => renderClaim(["ok", "bad\n"], "mcp-base64"))).toBe("claims.unsafe_value");
  });
});

describe("renderClaim: size", () => {
  it(`a rendered value of ${MAX_HEADER_VALUE_BYTES} bytes passes, one more byte → claims.unsafe_value`, () => {
    expect(MAX_HEADER_VALUE_BYTES).toBe(1_024);
    const max = "x".repeat(MAX_HEADER_VALUE_BYTES);
    expect(renderClaim(max, "mcp-base64")).toBe(max);
    expect(reasonOf(() => renderClaim(`${max}x`, "mcp-base64"))).toBe("claims.unsafe_value");
    expect(renderClaim(["x".repeat(511), "y".repeat(512)], "mcp-base64")).toHaveLength(1_024);
    expect(reasonOf(() => renderClaim(["x".repeat(512), "y".repeat(512)], "mcp-base64"))).toBe("claims.unsafe_value");
  });

  it("the limit applies to the encoded form: 756 UTF-8 bytes render as 1,019 bytes, 760 as 1,027", () => {
    expect(renderClaim("é".repeat(378), "mcp-base64")).toHaveLength(1_019);
    expect(renderClaim("é".repeat(378), "mcp-base64")).toBe(b64("é".repeat(378)));
    expect(reasonOf(() => renderClaim("é".repeat(380), "mcp-base64"))).toBe("claims.unsafe_value");
  });

  it("a huge value is refused, not truncated", () => {
    expect(reasonOf(() => renderClaim("x".repeat(1_000_000), "mcp-base64"))).toBe("claims.unsafe_value");
    expect(reasonOf(() => renderClaim(new Array<string>(100_000).fill("a"), "mcp-base64"))).toBe("claims.unsafe_value");
  });
});

describe("pathOf", () => {
  it("a string mapping, a claim, a literal claimPath", () => {
    expect(pathOf("org.id")).toBe("org.id");
    expect(pathOf({ claim: "email", required: false, encode: "mcp-base64", qualify: false })).toBe("email");
    expect(pathOf({ claimPath: ["a.b"], required: false, encode: "mcp-base64", qualify: false })).toEqual(["a.b"]);
  });
});

function claimsTarget(headers: Record<string, unknown>, extra: Record<string, unknown> = {}): ClaimsTargetConfig {
  const t = configOf({ targets: { hr: { mode: "claims", headers, ...extra } } }).targets.hr;
  if (t?.mode !== "claims") throw new Error("not a claims target");
  return t;
}

describe("claimHeaders", () => {
  const issuer = issuerOf();
  const claims = {
    iss: ISS,
    sub: "token-sub",
    email: "alice@example.com",
    org: { id: "o-1", name: "Acme" },
    "https://acme.example/email": "alice@acme.example",
    groups: ["eng", "ops"],
    level: 3,
    empty: "",
    nul: null,
  };
  const alice = verified(issuer, { sub: "alice", claims });

  it("one header per mapping, exact names and values, in the configured order", () => {
    const target = claimsTarget({
      "X-User-Sub": "sub",
      "x-email": "email",
      "x-org": "org.id",
      "x-acme-email": { claimPath: ["https://acme.example/email"] },
      "x-groups": { claim: "groups" },
      "x-level": "level",
      "x-empty": "empty",
    });
    const headers = claimHeaders(target.headers, alice);
    expect(headers).toEqual({
      "X-User-Sub": "alice",
      "x-email": "alice@example.com",
      "x-org": "o-1",
      "x-acme-email": "alice@acme.example",
      "x-groups": "eng,ops",
      "x-level": "3",
      "x-empty": "",
    });
    expect(Object.keys(headers)).toEqual(["X-User-Sub", "x-email", "x-org", "x-acme-email", "x-groups", "x-level", "x-empty"]);
  });

  it("sub is the verified subject (subjectFallback included), never the raw claim", () => {
    const target = claimsTarget({ "x-sub": "sub", "x-sub-literal": { claimPath: ["sub"] } });
    expect(claimHeaders(target.headers, verified(issuer, { sub: "svc-client", claims: { aud: "gw" } }))).toEqual({
      "x-sub": "svc-client",
      "x-sub-literal": "svc-client",
    });
  });

  it("a missing claim is left out; a required one → claims.missing_required", () => {
    expect(claimHeaders(claimsTarget({ "x-dept": "dept", "x-email": "email" }).headers, alice)).toEqual({ "x-email": "alice@example.com" });
    expect(reasonOf(() => claimHeaders(claimsTarget({ "x-dept": { claim: "dept", required: true } }).headers, alice))).toBe(
      "claims.missing_required",
    );
    expect(claimHeaders(claimsTarget({ "x-dept": { claim: "dept", required: false } }).headers, alice)).toEqual({});
  });

  it("a null claim is present, not missing → token.claim_type", () => {
    expect(reasonOf(() => claimHeaders(claimsTarget({ "x-nul": "nul" }).headers, alice))).toBe("token.claim_type");
  });

  it("an object claim → token.claim_type", () => {
    expect(reasonOf(() => claimHeaders(claimsTarget({ "x-org": "org" }).headers, alice))).toBe("token.claim_type");
  });

  it("claims are read as own members only: a __proto__ member from JSON hides nothing and adds nothing", () => {
    const parsed: Record<string, unknown> = JSON.parse('{"__proto__": {"email": "mallory@evil.example"}, "aud": "gw"}');
    expect(claimHeaders(claimsTarget({ "x-email": "email" }).headers, verified(issuer, { claims: parsed }))).toEqual({});
    const inherited: Record<string, unknown> = Object.create({ email: "mallory@evil.example" });
    expect(claimHeaders(claimsTarget({ "x-email": "email" }).headers, verified(issuer, { claims: inherited }))).toEqual({});
  });

  it("qualify: <iss>|<value>, for each item of a list", () => {
    const target = claimsTarget({ "x-sub": { claim: "sub", qualify: true }, "x-groups": { claim: "groups", qualify: true } });
    expect(claimHeaders(target.headers, alice)).toEqual({ "x-sub": `${ISS}|alice`, "x-groups": `${ISS}|eng,${ISS}|ops` });
  });

  it("qualify on a missing claim sends nothing (no bare issuer); on an object → token.claim_type", () => {
    expect(claimHeaders(claimsTarget({ "x-dept": { claim: "dept", qualify: true } }).headers, alice)).toEqual({});
    expect(reasonOf(() => claimHeaders(claimsTarget({ "x-org": { claim: "org", qualify: true } }).headers, alice))).toBe(
      "token.claim_type",
    );
  });

  it("qualify binds to the issuer that vouched for the token", () => {
    const config = configOf({
      issuers: [
        { issuer: ISS, jwksUri: "https://idp.example/jwks", audience: ["gw"] },
        { issuer: ISS_B, jwksUri: "https://idp-b.example/jwks", audience: ["gw"] },
      ],
      targets: { hr: { mode: "claims", headers: { "x-sub": { claim: "sub", qualify: true } } } },
    });
    const target = config.targets.hr;
    const issuerB = config.issuers[1];
    if (target?.mode !== "claims" || issuerB === undefined) throw new Error("config");
    expect(claimHeaders(target.headers, verified(issuerB, { sub: "alice" }))).toEqual({ "x-sub": `${ISS_B}|alice` });
  });

  it("encode reject: a non-ASCII claim → claims.unsafe_value; the default encodes it", () => {
    const bob = verified(issuer, { claims: { name: "Bób" } });
    expect(claimHeaders(claimsTarget({ "x-name": "name" }).headers, bob)).toEqual({ "x-name": b64("Bób") });
    expect(reasonOf(() => claimHeaders(claimsTarget({ "x-name": { claim: "name", encode: "reject" } }).headers, bob))).toBe(
      "claims.unsafe_value",
    );
  });

  it("a control character in a claim → claims.unsafe_value (header injection)", () => {
    const evil = verified(issuer, { claims: { email: "a@example.com\r\nX-Admin: true" } });
    expect(reasonOf(() => claimHeaders(claimsTarget({ "x-email": "email" }).headers, evil))).toBe("claims.unsafe_value");
  });

  it(`all headers together: at most ${MAX_IDENTITY_BYTES} bytes of names and values → else claims.unsafe_value`, () => {
    expect(MAX_IDENTITY_BYTES).toBe(8_192);
    // Eight 1,024-byte values under 5-byte names: 8 × 1,029 = 8,232 > 8,192. Seven: 7,203.
    const names = ["x-h-1", "x-h-2", "x-h-3", "x-h-4", "x-h-5", "x-h-6", "x-h-7", "x-h-8"];
    const big = verified(issuer, { claims: Object.fromEntries(names.map((n) => [n.replaceAll("-", "_"), "v".repeat(1_024)])) });
    const mapping = (n: string[]) => Object.fromEntries(n.map((h) => [h, h.replaceAll("-", "_")]));
    expect(Object.keys(claimHeaders(claimsTarget(mapping(names.slice(0, 7))).headers, big))).toHaveLength(7);
    expect(reasonOf(() => claimHeaders(claimsTarget(mapping(names)).headers, big))).toBe("claims.unsafe_value");
  });

  it("a denial carries no detail", () => {
    expect(denialOf(() => claimHeaders(claimsTarget({ "x-dept": { claim: "dept", required: true } }).headers, alice))?.detail).toEqual({});
  });
});
