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

export interface AssertionRuntime {
  issuer: AssertionIssuer;
  /** Settles (never rejects) when the init read of the signing keys has finished; at once without `prefetchJwks`. */
  prefetched: Promise<void>;
}

export function createAssertionIssuer(settings: AssertionSettings, options: AssertionRuntimeOptions, logger: Logger): AssertionRuntime {
  const clock = options.clock ?? systemClock;
  const read = options.secretFetcher ?? secretsManagerFetcher(options.secretsClientConfig);
  // The first read is the init prefetch (when asked for): it is observed so that init can wait for it.
  let first: Promise<unknown> | undefined;
  const fetcher: SecretFetcher = (secretId, signal) => {
    const value = read(secretId, signal);
    first ??= value;
    return value;
  };
  const events = {
    keyFailed: (reason: Reason, why: string) =>
      reason === "assertion.unavailable"
        ? logger.warn("assertion signing key unavailable", { why: clean(why) })
        : logger.error("assertion signing key unusable", { why: clean(why) }),
  };
  const issuer = new AssertionIssuer(settings, fetcher, events, clock);
  if (options.prefetchJwks !== true) return { issuer, prefetched: Promise.resolve() };
  issuer.prefetch(clock.timeout(PREFETCH_TIMEOUT_MS));
  return { issuer, prefetched: (first ?? Promise.resolve()).then(settle, settle) };
}

const settle = (): void => undefined;
