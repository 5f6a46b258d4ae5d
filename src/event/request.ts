import { deny } from "../respond/reasons.js";
import type { ParsedEvent } from "./envelope.js";
import { HeaderBag } from "./headers.js";
import { parseStrictJson, StrictJsonError } from "./strict-json.js";
import { routeTool, targetFromPath } from "./target.js";

export type JsonRpcId = string | number;

/** What the rest of the interceptor needs to know about one gateway request. */
export interface RequestView {
  envelope: "mcp" | "http";
  /** The JSON-RPC id to echo (null for notifications and unreadable requests). */
  id: JsonRpcId | null;
  method: string;
  /** `params.name` of a `tools/call`. */
  toolName?: string;
  /** Set only when the request addresses one target. */
  target?: string;
  tool?: string;
  headers: HeaderBag;
  path: string | undefined;
  /** The body exactly as received, echoed in an allow. */
  body: unknown;
}

const RAW_BODY_MAX_DEPTH = 128;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const validId = (v: unknown): v is JsonRpcId =>
  typeof v === "string" || (typeof v === "number" && Number.isFinite(v));

/** The JSON-RPC id, as far as it can be read, for a reply to a request that is refused early. */
export function bestEffortId(event: ParsedEvent | undefined): JsonRpcId | null {
  if (event?.kind !== "mcp") return null;
  const body = event.event.mcp.gatewayRequest.body;
  return isPlainObject(body) && validId(body.id) ? body.id : null;
}

/** `=?base64?…?=` values (MCP Streamable HTTP request metadata) decoded; others as they are. */
function decodeMcpHeaderValue(value: string): string {
  const m = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/.exec(value);
  return m?.[1] !== undefined ? Buffer.from(m[1], "base64").toString("utf8") : value;
}

/**
 * Reads and checks the JSON-RPC message. Throws a Denial for batches, malformed messages, raw/parsed
 * disagreements (duplicate members) and `Mcp-Method`/`Mcp-Name` headers that contradict the body.
 */
export function readRequest(parsed: ParsedEvent, mcpPath: string): RequestView {
  if (parsed.kind === "http") return readHttpRequest(parsed);
  const { gatewayRequest, rawGatewayRequest } = parsed.event.mcp;
  const headers = new HeaderBag(gatewayRequest.headers);
  const path = gatewayRequest.path ?? undefined;
  const body = gatewayRequest.body;
  const verb = (gatewayRequest.httpMethod ?? "POST").toUpperCase();
  if (verb !== "POST") {
    // GET (SSE stream) and DELETE (session end) carry no JSON-RPC body and address no target.
    return { envelope: "mcp", id: null, method: `HTTP ${verb}`, headers, path, body: body ?? {} };
  }
  if (Array.isArray(body)) deny("request.batch_unsupported");
  if (!isPlainObject(body)) return deny("request.invalid_jsonrpc");
  if ("id" in body && !validId(body.id)) deny("request.invalid_jsonrpc");
  const id = validId(body.id) ? body.id : null;
  if (body.jsonrpc !== "2.0" || typeof body.method !== "string") deny("request.invalid_jsonrpc");
  const method = body.method as string;

  const raw = rawGatewayRequest?.body;
  if (typeof raw === "string") checkRawBody(raw, body);
  checkMetadataHeaders(headers, method, body.params);

  const view: RequestView = { envelope: "mcp", id, method, headers, path, body };
  if (method !== "tools/call" || !samePath(path, mcpPath)) return view;
  const params = body.params;
  if (!isPlainObject(params) || typeof params.name !== "string") return deny("request.invalid_tool_name");
  view.toolName = params.name;
  const route = routeTool(params.name);
  if (route.kind === "invalid") deny("request.invalid_tool_name");
  if (route.kind === "target") {
    view.target = route.target;
    view.tool = route.tool;
  }
  return view;
}

/** Only the gateway's MCP endpoint routes tools to targets; the query string does not matter. */
function samePath(path: string | undefined, mcpPath: string): boolean {
  return path === undefined || path.split("?")[0] === mcpPath;
}

/** The raw text must say exactly what the parsed body says (no duplicate members, no second opinion). */
function checkRawBody(raw: string, body: Record<string, unknown>): void {
  let parsed: unknown;
  try {
    parsed = parseStrictJson(raw, RAW_BODY_MAX_DEPTH);
  } catch (err) {
    if (err instanceof StrictJsonError && err.kind === "duplicate") deny("request.duplicate_member");
    return deny("request.invalid_jsonrpc", { jsonRpcCode: -32700 });
  }
  if (!isPlainObject(parsed)) return deny("request.duplicate_member");
  const nameOf = (p: unknown) => (isPlainObject(p) ? p.name : undefined);
  if (parsed.method !== body.method || parsed.id !== body.id || nameOf(parsed.params) !== nameOf(body.params)) {
    deny("request.duplicate_member");
  }
}

function checkMetadataHeaders(headers: HeaderBag, method: string, params: unknown): void {
  const mcpMethod = headers.single("mcp-method");
  if (mcpMethod === null || (mcpMethod !== undefined && decodeMcpHeaderValue(mcpMethod) !== method)) {
    deny("request.header_mismatch");
  }
  const mcpName = headers.single("mcp-name");
  if (mcpName === undefined) return;
  const p = isPlainObject(params) ? params : {};
  const named = typeof p.name === "string" ? p.name : typeof p.uri === "string" ? p.uri : undefined;
  if (mcpName === null || decodeMcpHeaderValue(mcpName) !== named) deny("request.header_mismatch");
}

function readHttpRequest(parsed: Extract<ParsedEvent, { kind: "http" }>): RequestView {
  const { gatewayRequest } = parsed.event.http;
  const headers = new HeaderBag(gatewayRequest.headers);
  const path = gatewayRequest.path ?? undefined;
  const body = gatewayRequest.body ?? "";
  let id: JsonRpcId | null = null;
  let method = `HTTP ${(gatewayRequest.httpMethod ?? "POST").toUpperCase()}`;
  try {
    // Best effort: an HTTP target's body is opaque, but a JSON-RPC id makes denials readable.
    const msg: unknown = JSON.parse(Buffer.from(body, "base64").toString("utf8"));
    if (isPlainObject(msg)) {
      if (validId(msg.id)) id = msg.id;
      if (typeof msg.method === "string") method = msg.method;
    }
  } catch {
    // not JSON: nothing to read
  }
  const target = targetFromPath(path);
  return { envelope: "http", id, method, headers, path, body, ...(target !== undefined ? { target } : {}) };
}
