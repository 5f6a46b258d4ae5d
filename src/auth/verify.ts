import {
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtNotBeforeError,
  JwtParseError,
} from "aws-jwt-verify/error";
import type { Jwk } from "aws-jwt-verify/jwk";
import { verifyJwtSync } from "aws-jwt-verify/jwt-verifier";
import type { Config, IssuerConfig } from "../config/schema.js";
import { Denial, deny, type Reason } from "../respond/reasons.js";
import { decodeJws } from "./jws.js";
import type { JwksCache } from "./jwks-cache.js";
import { algorithmFitsKey, MIN_RSA_BITS } from "./keys.js";
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

/**
 * Verifies a bearer token against the trusted issuers: strict decoding and header rules first, key
 * selection only in the JWKS configured for the token's exact `iss`, the signature and registered
 * claims through aws-jwt-verify, then every check the library does not make.
 */
export class TokenVerifier {
  private readonly issuers: ReadonlyMap<string, IssuerConfig>;

  constructor(
    private readonly config: Config,
    private readonly jwks: JwksCache,
    private readonly events: VerifierEvents,
  ) {
    this.issuers = new Map(config.issuers.map((i) => [i.issuer, i]));
  }

  async verify(token: string, note: UnverifiedNote): Promise<VerifiedToken> {
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

    const key = await this.jwks.getKey(issuer.jwksUri, kid);
    if (key.key === undefined) deny("token.signature_invalid");
    if (!algorithmFitsKey(alg, key)) deny("token.alg_key_mismatch");
    if (key.rsaBits !== undefined && key.rsaBits < MIN_RSA_BITS) {
      this.events.weakKey(issuer.issuer, kid, key.rsaBits);
      deny("token.key_too_weak");
    }

    const leeway = this.config.clockSkewSeconds;
    try {
      verifyJwtSync(token, key.jwk as Jwk, { issuer: issuer.issuer, audience: null, graceSeconds: leeway }, () => key.key!);
    } catch (err) {
      deny(libraryReason(err));
    }
    checkTokenKind(header, payload, issuer);
    checkTime(payload, leeway, issuer.maxTokenAgeSeconds, Date.now() / 1000);
    const facts = checkIdentity(payload, issuer);
    return { ...facts, token, issuer, claims: payload, kid, alg };
  }
}

/** Library errors mapped by class, never by message (their messages echo attacker text). */
function libraryReason(err: unknown): Reason {
  if (err instanceof Denial) return err.reason;
  if (err instanceof JwtExpiredError) return "token.expired";
  if (err instanceof JwtNotBeforeError) return "token.not_yet_valid";
  if (err instanceof JwtInvalidIssuerError) return "token.issuer_untrusted";
  if (err instanceof JwtInvalidSignatureAlgorithmError) return "token.alg_key_mismatch";
  if (err instanceof JwtParseError) return "token.malformed";
  if (err instanceof JwtBaseError) return "token.signature_invalid";
  // node:crypto refuses some malformed signatures by throwing rather than returning false.
  return "token.signature_invalid";
}
