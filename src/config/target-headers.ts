import { DEFAULT_ASSERTION_HEADER } from "./constants.js";
import type { TargetConfig } from "./schema.js";

/**
 * The header names the interceptor sets on a target besides `Authorization`: every claims header, a
 * custom token header of a forward or obo target, an assertion target's assertion header and claim
 * headers. One answer for the Lambda (a client may never send them) and the deploy tooling (the target
 * must allowlist them); kept tiny, in the Lambda bundle.
 */
export function headersSetOn(target: TargetConfig): string[] {
  switch (target.mode) {
    case "claims":
      return Object.keys(target.headers);
    case "assertion":
      return [target.header ?? DEFAULT_ASSERTION_HEADER, ...Object.keys(target.headers ?? {})];
    case "forward":
    case "obo":
      return target.header !== undefined && target.header !== "Authorization" ? [target.header] : [];
    default:
      return [];
  }
}
