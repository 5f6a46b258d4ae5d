import type { NameRuleConfig, TargetConfig } from "../config/schema.js";

/** Which rule table a name is looked up in: tools (`tools/call`, tool listings) or prompts. */
export type NameKind = "tools" | "prompts";

/** A tool or prompt a message (or a listing entry) names, without its `<target>___` prefix. */
export interface NamedThing {
  kind: NameKind;
  name: string;
}

/** The rule that decides a name, and its label for the audit line (`tools["update_*"]`, `otherTools`). */
export type NameRuling = { rule: NameRuleConfig; label: string } | { rule: "allow" | "deny"; label: string };

interface Compiled {
  exact: ReadonlyMap<string, NameRuleConfig>;
  /** Prefix rules, longest prefix first: the first that matches is the most specific. */
  prefixes: readonly (readonly [string, NameRuleConfig])[];
}

const compiled = new WeakMap<Readonly<Record<string, NameRuleConfig>>, Compiled>();

/** A rule table, compiled once per configuration object (the configuration never changes in an environment). */
function compile(rules: Readonly<Record<string, NameRuleConfig>>): Compiled {
  let c = compiled.get(rules);
  if (c === undefined) {
    const exact = new Map<string, NameRuleConfig>();
    const prefixes: [string, NameRuleConfig][] = [];
    for (const [key, rule] of Object.entries(rules)) {
      if (key.endsWith("*")) prefixes.push([key.slice(0, -1), rule]);
      else exact.set(key, rule);
    }
    prefixes.sort((a, b) => b[0].length - a[0].length);
    compiled.set(rules, (c = { exact, prefixes }));
  }
  return c;
}

/**
 * The rule for one name (docs/configuration.md "Per-tool and per-prompt rules"): the exact rule, else
 * the longest prefix rule that matches, else the target's default (`otherTools` / `otherPrompts`);
 * undefined when the target has no rules of this kind and allows the rest (nothing to decide).
 * Linear in the name's length for each prefix rule: no backtracking, no regular expression.
 */
export function ruleFor(target: TargetConfig, thing: NamedThing): NameRuling | undefined {
  const rules = thing.kind === "tools" ? target.tools : target.prompts;
  if (rules !== undefined) {
    const { exact, prefixes } = compile(rules);
    const rule = exact.get(thing.name);
    if (rule !== undefined) return { rule, label: `${thing.kind}[${JSON.stringify(thing.name)}]` };
    for (const [prefix, r] of prefixes) {
      if (thing.name.startsWith(prefix)) return { rule: r, label: `${thing.kind}[${JSON.stringify(`${prefix}*`)}]` };
    }
  }
  const other = thing.kind === "tools" ? target.otherTools : target.otherPrompts;
  // A target without rules for this kind that allows the rest: no rule decided anything.
  if (rules === undefined && other === "allow") return undefined;
  return { rule: other, label: thing.kind === "tools" ? "otherTools" : "otherPrompts" };
}
