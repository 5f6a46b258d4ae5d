import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { expectAllow, expectDeny, Harness, ISSUER_A, type Json, mcpEvent, run, tokenA } from "../support/harness.js";

/**
 * docs/security.md §3 group K: claim-to-header injection. Target `strict` maps with `encode: "reject"`,
 * target `people` with the default `mcp-base64` encoding (docs/design.md).
 */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const mapping = (encode: "reject" | "mcp-base64") => ({
  mode: "claims",
  issuers: [ISSUER_A],
  headers: {
    "X-User-Email": { claim: "email", encode },
    "X-User-Groups": { claim: "groups", encode },
    "X-User-Name": { claim: "name", encode },
  },
});
const setup = (c: Json) => {
  Object.assign(c.targets as Json, { strict: mapping("reject"), people: mapping("mcp-base64") });
};
const call = (target: string, claims: Json) => run(h.handler(setup), mcpEvent({ name: `${target}___x`, token: tokenA(claims) }));
const b64 = (s: string) => `=?base64?${Buffer.from(s, "utf8").toString("base64")}?=`;

describe("K. Claim-to-header injection (HI)", () => {
  it("HI-01 sub with CR LF header injection → DENY(403, claims.unsafe_value), with any encoding", async () => {
    const o = await run(h.handler(setup), mcpEvent({ name: "orders___x", token: tokenA({ sub: "u\r\nX-Admin: true" }) }));
    expectDeny(o, 403, "claims.unsafe_value");
    expectDeny(await call("people", { name: "u\r\nX-Admin: true" }), 403, "claims.unsafe_value");
  });

  it.each(["\r", "\n", "\u0000", "\u007f", "\u001b[31m", "\u0085", "\u2028", "\u2029", "\t"])(
    "HI-02 control character %j → DENY(403, claims.unsafe_value) under reject and encode",
    async (ch) => {
      expectDeny(await call("strict", { name: `a${ch}b` }), 403, "claims.unsafe_value");
      expectDeny(await call("people", { name: `a${ch}b` }), 403, "claims.unsafe_value");
    },
  );

  it.each(["\u202e", "\u200b"])("HI-03 %j: reject → DENY(403, claims.unsafe_value); encode → sentinel", async (ch) => {
    expectDeny(await call("strict", { name: `a${ch}b` }), 403, "claims.unsafe_value");
    expectAllow(await call("people", { name: `a${ch}b` }), { "X-User-Name": b64(`a${ch}b`) });
  });

  it("HI-04 José: reject → DENY(403, claims.unsafe_value); encode → =?base64?Sm9zw6k=?=", async () => {
    expectDeny(await call("strict", { name: "José" }), 403, "claims.unsafe_value");
    expectAllow(await call("people", { name: "José" }), { "X-User-Name": "=?base64?Sm9zw6k=?=" });
  });

  it("HI-05 leading/trailing spaces: encode → sentinel; reject → DENY(403, claims.unsafe_value)", async () => {
    expectAllow(await call("people", { name: "  admin" }), { "X-User-Name": b64("  admin") });
    expectDeny(await call("strict", { name: "  admin" }), 403, "claims.unsafe_value");
  });

  it("HI-06 a plain value shaped like the sentinel: encode → encoded again; reject → DENY", async () => {
    expectAllow(await call("people", { name: "=?base64?YWRtaW4=?=" }), { "X-User-Name": b64("=?base64?YWRtaW4=?=") });
    expectDeny(await call("strict", { name: "=?base64?YWRtaW4=?=" }), 403, "claims.unsafe_value");
  });

  it("HI-07 a 2 KB email → DENY(403, claims.unsafe_value)", async () => {
    expectDeny(await call("people", { email: `${"a".repeat(2048)}@example.com` }), 403, "claims.unsafe_value");
  });

  it("HI-08 groups [eng, x,admin]: reject → DENY; encode → every element encoded, never eng,x,admin", async () => {
    expectDeny(await call("strict", { groups: ["eng", "x,admin"] }), 403, "claims.unsafe_value");
    expectAllow(await call("people", { groups: ["eng", "x,admin"] }), { "X-User-Groups": `${b64("eng")},${b64("x,admin")}` });
    expectAllow(await call("strict", { groups: ["eng", "ops"] }), { "X-User-Groups": "eng,ops" });
  });

  it("HI-09 groups [a, 5, null] → DENY(401, token.claim_type)", async () => {
    expectDeny(await call("people", { groups: ["a", 5, null] }), 401, "token.claim_type");
  });

  it("HI-10 groups an object → DENY(401, token.claim_type)", async () => {
    expectDeny(await call("people", { groups: { admin: true } }), 401, "token.claim_type");
  });

  it("HI-11 mapped claim absent: required → DENY(403, claims.missing_required); optional → header omitted", async () => {
    const required = (c: Json) => {
      (c.targets as Json).need = {
        mode: "claims",
        issuers: [ISSUER_A],
        headers: { "X-User-Email": { claim: "email", required: true }, "X-Org": "org" },
      };
    };
    expectDeny(await run(h.handler(required), mcpEvent({ name: "need___x" })), 403, "claims.missing_required");
    expectAllow(await call("people", { name: "ann" }), { "X-User-Name": "ann" });
  });

  it('HI-12 numeric 42 and boolean true → ALLOW(claims) with "42" and "true"', async () => {
    const o = await run(h.handler(), mcpEvent({ name: "crm___x", token: tokenA({ tenant_no: 42, org: { id: true } }) }));
    expectAllow(o, { "x-tenant-no": "42", "x-org-id": "true" });
  });

  it.each(["__proto__", "constructor", "toString", "org.__proto__.x"])("HI-13 mapping names claim %s → config.invalid", (claim) => {
    const loaded = parseConfig(h.config((c) => ((c.targets as Json).bad = { mode: "claims", headers: { "X-Bad": claim } })));
    expect(loaded.ok ? [] : loaded.problems).toEqual([
      "targets.bad.headers.X-Bad: must be a claim name or dotted path without empty or prototype segments",
    ]);
  });

  it.each(["X Bad", "X:Bad", "X-Ünicode", "Authorization", "Host", "Content-Length", "X-Amzn-User", "X-Forwarded-User", "Mcp-Session-Id"])(
    "HI-14 header name %j → config.invalid naming the field",
    (name) => {
      const loaded = parseConfig(h.config((c) => ((c.targets as Json).bad = { mode: "claims", headers: { [name]: "sub" } })));
      expect(loaded.ok).toBe(false);
      expect(loaded.ok ? "" : loaded.problems.join("\n")).toContain(`targets.bad.headers.${name}`);
    },
  );

  it("HI-15 two mappings whose names differ only in case → config.invalid", () => {
    const loaded = parseConfig(
      h.config((c) => ((c.targets as Json).bad = { mode: "claims", headers: { "X-User": "sub", "x-user": "email" } })),
    );
    expect(loaded.ok ? [] : loaded.problems).toEqual(["targets.bad.headers: header names must differ by more than letter case"]);
  });

  it("HI-16 identity headers totalling more than 8 192 bytes → DENY(403, claims.unsafe_value)", async () => {
    const headers = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`X-Big-${i}`, "big"]));
    const patch = (c: Json) => ((c.targets as Json).big = { mode: "claims", issuers: [ISSUER_A], headers });
    const o = await run(h.handler(patch), mcpEvent({ name: "big___x", token: tokenA({ big: "b".repeat(900) }) }));
    expectDeny(o, 403, "claims.unsafe_value");
  });
});
