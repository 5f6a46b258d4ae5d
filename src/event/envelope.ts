import * as z from "zod/mini";

/**
 * The REQUEST interceptor input (agentcore-contract.md §1). Every shape variant seen in the docs and in
 * field reports is accepted: headers absent, `{}` or lower-case; `gatewayResponse` absent or null;
 * `context: null`; notifications without `id`. Unknown extra fields are tolerated.
 */
const Headers = z.optional(z.nullable(z.record(z.string(), z.union([z.string(), z.array(z.string())]))));

const gatewayRequestFields = {
  path: z.optional(z.nullable(z.string())),
  httpMethod: z.optional(z.nullable(z.string())),
  headers: Headers,
  context: z.optional(z.unknown()),
};

const McpEnvelope = z.looseObject({
  interceptorInputVersion: z.literal("1.0"),
  mcp: z.looseObject({
    gatewayRequest: z.looseObject({ ...gatewayRequestFields, body: z.optional(z.unknown()) }),
    rawGatewayRequest: z.optional(z.nullable(z.looseObject({ body: z.optional(z.nullable(z.unknown())) }))),
    /** Present (non-null) only in the RESPONSE phase, which the handler routes to src/phase/response.ts first. */
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
  if (envelopeKindOf(event) === "http") {
    const r = HttpEnvelope.safeParse(event);
    return r.success ? { kind: "http", event: r.data } : undefined;
  }
  const r = McpEnvelope.safeParse(event);
  return r.success ? { kind: "mcp", event: r.data } : undefined;
}
