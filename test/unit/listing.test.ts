import { describe, expect, it } from "vitest";
import type { VerifiedToken } from "../../src/auth/verify.js";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { filterListing, listingMethodOf, permitsTarget } from "../../src/policy/listing.js";

/**
 * The listing filter as a pure function: (policy, identity, method, result) → result. Every rule of
 * the per-target policy (issuers, onDenied, requiredScopes, requireUser, unlistedTargets) and the
 * token-only mode checks (forward audience, required claims) decide what stays.
 */
const A = "https://idp-a.example";
const B = "https://idp-b.example";

function config(patch: Record<string, unknown> = {}): Config {
  const loaded = parseConfig({
    issuers: [
      { issuer: A, jwksUri: "https://idp-a.example/jwks", audience: ["gw"] },
      { issuer: B, jwksUri: "https://idp-b.example/jwks", audience: ["gw"] },
    ],
    targets: {
      open: { mode: "none" },
      acmeonly: { mode: "claims", headers: { "x-user-sub": "sub" }, issuers: [A] },
      stripped: { mode: "none", issuers: [A], onDenied: "strip" },
      scoped: { mode: "none", requiredScopes: ["payroll/read"] },
      humans: { mode: "none", requireUser: true },
      bound: { mode: "forward", audience: "bound-api" },
      needsgroups: { mode: "claims", headers: { "x-groups": { claim: "groups", required: true, qualify: true } } },
      exch: {
        mode: "obo",
        issuers: [A],
        obo: {
          grant: "token-exchange",
          tokenEndpoint: "https://idp-a.example/token",
          clientId: "ic",
          clientSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:s-AbCdEf",
          audience: "exch-api",
        },
      },
    },
    ...patch,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.config;
}

const policy = config();

function caller(iss: string, o: Partial<VerifiedToken> = {}): VerifiedToken {
  const issuer = policy.issuers.find((i) => i.issuer === iss)!;
  return {
    token: "opaque",
    issuer,
    claims: { aud: ["gw"] },
    kid: "k1",
    alg: "RS256",
    sub: "alice",
    clientId: "agent",
    actor: undefined,
    scopes: new Set(),
    jti: undefined,
    exp: 0,
    machine: false,
    ...o,
  };
}

const TARGETS = ["open", "acmeonly", "stripped", "scoped", "humans", "bound", "needsgroups", "exch", "unlisted"];
const tool = (name: string) => ({ name, description: `the ${name} tool`, inputSchema: { type: "object" } });
const allTools = () => [tool("x_amz_bedrock_agentcore_search"), ...TARGETS.flatMap((t) => [tool(`${t}___read`), tool(`${t}___write`)])];
const namesOf = (list: unknown) => (list as { name: string }[]).map((t) => t.name);
const targetsKept = (list: unknown) => [...new Set(namesOf(list).map((n) => n.split("___")[0]!))];

describe("listing filter: which targets a caller may use", () => {
  it("a caller of issuer A with every scope, a user, an audience-bound token and its groups sees every target", () => {
    const alice = caller(A, { scopes: new Set(["payroll/read"]), claims: { aud: ["gw", "bound-api"], groups: ["eng"] } });
    const out = filterListing(policy, alice, "tools/list", { tools: allTools() });
    expect(targetsKept(out.result.tools)).toEqual(["x_amz_bedrock_agentcore_search", ...TARGETS]);
    expect(out).toMatchObject({ removed: 0, removedTargets: [] });
  });

  it("issuers: a caller of issuer B loses the A-only targets (acmeonly, and exch: an obo target names its one issuer); onDenied strip keeps it listed (callable without identity)", () => {
    const out = filterListing(
      policy,
      caller(B, { scopes: new Set(["payroll/read"]), claims: { aud: ["gw", "bound-api"], groups: ["x"] } }),
      "tools/list",
      { tools: allTools() },
    );
    expect(out.removedTargets).toEqual(["acmeonly", "exch"]);
    expect(out.removed).toBe(4);
    expect(targetsKept(out.result.tools)).toContain("stripped");
  });

  it("requiredScopes, requireUser, forward audience and required claims each remove exactly their target", () => {
    const machine = caller(A, { sub: "agent", clientId: "agent", machine: true }); // sub == client id: detected as a machine token at verification
    const out = filterListing(policy, machine, "tools/list", { tools: allTools() });
    expect(out.removedTargets).toEqual(["bound", "humans", "needsgroups", "scoped"]);
    expect(out.removed).toBe(8);
    expect(targetsKept(out.result.tools)).toEqual(["x_amz_bedrock_agentcore_search", "open", "acmeonly", "stripped", "exch", "unlisted"]);
  });

  it("unlistedTargets: strip lists unlisted targets, deny hides them", () => {
    const alice = caller(A);
    expect(permitsTarget(policy, "unlisted", alice)).toBe(true);
    expect(permitsTarget(config({ unlistedTargets: "deny" }), "unlisted", alice)).toBe(false);
  });

  it("obo targets are listed when the policy allows them (the exchange itself is the IdP's answer)", () => {
    expect(permitsTarget(policy, "exch", caller(A))).toBe(true);
  });

  it("fail closed: no identity or no valid config leaves an empty list, built-ins included", () => {
    for (const [c, id] of [
      [policy, undefined],
      [undefined, caller(A)],
    ] as const) {
      const out = filterListing(c, id, "tools/list", { tools: allTools(), nextCursor: "n1" });
      expect(out.result).toEqual({ tools: [], nextCursor: "n1" });
      expect(out.removed).toBe(allTools().length);
    }
    expect(permitsTarget(policy, "open", undefined)).toBe(false);
  });
});

describe("listing filter: what it keeps and how", () => {
  const alice = caller(A);

  it("keeps every other field (nextCursor, _meta), the order, and the kept entries as they were", () => {
    const tools = allTools();
    const result = { tools, nextCursor: "page-2", _meta: { x: 1 } };
    const out = filterListing(policy, alice, "tools/list", result);
    expect(Object.keys(out.result)).toEqual(["tools", "nextCursor", "_meta"]);
    expect(out.result.nextCursor).toBe("page-2");
    expect(out.result._meta).toBe(result._meta);
    const kept = out.result.tools as unknown[];
    expect(kept.every((t) => tools.includes(t as never))).toBe(true);
    expect(namesOf(kept)).toEqual(namesOf(tools).filter((n) => namesOf(kept).includes(n)));
    expect(result.tools).toBe(tools); // the input is not mutated
    expect(tools).toHaveLength(allTools().length);
  });

  it("gateway built-ins and names that route to no target stay; entries nobody can call go", () => {
    const tools = [
      tool("x_amz_bedrock_agentcore_search"),
      tool("plain"),
      tool("bad_name___x"),
      tool("open___"),
      { description: "no name" },
      "junk",
      null,
      tool(""),
    ];
    const out = filterListing(policy, alice, "tools/list", { tools });
    expect(namesOf(out.result.tools)).toEqual(["x_amz_bedrock_agentcore_search", "plain", "bad_name___x"]);
    expect(out.removed).toBe(5);
    expect(out.removedTargets).toEqual([]); // never a tool name, only target names
  });

  it("splits on the first ___ exactly as tools/call routing does", () => {
    const out = filterListing(policy, caller(B), "tools/list", { tools: [tool("acmeonly___a___b"), tool("open___acmeonly___c")] });
    expect(namesOf(out.result.tools)).toEqual(["open___acmeonly___c"]);
  });

  it("a result without a tools list is returned as it is", () => {
    const result = { other: 1 };
    expect(filterListing(policy, alice, "tools/list", result)).toEqual({ result, removed: 0, removedTargets: [] });
  });

  it("prompts/list filters prompts by the same rule", () => {
    const prompts = [{ name: "acmeonly___summary", arguments: [] }, { name: "open___greet" }, { name: "gateway_prompt" }];
    const out = filterListing(policy, caller(B), "prompts/list", { prompts, nextCursor: "c" });
    expect(out.result).toEqual({ prompts: [{ name: "open___greet" }, { name: "gateway_prompt" }], nextCursor: "c" });
    expect(out.removedTargets).toEqual(["acmeonly"]);
  });

  it("search results: structuredContent.tools, result.tools and JSON text content are all filtered; prose is kept", () => {
    const found = [tool("acmeonly___read"), tool("open___read")];
    const result = {
      content: [
        { type: "text", text: JSON.stringify({ tools: found }) },
        { type: "text", text: JSON.stringify(found) },
        { type: "text", text: "Found 2 tools." },
        { type: "text", text: "[1,2]" },
        { type: "image", data: "AAAA", mimeType: "image/png" },
      ],
      structuredContent: { tools: found, query: "read" },
      tools: found,
      isError: false,
    };
    const out = filterListing(policy, caller(B), "search", result);
    const kept = [tool("open___read")];
    expect(out.result).toEqual({
      content: [
        { type: "text", text: JSON.stringify({ tools: kept }) },
        { type: "text", text: JSON.stringify(kept) },
        { type: "text", text: "Found 2 tools." },
        { type: "text", text: "[1,2]" },
        { type: "image", data: "AAAA", mimeType: "image/png" },
      ],
      structuredContent: { tools: kept, query: "read" },
      tools: kept,
      isError: false,
    });
    expect(out.removed).toBe(4);
    expect(out.removedTargets).toEqual(["acmeonly"]);
  });
});

describe("listing filter: assertion targets and undocumented search shapes (review findings)", () => {
  const withSigned = () =>
    config({
      assertion: {
        issuer: "https://interceptor.example",
        signingKeySecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:sign-AbCdEf",
      },
      targets: {
        signed: { mode: "assertion", issuers: [A], headers: { "x-email": { claim: "email", required: true } } },
        open: { mode: "none" },
      },
    });

  it("an assertion target whose required claim header the caller cannot fill is not listed (the call would be denied)", () => {
    const list = { tools: [tool("signed___read"), tool("open___read")] };
    expect(namesOf(filterListing(withSigned(), caller(A), "tools/list", list).result.tools)).toEqual(["open___read"]);
    const withEmail = caller(A, { claims: { aud: ["gw"], email: "a@a.example" } });
    expect(namesOf(filterListing(withSigned(), withEmail, "tools/list", list).result.tools)).toEqual(["signed___read", "open___read"]);
  });

  it("search: a list of named entries is filtered at any depth, and an unnamed entry in such a list goes too", () => {
    const found = [tool("acmeonly___read"), tool("open___read")];
    const nested = { results: { tools: found, total: 2 } };
    const mixed = [{ description: "no name" }, tool("acmeonly___read")];
    const result = {
      content: [
        { type: "text", text: JSON.stringify(nested) },
        { type: "text", text: JSON.stringify(mixed) },
      ],
      structuredContent: nested,
    };
    const out = filterListing(policy, caller(B), "search", result);
    const kept = { results: { tools: [tool("open___read")], total: 2 } };
    expect(out.result).toEqual({
      content: [
        { type: "text", text: JSON.stringify(kept) },
        { type: "text", text: "[]" },
      ],
      structuredContent: kept,
    });
    expect(JSON.stringify(out.result)).not.toContain("acmeonly___");
  });

  it("search: a deeply nested listing never passes through unfiltered (filtered, or dropped beyond the depth bound)", () => {
    let deep: unknown = [tool("acmeonly___read")];
    for (let i = 0; i < 40; i++) deep = { inner: deep };
    const out = filterListing(policy, caller(B), "search", { structuredContent: deep });
    expect(JSON.stringify(out.result)).not.toContain("acmeonly___");
  });
});

describe("listingMethodOf", () => {
  it.each([
    ["tools/list", undefined, "tools/list"],
    ["prompts/list", {}, "prompts/list"],
    ["tools/call", { name: "x_amz_bedrock_agentcore_search", arguments: { query: "q" } }, "search"],
    ["tools/call", { name: "open___read" }, undefined],
    ["resources/list", {}, undefined],
    ["initialize", {}, undefined],
    [undefined, undefined, undefined],
  ])("%s %j → %s", (method, params, expected) => {
    expect(listingMethodOf(method, params)).toBe(expected);
  });
});
