import type { TargetConfig } from "../config/schema.js";
import { assertionMode } from "./assertion.js";
import { claimsMode } from "./claims.js";
import { forwardMode } from "./forward.js";
import type { IdentityMode } from "./mode.js";
import { oboMode } from "./obo.js";

const NONE: IdentityMode = { issue: () => ({ headers: {} }), admit: () => undefined };

/** The one place a target's `mode` becomes behaviour, for the REQUEST path and the listing filter alike. */
export function modeOf(config: TargetConfig): IdentityMode {
  switch (config.mode) {
    case "forward":
      return forwardMode(config);
    case "claims":
      return claimsMode(config);
    case "obo":
      return oboMode(config);
    case "assertion":
      return assertionMode(config);
    case "none":
      return NONE;
  }
}

/** Each configured target's mode, bound once at cold start: a request only walks prepared objects. */
export function prepareModes(targets: Readonly<Record<string, TargetConfig>>): ReadonlyMap<string, IdentityMode> {
  return new Map(Object.entries(targets).map(([name, config]) => [name, modeOf(config)]));
}
