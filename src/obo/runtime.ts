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
  clock?: Clock | undefined;
}

export async function createExchanger(config: Config, options: OboRuntimeOptions, logger: Logger): Promise<OboExchanger> {
  const clock = options.clock ?? systemClock;
  // The AWS SDK loads once per container, started at init: its load counts against the request
  // deadline (the handler awaits this promise inside it), never against one token-endpoint call's
  // `timeoutMs`, which would otherwise expire before a cold container's first secret read is sent.
  if (options.secretFetcher === undefined) await import("@aws-sdk/client-secrets-manager");
  return new OboExchanger(
    new SecretCache(
      options.secretFetcher ?? secretsManagerFetcher(options.secretsClientConfig),
      config.oboCache.secretMaxAgeSeconds,
      clock,
    ),
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
}
