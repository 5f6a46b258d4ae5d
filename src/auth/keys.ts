import { KeyObject } from "node:crypto";
import { assertIsJwk, assertIsSignatureJwk } from "aws-jwt-verify/jwk";
import { KeyObjectCache } from "aws-jwt-verify/jwt-verifier";

/** One JWKS entry, converted once when the key set is loaded. */
export interface VerificationKey {
  kid: string;
  jwk: Record<string, unknown>;
  /** undefined when the entry can never verify a signature (wrong `use`, `kty: oct`, broken). */
  key: KeyObject | undefined;
  kty: string;
  crv: string | undefined;
  rsaBits: number | undefined;
}

export const MIN_RSA_BITS = 2048;

/**
 * aws-jwt-verify's JWK → KeyObject conversion. Used without an issuer, so nothing is cached inside
 * the library: our JWKS cache decides how long a key lives (a reused `kid` must not keep its old key).
 */
const converter = new KeyObjectCache();

/**
 * aws-jwt-verify validates the JWK (member types, `kty` RSA/EC/OKP, `use: sig`, the members each key
 * type needs) and converts it; we add that `key_ops`, when present, allows `verify`.
 */
export function toVerificationKey(jwk: Record<string, unknown>, kid: string): VerificationKey {
  const kty = typeof jwk.kty === "string" ? jwk.kty : "";
  const crv = typeof jwk.crv === "string" ? jwk.crv : undefined;
  const ops = jwk.key_ops;
  let key: KeyObject | undefined;
  if ((jwk.use === undefined || jwk.use === "sig") && (ops === undefined || (Array.isArray(ops) && ops.includes("verify")))) {
    try {
      // The entry is parsed JSON (the key-set document), which is what the library's `Json` names.
      const candidate = jwk as Parameters<typeof assertIsJwk>[0];
      assertIsJwk(candidate);
      assertIsSignatureJwk(candidate);
      const converted = converter.transformJwkToKeyObjectSync(candidate);
      key = converted instanceof KeyObject && converted.type === "public" ? converted : undefined;
    } catch {
      key = undefined;
    }
  }
  const rsaBits = key?.asymmetricKeyType === "rsa" ? key.asymmetricKeyDetails?.modulusLength : undefined;
  return { kid, jwk, key, kty, crv, rsaBits };
}

/**
 * RFC 8725 §3.1 / RFC 7515 §10.6: each algorithm only with its own key type and curve. The JWK's own
 * `alg`, when present, must be the token's (docs/security.md L2).
 */
export function algorithmFitsKey(alg: string, key: VerificationKey): boolean {
  if (typeof key.jwk.alg === "string" && key.jwk.alg !== alg) return false;
  switch (alg) {
    case "RS256":
    case "RS384":
    case "RS512":
    case "PS256":
    case "PS384":
    case "PS512":
      return key.kty === "RSA";
    case "ES256":
      return key.kty === "EC" && key.crv === "P-256";
    case "ES384":
      return key.kty === "EC" && key.crv === "P-384";
    case "ES512":
      return key.kty === "EC" && key.crv === "P-521";
    case "EdDSA":
      return key.kty === "OKP" && (key.crv === "Ed25519" || key.crv === "Ed448");
    default:
      return false;
  }
}
