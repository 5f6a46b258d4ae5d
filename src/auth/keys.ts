import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";

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

export function toVerificationKey(jwk: Record<string, unknown>, kid: string): VerificationKey {
  const kty = typeof jwk.kty === "string" ? jwk.kty : "";
  const crv = typeof jwk.crv === "string" ? jwk.crv : undefined;
  const ops = jwk.key_ops;
  const usable =
    ["RSA", "EC", "OKP"].includes(kty) &&
    (jwk.use === undefined || jwk.use === "sig") &&
    (ops === undefined || (Array.isArray(ops) && ops.includes("verify")));
  let key: KeyObject | undefined;
  if (usable) {
    try {
      const { kty: _k, use: _u, key_ops: _o, alg: _a, kid: _i, ...material } = jwk;
      key = createPublicKey({ key: { kty, ...material } as JsonWebKey, format: "jwk" });
    } catch {
      key = undefined;
    }
  }
  const rsaBits = key?.asymmetricKeyType === "rsa" ? key.asymmetricKeyDetails?.modulusLength : undefined;
  return { kid, jwk, key, kty, crv, rsaBits };
}

/**
 * RFC 8725 §3.1 / RFC 7515 §10.6: each algorithm only with its own key type and curve. The library
 * lets the token's `alg` pick the routine when the JWK has no `alg` (security.md L2).
 */
export function algorithmFitsKey(alg: string, key: VerificationKey): boolean {
  if (typeof key.jwk.alg === "string" && key.jwk.alg !== alg) return false;
  switch (alg) {
    case "RS256":
    case "RS384":
    case "RS512":
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
