import type { Config, TargetConfig } from "../config/schema.js";
import type { VerifiedToken } from "../auth/verify.js";
import { missingScopes } from "../auth/token-rules.js";
import { deny } from "../errors.js";
import { meetsAll } from "./claim-conditions.js";
import { type NamedThing, ruleFor } from "./names.js";

/** What the policy decided for one request, before any header is built. */
export type Plan =
  | { kind: "no-identity"; why: "no-target" | "unlisted-target" | "issuer-stripped"; target?: string }
  | {
      kind: "target";
      target: string;
      config: TargetConfig;
      /** The tool or prompt rule that admitted the name, if one was named. */ rule?: string;
    };

/**
 * Pure policy decision (docs/security.md §4.1), the one decision for a call and for a listing entry: no
 * target or an unlisted target never gets identity material; a listed target gets it only when its
 * issuer, user, scope and claim rules hold and, when a tool or prompt is named, the rule for that name
 * (its scopes on top of the issuer's and the target's, then its claim conditions).
 */
export function decide(config: Config, target: string | undefined, id: VerifiedToken, named?: NamedThing): Plan {
  if (target === undefined) return { kind: "no-identity", why: "no-target" };
  const policy = Object.hasOwn(config.targets, target) ? config.targets[target] : undefined;
  if (policy === undefined) {
    if (config.unlistedTargets === "deny") deny("policy.target_denied");
    return { kind: "no-identity", why: "unlisted-target", target };
  }
  if (policy.issuers !== undefined && !policy.issuers.includes(id.issuer.issuer)) {
    if (policy.onDenied === "strip") return { kind: "no-identity", why: "issuer-stripped", target };
    deny("policy.target_denied");
  }
  // Machine tokens by the issuer's conventions and markers (token-rules: `machine`).
  if (policy.requireUser === true && id.machine) deny("policy.target_denied");
  requireScopes(id, policy.requiredScopes, policy.requiredScopes);
  if (!meetsAll(policy.requireClaims, id)) deny("policy.claim_unmet", { rule: "requireClaims" });
  if (named === undefined) return { kind: "target", target, config: policy };
  const ruling = ruleFor(policy, named);
  if (ruling === undefined) return { kind: "target", target, config: policy };
  if (ruling.rule === "deny") deny("policy.name_not_allowed", { rule: ruling.label });
  if (ruling.rule !== "allow") {
    requireScopes(id, ruling.rule.requiredScopes, [...(policy.requiredScopes ?? []), ...(ruling.rule.requiredScopes ?? [])], ruling.label);
    if (!meetsAll(ruling.rule.requireClaims, id)) deny("policy.claim_unmet", { rule: ruling.label });
  }
  return { kind: "target", target, config: policy, rule: ruling.label };
}

/**
 * `scope.insufficient` when any of `required` is missing; the challenge names every scope the deciding
 * rule needs (the issuer's, the target's, the tool's), so a client steps up once (MCP authorization).
 */
function requireScopes(
  id: VerifiedToken,
  required: readonly string[] | undefined,
  all: readonly string[] | undefined,
  rule?: string,
): void {
  if (missingScopes(id.scopes, required).length === 0) return;
  const scope = [...new Set([...(id.issuer.requiredScopes ?? []), ...(all ?? [])])];
  deny("scope.insufficient", rule === undefined ? { scope } : { scope, rule });
}
