import { describe, expect, it } from "vitest";
import { decide } from "../../src/policy/decide.js";
import type { Config } from "../../src/config/schema.js";
import { configOf, denialOf, ISS, ISS_B, reasonOf, verified } from "../support/pure-inputs.js";

/** src/policy/decide.ts: the per-request policy decision, before any header is built. */

const TWO_ISSUERS = [
  { issuer: ISS, jwksUri: "https://idp.example/jwks", audience: ["gw"], requiredScopes: ["gw:use"] },
  { issuer: ISS_B, jwksUri: "https://idp-b.example/jwks", audience: ["gw"] },
];

function policy(unlistedTargets: "strip" | "deny" = "strip"): Config {
  return configOf({
    issuers: TWO_ISSUERS,
    unlistedTargets,
    targets: {
      open: { mode: "none" },
      aonly: { mode: "none", issuers: [ISS] },
      astrip: { mode: "none", issuers: [ISS], onDenied: "strip" },
      humans: { mode: "none", requireUser: true },
      scoped: { mode: "none", requiredScopes: ["gw:use", "payroll:read"] },
      strict: { mode: "none", issuers: [ISS], requireUser: true, requiredScopes: ["payroll:read"] },
    },
  });
}

const config = policy();
const issuerA = config.issuers[0];
const issuerB = config.issuers[1];
if (issuerA === undefined || issuerB === undefined) throw new Error("issuers");
const alice = verified(issuerA, { scopes: new Set(["gw:use"]) });
const bob = verified(issuerB);

describe("decide: targets that get no identity", () => {
  it("no target → no-identity/no-target", () => {
    expect(decide(config, undefined, alice)).toEqual({ kind: "no-identity", why: "no-target" });
    expect(decide(policy("deny"), undefined, alice)).toEqual({ kind: "no-identity", why: "no-target" });
  });

  it("an unlisted target: stripped by default, denied with unlistedTargets deny", () => {
    expect(decide(config, "wiki", alice)).toEqual({ kind: "no-identity", why: "unlisted-target", target: "wiki" });
    expect(reasonOf(() => decide(policy("deny"), "wiki", alice))).toBe("policy.target_denied");
  });

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"])("%j names no listed target (own keys only)", (target) => {
    expect(decide(config, target, alice)).toEqual({ kind: "no-identity", why: "unlisted-target", target });
    expect(reasonOf(() => decide(policy("deny"), target, alice))).toBe("policy.target_denied");
  });

  it.each(["Open", "OPEN", "open ", " open", "open\u0000", "оpen"])("%j is not the target open (exact, case-sensitive)", (target) => {
    expect(decide(config, target, alice)).toEqual({ kind: "no-identity", why: "unlisted-target", target });
  });
});

describe("decide: a listed target", () => {
  it("returns the target's own configuration object", () => {
    const plan = decide(config, "open", bob);
    expect(plan).toEqual({ kind: "target", target: "open", config: config.targets.open });
    expect(plan.kind === "target" && plan.config).toBe(config.targets.open);
  });

  it("issuers: a caller of another issuer → policy.target_denied, or no-identity/issuer-stripped with onDenied strip", () => {
    expect(decide(config, "aonly", alice)).toMatchObject({ kind: "target", target: "aonly" });
    expect(reasonOf(() => decide(config, "aonly", bob))).toBe("policy.target_denied");
    expect(decide(config, "astrip", alice)).toMatchObject({ kind: "target", target: "astrip" });
    expect(decide(config, "astrip", bob)).toEqual({ kind: "no-identity", why: "issuer-stripped", target: "astrip" });
  });

  it("requireUser: a machine token → policy.target_denied", () => {
    expect(decide(config, "humans", alice)).toMatchObject({ kind: "target", target: "humans" });
    expect(reasonOf(() => decide(config, "humans", verified(issuerA, { machine: true })))).toBe("policy.target_denied");
    // Without requireUser a machine token is fine.
    expect(decide(config, "open", verified(issuerA, { machine: true }))).toMatchObject({ kind: "target" });
  });

  it("requiredScopes: all of them, exact and case-sensitive → else scope.insufficient naming issuer and target scopes once each", () => {
    const withAll = verified(issuerA, { scopes: new Set(["gw:use", "payroll:read", "extra"]) });
    expect(decide(config, "scoped", withAll)).toMatchObject({ kind: "target", target: "scoped" });
    for (const scopes of [["gw:use"], ["payroll:read"], ["PAYROLL:READ", "gw:use"], []]) {
      const denial = denialOf(() => decide(config, "scoped", verified(issuerA, { scopes: new Set(scopes) })));
      expect(denial?.reason).toBe("scope.insufficient");
      expect(denial?.detail).toEqual({ scope: ["gw:use", "payroll:read"] });
    }
    // Issuer B requires no scope of its own: the challenge names the target's.
    expect(denialOf(() => decide(config, "scoped", bob))?.detail).toEqual({ scope: ["gw:use", "payroll:read"] });
  });

  it("order: issuers, then requireUser, then scopes", () => {
    const machineB = verified(issuerB, { machine: true });
    expect(reasonOf(() => decide(config, "strict", machineB))).toBe("policy.target_denied");
    const machineA = verified(issuerA, { machine: true });
    expect(reasonOf(() => decide(config, "strict", machineA))).toBe("policy.target_denied");
    expect(reasonOf(() => decide(config, "strict", alice))).toBe("scope.insufficient");
    expect(decide(config, "strict", verified(issuerA, { scopes: new Set(["payroll:read"]) }))).toMatchObject({ kind: "target" });
  });
});
