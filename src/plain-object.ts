import type { JsonWebKey } from "node:crypto";

/** A JSON object (not null, not an array): the one check every reader of outside JSON uses. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JWK object as node:crypto reads it: string members kept, anything else dropped (the key then fails there). */
export function jwkFrom(v: Record<string, unknown>): JsonWebKey {
  const jwk: JsonWebKey = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === "string") jwk[k] = x;
  return jwk;
}
