import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";

/**
 * The one JWS signature check (RFC 7518 §3), on node:crypto: aws-jwt-verify does not export its
 * signature routine and has no PS256/384/512, so the whole family runs here, for every algorithm
 * alike. The caller has already bound the algorithm to the key (`algorithmFitsKey`).
 */
const HASH: Readonly<Record<string, string>> = {
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  PS256: "sha256",
  PS384: "sha384",
  PS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
};

/** RFC 7518 §3.4: an ECDSA JWS signature is R ‖ S, each exactly the curve's coordinate size. */
const EC_SIGNATURE_BYTES: Readonly<Record<string, number>> = { ES256: 64, ES384: 96, ES512: 132 };

/** RFC 7518 §3.5: RSASSA-PSS with MGF1 on the same hash and a salt as long as the hash output. */
const PSS_SALT_BYTES: Readonly<Record<string, number>> = { PS256: 32, PS384: 48, PS512: 64 };

/**
 * True when `signature` is `alg`'s signature of `signingInput` (the ASCII `header.payload`) under
 * `key`. Never throws: node:crypto refuses some malformed signatures by throwing, which is a false.
 */
export function verifySignature(alg: string, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const data = Buffer.from(signingInput, "latin1");
  try {
    if (alg === "EdDSA") return verify(null, data, key, signature);
    const hash = HASH[alg];
    if (hash === undefined) return false;
    const ecBytes = EC_SIGNATURE_BYTES[alg];
    if (ecBytes !== undefined) {
      return signature.length === ecBytes && verify(hash, data, { key, dsaEncoding: "ieee-p1363" }, signature);
    }
    const salt = PSS_SALT_BYTES[alg];
    const input: KeyObject | VerifyKeyObjectInput =
      salt === undefined ? key : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: salt };
    return verify(hash, data, input, signature);
  } catch {
    return false;
  }
}
