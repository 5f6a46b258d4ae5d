import {
  type BedrockAgentCoreControlClient,
  GetGatewayCommand,
  type GetGatewayRequest,
  GetGatewayTargetCommand,
  type GetGatewayTargetRequest,
} from "@aws-sdk/client-bedrock-agentcore-control";
import type { DeserializeMiddleware } from "@smithy/types";

/**
 * Members the service returned that this SDK version does not model. The SDK's deserializer drops them
 * silently, so a read-then-put update (UpdateGateway, UpdateGatewayTarget: full replaces) would remove
 * them from the resource. `readModelled` keeps the raw response body (a middleware at the innermost
 * `deserialize` position, before the SDK's deserializer reads it:
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/middleware-stack.html) and compares
 * its members with the deserialised output, path by path.
 */

/** Paths of object members in `raw` (the JSON body) with no counterpart in `parsed` (the SDK's output). */
export function unmodelledMembers(raw: unknown, parsed: unknown, path = ""): string[] {
  if (!isObject(raw)) return [];
  if (Array.isArray(raw)) {
    if (!Array.isArray(parsed)) return [];
    return raw.flatMap((item, i) => unmodelledMembers(item, parsed[i], `${path}[${i}]`));
  }
  if (!isObject(parsed) || Array.isArray(parsed) || parsed instanceof Date) return [];
  // A union member the SDK does not know is kept as { $unknown: [name, value] }.
  const unknown = parsed.$unknown;
  if (Array.isArray(unknown) && typeof unknown[0] === "string") return [`${path === "" ? "" : `${path}.`}${unknown[0]}`];
  const found: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (value === null) continue;
    if (!(key in parsed)) found.push(at);
    else found.push(...unmodelledMembers(value, parsed[key], at));
  }
  return found;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Keeps the raw JSON body of the response (`keep`), before the SDK's deserializer reads it. */
function rawBody<I extends object, O extends object>(keep: (raw: unknown) => void): DeserializeMiddleware<I, O> {
  return (next) => async (args) => {
    const result = await next(args);
    const response = result.response;
    if (isObject(response) && (response.body instanceof Uint8Array || isAsyncIterable(response.body))) {
      const body = response.body;
      const chunks: Uint8Array[] = [];
      if (body instanceof Uint8Array) chunks.push(body);
      else for await (const chunk of body) if (chunk instanceof Uint8Array) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      response.body = bytes; // the SDK's deserializer reads a Uint8Array body as it would the stream
      try {
        keep(JSON.parse(bytes.toString("utf8")));
      } catch {
        keep(undefined);
      }
    }
    return result;
  };
}
const RAW_BODY = { step: "deserialize", priority: "low", name: "agentcoreInterceptorRawBody" } as const;

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => isObject(v) && Symbol.asyncIterator in v;

/** GetGateway, and the members of its answer this SDK does not model. */
export async function getGatewayChecked(client: BedrockAgentCoreControlClient, input: GetGatewayRequest) {
  const command = new GetGatewayCommand(input);
  let raw: unknown;
  command.middlewareStack.add(
    rawBody((r) => (raw = r)),
    RAW_BODY,
  );
  const { $metadata: _, ...output } = await client.send(command);
  return { output, unmodelled: unmodelledMembers(raw, output) };
}

/** GetGatewayTarget, and the members of its answer this SDK does not model. */
export async function getGatewayTargetChecked(client: BedrockAgentCoreControlClient, input: GetGatewayTargetRequest) {
  const command = new GetGatewayTargetCommand(input);
  let raw: unknown;
  command.middlewareStack.add(
    rawBody((r) => (raw = r)),
    RAW_BODY,
  );
  const { $metadata: _, ...output } = await client.send(command);
  return { output, unmodelled: unmodelledMembers(raw, output) };
}

/** The refusal (or, forced, the warning) for members an update would drop. */
export function unmodelledProblem(what: string, members: readonly string[]): string | undefined {
  if (members.length === 0) return undefined;
  return `${what} returned members this SDK does not model (${members.join(", ")}): the update would remove them. Upgrade agentcore-identity-interceptor (its @aws-sdk/client-bedrock-agentcore-control), or re-run with --force to drop them`;
}
