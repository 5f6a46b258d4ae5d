import type { OboTargetConfig } from "../config/schema.js";
import { deny } from "../errors.js";
import type { IdentityMode } from "./mode.js";

/**
 * `obo`: a token issued to the target for the caller, from the IdP (RFC 8693 or the Cognito pattern).
 * Never the caller's own token, never a fallback to it: a failed exchange is a deny. Whether the IdP
 * will exchange a token is only known by asking it, so a listing admits what the policy admits.
 */
export function oboMode(config: OboTargetConfig): IdentityMode {
  return {
    async issue(target, id, io) {
      // Loaded at init whenever a target uses obo; its absence would be a configuration fault.
      const exchanger = io.exchanger ?? deny("config.invalid");
      const work = exchanger.then((e) => e.tokenFor(target, config.obo, id, io.deadline));
      const exchange = await io.deadline.race(work, "obo.unavailable");
      return {
        headers: { [config.header ?? "Authorization"]: `Bearer ${exchange.token}` },
        detail: { oboCache: exchange.cache, oboLatencyMs: exchange.latencyMs },
      };
    },
    admit: () => undefined,
  };
}
