import type { HeaderBag } from "../event/headers.js";
import { deny } from "../respond/reasons.js";

const SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const SP = 0x20;
const isOws = (c: number) => c === SP || c === 0x09;

/**
 * The bearer token from the `Authorization` header (RFC 6750 §2.1, RFC 9110 §11): exactly one header
 * (any letter case), scheme `Bearer` in any case, one or more SP, one token. The size cap is applied
 * before anything else so a huge header costs nothing. Tokens anywhere else are never credentials.
 */
export function bearerToken(headers: HeaderBag, path: string | undefined, maxBytes: number): string {
  const values = headers.values("authorization");
  if (headers.keyCount("authorization") > 1 || values.length > 1) deny("auth.multiple_credentials");
  const value = values[0];
  if (value === undefined) return deny("auth.missing");
  // A UTF-16 unit is at most 3 UTF-8 bytes: the byte count is needed only when that could exceed the cap.
  if (value.length > maxBytes || (value.length * 3 > maxBytes && Buffer.byteLength(value, "utf8") > maxBytes)) deny("token.too_large");

  // Optional whitespace (SP / HTAB) around the field value, then `<scheme> 1*SP <token>`: scanned by
  // index rather than by regular expressions over the whole token (the hot path of every request).
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  const field = value.slice(start, end);
  const scheme = SCHEME.exec(field)?.[0];
  if (scheme === undefined) return deny("auth.malformed");
  if (scheme.toLowerCase() !== "bearer") deny("auth.unsupported_scheme");
  if (field.charCodeAt(scheme.length) !== SP) deny("auth.malformed");
  let at = scheme.length + 1;
  while (field.charCodeAt(at) === SP) at++;
  const token = field.slice(at);
  if (token === "") deny("auth.malformed");
  if (token.includes(",")) deny("auth.multiple_credentials");
  if (token.includes(" ")) deny("auth.malformed");
  if (path !== undefined && hasQueryToken(path)) deny("auth.multiple_credentials");
  return token;
}

function hasQueryToken(path: string): boolean {
  const q = path.indexOf("?");
  return q >= 0 && new URLSearchParams(path.slice(q + 1)).has("access_token");
}
