import type { HttpEvent, McpEvent } from "./envelope-schema.js";

export type { HttpEvent, McpEvent } from "./envelope-schema.js";
export type EnvelopeKind = "mcp" | "http";
export type ParsedEvent = { kind: "mcp"; event: McpEvent } | { kind: "http"; event: HttpEvent };

/** Which envelope key the reply must use: the one received (`mcp` when neither is recognisable). */
export function envelopeKindOf(event: unknown): EnvelopeKind {
  return typeof event === "object" && event !== null && !("mcp" in event) && "http" in event ? "http" : "mcp";
}

/**
 * The event's envelope, or undefined when it is not one. The common case is checked by hand
 * (`isPlainMcpRequest`); any other event goes to zod (src/event/envelope-schema.ts), whose module loads
 * on the first such event, so a cold start whose events are all plain never loads zod.
 */
export async function parseEnvelope(event: unknown): Promise<ParsedEvent | undefined> {
  if (isPlainMcpRequest(event)) return { kind: "mcp", event };
  const { parseWithSchema } = await import("./envelope-schema.js");
  return parseWithSchema(event, envelopeKindOf(event));
}

/**
 * The common case, checked by hand before zod (the hot path of every request): a REQUEST-phase `mcp`
 * envelope made of plain JSON objects, as the Lambda runtime parses it. It accepts only events that
 * `McpEnvelope` accepts and would copy to an equal value; anything else, accepted or refused, is left
 * to zod, which stays the one definition of the shape (test/unit/hot-path-equivalence.test.ts
 * compares the two on generated events). Objects with an own `__proto__` member or a symbol key go to
 * zod, which drops those from its copy (neither can come out of JSON).
 */
export function isPlainMcpRequest(event: unknown): event is McpEvent {
  if (!isPlainRecord(event) || event.interceptorInputVersion !== "1.0") return false;
  const mcp = event.mcp;
  if (!isPlainRecord(mcp) || (mcp.gatewayResponse !== undefined && mcp.gatewayResponse !== null)) return false;
  const raw = mcp.rawGatewayRequest;
  if (raw !== undefined && raw !== null && !isPlainRecord(raw)) return false;
  const request = mcp.gatewayRequest;
  if (!isPlainRecord(request) || !isOptionalText(request.path) || !isOptionalText(request.httpMethod)) return false;
  const headers = request.headers;
  if (headers === undefined || headers === null) return true;
  if (!isPlainRecord(headers)) return false;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === "string") continue;
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false;
  }
  return true;
}

/** A plain JSON object: Object.prototype as its prototype, no own `__proto__` member, no symbol key. */
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    Object.getPrototypeOf(v) === Object.prototype &&
    !Object.hasOwn(v, "__proto__") &&
    Object.getOwnPropertySymbols(v).length === 0
  );
}

const isOptionalText = (v: unknown) => v === undefined || v === null || typeof v === "string";
