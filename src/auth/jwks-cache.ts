import { type Clock, systemClock } from "../clock.js";
import { deny, errorClass, Failure, JwksInvalid } from "../errors.js";
import { isPlainObject } from "../plain-object.js";
import type { JwksFetcher } from "./jwks-fetch.js";
import { toVerificationKey, type VerificationKey } from "./keys.js";

export interface JwksCacheSettings {
  maxAgeSeconds: number;
  staleIfErrorSeconds: number;
  negativeCacheSeconds: number;
  refetchIntervalSeconds: number;
}

export interface JwksCacheEvents {
  /** A refresh failed and a stale key set is being used (WARN). */
  staleServed(uri: string, ageSeconds: number): void;
  fetchFailed(uri: string, why: string): void;
  /** A key set was fetched and parsed (counted as a metric). */
  fetched?(uri: string): void;
}

interface UriState {
  uri: string;
  keys: Map<string, VerificationKey> | undefined;
  fetchedAt: number;
  lastAttemptAt: number;
  failedAt: number | undefined;
  inflight: Promise<void> | undefined;
  /** Bumped on every successful load, so caches derived from keys know when they changed. */
  version: number;
}

/**
 * Our own JWKS cache (docs/security.md §2 L5–L7): keys expire after `maxAgeSeconds`, so a key the IdP
 * removed stops being trusted; a failed refresh keeps serving the old set up to `staleIfErrorSeconds`;
 * after a failure no fetch is tried for `negativeCacheSeconds`, so a dead IdP costs one short wait;
 * an unknown `kid` triggers at most one refetch per `refetchIntervalSeconds`; concurrent loads coalesce.
 */
export class JwksCache {
  private readonly state = new Map<string, UriState>();

  constructor(
    private readonly fetcher: JwksFetcher,
    private readonly settings: JwksCacheSettings,
    private readonly events: JwksCacheEvents,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Loads a key set ahead of the first request (cold start); failures are only recorded. */
  prefetch(uri: string): Promise<void> {
    return this.load(this.slot(uri)).catch(() => undefined);
  }

  /** Bumped whenever the key set of `uri` is (re)loaded: derived caches compare it. */
  version(uri: string): number {
    return this.state.get(uri)?.version ?? 0;
  }

  /** The key, without I/O, when the key set is loaded, fresh and holds it; undefined otherwise. */
  cachedKey(uri: string, kid: string): VerificationKey | undefined {
    return this.isFresh(uri) ? this.state.get(uri)?.keys?.get(kid) : undefined;
  }

  /** True while the loaded key set is within its max age (no refresh due). */
  isFresh(uri: string): boolean {
    const st = this.state.get(uri);
    return st?.keys !== undefined && this.ageSeconds(st.fetchedAt) < this.settings.maxAgeSeconds;
  }

  async getKey(uri: string, kid: string): Promise<VerificationKey> {
    const st = this.slot(uri);
    const { maxAgeSeconds, staleIfErrorSeconds, negativeCacheSeconds, refetchIntervalSeconds } = this.settings;
    let fetchedNow = false;
    if (st.keys === undefined || this.ageSeconds(st.fetchedAt) >= maxAgeSeconds) {
      // Within the negative-cache window after a failure no fetch is tried (unless one is in flight).
      const inNegativeWindow =
        st.failedAt !== undefined && this.ageSeconds(st.failedAt) < negativeCacheSeconds && st.inflight === undefined;
      fetchedNow =
        !inNegativeWindow &&
        (await this.load(st).then(
          () => true,
          () => false,
        ));
      if (!fetchedNow) {
        const age = this.ageSeconds(st.fetchedAt);
        if (st.keys === undefined || age >= staleIfErrorSeconds) deny("jwks.unavailable");
        this.events.staleServed(uri, Math.floor(age));
      }
    }
    const found = st.keys?.get(kid);
    if (found) return found;
    if (!fetchedNow) {
      const since = this.ageSeconds(st.lastAttemptAt);
      if (since < refetchIntervalSeconds) {
        deny("jwks.rate_limited", { retryAfter: Math.max(1, Math.ceil(refetchIntervalSeconds - since)) });
      }
      if (
        !(await this.load(st).then(
          () => true,
          () => false,
        ))
      )
        deny("jwks.unavailable");
    }
    return st.keys?.get(kid) ?? deny("token.kid_unknown");
  }

  private ageSeconds(since: number): number {
    return (this.clock.now() - since) / 1000;
  }

  private slot(uri: string): UriState {
    let st = this.state.get(uri);
    if (!st) {
      st = { uri, keys: undefined, fetchedAt: 0, lastAttemptAt: -Infinity, failedAt: undefined, inflight: undefined, version: 0 };
      this.state.set(uri, st);
    }
    return st;
  }

  private load(st: UriState): Promise<void> {
    if (st.inflight) return st.inflight;
    const { uri } = st;
    st.lastAttemptAt = this.clock.now();
    st.inflight = this.fetcher(uri)
      .then((doc) => {
        st.keys = parseJwks(doc);
        st.fetchedAt = this.clock.now();
        st.failedAt = undefined;
        st.version++;
        this.events.fetched?.(uri);
      })
      .catch((err: unknown) => {
        st.failedAt = this.clock.now();
        this.events.fetchFailed(uri, err instanceof Failure ? err.why : errorClass(err));
        throw err;
      })
      .finally(() => {
        st.inflight = undefined;
      });
    return st.inflight;
  }
}

/** `{"keys":[…]}` with object entries; the first entry wins for a repeated `kid` (as in the library). */
function parseJwks(doc: unknown): Map<string, VerificationKey> {
  const keys = isPlainObject(doc) ? doc.keys : undefined;
  if (!Array.isArray(keys)) throw new JwksInvalid("not a JWKS");
  const map = new Map<string, VerificationKey>();
  for (const entry of keys) {
    if (!isPlainObject(entry)) throw new JwksInvalid("JWKS entry is not an object");
    const jwk = entry;
    if (typeof jwk.kid === "string" && !map.has(jwk.kid)) map.set(jwk.kid, toVerificationKey(jwk, jwk.kid));
  }
  return map;
}
