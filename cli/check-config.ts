import { allowlistNeeds, secretArnsOf } from "../src/config/deployment.js";
import { type LoadedConfig, readConfigFile } from "../src/config/load.js";
import {
  type ClaimConditionConfig,
  type ClaimMapping,
  type Config,
  DEFAULT_ASSERTION_HEADER,
  type NameRuleConfig,
  type TargetConfig,
} from "../src/config/schema.js";

export interface CheckResult {
  ok: boolean;
  /** What to print: every problem with its field path, or what each target would receive. */
  lines: string[];
  config?: Config;
}

/** What `check-config` prints for a config read and validated by src/config/load.ts (`source` names it). */
export function checkResult(loaded: LoadedConfig, source: string): CheckResult {
  if (!loaded.ok) {
    return { ok: false, lines: [`${source}: ${loaded.problems.length} problem(s)`, ...loaded.problems.map((p) => `  ${p}`)] };
  }
  return { ok: true, lines: [`${source}: valid`, ...describeConfig(loaded.config)], config: loaded.config };
}

/** Validates a config file offline (the same checks as the Lambda's cold start). */
export function checkConfigFile(file: string): CheckResult {
  return checkResult(readConfigFile(file), file);
}

const claimOf = (m: ClaimMapping) => (typeof m === "string" ? m : (m.claim ?? JSON.stringify(m.claimPath)));

/** `name: <claim …>` for each claim header; `qualify` shows as `<iss>|…` (issuer binding is never implied). */
function claimHeaderLines(headers: Record<string, ClaimMapping>): string[] {
  return Object.entries(headers).map(([name, m]) => {
    const claim = claimOf(m);
    const value = typeof m !== "string" && m.qualify ? `<iss>|<claim ${claim}>` : `<claim ${claim}>`;
    const required = typeof m !== "string" && m.required ? " (required)" : "";
    return `${name}: ${value}${required}`;
  });
}

/** One line per target (`name` is its policy name): what the target receives on a `tools/call` the policy allows. */
export function receives(target: TargetConfig, name: string): string {
  switch (target.mode) {
    case "forward": {
      const header = target.header ?? "Authorization";
      const when =
        target.audience !== undefined
          ? `when its aud contains "${target.audience}" (else 403 forward.audience_not_bound)`
          : "whatever its audience (allowPassthrough)";
      return `${header}: Bearer <the caller's token>, ${when}`;
    }
    case "claims":
      return claimHeaderLines(target.headers).join("; ");
    case "assertion": {
      const header = target.header ?? DEFAULT_ASSERTION_HEADER;
      const claims = target.claims !== undefined && target.claims.length > 0 ? ` with ${target.claims.join(", ")}` : "";
      const signed = `${header}: <JWS signed by the interceptor, aud ${target.audience ?? name}, sub <iss>|<sub>${claims}>`;
      return [signed, ...claimHeaderLines(target.headers ?? {})].join("; ");
    }
    case "obo": {
      const o = target.obo;
      const forWhom = [o.audience && `audience ${o.audience}`, o.resource && `resource ${o.resource}`, o.scope && `scope "${o.scope}"`]
        .filter(Boolean)
        .join(", ");
      return `${target.header ?? "Authorization"}: Bearer <on-behalf-of token from ${o.tokenEndpoint} (${o.grant}${forWhom ? `, ${forWhom}` : ""})>`;
    }
    case "none":
      return "no identity (its own gateway credential only)";
  }
}

function conditions(target: TargetConfig): string[] {
  const out: string[] = [];
  if (target.issuers)
    out.push(
      `only callers of ${target.issuers.join(", ")} (others: ${target.onDenied === "strip" ? "no identity" : "403 policy.target_denied"})`,
    );
  if (target.requiredScopes && target.requiredScopes.length > 0) out.push(`scopes required: ${target.requiredScopes.join(" ")}`);
  if (target.requireUser) out.push("user tokens only (no machine tokens)");
  if (target.requireClaims)
    out.push(`claims required: ${target.requireClaims.map(describeCondition).join("; ")} (else 403 policy.claim_unmet)`);
  for (const kind of ["tools", "prompts"] as const)
    out.push(...describeRules(kind, target[kind], kind === "tools" ? target.otherTools : target.otherPrompts));
  return out;
}

function describeCondition(c: ClaimConditionConfig): string {
  const claim = c.claimPath !== undefined ? JSON.stringify(c.claimPath) : (c.claim ?? "");
  return c.equals !== undefined ? `${claim} = ${JSON.stringify(c.equals)}` : `${claim} has one of ${JSON.stringify(c.anyOf ?? [])}`;
}

/**
 * Which rule decides which names: exact names first, then prefixes longest first (each says which
 * longer prefixes take names from it), then the default, so a reader sees the precedence as applied.
 */
function describeRules(kind: "tools" | "prompts", rules: Record<string, NameRuleConfig> | undefined, other: "allow" | "deny"): string[] {
  if (rules === undefined && other === "allow") return [];
  const keys = Object.keys(rules ?? {});
  const exact = keys.filter((k) => !k.endsWith("*")).sort();
  const prefixes = keys.filter((k) => k.endsWith("*")).sort((a, b) => b.length - a.length || a.localeCompare(b));
  const lines = [`${kind} (the exact name, else the longest matching prefix, else ${kind === "tools" ? "otherTools" : "otherPrompts"}):`];
  const what = (rule: NameRuleConfig | undefined) => {
    const parts = [
      rule?.requiredScopes && rule.requiredScopes.length > 0
        ? `scopes ${rule.requiredScopes.join(" ")} (else 403 scope.insufficient)`
        : undefined,
      rule?.requireClaims ? `claims ${rule.requireClaims.map(describeCondition).join("; ")} (else 403 policy.claim_unmet)` : undefined,
    ].filter((p) => p !== undefined);
    return parts.length > 0 ? parts.join("; ") : "whoever the target admits";
  };
  for (const k of exact) lines.push(`  ${k}: ${what(rules?.[k])}`);
  for (const k of prefixes) {
    const stem = k.slice(0, -1);
    const taken = prefixes.filter((q) => q !== k && q.length > k.length && q.startsWith(stem));
    const except = [...exact.filter((e) => e.startsWith(stem)), ...taken];
    lines.push(`  ${stem}… (${k}${except.length > 0 ? `, except ${except.join(", ")}` : ""}): ${what(rules?.[k])}`);
  }
  lines.push(`  any other: ${other === "allow" ? "whoever the target admits" : "403 policy.name_not_allowed"}`);
  return lines;
}

/** A readable summary of a valid config: issuers, each target, the allowlists and secrets it needs. */
export function describeConfig(config: Config): string[] {
  const lines = ["issuers:"];
  for (const i of config.issuers) {
    const who = [i.audience && `aud ∈ {${i.audience.join(", ")}}`, i.clientIds && `client_id ∈ {${i.clientIds.join(", ")}}`]
      .filter(Boolean)
      .join(", ");
    const scopes = i.requiredScopes && i.requiredScopes.length > 0 ? `; scopes ${i.requiredScopes.join(" ")}` : "";
    lines.push(`  ${i.issuer}: ${who}; ${i.algorithms.join("/")}${scopes}`);
  }
  lines.push("targets (what each receives on an allowed tools/call):");
  for (const [name, target] of Object.entries(config.targets)) {
    lines.push(`  ${name} [${target.mode}]: ${receives(target, name)}`);
    for (const c of conditions(target)) lines.push(`      ${c}`);
  }
  lines.push(
    `  any other target: ${config.unlistedTargets === "deny" ? "403 policy.target_denied" : "no identity (unlistedTargets: strip)"}`,
  );
  const needs = allowlistNeeds(config);
  lines.push("gateway target allowlists (metadataConfiguration.allowedRequestHeaders):");
  if (needs.size === 0) lines.push("  none needed");
  for (const [name, headers] of needs) lines.push(`  ${name}: ${headers.join(", ")}`);
  const secrets = secretArnsOf(config);
  if (secrets.length > 0) lines.push("secrets the function reads (secretsmanager:GetSecretValue):", ...secrets.map((s) => `  ${s}`));
  if (config.listingFilter === "on")
    lines.push(
      "listingFilter on: attach the RESPONSE phase too (attach --response, or CDK responsePhase: true), else tools/list and prompts/list are not filtered",
    );
  lines.push(
    config.issuers.length > 1
      ? "gateway authorizerType: NONE (one CUSTOM_JWT discovery URL cannot trust several issuers; the interceptor authenticates every message)"
      : "gateway authorizerType: CUSTOM_JWT for this issuer, or NONE (the interceptor authenticates every message)",
    "  not AWS_IAM or AUTHENTICATE_ONLY: their callers sign with SigV4, so no bearer token reaches the interceptor",
  );
  if (config.responseOutput === "body-only") lines.push('responseOutput "body-only": RESPONSE replies carry {body} alone, no status');
  return lines;
}
