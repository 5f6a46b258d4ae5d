import type { AssertionSettings, AssertionTargetConfig } from "../config/schema.js";
import type { VerifiedToken } from "../auth/verify.js";
import { deny } from "../errors.js";
import { signCompact, signingInput } from "../jws-sign.js";
import type { SigningKey } from "./keys.js";

/** An assertion larger than this is refused (`claims.unsafe_value`): proxies cap header sizes near 8 KiB. */
export const MAX_ASSERTION_BYTES = 6_144;

/** The claims the assertion always carries, then `act` and the configured claims of the caller's token. */
export interface AssertionClaims extends Record<string, unknown> {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  idp: string;
}

/**
 * The assertion's claims, from verified data only (docs/design.md "assertion"): `iss` = the
 * interceptor, `aud` = the target (or its configured audience), `sub` = `<original iss>|<sub>` (a
 * subject is unique only per issuer, RFC 7519 §4.1.2), `idp` = the original issuer (Entra ID's claim
 * for "the identity provider that authenticated the subject":
 * https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference), `iat`/`exp`
 * (never past the caller's own token: a token accepted only within the clock skew after its `exp`
 * gets no assertion, `token.expired`), `jti`, the verified `act` chain, and the
 * configured top-level claims of the caller's token. Never the caller's token itself.
 */
export function assertionClaims(
  target: string,
  config: AssertionTargetConfig,
  settings: AssertionSettings,
  id: VerifiedToken,
  nowSeconds: number,
  jti: string,
): AssertionClaims {
  const iat = Math.floor(nowSeconds);
  if (id.exp <= iat) deny("token.expired");
  const exp = Math.min(iat + settings.lifetimeSeconds, id.exp);
  const claims: AssertionClaims = {
    iss: settings.issuer,
    sub: `${id.issuer.issuer}|${id.sub}`,
    aud: config.audience ?? target,
    iat,
    exp,
    jti,
    idp: id.issuer.issuer,
  };
  // `act` was checked when the token was verified (an object whose `sub` is a non-empty string).
  if (id.actor !== undefined) claims.act = id.claims.act;
  for (const name of config.claims ?? []) {
    if (Object.hasOwn(id.claims, name)) claims[name] = id.claims[name];
  }
  return claims;
}

/** A compact JWS (RFC 7515 §7.1) over the claims, with the key's precomputed protected header. */
export function signAssertion(claims: Record<string, unknown>, key: SigningKey): string {
  const input = signingInput(key.protectedHeader, claims);
  if (input.length > MAX_ASSERTION_BYTES) deny("claims.unsafe_value");
  return signCompact(input, key.key, key.alg);
}
