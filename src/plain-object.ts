import type { JsonWebKey } from "node:crypto";

/** A JSON object (not null, not an array): the one check every reader of outside JSON uses. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `text` as JSON when it is an object; undefined when it is not JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isPlainObject(value) ? value : undefined;
}

/** A JWK object as node:crypto reads it: string members kept, anything else dropped (the key then fails there). */
export function jwkFrom(v: Record<string, unknown>): JsonWebKey {
  const jwk: JsonWebKey = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === "string") jwk[k] = x;
  return jwk;
}
