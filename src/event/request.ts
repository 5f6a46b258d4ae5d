import { deny } from "../errors.js";
import type { ParsedEvent } from "./envelope.js";
import { HeaderBag } from "./headers.js";
import { StrictJsonError } from "../errors.js";
import { parseStrictJson } from "./strict-json.js";
import { namedBy, routeMessage, targetOfHttpPath } from "./route.js";
import { isPlainObject, parseJsonObject } from "../plain-object.js";

export type JsonRpcId = string | number;

/** What the rest of the interceptor needs to know about one gateway request. */
export interface RequestView {
  envelope: "mcp" | "http";
  /** The JSON-RPC id to echo (null for notifications and unreadable requests). */
  id: JsonRpcId | null;
  /** The JSON-RPC method; `(response)` for a client's answer to a server-initiated request. */
  method: string;
  /** `params.name` of a `tools/call`. */
  toolName?: string;
  /** Set only when the request addresses one target. */
  target?: string;
  tool?: string;
  /** The prompt a `prompts/get` or `completion/complete` names: without the prefix when it addresses a target. */
  prompt?: string;
  headers: HeaderBag;
  path: string | undefined;
  /** The body exactly as received, echoed in an allow. */
  body: unknown;
}

const RAW_BODY_MAX_DEPTH = 128;

/** A JSON-RPC id this interceptor echoes: a string or a finite number (JSON-RPC 2.0 §4; null is "no id"). */
export const isJsonRpcId = (v: unknown): v is JsonRpcId => typeof v === "string" || (typeof v === "number" && Number.isFinite(v));

/**
 * The JSON-RPC id, as far as it can be read from any event (even one refused before it is parsed),
 * for a reply to a request that is refused early: MCP clients match replies by id.
 */
export function bestEffortId(event: unknown): JsonRpcId | null {
  if (!isPlainObject(event)) return null;
  if (isPlainObject(event.mcp)) {
    const request = event.mcp.gatewayRequest;
    const body = isPlainObject(request) ? request.body : undefined;
    return isPlainObject(body) && isJsonRpcId(body.id) ? body.id : null;
  }
  if (isPlainObject(event.http)) {
    const request = event.http.gatewayRequest;
    const body = isPlainObject(request) ? request.body : undefined;
    return typeof body === "string" ? httpMessageOf(body).id : null;
  }
  return null;
}

/** A client's JSON-RPC response (to the gateway's elicitation or sampling request): no method, one of result/error. */
function isClientResponse(body: Record<string, unknown>): boolean {
  return body.jsonrpc === "2.0" && !("method" in body) && isJsonRpcId(body.id) && "result" in body !== "error" in body;
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
export function readRequest(parsed: ParsedEvent): RequestView {
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
  if (!isPlainObject(body)) deny("request.invalid_jsonrpc");
  if ("id" in body && !isJsonRpcId(body.id)) deny("request.invalid_jsonrpc");
  const id = isJsonRpcId(body.id) ? body.id : null;
  const raw = rawGatewayRequest?.body;
  if (isClientResponse(body)) {
    // Answers to server-initiated requests the gateway relays (elicitation, sampling): authenticated,
    // addressed to no target. They carry no method, so no Mcp-Method/Mcp-Name may claim one.
    if (typeof raw === "string") checkRawBody(raw, body);
    if (headers.keyCount("mcp-method") > 0 || headers.keyCount("mcp-name") > 0) deny("request.header_mismatch");
    return { envelope: "mcp", id, method: RESPONSE_METHOD, headers, path, body };
  }
  if (body.jsonrpc !== "2.0" || typeof body.method !== "string") deny("request.invalid_jsonrpc");
  const { method } = body;

  if (typeof raw === "string") checkRawBody(raw, body);
  checkMetadataHeaders(headers, method, body.params);

  // The gateway routes by the body whatever the path (`/mcp/`, `/MCP`, ...): so does the policy.
  const view: RequestView = { envelope: "mcp", id, method, headers, path, body };
  const named = namedBy(method, body.params);
  if (named === undefined) return view;
  const route = routeMessage(method, body.params);
  if (route.kind === "invalid") deny("request.invalid_tool_name");
  if (route.kind === "target") view.target = route.target;
  if (named === "tool") {
    view.toolName = (body.params as { name: string }).name;
    if (route.kind === "target") view.tool = route.name;
  } else {
    if (route.name !== undefined) view.prompt = route.name;
  }
  return view;
}

/** The audit method of a client's JSON-RPC response. */
const RESPONSE_METHOD = "(response)";

/** The raw text must say exactly what the parsed body says (no duplicate members, no second opinion). */
function checkRawBody(raw: string, body: Record<string, unknown>): void {
  let parsed: unknown;
  try {
    parsed = parseStrictJson(raw, RAW_BODY_MAX_DEPTH);
  } catch (err) {
    if (err instanceof StrictJsonError && err.kind === "duplicate") deny("request.duplicate_member");
    deny("request.invalid_jsonrpc", { jsonRpcCode: -32700 });
  }
  if (!isPlainObject(parsed)) deny("request.duplicate_member");
  if (!sameRouting(parsed, body)) deny("request.duplicate_member");
}

/**
 * Every member a routing or policy decision reads: the raw text and the parsed body must agree on all
 * of them (key order and whitespace may differ: the gateway may reorder keys and clients pretty-print).
 * Compared member by member, without building lists (this runs on every request).
 */
function sameRouting(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (
    !same(a.jsonrpc, b.jsonrpc) ||
    !same(a.method, b.method) ||
    !same(a.id, b.id) ||
    "result" in a !== "result" in b ||
    "error" in a !== "error" in b
  )
    return false;
  const pa = isPlainObject(a.params) ? a.params : undefined;
  const pb = isPlainObject(b.params) ? b.params : undefined;
  if (!same(pa?.name, pb?.name) || !same(pa?.uri, pb?.uri)) return false;
  const ra = isPlainObject(pa?.ref) ? pa.ref : undefined;
  const rb = isPlainObject(pb?.ref) ? pb.ref : undefined;
  return same(ra?.type, rb?.type) && same(ra?.name, rb?.name) && same(ra?.uri, rb?.uri);
}

/** Compared by kind, not identity, where a member is not a scalar (a malformed name is refused later). */
const same = (x: unknown, y: unknown) =>
  (typeof x === "object" && x !== null ? "(object)" : x) === (typeof y === "object" && y !== null ? "(object)" : y);

function checkMetadataHeaders(headers: HeaderBag, method: string, params: unknown): void {
  const mcpMethod = headers.single("mcp-method");
  if (mcpMethod === null || (mcpMethod !== undefined && decodeMcpHeaderValue(mcpMethod) !== method)) {
    deny("request.header_mismatch");
  }
  const mcpName = headers.single("mcp-name");
  if (mcpName === undefined) return;
  const p = isPlainObject(params) ? params : {};
  const ref = isPlainObject(p.ref) ? p.ref : {};
  // tools/call and prompts/get name themselves, resources/read by URI, completion/complete by its ref.
  const named = [p.name, p.uri, ref.name, ref.uri].find((v): v is string => typeof v === "string");
  if (mcpName === null || decodeMcpHeaderValue(mcpName) !== named) deny("request.header_mismatch");
}

function readHttpRequest(parsed: Extract<ParsedEvent, { kind: "http" }>): RequestView {
  const { gatewayRequest } = parsed.event.http;
  const headers = new HeaderBag(gatewayRequest.headers);
  const path = gatewayRequest.path ?? undefined;
  const body = gatewayRequest.body ?? "";
  // Best effort: an HTTP target's body is opaque, but a JSON-RPC id makes denials readable.
  const msg = httpMessageOf(body);
  const method = msg.method ?? `HTTP ${(gatewayRequest.httpMethod ?? "POST").toUpperCase()}`;
  // The gateway routes an HTTP target by its path: a path that does not name one target canonically
  // (`//x`, `/a/../b`, `%2e`, `\`) is refused rather than guessed.
  const route = targetOfHttpPath(path);
  if (route.kind === "invalid") deny("request.invalid_path");
  return { envelope: "http", id: msg.id, method, headers, path, body, ...(route.kind === "target" ? { target: route.target } : {}) };
}

/** The id and method of a base64 JSON-RPC body, as far as they can be read. */
function httpMessageOf(base64: string): { id: JsonRpcId | null; method?: string } {
  const msg = parseJsonObject(Buffer.from(base64, "base64").toString("utf8"));
  if (msg === undefined) return { id: null };
  return { id: isJsonRpcId(msg.id) ? msg.id : null, ...(typeof msg.method === "string" ? { method: msg.method } : {}) };
}
