import { hash } from "node:crypto";
import { JwtBaseError, JwtExpiredError, JwtInvalidIssuerError, JwtNotBeforeError, JwtParseError } from "aws-jwt-verify/error";
import { validateJwtFields } from "aws-jwt-verify/jwt";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { Config, IssuerConfig } from "../config/schema.js";
import { type Clock, nowSeconds, systemClock } from "../clock.js";
import { Denial, deny } from "../errors.js";
import { LruMap } from "../lru-map.js";
import type { Reason } from "../respond/reasons.js";
import { decodeJws } from "./jws.js";
import type { JwksCache } from "./jwks-cache.js";
import { algorithmFitsKey, MIN_RSA_BITS, type VerificationKey } from "./keys.js";
import { verifySignature } from "./signature.js";
import { checkClaimTypes, checkIdentity, checkTime, checkTokenKind, rejectForeignType, type TokenFacts } from "./token-rules.js";

export interface VerifiedToken extends TokenFacts {
  /** The exact token string as received (forward mode sends these bytes). */
  token: string;
  issuer: IssuerConfig;
  claims: Record<string, unknown>;
  kid: string;
  alg: string;
}

/** What may be logged about a token before it is verified: only `iss`, `kid` and `alg` (LG-06). */
export interface UnverifiedNote {
  iss?: string;
  kid?: string;
  alg?: string;
}

/** The outcome of `TokenVerifier.verify`. */
export interface Verification {
  /** What may be logged about the token, as far as decoding got: also when verification fails. */
  readonly note: UnverifiedNote;
  /**
   * The identity: a value when no I/O was needed (a cached verification, or the issuer's key set loaded
   * and fresh: no promise, no timer), a promise when the key set must be fetched first. A refusal is a
   * `Denial`, raised or rejected.
   */
  readonly identity: VerifiedToken | Promise<VerifiedToken>;
  /** Whether the signature check was skipped for a recent verification of the same token. */
  readonly cache: "hit" | "miss";
}

/** Bounds of the verified-token cache (tests set small ones). */
export interface VerifiedCacheLimits {
  maxEntries: number;
  maxAgeMs: number;
}

export interface VerifierEvents {
  weakKey(issuer: string, kid: string, bits: number): void;
}

/** A token decoded and checked as far as possible without its key. */
interface Decoded {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  issuer: IssuerConfig;
  kid: string;
  alg: string;
}

/** A token whose signature and structure were verified; the claim checks still run on every use. */
interface Verified extends Decoded {
  jwksVersion: number;
  /** Time (ms on the verifier's clock) after which the entry is not used (≤ 5 min, ≤ exp − leeway). */
  until: number;
}

const VERIFIED_CACHE: VerifiedCacheLimits = { maxEntries: 2_048, maxAgeMs: 300_000 };

/**
 * The verified-token cache key: a SHA-256 of the token, so the cache holds no token and no attacker
 * picks collisions. One-shot hashing (Node ≥ 20.12): no Hash object per request.
 */
export function tokenCacheKey(token: string): string {
  return hash("sha256", token, "base64url");
}

/** One caller token, as the per-token caches downstream key it (obo tokens, assertions): its `jti`, else its hash. */
export const tokenIdentity = (id: VerifiedToken): string => id.jti ?? tokenCacheKey(id.token);

/**
 * Verifies a bearer token against the trusted issuers, on one path for every algorithm and claim
 * shape: our strict decoding (the only decode) and header rules first, key selection only in the JWKS
 * configured for the token's exact `iss` (keys validated and converted by aws-jwt-verify at load), the
 * signature on node:crypto (`signature.ts`), the registered claims through aws-jwt-verify's
 * `validateJwtFields` on the payload we decoded, then every check the library does not make.
 */
export class TokenVerifier {
  private readonly issuers: ReadonlyMap<string, IssuerConfig>;
  /**
   * Signatures already verified, keyed by a SHA-256 of the token: an agent session sends many calls
   * with one token. Bounded, never kept past the token's exp (minus leeway) nor 5 min, and ignored as
   * soon as the issuer's key set is due for refresh or has changed. Only the signature and the
   * decoding are skipped: time, kind, audience, client and scope rules run on every request.
   */
  private readonly verified: LruMap<string, Verified>;

  constructor(
    private readonly config: Config,
    private readonly jwks: JwksCache,
    private readonly events: VerifierEvents,
    private readonly clock: Clock = systemClock,
    private readonly limits: VerifiedCacheLimits = VERIFIED_CACHE,
  ) {
    this.issuers = new Map(config.issuers.map((i) => [i.issuer, i]));
    this.verified = new LruMap(limits.maxEntries);
  }

  /**
   * The one entry point. A recent verification of the same token skips the signature, never a rule;
   * otherwise the token is decoded once and verified with the cached key set when it is loaded and
   * fresh, or after fetching it. Never throws for the token: a refusal comes back in `identity`.
   */
  verify(token: string): Verification {
    const note: UnverifiedNote = {};
    const cacheKey = tokenCacheKey(token);
    const hit = this.cached(cacheKey);
    const cache = hit === undefined ? "miss" : "hit";
    try {
      if (hit !== undefined) {
        note.iss = hit.issuer.issuer;
        note.kid = hit.kid;
        note.alg = hit.alg;
        return { note, identity: this.claimChecks(token, hit), cache };
      }
      const decoded = this.decode(token, note);
      const key = this.jwks.cachedKey(decoded.issuer.jwksUri, decoded.kid);
      const identity =
        key !== undefined
          ? this.finish(token, cacheKey, decoded, key)
          : this.jwks.getKey(decoded.issuer.jwksUri, decoded.kid).then((k) => this.finish(token, cacheKey, decoded, k));
      return { note, identity, cache };
    } catch (err) {
      return { note, identity: Promise.reject(err instanceof Error ? err : new Denial("internal.error")), cache };
    }
  }

  /**
   * A recent verification of the token that may still be used: within its time bound, and the issuer's
   * key set neither due for refresh nor changed since. The rules still run on it (`claimChecks`).
   */
  private cached(key: string): Verified | undefined {
    const hit = this.verified.get(key);
    if (hit === undefined) return undefined;
    const { jwksUri } = hit.issuer;
    if (this.clock.now() < hit.until && this.jwks.isFresh(jwksUri) && this.jwks.version(jwksUri) === hit.jwksVersion) return hit;
    this.verified.delete(key);
    return undefined;
  }

  /** Everything that depends on the clock, the issuer's rules and the claims: runs on every request. */
  private claimChecks(token: string, v: Omit<Verified, "until">): VerifiedToken {
    const { header, payload, issuer } = v;
    checkTokenKind(header, payload, issuer);
    checkTime(payload, this.config.clockSkewSeconds, issuer.maxTokenAgeSeconds, nowSeconds(this.clock));
    const f = checkIdentity(payload, issuer);
    // Built field by field: an object spread here cost more than all the checks above together.
    return {
      sub: f.sub,
      clientId: f.clientId,
      actor: f.actor,
      scopes: f.scopes,
      jti: f.jti,
      exp: f.exp,
      machine: f.machine,
      token,
      issuer,
      claims: payload,
      kid: v.kid,
      alg: v.alg,
    };
  }

  /** Strict decoding and every check that needs no key: issuer, algorithm allowlist, kid, claim types. */
  private decode(token: string, note: UnverifiedNote): Decoded {
    const { header, payload, alg, kid } = decodeJws(token);
    rejectForeignType(header);
    note.alg = alg;
    if (kid !== undefined) note.kid = kid;
    const iss = payload.iss;
    if (iss === undefined) deny("token.issuer_untrusted");
    if (typeof iss !== "string") deny("token.malformed");
    note.iss = iss;
    checkClaimTypes(payload);
    const issuer = this.issuers.get(iss) ?? deny("token.issuer_untrusted");
    if (!(issuer.algorithms as readonly string[]).includes(alg)) deny("token.alg_not_allowed");
    if (kid === undefined) deny("token.kid_missing");
    return { header, payload, issuer, kid, alg };
  }

  /** The key rules, the signature, the registered claims (aws-jwt-verify), every claim rule; a success is remembered. */
  private finish(token: string, cacheKey: string, d: Decoded, key: VerificationKey): VerifiedToken {
    const { issuer, kid, alg } = d;
    if (key.key === undefined) deny("token.signature_invalid");
    if (!algorithmFitsKey(alg, key)) deny("token.alg_key_mismatch");
    if (key.rsaBits !== undefined && key.rsaBits < MIN_RSA_BITS) {
      this.events.weakKey(issuer.issuer, kid, key.rsaBits);
      deny("token.key_too_weak");
    }
    const jwksVersion = this.jwks.version(issuer.jwksUri);
    // decodeJws checked the three segments as canonical base64url, so these are the bytes it decoded.
    const dot = token.lastIndexOf(".");
    if (!verifySignature(alg, key.key, token.slice(0, dot), Buffer.from(token.slice(dot + 1), "base64url")))
      deny("token.signature_invalid");
    try {
      validateJwtFields(registeredClaims(d.payload), { issuer: issuer.issuer, audience: null, graceSeconds: this.config.clockSkewSeconds });
    } catch (err) {
      deny(libraryReason(err));
    }
    const verified = { ...d, jwksVersion };
    const result = this.claimChecks(token, verified);
    const now = this.clock.now();
    const lifetimeMs = (result.exp - this.config.clockSkewSeconds) * 1000 - now;
    if (lifetimeMs > 0) this.verified.set(cacheKey, { ...verified, until: now + Math.min(this.limits.maxAgeMs, lifetimeMs) });
    return result;
  }
}

/**
 * The registered claims aws-jwt-verify checks (`exp`, `nbf`, `iss`), typed as it expects: the
 * payload itself may hold what the library's payload type does not allow (an array `scope`).
 */
function registeredClaims(p: Record<string, unknown>): JwtPayload {
  const view: JwtPayload = {};
  if (typeof p.exp === "number") view.exp = p.exp;
  if (typeof p.nbf === "number") view.nbf = p.nbf;
  if (typeof p.iss === "string") view.iss = p.iss;
  return view;
}

/** Library errors mapped by class, never by message (their messages echo attacker text). */
function libraryReason(err: unknown): Reason {
  if (err instanceof Denial) return err.reason;
  if (err instanceof JwtExpiredError) return "token.expired";
  if (err instanceof JwtNotBeforeError) return "token.not_yet_valid";
  if (err instanceof JwtInvalidIssuerError) return "token.issuer_untrusted";
  if (err instanceof JwtParseError) return "token.malformed";
  if (err instanceof JwtBaseError) return "token.signature_invalid";
  return "internal.error";
}
