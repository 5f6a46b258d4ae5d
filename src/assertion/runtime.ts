import type { Logger } from "@aws-lambda-powertools/logger";
import type { AssertionSettings } from "../config/schema.js";
import { type Clock, systemClock } from "../clock.js";
import { clean } from "../log.js";
import { type SecretFetcher, secretsManagerFetcher } from "../secrets-manager.js";
import type { Reason } from "../respond/reasons.js";
import { AssertionIssuer } from "./issuer.js";

/**
 * Builds the signed-assertion machinery. The handler imports this module dynamically, so deployments
 * without an `assertion` target never load it (nor the AWS SDK it loads in turn).
 */
export interface AssertionRuntimeOptions {
  secretFetcher?: SecretFetcher | undefined;
  secretsClientConfig?: Record<string, unknown> | undefined;
  /** Read the signing keys at init, as the Lambda entry does for JWKS. */
  prefetchJwks?: boolean | undefined;
  clock?: Clock | undefined;
}

const PREFETCH_TIMEOUT_MS = 5_000;

export function createAssertionIssuer(settings: AssertionSettings, options: AssertionRuntimeOptions, logger: Logger): AssertionIssuer {
  const clock = options.clock ?? systemClock;
  const fetcher = options.secretFetcher ?? secretsManagerFetcher(options.secretsClientConfig);
  const events = {
    keyFailed: (reason: Reason, why: string) =>
      reason === "assertion.unavailable"
        ? logger.warn("assertion signing key unavailable", { why: clean(why) })
        : logger.error("assertion signing key unusable", { why: clean(why) }),
  };
  const issuer = new AssertionIssuer(settings, fetcher, events, clock);
  if (options.prefetchJwks === true) issuer.prefetch(clock.timeout(PREFETCH_TIMEOUT_MS));
  return issuer;
}
