import * as z from "zod/mini";
import { Headers } from "./envelope-schema.js";

/**
 * The RESPONSE interceptor input (docs/agentcore-contract.md §3; docs/agentcore-contract.md once moved):
 * the request as in the REQUEST phase (headers only with `passRequestHeaders`) plus `gatewayResponse`
 * `{statusCode, headers, body}`, `isStreamingResponse: true` on each event of a streamed reply. After
 * a REQUEST short-circuit the body was reported `null` (aws/bedrock-agentcore-sdk-python#409). For
 * HTTP targets `gatewayRequest` may be `null` and the body is base64. Unknown fields are tolerated.
 */
const McpResponseEnvelope = z.looseObject({
  interceptorInputVersion: z.literal("1.0"),
  mcp: z.looseObject({
    gatewayRequest: z.optional(
      z.nullable(
        z.looseObject({
          path: z.optional(z.nullable(z.string())),
          headers: Headers,
          body: z.optional(z.unknown()),
        }),
      ),
    ),
    /** Status and headers are only echoed or read defensively, so any value is accepted here. */
    gatewayResponse: z.looseObject({
      statusCode: z.optional(z.unknown()),
      headers: z.optional(z.unknown()),
      body: z.optional(z.unknown()),
      isStreamingResponse: z.optional(z.nullable(z.boolean())),
    }),
  }),
});

export type McpResponseEvent = z.infer<typeof McpResponseEnvelope>;

export function parseMcpResponse(event: unknown): McpResponseEvent | undefined {
  const r = McpResponseEnvelope.safeParse(event);
  return r.success ? r.data : undefined;
}
