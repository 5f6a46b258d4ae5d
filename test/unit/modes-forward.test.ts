import { describe, expect, it } from "vitest";
import { forwardHeaders } from "../../src/modes/forward.js";
import type { ForwardTargetConfig } from "../../src/config/schema.js";
import { configOf, issuerOf, reasonOf, verified } from "../support/pure-inputs.js";

/** src/modes/forward.ts: the caller's token, byte for byte, only to a target it was issued for (or with passthrough). */

function forwardTarget(target: Record<string, unknown>): ForwardTargetConfig {
  const t = configOf({ targets: { legacy: { mode: "forward", ...target } } }).targets.legacy;
  if (t?.mode !== "forward") throw new Error("not a forward target");
  return t;
}

const issuer = issuerOf();
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
const caller = (aud: unknown) => verified(issuer, { token: TOKEN, claims: { sub: "alice", aud } });

describe("forwardHeaders: audience-bound target", () => {
  const bound = forwardTarget({ audience: "legacy-api" });

  it.each([
    ["aud the target's audience", "legacy-api"],
    ["aud an array naming it", ["gw", "legacy-api"]],
  ])("%s → Authorization: Bearer <the exact token>", (_name, aud) => {
    expect(forwardHeaders(bound, caller(aud))).toEqual({ Authorization: `Bearer ${TOKEN}` });
  });

  it.each([
    ["no aud", undefined],
    ["only the gateway", ["gw"]],
    ["a different case", "Legacy-API"],
    ["a prefix", "legacy"],
    ["a longer value", "legacy-api-2"],
    ["with a space", "legacy-api "],
    ["nested in an array", [["legacy-api"]]],
    ["an object", { "legacy-api": true }],
    ["an empty array", []],
  ])("%s → forward.audience_not_bound", (_name, aud) => {
    expect(reasonOf(() => forwardHeaders(bound, caller(aud)))).toBe("forward.audience_not_bound");
  });

  it("an aud nested under a __proto__ member (as JSON parsing makes it: an own property) does not bind", () => {
    const claims: Record<string, unknown> = JSON.parse('{"__proto__": {"aud": "legacy-api"}}');
    expect(reasonOf(() => forwardHeaders(bound, verified(issuer, { token: TOKEN, claims })))).toBe("forward.audience_not_bound");
  });
});

describe("forwardHeaders: header and passthrough", () => {
  it("a custom header (IAM targets) carries the Bearer token instead of Authorization", () => {
    const custom = forwardTarget({ audience: "legacy-api", header: "X-Upstream-Token" });
    expect(forwardHeaders(custom, caller("legacy-api"))).toEqual({ "X-Upstream-Token": `Bearer ${TOKEN}` });
  });

  it("header Authorization stated explicitly is the same as the default", () => {
    expect(forwardHeaders(forwardTarget({ audience: "legacy-api", header: "Authorization" }), caller("legacy-api"))).toEqual({
      Authorization: `Bearer ${TOKEN}`,
    });
  });

  it("allowPassthrough without audience: forwarded whatever the aud", () => {
    const passthrough = forwardTarget({ allowPassthrough: true });
    for (const aud of [undefined, "other", ["gw"]])
      expect(forwardHeaders(passthrough, caller(aud))).toEqual({ Authorization: `Bearer ${TOKEN}` });
  });

  it("allowPassthrough does not lift a configured audience", () => {
    const both = forwardTarget({ allowPassthrough: true, audience: "legacy-api" });
    expect(reasonOf(() => forwardHeaders(both, caller("other")))).toBe("forward.audience_not_bound");
  });

  it("the token is sent exactly as received, never rebuilt from claims", () => {
    const odd = "a.b.c-_";
    const passthrough = forwardTarget({ allowPassthrough: true });
    expect(forwardHeaders(passthrough, verified(issuer, { token: odd, claims: {} }))).toEqual({ Authorization: `Bearer ${odd}` });
  });
});
