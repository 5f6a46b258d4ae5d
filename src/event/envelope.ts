import * as z from "zod/mini";

/**
 * The REQUEST interceptor input (docs/agentcore-contract.md §1). Every shape variant seen in the docs and in
 * field reports is accepted: headers absent, `{}` or lower-case; `gatewayResponse` absent or null;
 * `context: null`; notifications without `id`. Unknown extra fields are tolerated.
 */
/** Request headers as the gateway passes them (absent, null, or values that are strings or lists); both phases. */
export const Headers = z.optional(z.nullable(z.record(z.string(), z.union([z.string(), z.array(z.string())]))));

const gatewayRequestFields = {
  path: z.optional(z.nullable(z.string())),
  httpMethod: z.optional(z.nullable(z.string())),
  headers: Headers,
  context: z.optional(z.unknown()),
};

export const McpEnvelope = z.looseObject({
  interceptorInputVersion: z.literal("1.0"),
  mcp: z.looseObject({
    gatewayRequest: z.looseObject({ ...gatewayRequestFields, body: z.optional(z.unknown()) }),
    rawGatewayRequest: z.optional(z.nullable(z.looseObject({ body: z.optional(z.nullable(z.unknown())) }))),
    /** Present (non-null) only in the RESPONSE phase, which the handler routes to src/phase/response-entry.ts first. */
    gatewayResponse: z.optional(z.null()),
  }),
});

const HttpEnvelope = z.looseObject({
  interceptorInputVersion: z.literal("1.0"),
  http: z.looseObject({
    gatewayRequest: z.looseObject({ ...gatewayRequestFields, body: z.optional(z.nullable(z.string())) }),
    gatewayResponse: z.optional(z.null()),
  }),
});

export type McpEvent = z.infer<typeof McpEnvelope>;
export type HttpEvent = z.infer<typeof HttpEnvelope>;
export type EnvelopeKind = "mcp" | "http";

export type ParsedEvent = { kind: "mcp"; event: McpEvent } | { kind: "http"; event: HttpEvent };

/** Which envelope key the reply must use: the one received (`mcp` when neither is recognisable). */
export function envelopeKindOf(event: unknown): EnvelopeKind {
  return typeof event === "object" && event !== null && !("mcp" in event) && "http" in event ? "http" : "mcp";
}

export function parseEnvelope(event: unknown): ParsedEvent | undefined {
  if (isPlainMcpRequest(event)) return { kind: "mcp", event };
  if (envelopeKindOf(event) === "http") {
    const r = HttpEnvelope.safeParse(event);
    return r.success ? { kind: "http", event: r.data } : undefined;
  }
  const r = McpEnvelope.safeParse(event);
  return r.success ? { kind: "mcp", event: r.data } : undefined;
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
