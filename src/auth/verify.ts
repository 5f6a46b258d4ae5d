import { hash } from "node:crypto";
import { JwtBaseError, JwtExpiredError, JwtInvalidIssuerError, JwtNotBeforeError, JwtParseError } from "aws-jwt-verify/error";
import { validateJwtFields } from "aws-jwt-verify/jwt";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { Config, IssuerConfig } from "../config/schema.js";
import { Denial, deny, type Reason } from "../respond/reasons.js";
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
  /** performance.now() after which the entry is not used (≤ 5 min, ≤ exp − leeway). */
  until: number;
}

const VERIFIED_MAX_ENTRIES = 2_048;
const VERIFIED_MAX_AGE_MS = 300_000;

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
  private readonly verified = new Map<string, Verified>();

  constructor(
    private readonly config: Config,
    private readonly jwks: JwksCache,
    private readonly events: VerifierEvents,
  ) {
    this.issuers = new Map(config.issuers.map((i) => [i.issuer, i]));
  }

  /** The cache key of a token: a SHA-256, so the cache holds no token and no attacker picks collisions. */
  static keyOf(token: string): string {
    // One-shot hashing (Node ≥ 20.12): no Hash object per request.
    return hash("sha256", token, "base64url");
  }

  /**
   * A token whose signature was verified recently, checked again against every rule (no I/O, so no
   * promise and no deadline): undefined when it is not cached or its entry may no longer be used.
   */
  fromCache(token: string, key: string, note: UnverifiedNote): VerifiedToken | undefined {
    const hit = this.verified.get(key);
    if (hit === undefined) return undefined;
    const { issuer } = hit;
    if (performance.now() < hit.until && this.jwks.isFresh(issuer.jwksUri) && this.jwks.version(issuer.jwksUri) === hit.jwksVersion) {
      note.iss = issuer.issuer;
      note.kid = hit.kid;
      note.alg = hit.alg;
      return this.claimChecks(token, hit);
    }
    this.verified.delete(key);
    return undefined;
  }

  /**
   * Full verification without I/O, when the issuer's key set is loaded and fresh (the common case in
   * a warm container): no promise, no timer. Undefined when a key set must be fetched first.
   */
  verifyNow(token: string, cacheKey: string, note: UnverifiedNote): VerifiedToken | undefined {
    const decoded = this.decode(token, note);
    const key = this.jwks.cachedKey(decoded.issuer.jwksUri, decoded.kid);
    return key === undefined ? undefined : this.finish(token, cacheKey, decoded, key);
  }

  /** Full verification, fetching or refreshing the issuer's key set when needed. */
  async verify(token: string, note: UnverifiedNote, cacheKey = TokenVerifier.keyOf(token)): Promise<VerifiedToken> {
    const cached = this.fromCache(token, cacheKey, note);
    if (cached !== undefined) return cached;
    const decoded = this.decode(token, note);
    const key = await this.jwks.getKey(decoded.issuer.jwksUri, decoded.kid);
    return this.finish(token, cacheKey, decoded, key);
  }

  private remember(key: string, entry: Verified): void {
    if (this.verified.size >= VERIFIED_MAX_ENTRIES) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(key, entry);
  }

  /** Everything that depends on the clock, the issuer's rules and the claims: runs on every request. */
  private claimChecks(token: string, v: Omit<Verified, "until">): VerifiedToken {
    const { header, payload, issuer } = v;
    checkTokenKind(header, payload, issuer);
    checkTime(payload, this.config.clockSkewSeconds, issuer.maxTokenAgeSeconds, Date.now() / 1000);
    const f = checkIdentity(payload, issuer);
    // Built field by field: an object spread here cost more than all the checks above together.
    return { sub: f.sub, clientId: f.clientId, actor: f.actor, scopes: f.scopes, jti: f.jti, exp: f.exp, machine: f.machine, token, issuer, claims: payload, kid: v.kid, alg: v.alg };
  }

  /** Strict decoding and every check that needs no key: issuer, algorithm allowlist, kid, claim types. */
  private decode(token: string, note: UnverifiedNote): Decoded {
    const { header, payload, alg, kid } = decodeJws(token);
    rejectForeignType(header);
    note.alg = alg;
    if (kid !== undefined) note.kid = kid;
    const iss = payload.iss;
    if (iss === undefined) deny("token.issuer_untrusted");
    if (typeof iss !== "string") return deny("token.malformed");
    note.iss = iss;
    checkClaimTypes(payload);
    const issuer = this.issuers.get(iss) ?? deny("token.issuer_untrusted");
    if (!(issuer.algorithms as readonly string[]).includes(alg)) deny("token.alg_not_allowed");
    if (kid === undefined) return deny("token.kid_missing");
    return { header, payload, issuer, kid, alg };
  }

  /** The key rules, the signature, the registered claims (aws-jwt-verify), every claim rule; a success is remembered. */
  private finish(token: string, cacheKey: string, d: Decoded, key: VerificationKey): VerifiedToken {
    const { issuer, kid, alg } = d;
    if (key.key === undefined) return deny("token.signature_invalid");
    if (!algorithmFitsKey(alg, key)) deny("token.alg_key_mismatch");
    if (key.rsaBits !== undefined && key.rsaBits < MIN_RSA_BITS) {
      this.events.weakKey(issuer.issuer, kid, key.rsaBits);
      deny("token.key_too_weak");
    }
    const jwksVersion = this.jwks.version(issuer.jwksUri);
    // decodeJws checked the three segments as canonical base64url, so these are the bytes it decoded.
    const dot = token.lastIndexOf(".");
    if (!verifySignature(alg, key.key, token.slice(0, dot), Buffer.from(token.slice(dot + 1), "base64url"))) deny("token.signature_invalid");
    try {
      validateJwtFields(registeredClaims(d.payload), { issuer: issuer.issuer, audience: null, graceSeconds: this.config.clockSkewSeconds });
    } catch (err) {
      deny(libraryReason(err));
    }
    const verified = { ...d, jwksVersion };
    const result = this.claimChecks(token, verified);
    const lifetimeMs = (result.exp - this.config.clockSkewSeconds) * 1000 - Date.now();
    if (lifetimeMs > 0) this.remember(cacheKey, { ...verified, until: performance.now() + Math.min(VERIFIED_MAX_AGE_MS, lifetimeMs) });
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
