import { type AssertionAlgorithm, jwksOf, parseSigningKeys } from "./keys.js";

/**
 * The public JWKS that `assertion` targets verify against, from the signing secret's `SecretString`
 * (`npm run jwks -- --secret-file key.json` prints it). Every key in the secret is published, pending
 * and retired ones included, each with `kid`, `alg` and `use: "sig"`; no private member ever.
 * Throws `KeySetInvalid` when the secret holds no usable key for the algorithm.
 */
export function publicJwks(secretString: string, algorithm: AssertionAlgorithm = "ES256"): { keys: Record<string, string>[] } {
  return jwksOf(parseSigningKeys(secretString, algorithm));
}

export { type AssertionAlgorithm } from "./keys.js";
