import { randomUUID } from "node:crypto";
import type { AssertionSettings, AssertionTargetConfig } from "../config/schema.js";
import { DEFAULT_ASSERTION_HEADER } from "../config/constants.js";
import { tokenIdentity, type VerifiedToken } from "../auth/verify.js";
import { claimHeaders } from "../modes/claims.js";
import { type Clock, nowSeconds, systemClock } from "../clock.js";
import type { Deadline } from "../deadline.js";
import { deny, KeySetInvalid, SecretUnavailable } from "../errors.js";
import { LruMap } from "../lru-map.js";
import { type SecretFetcher, secretFailureReason } from "../secrets-manager.js";
import type { Reason } from "../respond/reasons.js";
import { assertionClaims, signAssertion } from "./claims.js";
import { currentSigningKey, parseSigningKeys, type SigningKey } from "./keys.js";

export interface AssertionResult {
  headers: Record<string, string>;
  cache: "hit" | "miss";
}

export interface AssertionEvents {
  /** The signing keys could not be read or used; `why` never carries secret material. */
  keyFailed(reason: Reason, why: string): void;
}

interface Issued {
  value: string;
  exp: number;
  /** Seconds since the epoch until which the assertion is handed out again: while more than half is left. */
  reuseUntil: number;
  signer: SigningKey;
}

interface LoadedKeys {
  keys: SigningKey[];
  loadedAt: number;
}

/**
 * Issues signed identity assertions for `assertion` targets: the I/O edge of the mode. The signing
 * keys come from Secrets Manager (cached for `keyMaxAgeSeconds`, concurrent reads share one request,
 * a failed read is never cached and never falls back to an older key set); assertions are reused per
 * caller token and target while more than half of their lifetime is left, and never once the key
 * that signed them no longer signs. Every failure is a Denial: there is no unsigned or stale header.
 */
export class AssertionIssuer {
  private loaded: LoadedKeys | undefined;
  private loading: Promise<LoadedKeys> | undefined;
  private readonly issued: LruMap<string, Issued>;

  constructor(
    private readonly settings: AssertionSettings,
    private readonly fetcher: SecretFetcher,
    private readonly events: AssertionEvents,
    private readonly clock: Clock = systemClock,
    maxEntries = 5_000,
  ) {
    this.issued = new LruMap(maxEntries);
  }

  /** Starts reading the signing keys now (cold start), so the first request rarely waits. */
  prefetch(signal: AbortSignal): void {
    this.load(signal).catch((err: unknown) => this.report(err));
  }

  /** The headers without I/O, when the signing keys are loaded and fresh; undefined otherwise. */
  headersNow(target: string, config: AssertionTargetConfig, id: VerifiedToken): AssertionResult | undefined {
    const now = nowSeconds(this.clock);
    const keys = this.freshKeys(now);
    return keys === undefined ? undefined : this.issue(keys, target, config, id, now);
  }

  /** The headers, reading the signing keys first when they are not loaded or due for a refresh. */
  async headers(target: string, config: AssertionTargetConfig, id: VerifiedToken, deadline: Deadline): Promise<AssertionResult> {
    const keys = this.freshKeys(nowSeconds(this.clock)) ?? (await this.load(deadline.signal).catch((err: unknown) => this.fail(err))).keys;
    return this.issue(keys, target, config, id, nowSeconds(this.clock));
  }

  private freshKeys(now: number): SigningKey[] | undefined {
    const l = this.loaded;
    return l !== undefined && now - l.loadedAt < this.settings.keyMaxAgeSeconds ? l.keys : undefined;
  }

  private load(signal: AbortSignal): Promise<LoadedKeys> {
    if (this.loading !== undefined) return this.loading;
    // Once due, the old set is not used again: a key removed from the secret stops signing.
    this.loaded = undefined;
    const loading = this.fetcher(this.settings.signingKeySecretArn, signal)
      .then((text) => ({ keys: parseSigningKeys(text, this.settings.algorithm), loadedAt: nowSeconds(this.clock) }))
      .then((l) => {
        this.loaded = l;
        return l;
      })
      .finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    this.loading = loading;
    return loading;
  }

  private fail(err: unknown): never {
    deny(this.report(err));
  }

  /** Logs why the keys could not be read (never secret material) and names the denial it means. */
  private report(err: unknown): Reason {
    const why = err instanceof KeySetInvalid || err instanceof SecretUnavailable ? err.why : "unavailable";
    const reason =
      err instanceof KeySetInvalid
        ? "assertion.key_unusable"
        : secretFailureReason(err instanceof SecretUnavailable ? err.permanence : "transient", "assertion");
    this.events.keyFailed(reason, why);
    return reason;
  }

  private issue(keys: SigningKey[], target: string, config: AssertionTargetConfig, id: VerifiedToken, now: number): AssertionResult {
    const signer = currentSigningKey(keys, now);
    if (signer === undefined) {
      this.events.keyFailed("assertion.key_unusable", "no active signing key whose notBefore has passed");
      deny("assertion.key_unusable");
    }
    const headers = config.headers === undefined ? {} : claimHeaders(config.headers, id);
    const header = config.header ?? DEFAULT_ASSERTION_HEADER;
    // One entry per target and caller token: another token of the same user may carry other claims.
    const key = JSON.stringify([target, id.issuer.issuer, id.sub, tokenIdentity(id)]);
    const cached = this.issued.get(key);
    if (
      cached !== undefined &&
      cached.signer.kid === signer.kid &&
      cached.signer.thumbprint === signer.thumbprint &&
      now < cached.reuseUntil
    ) {
      headers[header] = cached.value;
      return { headers, cache: "hit" };
    }
    const claims = assertionClaims(target, config, this.settings, id, now, randomUUID());
    const value = signAssertion(claims, signer);
    const { iat, exp } = claims;
    this.issued.set(key, { value, exp, reuseUntil: iat + (exp - iat) / 2, signer });
    headers[header] = value;
    return { headers, cache: "miss" };
  }
}
