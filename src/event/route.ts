import { TARGET_NAME } from "../config/constants.js";
import { isPlainObject } from "../plain-object.js";

/** The gateway's own tool, which belongs to no target (docs/agentcore-contract.md §5). */
export const SEARCH_TOOL = "x_amz_bedrock_agentcore_search";
export const MAX_TOOL_NAME = 256;

export type ToolRoute = { kind: "target"; target: string; tool: string } | { kind: "no-target" } | { kind: "invalid" };

/**
 * Splits `<target>___<tool>` on the first `___`, exactly and case-sensitively: no Unicode
 * normalisation, no URL decoding, no prefix matching (docs/security.md group I).
 */
export function routeTool(name: string): ToolRoute {
  if (name.length === 0 || name.length > MAX_TOOL_NAME) return { kind: "invalid" };
  if (name === SEARCH_TOOL) return { kind: "no-target" };
  const at = name.indexOf("___");
  if (at < 0) return { kind: "no-target" };
  const target = name.slice(0, at);
  const tool = name.slice(at + 3);
  if (!TARGET_NAME.test(target)) return { kind: "no-target" };
  if (tool === "") return { kind: "invalid" };
  return { kind: "target", target, tool };
}

/**
 * Which target one MCP message addresses, from what the gateway routes on: the body, never the path
 * (docs/security.md group I). AgentCore routes `tools/call` and `prompts/get` by the `<target>___`
 * prefix of `params.name` and proxies them live to that one target
 * (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-using-mcp-prompts-get.html);
 * `completion/complete` names a prompt by the same prefixed name. `resources/read` routes by URI,
 * listings aggregate every target, and the rest belong to the gateway: none of these addresses a target.
 */
export type MessageRoute =
  | { kind: "target"; target: string; /** The tool or prompt name without the prefix. */ name: string }
  | { kind: "no-target"; /** The tool or prompt name as sent, when the message carries one. */ name?: string }
  | { kind: "invalid" };

export type Named = "tool" | "prompt";

/** What kind of name a method carries (`undefined`: the method addresses no target). */
export function namedBy(method: string, params: unknown): Named | undefined {
  if (method === "tools/call") return "tool";
  if (method === "prompts/get") return "prompt";
  if (method === "completion/complete") {
    const ref = isPlainObject(params) ? params.ref : undefined;
    return isPlainObject(ref) && ref.type === "ref/resource" ? undefined : "prompt";
  }
  return undefined;
}

/**
 * The route of one JSON-RPC request. Method names are exact (`Tools/Call` is not `tools/call`; the
 * gateway does not know it either). `invalid` is a message whose name is missing or unusable: it is
 * refused, since the gateway could route it somewhere this function cannot see.
 */
export function routeMessage(method: string, params: unknown): MessageRoute {
  const named = namedBy(method, params);
  if (named === undefined) return { kind: "no-target" };
  const name = nameOf(method, params);
  if (name === undefined) return { kind: "invalid" };
  if (named === "tool") {
    const route = routeTool(name);
    return route.kind === "target"
      ? { kind: "target", target: route.target, name: route.tool }
      : route.kind === "invalid"
        ? route
        : { kind: "no-target", name };
  }
  return routePrompt(name);
}

/** `params.name` of `tools/call` / `prompts/get`; `params.ref.name` of a `ref/prompt` completion. */
function nameOf(method: string, params: unknown): string | undefined {
  if (!isPlainObject(params)) return undefined;
  if (method !== "completion/complete") return typeof params.name === "string" ? params.name : undefined;
  const ref = params.ref;
  return isPlainObject(ref) && ref.type === "ref/prompt" && typeof ref.name === "string" ? ref.name : undefined;
}

/** Prompt names split like tool names (first `___`, exact, case-sensitive); the gateway has no prompt of its own. */
function routePrompt(name: string): MessageRoute {
  const route = routeTool(name);
  if (route.kind === "invalid") return route;
  if (route.kind === "target") return { kind: "target", target: route.target, name: route.tool };
  return { kind: "no-target", name };
}

export type PathRoute = { kind: "target"; target: string } | { kind: "invalid" };

/** Characters of a canonical path segment (RFC 3986 pchar without `%`): nothing to decode, nothing to fold. */
const SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/;

/**
 * `http` envelope: the target is the first segment of `/<target>/invocations`
 * (docs/agentcore-contract.md §1b). Only a canonical path resolves: no empty segment (`//x`, trailing `/`),
 * no `.` or `..` segment, no percent-encoding, backslash or other character a server might decode or
 * fold into another path. Anything else cannot be resolved safely and is `invalid`.
 */
export function targetOfHttpPath(path: string | null | undefined): PathRoute {
  if (typeof path !== "string") return { kind: "invalid" };
  const q = path.indexOf("?");
  const pathPart = q >= 0 ? path.slice(0, q) : path;
  if (!pathPart.startsWith("/")) return { kind: "invalid" };
  const segments = pathPart.slice(1).split("/");
  for (const s of segments) if (s === "." || s === ".." || !SEGMENT.test(s)) return { kind: "invalid" };
  const first = segments[0];
  return first !== undefined && TARGET_NAME.test(first) ? { kind: "target", target: first } : { kind: "invalid" };
}
