import type { ForwardTargetConfig } from "../config/schema.js";
import type { VerifiedToken } from "../auth/verify.js";
import { deny } from "../respond/reasons.js";
import { audiencesOf } from "../auth/audience.js";

/**
 * `forward`: the caller's verified token, byte for byte. MCP forbids passing on a token not issued
 * for the target, so the token's `aud` must name the target unless passthrough was opted into.
 */
export function forwardHeaders(target: ForwardTargetConfig, id: VerifiedToken): Record<string, string> {
  if (target.audience !== undefined) {
    if (!audiencesOf(id.claims.aud).includes(target.audience)) deny("forward.audience_not_bound");
  }
  return { [target.header ?? "Authorization"]: `Bearer ${id.token}` };
}
