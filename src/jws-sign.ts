import { type KeyObject, sign } from "node:crypto";

/**
 * The one JWS signer (RFC 7515 §7.1 compact serialization), for the interceptor's own tokens: the
 * signed identity assertion and the `private_key_jwt` client assertion (RFC 7523).
 */
export type SigningAlgorithm = "RS256" | "ES256" | "ES384" | "EdDSA";

export const base64url = (v: string | Buffer): string => Buffer.from(v).toString("base64url");

/** The signing input: the encoded protected header and the encoded JSON payload. */
export const signingInput = (encodedHeader: string, payload: object): string => `${encodedHeader}.${base64url(JSON.stringify(payload))}`;

/** The compact JWS of a signing input. ECDSA signatures are R || S (RFC 7518 §3.4), not Node's default DER. */
export function signCompact(input: string, key: KeyObject, alg: SigningAlgorithm): string {
  const data = Buffer.from(input);
  const signature =
    alg === "EdDSA"
      ? sign(null, data, key)
      : alg === "RS256"
        ? sign("sha256", data, key)
        : sign(alg === "ES256" ? "sha256" : "sha384", data, { key, dsaEncoding: "ieee-p1363" });
  return `${input}.${base64url(signature)}`;
}
