import type { ForwardTargetConfig } from "../config/schema.js";
import type { VerifiedToken } from "../auth/verify.js";
import { deny } from "../errors.js";
import { audiencesOf } from "../auth/audience.js";
import type { IdentityMode } from "./mode.js";

/**
 * `forward`: the caller's verified token, byte for byte. MCP forbids passing on a token not issued
 * for the target, so the token's `aud` must name the target unless passthrough was opted into.
 */
export function forwardHeaders(target: ForwardTargetConfig, id: VerifiedToken): Record<string, string> {
  admitForward(target, id);
  return { [target.header ?? "Authorization"]: `Bearer ${id.token}` };
}

function admitForward(target: ForwardTargetConfig, id: VerifiedToken): void {
  if (target.audience !== undefined && !audiencesOf(id.claims.aud).includes(target.audience)) deny("forward.audience_not_bound");
}

export function forwardMode(config: ForwardTargetConfig): IdentityMode {
  return {
    issue: (_target, id) => ({ headers: forwardHeaders(config, id) }),
    admit: (id) => admitForward(config, id),
  };
}
