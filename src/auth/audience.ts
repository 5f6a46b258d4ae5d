/**
 * The `aud` claim as a list: RFC 7519 §4.1.3 allows one string or an array. Array members are kept as
 * they are (a non-string member still counts, so a check on the list's length fails closed); any other
 * type, or no claim, is the empty list.
 */
export function audiencesOf(aud: unknown): readonly unknown[] {
  return typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
}
