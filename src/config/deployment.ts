import { headerNameProblem, MAX_HEADERS_PER_TARGET } from "./header-rules.js";
import type { Config, TargetConfig } from "./schema.js";
import { headersSetOn } from "./target-headers.js";

/**
 * What a validated config needs from its deployment: the Secrets Manager secrets the function reads and
 * the header names each gateway target must allowlist. Shared by the CDK construct and the command line
 * (tooling only: the Lambda bundle never imports this module).
 */

/** Every Secrets Manager secret ARN the function reads (sorted, no duplicates): the one place to extend. */
export function secretArnsOf(config: Config): string[] {
  const arns = new Set<string>();
  for (const target of Object.values(config.targets)) {
    if (target.mode === "obo") arns.add(target.obo.clientSecretArn);
  }
  const signing = config.assertion?.signingKeySecretArn;
  if (signing !== undefined && Object.values(config.targets).some((t) => t.mode === "assertion")) arns.add(signing);
  return [...arns].sort();
}

/**
 * Header names the interceptor sets on this target that AgentCore forwards only when the target's
 * `metadataConfiguration.allowedRequestHeaders` lists them: the headers of `headersSetOn` (the same
 * names the Lambda refuses from clients). `Authorization` always reaches the target and cannot be
 * allowlisted (docs/agentcore-contract.md §4).
 */
function headersNeededBy(target: TargetConfig): string[] {
  return headersSetOn(target);
}

/** For every target of the policy that needs an allowlist, the header names it needs. */
export function allowlistNeeds(config: Config): Map<string, string[]> {
  const needs = new Map<string, string[]>();
  for (const [name, target] of Object.entries(config.targets)) {
    const headers = headersNeededBy(target);
    if (headers.length > 0) needs.set(name, headers);
  }
  return needs;
}

export interface AllowlistPlan {
  /** The allowlist to set: every needed header, then the entries kept from the current list. */
  headers: string[];
  /** Needed names the current list lacks. */
  added: string[];
  /** Current entries the interceptor does not set (kept unless pruned, always reported). */
  others: string[];
  /** Why this allowlist cannot be set (too many names, an illegal name); empty when it can. */
  problems: string[];
}

/**
 * Merges the headers a target needs into its current allowlist. Names compare case-insensitively and
 * keep the current spelling; entries the interceptor does not set are kept (or dropped with `prune`).
 */
export function planAllowlist(needed: readonly string[], current: readonly string[] = [], prune = false): AllowlistPlan {
  const key = (n: string) => n.toLowerCase();
  const neededKeys = new Set(needed.map(key));
  const currentByKey = new Map(current.map((n) => [key(n), n]));
  const added = needed.filter((n) => !currentByKey.has(key(n)));
  const others = current.filter((n) => !neededKeys.has(key(n)));
  const headers = [...needed.map((n) => currentByKey.get(key(n)) ?? n), ...(prune ? [] : others)];
  const problems: string[] = [];
  for (const name of needed) {
    const problem = headerNameProblem(name);
    if (problem !== undefined) problems.push(`header "${name}": ${problem}`);
  }
  if (headers.length > MAX_HEADERS_PER_TARGET) {
    problems.push(
      `needs ${headers.length} allowed request headers (${headers.join(", ")}); AgentCore allows at most ${MAX_HEADERS_PER_TARGET} per target`,
    );
  }
  return { headers, added, others, problems };
}
