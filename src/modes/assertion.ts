import type { AssertionTargetConfig } from "../config/schema.js";
import { deny } from "../errors.js";
import { claimHeaders } from "./claims.js";
import type { IdentityMode } from "./mode.js";

/**
 * `assertion`: a short-lived JWS signed by the interceptor (assertion/issuer.ts), plus any claim
 * headers the target names. Signing needs the keys; whether a call would pass is decided by the claim
 * headers alone, as for `claims`.
 */
export function assertionMode(config: AssertionTargetConfig): IdentityMode {
  const extra = config.headers ?? {};
  return {
    async issue(target, id, io) {
      const issuer = (await io.assertions) ?? deny("config.invalid");
      // Signing keys loaded and fresh: no promise, no timer. Otherwise read them inside the deadline.
      const result =
        issuer.headersNow(target, config, id) ??
        (await io.deadline.race(issuer.headers(target, config, id, io.deadline), "assertion.unavailable"));
      return { headers: result.headers, detail: { assertionCache: result.cache } };
    },
    admit: (id) => void claimHeaders(extra, id),
  };
}
