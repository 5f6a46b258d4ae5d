import { StrictJsonError } from "../errors.js";
import { parseStrictJson } from "../event/strict-json.js";
import { isPlainObject } from "../plain-object.js";
import { deny } from "../errors.js";

/**
 * Strict decoding of a compact JWS before any library sees it (docs/security.md §2 L8–L10, L17):
 * canonical base64url only, strict UTF-8, JSON objects without duplicate members, bounded nesting,
 * no nested/encrypted/unencoded-payload forms and no `crit` extensions.
 */
export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  alg: string;
  kid: string | undefined;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_DEPTH = 32;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Canonical unpadded base64url: the alphabet only, no impossible length, and the unused low bits of
 * the last character zero. Non-canonical trailing bits decode to the same bytes from a different
 * string (token malleability, docs/security.md L8). Checked without decoding.
 */
function checkSegment(segment: string | undefined): string {
  if (segment === undefined || !SEGMENT.test(segment)) deny("token.malformed");
  const rest = segment.length % 4;
  if (rest === 1) deny("token.malformed");
  if (rest !== 0) {
    const value = ALPHABET.indexOf(segment[segment.length - 1]!);
    if ((value & (rest === 2 ? 0b1111 : 0b11)) !== 0) deny("token.malformed");
  }
  return segment;
}

const segmentBytes = (segment: string | undefined): Buffer => Buffer.from(checkSegment(segment), "base64url");

function jsonObject(bytes: Buffer): Record<string, unknown> {
  let textValue: string;
  try {
    textValue = utf8.decode(bytes);
  } catch {
    deny("token.invalid_utf8");
  }
  let value: unknown;
  try {
    value = parseStrictJson(textValue, MAX_DEPTH);
  } catch (err) {
    if (err instanceof StrictJsonError && err.kind === "duplicate") deny("token.duplicate_member");
    deny("token.malformed");
  }
  if (!isPlainObject(value)) deny("token.malformed");
  return value;
}

export function decodeJws(token: string): DecodedJws {
  const parts = token.split(".");
  if (parts.length === 5) deny("token.unsupported_format");
  if (parts.length !== 3) deny("token.malformed");
  const header = jsonObject(segmentBytes(parts[0]));
  const payload = jsonObject(segmentBytes(parts[1]));
  checkSegment(parts[2]);

  const { alg, kid, typ, cty } = header;
  if (typeof alg !== "string") deny("token.malformed");
  if (kid !== undefined && typeof kid !== "string") deny("token.malformed");
  if (typ !== undefined && typeof typ !== "string") deny("token.malformed");
  if (typeof cty === "string" && normaliseMediaType(cty) === "jwt") deny("token.unsupported_format");
  if ("enc" in header || "zip" in header) deny("token.unsupported_format");
  // We understand no JWS extension, and RFC 7797 forbids unencoded payloads in JWTs.
  if ("crit" in header || "b64" in header) deny("token.crit_unsupported");
  return { header, payload, alg, kid };
}

/** RFC 7515 §4.1.9: media types compare case-insensitively, `application/` may be omitted. */
export function normaliseMediaType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith("application/") ? lower.slice("application/".length) : lower;
}
