import type { VerifiedToken } from "../auth/verify.js";
import type { Config } from "../config/schema.js";
import { routeTool, SEARCH_TOOL } from "../event/route.js";
import { modeOf } from "../modes/registry.js";
import { Denial } from "../errors.js";
import { decide } from "./decide.js";
import type { NameKind, NamedThing } from "./names.js";
import { isPlainObject } from "../plain-object.js";

/**
 * The listing filter (RESPONSE phase): a caller sees exactly the tools and prompts it may use. Pure:
 * (policy, identity, method, JSON-RPC result) → the result with the entries it may not use removed.
 *
 * "May use" is answered by the REQUEST path's own code, never by a copy: `decide` (issuers, onDenied,
 * requiredScopes, requireUser, unlistedTargets) and each mode's `admit` (`forward`: the token must be
 * issued for the target; `claims`, and the claim headers of an `assertion` target: required claims
 * present, values sendable; `obo`: what the policy allows, as whether the IdP will exchange the token
 * is only known by asking it).
 */
export type ListingMethod = "tools/list" | "prompts/list" | "search";

export interface Filtered {
  /** The result with only permitted entries; every other field as it was. */
  result: Record<string, unknown>;
  removed: number;
  /** Target names whose entries were removed (never the entries' own names). */
  removedTargets: string[];
}

type Json = Record<string, unknown>;

/** Which listing a request asks for, if any: `tools/list`, `prompts/list`, or the gateway's search tool. */
export function listingMethodOf(method: string | undefined, params: unknown): ListingMethod | undefined {
  if (method === "tools/list" || method === "prompts/list") return method;
  if (method === "tools/call" && isPlainObject(params) && params.name === SEARCH_TOOL) return "search";
  return undefined;
}

/**
 * Would `tools/call` (or `prompts/get`) on this target be allowed for this caller? The same decisions
 * as the REQUEST path, caught as values: `decide`, then the target's mode (modes/registry.ts) as far as
 * the verified token can tell. No identity (not authenticated) permits nothing.
 */
export function permitsTarget(config: Config, target: string, identity: VerifiedToken | undefined, named?: NamedThing): boolean {
  if (identity === undefined) return false;
  try {
    const plan = decide(config, target, identity, named);
    if (plan.kind === "target") modeOf(plan.config).admit(identity);
    return true;
  } catch (err) {
    if (err instanceof Denial) return false;
    throw err;
  }
}

/** Whether a target's entries need a decision per name (it has rules for this kind, or denies names no rule covers). */
function namesMatter(config: Config, target: string, kind: NameKind): boolean {
  const policy = Object.hasOwn(config.targets, target) ? config.targets[target] : undefined;
  if (policy === undefined) return false;
  return kind === "tools"
    ? policy.tools !== undefined || policy.otherTools === "deny"
    : policy.prompts !== undefined || policy.otherPrompts === "deny";
}

/**
 * Filters one listing result. Entries are kept when their name routes to no target (the gateway's own
 * tools, e.g. the search tool) or to a target the caller may use; an entry without a usable name is
 * removed, as the REQUEST path would refuse to call it. Without an identity (or a valid config)
 * everything is removed (fail closed: an empty list, never the full one).
 */
export function filterListing(
  config: Config | undefined,
  identity: VerifiedToken | undefined,
  method: ListingMethod,
  result: Json,
): Filtered {
  const verdicts = new Map<string, boolean>();
  const removedTargets = new Set<string>();
  const kind: NameKind = method === "prompts/list" ? "prompts" : "tools";
  let removed = 0;
  const keep = (entry: unknown): boolean => {
    let ok = false;
    let target: string | undefined;
    if (config !== undefined && identity !== undefined && isPlainObject(entry) && typeof entry.name === "string") {
      const route = routeTool(entry.name);
      if (route.kind === "no-target") ok = true;
      else if (route.kind === "target") {
        target = route.target;
        // The target's own verdict once per listing; the name's rule for each entry where rules apply.
        let verdict = verdicts.get(target);
        if (verdict === undefined) verdicts.set(target, (verdict = permitsTarget(config, target, identity)));
        ok = verdict && (!namesMatter(config, target, kind) || permitsTarget(config, target, identity, { kind, name: route.tool }));
      }
    }
    if (!ok) {
      removed++;
      if (target !== undefined) removedTargets.add(target);
    }
    return ok;
  };
  const filterEntries = (list: unknown[]): unknown[] => list.filter(keep);
  const filterList = (list: unknown): unknown => (Array.isArray(list) ? filterEntries(list) : list);

  let out: Json;
  if (method === "tools/list") out = "tools" in result ? { ...result, tools: filterList(result.tools) } : result;
  else if (method === "prompts/list") out = "prompts" in result ? { ...result, prompts: filterList(result.prompts) } : result;
  else out = filterSearchResult(result, filterEntries);
  return { result: out, removed, removedTargets: [...removedTargets].sort() };
}

/**
 * The search tool's `tools/call` result. Its shape is not documented; AWS's fine-grained access
 * control sample reads the tools from `result.structuredContent.tools`, else `result.tools`, and
 * also rewrites every `content[]` text item that is JSON with a `tools` list
 * (https://github.com/awslabs/amazon-bedrock-agentcore-samples, 01-tutorials/02-AgentCore-gateway/
 * 09-fine-grained-access-control/01-fine-grained-access-control-using-custom-scopes.ipynb). Because
 * the shape is not documented, every list of named entries anywhere in `tools`, `structuredContent`
 * and JSON text items is filtered (fail closed: an entry without a name in such a list goes too).
 */
function filterSearchResult(result: Json, filterEntries: (list: unknown[]) => unknown[]): Json {
  const out: Json = { ...result };
  if ("tools" in result) out.tools = filterDeep(result.tools, filterEntries, 0);
  if ("structuredContent" in result) out.structuredContent = filterDeep(result.structuredContent, filterEntries, 0);
  if (Array.isArray(result.content)) {
    out.content = result.content.map((item: unknown) => {
      if (!isPlainObject(item) || item.type !== "text" || typeof item.text !== "string") return item;
      let parsed: unknown;
      try {
        parsed = JSON.parse(item.text); // linear in the text's length
      } catch {
        return item; // prose: no tool list to filter
      }
      return { ...item, text: JSON.stringify(filterDeep(parsed, filterEntries, 0)) };
    });
  }
  return out;
}

/** Deeper than any listing nests: what lies below is dropped, never passed through unfiltered. */
const MAX_SEARCH_DEPTH = 32;

/** Every array that holds a named entry is filtered, at any depth; objects are rebuilt as own data. */
function filterDeep(value: unknown, filterEntries: (list: unknown[]) => unknown[], depth: number): unknown {
  if (depth > MAX_SEARCH_DEPTH) return null;
  if (Array.isArray(value)) {
    const named = value.some((v) => isPlainObject(v) && typeof v.name === "string");
    return (named ? filterEntries(value) : value).map((v) => filterDeep(v, filterEntries, depth + 1));
  }
  if (isPlainObject(value)) {
    // Object.fromEntries defines own properties: a `__proto__` member stays data, never a prototype.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, filterDeep(v, filterEntries, depth + 1)]));
  }
  return value;
}
