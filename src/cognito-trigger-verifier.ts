import { JwksCache } from "./auth/jwks-cache.js";
import { httpsJwksFetcher, type JwksFetcher } from "./auth/jwks-fetch.js";
import { TokenVerifier, type VerifiedToken } from "./auth/verify.js";
import type { Config } from "./config/schema.js";
import { Denial, UserTokenRejected } from "./errors.js";

/**
 * The Cognito pre token generation trigger's check of the user token, done by the interceptor's own
 * verification code (docs/security.md §2): the strict decoder, the per-issuer rules and a JWKS cache
 * whose keys expire and whose fetches are bounded. The trigger's settings become a one-issuer
 * interceptor config: the pool as issuer, its app clients standing in for the audience, and
 * `token_use: access`. Only the verifier's public surface is used here.
 */
export interface UserTokenSettings {
  issuer: string;
  jwksUri: string;
  userClientIds: string[];
}

export interface UserTokenOptions {
  /** Extra CA certificates for the JWKS fetch (tests). */
  ca?: string | undefined;
  /** Replaces the HTTPS fetch of the JWKS (tests). */
  fetcher?: JwksFetcher | undefined;
}

export interface UserTokenEvents {
  jwksFailed(why: string, detail: { jwksUri: string; ageSeconds?: number }): void;
  weakKey(kid: string, bits: number): void;
}

export type UserTokenVerifier = (token: string) => Promise<VerifiedToken>;

/**
 * The one-issuer interceptor config for the trigger's settings, with the interceptor's defaults written
 * out rather than parsed, so the config schema stays out of the trigger's bundle (the trigger's own
 * schema validated the settings). A test holds it equal to what the config schema would produce.
 */
export function triggerIssuerConfig(settings: UserTokenSettings): Config {
  return {
    issuers: [
      {
        issuer: settings.issuer,
        jwksUri: settings.jwksUri,
        clientIds: settings.userClientIds,
        tokenUse: "access",
        algorithms: ["RS256"],
        scopeClaim: "scope",
      },
    ],
    clockSkewSeconds: 60,
    targets: {},
    unlistedTargets: "strip",
    listingFilter: "on",
    responseOutput: "status-and-body",
    mcpPath: "/mcp",
    oboCache: { maxEntries: 5_000, secretMaxAgeSeconds: 300 },
    maxAuthorizationBytes: 16_384,
    jwks: {
      maxAgeSeconds: 600,
      staleIfErrorSeconds: 3_600,
      negativeCacheSeconds: 10,
      refetchIntervalSeconds: 10,
      timeoutMs: 1_500,
      maxBytes: 131_072,
    },
  };
}

export function userTokenVerifier(settings: UserTokenSettings, options: UserTokenOptions, events: UserTokenEvents): UserTokenVerifier {
  const config = triggerIssuerConfig(settings);
  const fetcher = options.fetcher ?? httpsJwksFetcher({ timeoutMs: config.jwks.timeoutMs, maxBytes: config.jwks.maxBytes, ca: options.ca });
  const jwks = new JwksCache(fetcher, config.jwks, {
    staleServed: (uri, ageSeconds) => events.jwksFailed("refresh failed; serving the cached key set", { jwksUri: uri, ageSeconds }),
    fetchFailed: (uri, why) => events.jwksFailed(why, { jwksUri: uri }),
  });
  const verifier = new TokenVerifier(config, jwks, { weakKey: (_issuer, kid, bits) => events.weakKey(kid, bits) });
  return async (token) => {
    try {
      return await verifier.verify(token).identity;
    } catch (err) {
      throw new UserTokenRejected(err instanceof Denial ? err.reason : "internal.error");
    }
  };
}
