import type { HeaderBag } from "../event/headers.js";
import { deny } from "../errors.js";

const SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const SP = 0x20;

/**
 * The bearer token from the `Authorization` header (RFC 6750 §2.1, RFC 9110 §11): exactly one header
 * (any letter case), scheme `Bearer` in any case, one or more SP, one token. The size cap is applied
 * before anything else so a huge header costs nothing. Tokens anywhere else are never credentials.
 */
export function bearerToken(headers: HeaderBag, path: string | undefined, maxBytes: number): string {
  const values = headers.values("authorization");
  if (headers.keyCount("authorization") > 1 || values.length > 1) deny("auth.multiple_credentials");
  const value = values[0];
  if (value === undefined) deny("auth.missing");
  // A UTF-16 unit is at most 3 UTF-8 bytes: the byte count is needed only when that could exceed the cap.
  if (value.length > maxBytes || (value.length * 3 > maxBytes && Buffer.byteLength(value, "utf8") > maxBytes)) deny("token.too_large");

  const field = trimBlanks(value);
  const scheme = SCHEME.exec(field)?.[0];
  if (scheme === undefined) deny("auth.malformed");
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

const isBlank = (c: number) => c === 0x20 || c === 0x09;

/**
 * SP and HTAB trimmed from both ends by index (RFC 9110 §5.5 OWS). A regex `[ \t]+$` rescans the
 * rest of the value from every blank: quadratic, about 220 ms for 16 KiB of spaces before any check.
 */
function trimBlanks(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

function hasQueryToken(path: string): boolean {
  const q = path.indexOf("?");
  return q >= 0 && new URLSearchParams(path.slice(q + 1)).has("access_token");
}
