import type { Config, TargetConfig } from "../config/schema.js";
import type { VerifiedToken } from "../auth/verify.js";
import { missingScopes } from "../auth/token-rules.js";
import { deny } from "../errors.js";

/** What the policy decided for one request, before any header is built. */
export type Plan =
  | { kind: "no-identity"; why: "no-target" | "unlisted-target" | "issuer-stripped"; target?: string }
  | { kind: "target"; target: string; config: TargetConfig };

/**
 * Pure policy decision (docs/security.md §4.1): no target or an unlisted target never gets identity
 * material; a listed target gets it only when its issuer, user and scope rules hold.
 */
export function decide(config: Config, target: string | undefined, id: VerifiedToken): Plan {
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
  if (missingScopes(id.scopes, policy.requiredScopes).length > 0) {
    const all = new Set([...(id.issuer.requiredScopes ?? []), ...(policy.requiredScopes ?? [])]);
    deny("scope.insufficient", { scope: [...all] });
  }
  return { kind: "target", target, config: policy };
}
