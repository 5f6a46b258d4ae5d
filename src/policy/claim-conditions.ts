import { claimAt } from "../auth/token-rules.js";
import type { VerifiedToken } from "../auth/verify.js";
import type { ClaimConditionConfig } from "../config/schema.js";

const isSubject = (path: string | readonly string[]) =>
  typeof path === "string" ? path === "sub" : path.length === 1 && path[0] === "sub";

/**
 * Whether the verified token meets one claim condition. `sub` is the verified subject (an issuer's
 * `subjectFallback` included), as claim headers read it. A claim that is absent, or of another type
 * than the condition can compare (a number, an object), does not meet it.
 */
export function meetsCondition(condition: ClaimConditionConfig, id: VerifiedToken): boolean {
  const path = condition.claimPath ?? condition.claim ?? "";
  const value = isSubject(path) ? id.sub : claimAt(id.claims, path);
  if (condition.equals !== undefined) return value === condition.equals;
  const wanted = condition.anyOf ?? [];
  if (typeof value === "string") return wanted.includes(value);
  return Array.isArray(value) && value.some((v) => typeof v === "string" && wanted.includes(v));
}

/** Whether every condition holds (no conditions: it does). */
export const meetsAll = (conditions: readonly ClaimConditionConfig[] | undefined, id: VerifiedToken): boolean =>
  conditions === undefined || conditions.every((c) => meetsCondition(c, id));
