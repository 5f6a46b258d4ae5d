/**
 * AgentCore Gateway's rules for headers an interceptor may set on a target
 * (docs/agentcore-contract.md §4, [HEADERS]): names match `^[a-zA-Z0-9_-]+$`, 1..100 characters, not
 * restricted, not `X-Amzn-*` except `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*`, at most 10 per target.
 */
export const HEADER_NAME = /^[A-Za-z0-9_-]{1,100}$/;
export const MAX_HEADERS_PER_TARGET = 10;

const RESTRICTED = new Set([
  "authorization",
  "proxy-authorization",
  "www-authenticate",
  "proxy-authenticate",
  "accept",
  "accept-charset",
  "accept-encoding",
  "accept-language",
  "accept-ranges",
  "accept-patch",
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location",
  "content-range",
  "content-md5",
  "content-disposition",
  "content-security-policy",
  "cache-control",
  "etag",
  "expires",
  "last-modified",
  "pragma",
  "vary",
  "age",
  "date",
  "warning",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "connection",
  "keep-alive",
  "upgrade",
  "transfer-encoding",
  "te",
  "trailer",
  "expect",
  "max-forwards",
  "host",
  "user-agent",
  "referer",
  "from",
  "origin",
  "via",
  "forwarded",
  "range",
  "cookie",
  "cookie2",
  "set-cookie",
  "set-cookie2",
  "strict-transport-security",
  "x-frame-options",
  "x-content-type-options",
  "x-xss-protection",
  "referrer-policy",
  "permissions-policy",
  "server",
  "location",
  "retry-after",
  "link",
  "x-real-ip",
  "x-requested-with",
  "x-csrf-token",
  "x-amz-cf-id",
  "alt-svc",
]);
const RESTRICTED_PREFIXES = ["x-forwarded-", "access-control-", "cf-", "sec-websocket-", "x-amz-", "mcp-", ":"];
const AMZN_ALLOWED_PREFIX = "x-amzn-bedrock-agentcore-runtime-custom-";

/** Why AgentCore would refuse this name as an interceptor-set target header, or undefined if it is fine. */
export function headerNameProblem(name: string): string | undefined {
  if (!HEADER_NAME.test(name)) return "must match ^[a-zA-Z0-9_-]+$ and be 1..100 characters";
  const lower = name.toLowerCase();
  if (RESTRICTED.has(lower) || RESTRICTED_PREFIXES.some((p) => lower.startsWith(p))) {
    return `"${name}" is a restricted header that AgentCore Gateway never propagates`;
  }
  if (lower.startsWith("x-amzn-") && !lower.startsWith(AMZN_ALLOWED_PREFIX)) {
    return "X-Amzn-* names are reserved (only X-Amzn-Bedrock-AgentCore-Runtime-Custom-* is allowed)";
  }
  return undefined;
}

/** Header names compared the way proxies and CGI servers do: case-insensitive, `_` same as `-`. */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}
