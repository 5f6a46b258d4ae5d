import type { ClaimMapping, ClaimsTargetConfig } from "../config/schema.js";
import type { IdentityMode } from "./mode.js";
import { claimAt } from "../auth/token-rules.js";
import type { VerifiedToken } from "../auth/verify.js";
import { deny } from "../errors.js";

/** Limits on what claim headers may carry (docs/security.md §0). */
export const MAX_HEADER_VALUE_BYTES = 1_024;
export const MAX_IDENTITY_BYTES = 8_192;

/** C0, DEL, C1 and the Unicode line separators are never legitimate in an identity claim. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/**
 * A UTF-16 surrogate without its partner: UTF-8 cannot carry it, and encoding would turn it into
 * U+FFFD, so `"ada\ud800"` and `"ada\ufffd"` would become the same header value.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Printable ASCII without leading or trailing space: safe to send as it is. */
const PLAIN = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;
/** Values that already look encoded are encoded again, so a claim cannot forge a decoded value. */
const SENTINEL = /^=\?base64\?.*\?=$/i;

const sentinel = (s: string) => `=?base64?${Buffer.from(s, "utf8").toString("base64")}?=`;

function asText(v: unknown): string {
  if (typeof v === "string") return v;
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean") return String(v);
  deny("token.claim_type");
}

/**
 * Renders one claim as a header value (docs/design.md `claims`): arrays join with `,`, printable ASCII goes
 * as it is, other printable text as `=?base64?…?=` (or a deny under `encode: "reject"`), control
 * characters always deny.
 */
export function renderClaim(value: unknown, encode: "mcp-base64" | "reject"): string {
  const isList = Array.isArray(value);
  const items = isList ? (value as unknown[]).map(asText) : [asText(value)];
  if (items.some((s) => CONTROL.test(s) || LONE_SURROGATE.test(s))) deny("claims.unsafe_value");
  const plain = items.every((s) => PLAIN.test(s) && !SENTINEL.test(s) && !(isList && s.includes(",")));
  if (!plain && encode === "reject") deny("claims.unsafe_value");
  const rendered = (plain ? items : items.map(sentinel)).join(",");
  if (Buffer.byteLength(rendered) > MAX_HEADER_VALUE_BYTES) deny("claims.unsafe_value");
  return rendered;
}

/** Where a mapping reads its claim: a dotted path or member names taken literally. */
export const pathOf = (m: ClaimMapping): string | readonly string[] => (typeof m === "string" ? m : (m.claimPath ?? m.claim ?? ""));

const isSubject = (path: string | readonly string[]) =>
  typeof path === "string" ? path === "sub" : path.length === 1 && path[0] === "sub";

/** `<iss>|<value>`, for each item of a list: the value is bound to the issuer that vouched for it. */
function qualified(iss: string, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => `${iss}|${asText(v)}`);
  return `${iss}|${asText(value)}`;
}

/** The claim headers a mapping names (a `claims` target's `headers`, an `assertion` target's extra ones). */
export type ClaimHeaderMap = ClaimsTargetConfig["headers"];

/**
 * Headers built only from verified claims. `sub` is the verified subject (the issuer's
 * `subjectFallback` included). A mapping with `qualify` sends `<iss>|<value>`: a subject is only
 * unique per issuer (RFC 7519 §4.1.2); config load makes sure a target that accepts several issuers
 * gets only issuer-bound identities.
 */
export function claimHeaders(mappings: ClaimHeaderMap, id: VerifiedToken): Record<string, string> {
  const headers: Record<string, string> = {};
  let total = 0;
  for (const [name, mapping] of Object.entries(mappings)) {
    const path = pathOf(mapping);
    const required = typeof mapping === "string" ? false : mapping.required;
    const encode = typeof mapping === "string" ? "mcp-base64" : mapping.encode;
    const raw = isSubject(path) ? id.sub : claimAt(id.claims, path);
    const value = raw !== undefined && typeof mapping !== "string" && mapping.qualify ? qualified(id.issuer.issuer, raw) : raw;
    if (value === undefined) {
      if (required) deny("claims.missing_required");
      continue;
    }
    const rendered = renderClaim(value, encode);
    total += name.length + rendered.length;
    if (total > MAX_IDENTITY_BYTES) deny("claims.unsafe_value");
    headers[name] = rendered;
  }
  return headers;
}

/** `claims`: the target gets headers built from verified claims, and nothing else; no I/O. */
export function claimsMode(config: ClaimsTargetConfig): IdentityMode {
  return {
    issue: (_target, id) => ({ headers: claimHeaders(config.headers, id) }),
    admit: (id) => void claimHeaders(config.headers, id),
  };
}
