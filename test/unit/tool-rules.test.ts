import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { VerifiedToken } from "../../src/auth/verify.js";
import { meetsCondition } from "../../src/policy/claim-conditions.js";
import { decide } from "../../src/policy/decide.js";
import { filterListing, permitsTarget } from "../../src/policy/listing.js";
import { ruleFor } from "../../src/policy/names.js";
import { configOf, denialOf, issuerOf, problemsOf, reasonOf, verified } from "../support/pure-inputs.js";

/**
 * Per-tool and per-prompt rules (docs/configuration.md "Per-tool and per-prompt rules"): the most
 * specific rule wins (exact, then the longest prefix, then otherTools / otherPrompts); a rule adds
 * scopes (the step-up challenge names every scope it needs) and claim conditions; one decision serves
 * a call and a listing entry.
 */
const issuer = issuerOf({ requiredScopes: ["mcp"] });
const caller = (scopes: string[], claims: Record<string, unknown> = {}): VerifiedToken =>
  verified(issuer, { scopes: new Set(scopes), claims: { iss: issuer.issuer, sub: "alice", aud: ["gw"], ...claims } });

const config = configOf({
  issuers: [{ issuer: issuer.issuer, jwksUri: "https://idp.example/jwks", audience: ["gw"], requiredScopes: ["mcp"] }],
  targets: {
    crm: {
      mode: "none",
      requiredScopes: ["crm"],
      requireClaims: [{ claim: "org_id", equals: "acme" }],
      tools: {
        "search*": {},
        "update_*": { requiredScopes: ["crm:write"] },
        "update_owner*": { requiredScopes: ["crm:owner"] },
        delete_account: { requiredScopes: ["crm:admin"], requireClaims: [{ claim: "groups", anyOf: ["crm-admins"] }] },
      },
      otherTools: "deny",
      prompts: { "summarise*": { requireClaims: [{ claimPath: ["realm_access", "roles"], anyOf: ["analyst"] }] } },
    },
    open: { mode: "none" },
  },
});
const crm = config.targets.crm;
if (crm === undefined) throw new Error("crm missing");
const acme = (scopes: string[], extra: Record<string, unknown> = {}) => caller(["mcp", "crm", ...scopes], { org_id: "acme", ...extra });
const tool = (name: string) => ({ kind: "tools" as const, name });

describe("which rule decides a name", () => {
  it.each([
    ["delete_account", 'tools["delete_account"]'],
    ["update_owner_of", 'tools["update_owner*"]'],
    ["update_owner", 'tools["update_owner*"]'],
    ["update_name", 'tools["update_*"]'],
    ["search", 'tools["search*"]'],
    ["searchable", 'tools["search*"]'],
    ["delete_account2", "otherTools"],
    ["Search", "otherTools"],
    ["", "otherTools"],
  ])("%s → %s (exact, then the longest prefix, then the default; case-sensitive)", (name, label) => {
    expect(ruleFor(crm, tool(name))?.label).toBe(label);
  });

  it("prompts have their own table and default", () => {
    expect(ruleFor(crm, { kind: "prompts", name: "summarise_week" })?.label).toBe('prompts["summarise*"]');
    expect(ruleFor(crm, { kind: "prompts", name: "search" })).toEqual({ rule: "allow", label: "otherPrompts" });
    expect(ruleFor(config.targets.open ?? crm, { kind: "prompts", name: "search" })).toBeUndefined();
  });
});

describe("the decision for a named tool or prompt", () => {
  it("a prefix rule without conditions admits whoever the target admits, and names the rule", () => {
    expect(decide(config, "crm", acme([]), tool("search_contacts"))).toMatchObject({ kind: "target", rule: 'tools["search*"]' });
  });

  it("a missing rule scope: 403 scope.insufficient naming every scope the rule needs (issuer, target, rule), and the rule", () => {
    const denial = denialOf(() => decide(config, "crm", acme([]), tool("update_name")));
    expect(denial?.reason).toBe("scope.insufficient");
    expect(denial?.detail).toEqual({ scope: ["mcp", "crm", "crm:write"], rule: 'tools["update_*"]' });
    expect(decide(config, "crm", acme(["crm:write"]), tool("update_name"))).toMatchObject({ rule: 'tools["update_*"]' });
  });

  it("the longer prefix replaces the shorter one's scopes: update_owner* needs crm:owner, not crm:write", () => {
    expect(denialOf(() => decide(config, "crm", acme(["crm:write"]), tool("update_owner")))?.detail.scope).toEqual([
      "mcp",
      "crm",
      "crm:owner",
    ]);
    expect(reasonOf(() => decide(config, "crm", acme(["crm:owner"]), tool("update_owner")))).toBeUndefined();
  });

  it("scopes first (a client can step up), then claim conditions: policy.claim_unmet naming the rule", () => {
    expect(reasonOf(() => decide(config, "crm", acme([], { groups: ["crm-admins"] }), tool("delete_account")))).toBe("scope.insufficient");
    const unmet = denialOf(() => decide(config, "crm", acme(["crm:admin"], { groups: ["sales"] }), tool("delete_account")));
    expect({ reason: unmet?.reason, detail: unmet?.detail }).toEqual({
      reason: "policy.claim_unmet",
      detail: { rule: 'tools["delete_account"]' },
    });
    expect(decide(config, "crm", acme(["crm:admin"], { groups: ["sales", "crm-admins"] }), tool("delete_account"))).toMatchObject({
      kind: "target",
    });
  });

  it("a name no rule covers under otherTools deny: policy.name_not_allowed naming otherTools", () => {
    const denial = denialOf(() => decide(config, "crm", acme(["crm:admin"]), tool("export_all")));
    expect({ reason: denial?.reason, detail: denial?.detail }).toEqual({
      reason: "policy.name_not_allowed",
      detail: { rule: "otherTools" },
    });
  });

  it("the target's own claim conditions hold for every name, and for the target without a name", () => {
    expect(denialOf(() => decide(config, "crm", acme([], { org_id: "globex" }), tool("search")))?.detail).toEqual({
      rule: "requireClaims",
    });
    expect(reasonOf(() => decide(config, "crm", acme([], { org_id: "globex" })))).toBe("policy.claim_unmet");
  });

  it("a target without rules is decided as before: no rule on the plan", () => {
    expect(ruleFor(config.targets.open ?? crm, tool("anything"))).toBeUndefined();
    expect(decide(config, "open", caller(["mcp"]), tool("anything"))).toEqual({
      kind: "target",
      target: "open",
      config: config.targets.open,
    });
    expect(decide(config, "open", caller(["mcp"]))).toEqual({ kind: "target", target: "open", config: config.targets.open });
  });
});

describe("claim conditions", () => {
  const id = (claims: Record<string, unknown>) => caller([], claims);
  it.each([
    [{ claim: "groups", anyOf: ["a"] }, { groups: ["b", "a"] }, true],
    [{ claim: "groups", anyOf: ["a"] }, { groups: "a" }, true],
    [{ claim: "groups", anyOf: ["a"] }, { groups: ["A"] }, false],
    [{ claim: "groups", anyOf: ["a"] }, { groups: [1, { a: 1 }] }, false],
    [{ claim: "groups", anyOf: ["a"] }, {}, false],
    [{ claim: "realm_access.roles", anyOf: ["admin"] }, { realm_access: { roles: ["admin"] } }, true],
    [{ claimPath: ["cognito:groups"], anyOf: ["ops"] }, { "cognito:groups": ["ops"] }, true],
    [{ claim: "tid", equals: "t1" }, { tid: "t1" }, true],
    [{ claim: "tid", equals: "t1" }, { tid: ["t1"] }, false],
    [{ claim: "tid", equals: "1" }, { tid: 1 }, false],
    [{ claim: "sub", equals: "alice" }, {}, true],
  ])("%j against %j → %s", (condition, claims, meets) => {
    expect(meetsCondition(condition, id(claims))).toBe(meets);
  });
  it("an inherited member never meets a condition", () => {
    expect(meetsCondition({ claim: "constructor", anyOf: ["x"] }, id({}))).toBe(false);
  });
});

describe("config: rules that can never match are refused, naming the field", () => {
  it.each([
    [{ tools: { "": {} } }, "targets.t.tools.: an empty name matches nothing: name the tool or prompt, or end a prefix with *"],
    [{ tools: { "up*date": {} } }, 'targets.t.tools.up*date: "*" may only end a pattern (a prefix): it matches no name elsewhere'],
    [{ prompts: { "**": {} } }, 'targets.t.prompts.**: "*" may only end a pattern (a prefix): it matches no name elsewhere'],
    [{ tools: { ["x".repeat(253)]: {} } }, `targets.t.tools.${"x".repeat(253)}: longer than any name the gateway routes (252 characters)`],
    [
      { tools: { a: { requireClaims: [{ claim: "groups" }] } } },
      'targets.t.tools.a.requireClaims[0].anyOf: exactly one of "anyOf" or "equals" is required',
    ],
    [{ requireClaims: [{ anyOf: ["x"] }] }, 'targets.t.requireClaims[0].claim: exactly one of "claim" or "claimPath" is required'],
    [{ otherTools: "maybe" }, "targets.t.otherTools"],
  ])("%j", (extra, problem) => {
    const problems = problemsOf({ targets: { t: { mode: "none", ...extra } } });
    expect(
      problems.some((p) => p.startsWith(problem)),
      problems.join("\n"),
    ).toBe(true);
  });
  it("a catch-all prefix and exact names load", () => {
    expect(problemsOf({ targets: { t: { mode: "none", tools: { "*": {}, read: {} }, prompts: { "x*": {} } } } })).toEqual([]);
  });
});

describe("one decision for a call and a listing entry", () => {
  const NAMES = ["search", "search_x", "update_name", "update_owner", "delete_account", "export_all", "x", "Search"];
  it("a tools/list keeps exactly the entries whose tools/call decide would allow (generated callers)", () => {
    fc.assert(
      fc.property(
        fc.subarray(["mcp", "crm", "crm:write", "crm:owner", "crm:admin"]),
        fc.subarray(["crm-admins", "sales"]),
        fc.constantFrom("acme", "globex"),
        (scopes, groups, org) => {
          const who = caller(scopes, { org_id: org, groups });
          const entries = NAMES.map((n) => ({ name: `crm___${n}` }));
          const kept = (filterListing(config, who, "tools/list", { tools: entries }).result.tools as { name: string }[]).map((e) => e.name);
          const allowed = NAMES.filter((n) => reasonOf(() => decide(config, "crm", who, tool(n))) === undefined).map((n) => `crm___${n}`);
          expect(kept).toEqual(allowed);
          for (const n of NAMES) expect(permitsTarget(config, "crm", who, tool(n))).toBe(allowed.includes(`crm___${n}`));
        },
      ),
      { seed: 24, numRuns: 300 },
    );
  });
});
