import type { Logger } from "@aws-lambda-powertools/logger";
import type { AssertionIssuer } from "./assertion/issuer.js";
import { JwksCache } from "./auth/jwks-cache.js";
import { httpsJwksFetcher, type JwksFetcher } from "./auth/jwks-fetch.js";
import { TokenVerifier } from "./auth/verify.js";
import { type Clock, systemClock } from "./clock.js";
import type { LoadedConfig } from "./config/load.js";
import type { Config } from "./config/schema.js";
import { errorClass } from "./errors.js";
import { clean } from "./log.js";
import type { Metrics, MetricsSettings } from "./metrics.js";
import type { IdentityMode } from "./modes/mode.js";
import { prepareModes } from "./modes/registry.js";
import type { OboExchanger } from "./obo/exchanger.js";
import type { SecretFetcher } from "./secrets-manager.js";
import { ManagedHeaders } from "./policy/managed-headers.js";

export interface HandlerOptions {
  config: LoadedConfig;
  /** Replaces the HTTPS JWKS fetcher (tests, custom transports). */
  fetcher?: JwksFetcher;
  /** Extra CA certificates (PEM) trusted for JWKS fetches. */
  ca?: string;
  logger?: Logger;
  /**
   * Start loading every issuer's JWKS, the assertion signing keys and the on-behalf-of client
   * credentials now, so the first request does not wait (cold start).
   */
  prefetchJwks?: boolean;
  /**
   * Called once, while the handler is prepared, with a promise that settles when every load
   * `prefetchJwks` started has finished, loaded or failed (it never rejects). The Lambda entry awaits
   * it, bounded, inside init (src/index.ts).
   */
  prefetched?: (settled: Promise<void>) => void;
  /** Replaces the Secrets Manager reader (obo client credentials and assertion signing keys). */
  secretFetcher?: SecretFetcher;
  /** Added to the Secrets Manager client's configuration (endpoint, credentials, request handler). */
  secretsClientConfig?: Record<string, unknown>;
  /** The clock every time-based decision and deadline uses (tests move it instead of sleeping). */
  clock?: Clock;
  /** Metrics settings; default: the loader's (`config.metrics`, from the environment), else on with the default namespace. */
  metrics?: MetricsSettings;
}

/** Everything built once per execution environment from a valid configuration; requests only walk it. */
export interface Runtime {
  config: Config;
  verifier: TokenVerifier;
  managed: ManagedHeaders;
  /** Each configured target's identity mode, bound to its settings. */
  modes: ReadonlyMap<string, IdentityMode>;
  /** Present only when a target uses `obo`: loaded in its own chunk, started at init. */
  exchanger: Promise<OboExchanger> | undefined;
  /** Present only when a target uses `assertion`: loaded in its own chunk, started at init. */
  assertions: Promise<AssertionIssuer> | undefined;
  /** Set once the missing-headers error has been logged (once per environment, not per request). */
  warnedNoHeaders: boolean;
}

/**
 * The runtime for a valid configuration, or undefined (and one ERROR line) when the configuration is
 * invalid or cannot be prepared: every request is then denied `config.invalid`.
 */
export function prepareRuntime(options: HandlerOptions, logger: Logger, metrics?: Metrics): Runtime | undefined {
  if (!options.config.ok) {
    logger.error("configuration is invalid: every request will be denied (config.invalid)", { problems: options.config.problems });
    return undefined;
  }
  try {
    return buildRuntime(options.config.config, options, logger, metrics);
  } catch (err) {
    logger.error("configuration could not be prepared: every request will be denied (config.invalid)", { errorClass: errorClass(err) });
    return undefined;
  }
}

function buildRuntime(config: Config, options: HandlerOptions, logger: Logger, metrics: Metrics | undefined): Runtime {
  const clock = options.clock ?? systemClock;
  const fetcher =
    options.fetcher ?? httpsJwksFetcher({ timeoutMs: config.jwks.timeoutMs, maxBytes: config.jwks.maxBytes, ca: options.ca }, clock);
  const jwks = new JwksCache(
    fetcher,
    config.jwks,
    {
      staleServed: (uri, age) => {
        metrics?.count("JwksStaleServed");
        logger.warn("JWKS refresh failed; serving the cached key set", { jwksUri: uri, ageSeconds: age });
      },
      fetchFailed: (uri, why) => {
        metrics?.count("JwksFetchFailures");
        logger.warn("JWKS fetch failed", { jwksUri: uri, why });
      },
      fetched: () => metrics?.count("JwksFetches"),
    },
    clock,
  );
  const verifier = new TokenVerifier(
    config,
    jwks,
    { weakKey: (issuer, kid, bits) => logger.error("IdP key below 2048 bits refused", { iss: issuer, kid: clean(kid), bits }) },
    clock,
  );
  const loads: Promise<unknown>[] = [];
  if (options.prefetchJwks === true) for (const i of config.issuers) loads.push(jwks.prefetch(i.jwksUri));
  for (const [name, target] of Object.entries(config.targets)) {
    if (target.mode === "forward" && target.allowPassthrough === true && target.audience === undefined) {
      logger.warn("forward target passes tokens not issued for it (allowPassthrough); the MCP specification forbids token passthrough", {
        target: name,
      });
    }
  }
  const usesObo = Object.values(config.targets).some((t) => t.mode === "obo");
  const obo = usesObo ? import("./obo/runtime.js").then((m) => m.createExchanger(config, options, logger)) : undefined;
  const exchanger = obo?.then((o) => o.exchanger);
  if (obo !== undefined) loads.push(obo.then((o) => o.prefetched));
  // A failed chunk load surfaces on the first obo request as a deny, never as an unhandled rejection.
  exchanger?.catch(() => undefined);
  const signing = config.assertion;
  const assertion =
    signing !== undefined && Object.values(config.targets).some((t) => t.mode === "assertion")
      ? import("./assertion/runtime.js").then((m) => m.createAssertionIssuer(signing, options, logger))
      : undefined;
  const assertions = assertion?.then((a) => a.issuer);
  assertions?.catch(() => undefined);
  if (assertion !== undefined) loads.push(assertion.then((a) => a.prefetched));
  options.prefetched?.(Promise.allSettled(loads).then(() => undefined));
  return {
    config,
    verifier,
    managed: new ManagedHeaders(config),
    modes: prepareModes(config.targets),
    exchanger,
    assertions,
    warnedNoHeaders: false,
  };
}
