import type { Logger } from "@aws-lambda-powertools/logger";
import type { Config } from "../config/schema.js";
import { type Clock, systemClock } from "../clock.js";
import { clean } from "../log.js";
import { OboExchanger } from "./exchanger.js";
import { type SecretFetcher, secretsManagerFetcher } from "../secrets-manager.js";
import { SecretCache } from "./secrets.js";

/**
 * Builds the on-behalf-of machinery. The handler imports this module dynamically, so deployments
 * without an `obo` target never load it (nor the AWS SDK it loads in turn).
 */
export interface OboRuntimeOptions {
  secretFetcher?: SecretFetcher | undefined;
  secretsClientConfig?: Record<string, unknown> | undefined;
  ca?: string | undefined;
  /** Read every obo target's client credential at init, as the Lambda entry does for JWKS. */
  prefetchJwks?: boolean | undefined;
  clock?: Clock | undefined;
}

export interface OboRuntime {
  exchanger: OboExchanger;
  /** Settles (never rejects) when the init reads of the client credentials have finished; at once without `prefetchJwks`. */
  prefetched: Promise<void>;
}

/** The bound of one init read of a client credential (a request reads it again when this one failed). */
const PREFETCH_TIMEOUT_MS = 5_000;

export async function createExchanger(config: Config, options: OboRuntimeOptions, logger: Logger): Promise<OboRuntime> {
  const clock = options.clock ?? systemClock;
  // The AWS SDK loads once per container, started at init: its load counts against the request
  // deadline (the handler awaits this promise inside it), never against one token-endpoint call's
  // `timeoutMs`, which would otherwise expire before a cold container's first secret read is sent.
  if (options.secretFetcher === undefined) await import("@aws-sdk/client-secrets-manager");
  const secrets = new SecretCache(
    options.secretFetcher ?? secretsManagerFetcher(options.secretsClientConfig),
    config.oboCache.secretMaxAgeSeconds,
    clock,
  );
  const exchanger = new OboExchanger(
    secrets,
    {
      // The OAuth error code comes from the token endpoint: escaped and truncated like any outside text.
      tokenEndpointFailed: (host, { error, ...detail }) =>
        logger.warn("token endpoint call failed", { host, ...detail, ...(error !== undefined ? { error: clean(error) } : {}) }),
      secretFailed: (why) => logger.error("client credential unavailable", { why }),
    },
    config.clockSkewSeconds,
    config.oboCache.maxEntries,
    options.ca,
    clock,
  );
  if (options.prefetchJwks !== true) return { exchanger, prefetched: Promise.resolve() };
  // A failed read leaves nothing cached (SecretCache drops it): the first obo request reads again and reports.
  const arns = new Set(Object.values(config.targets).flatMap((t) => (t.mode === "obo" ? [t.obo.clientSecretArn] : [])));
  const reads = [...arns].map((arn) => secrets.get(arn, clock.timeout(PREFETCH_TIMEOUT_MS)));
  return { exchanger, prefetched: Promise.allSettled(reads).then(() => undefined) };
}
