import * as z from "zod/mini";
import type { ParsedEvent } from "./envelope.js";

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

/**
 * Every event the hand check of src/event/envelope.ts does not take: validated by zod, the one
 * definition of the shape. This module (and zod with it) loads on the first such event only.
 */
export function parseWithSchema(event: unknown, kind: "mcp" | "http"): ParsedEvent | undefined {
  if (kind === "http") {
    const r = HttpEnvelope.safeParse(event);
    return r.success ? { kind: "http", event: r.data } : undefined;
  }
  const r = McpEnvelope.safeParse(event);
  return r.success ? { kind: "mcp", event: r.data } : undefined;
}
