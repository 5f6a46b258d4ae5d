import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenOnLoopback } from "../../support/loopback.js";

/**
 * A small local gateway that does what AgentCore Gateway documents for MCP targets, and nothing more.
 * Section numbers (§) refer to docs/agentcore-contract.md. Behaviour the documentation
 * leaves open is a named option in `Unconfirmed`, never a silent guess.
 */
export interface GatewayTarget {
  name: string;
  url: string;
  /** Outbound credential the gateway attaches itself (API key header or an OAuth bearer token) (§9). */
  credential: Record<string, string>;
  /** `metadataConfiguration.allowedRequestHeaders` of the target (§4). */
  allowedRequestHeaders: string[];
}

export interface Unconfirmed {
  /** §2b / §10 item 5: does a short-circuit `statusCode` become the client's HTTP status? (assumed yes) */
  shortCircuitStatusToClient: boolean;
  /** §4 / §10 item 6: does an interceptor that omits an allowlisted header strip the client's copy? (assumed no) */
  omittedHeaderStripsClientCopy: boolean;
  /** §2b: the RESPONSE phase after a short-circuit received `body: null` in some regions (aws/bedrock-agentcore-sdk-python#409). (assumed fixed: no) */
  shortCircuitBodyNullInResponsePhase: boolean;
}

export interface GatewayOptions {
  targets: GatewayTarget[];
  /** §0 `inputConfiguration.passRequestHeaders`. */
  passRequestHeaders: boolean;
  invokeInterceptor: (event: unknown) => Promise<{ output?: unknown; error?: string }>;
  /** §0 `interceptionPoints: ["REQUEST", "RESPONSE"]`: the same interceptor also sees every response (§3). */
  responsePhase?: boolean;
  /**
   * `protocolConfiguration.mcp.searchType: "SEMANTIC"`: the gateway lists and answers its own
   * `x_amz_bedrock_agentcore_search` tool. Its result shape is not documented; this double answers as
   * AWS's fine-grained access control sample reads it: the tools in `structuredContent.tools` and, as
   * JSON text, in `content[0].text`. Matching is a plain substring search, not semantic.
   */
  semanticSearch?: boolean;
  unconfirmed?: Partial<Unconfirmed> | undefined;
  /**
   * The RESPONSE output form this gateway accepts (the interceptor's `responseOutput`), checked strictly
   * because the evidence is split: `status-and-body` ({statusCode, body}, optional headers) as AWS's
   * documentation and its fine-grained access control sample answer; `body-only` ({body} alone) as a
   * field report says the gateway requires, rejecting an echoed status. Default `status-and-body`.
   */
  responseOutput?: "status-and-body" | "body-only";
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** §4: restricted header groups that are never propagated, whatever a target allowlists. */
const RESTRICTED =
  /^(authorization|proxy-authorization|www-authenticate|accept.*|content-.*|cache-control|etag|if-.*|connection|keep-alive|upgrade|transfer-encoding|te|trailer|host|user-agent|referer|from|origin|cookie|set-cookie|x-forwarded-.*|x-real-ip|x-requested-with|x-csrf-token|cf-.*|x-amz-cf-id|sec-websocket-.*|link|:.*)$/i;
const AMZN = /^x-amzn-(?!bedrock-agentcore-runtime-custom-)/i;
const SEARCH_TOOL = "x_amz_bedrock_agentcore_search";

/** Where a handled request's reply is written: the client's response, or a buffer for the RESPONSE phase. */
interface Reply {
  writeHead(status: number, headers?: Record<string, string>): { end(body?: string): void };
}

/** A reply held back so the RESPONSE interceptor can see it first (§3). */
class HeldReply implements Reply {
  status = 200;
  headers: Record<string, string> = {};
  body = "";
  writeHead(status: number, headers: Record<string, string> = {}): { end(body?: string): void } {
    this.status = status;
    this.headers = headers;
    return { end: (body = "") => void (this.body = body) };
  }
}

/** What the REQUEST-phase handling leaves for the RESPONSE phase. */
interface Handled {
  event?: { mcp: { rawGatewayRequest: unknown; gatewayRequest: unknown } };
  shortCircuit?: boolean;
}

export class Gateway {
  /** Every interceptor event the gateway built, and its validated result, for assertions. */
  readonly interceptions: { event: Json; output: unknown }[] = [];
  private server: Server | undefined;
  private readonly unconfirmed: Unconfirmed;
  url = "";

  constructor(private readonly options: GatewayOptions) {
    this.unconfirmed = {
      shortCircuitStatusToClient: true,
      omittedHeaderStripsClientCopy: false,
      shortCircuitBodyNullInResponsePhase: false,
      ...options.unconfirmed,
    };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      (this.options.responsePhase ? this.handleWithResponsePhase(req, res) : this.handle(req, res)).catch(() =>
        send(res, 500, rpcError(null, -32603, "An internal error occurred")),
      );
    });
    this.url = `http://127.0.0.1:${await listenOnLoopback(this.server)}/mcp`;
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: Reply, handled?: Handled): Promise<void> {
    if (req.method !== "POST") {
      // Streamable HTTP: a server without a standalone SSE stream answers GET/DELETE with 405.
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      send(res, 400, rpcError(null, -32700, "Parse error"));
      return;
    }

    // §1a: the event the gateway sends for an MCP target. Headers arrive lower-cased (field reports);
    // with passRequestHeaders unset they arrive as an empty map.
    const headers: Record<string, string> = {};
    if (this.options.passRequestHeaders) {
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    }
    const event = {
      interceptorInputVersion: "1.0",
      mcp: {
        rawGatewayRequest: { body: raw },
        gatewayRequest: { path: "/mcp", httpMethod: "POST", headers, body, context: null },
        gatewayResponse: null,
      },
    };
    if (handled) handled.event = event;
    const result = await this.options.invokeInterceptor(event);
    const verdict = validateInterceptorOutput(result);
    this.interceptions.push({ event, output: result.output });
    if (verdict.kind === "invalid") {
      // §2a field reports: any other shape is "InterceptorException - Received invalid response from interceptor".
      send(
        res,
        500,
        rpcError(isObject(body) ? (body.id as never) : null, -32603, "InterceptorException - Received invalid response from interceptor"),
      );
      return;
    }
    if (verdict.kind === "short-circuit") {
      // §2b: the gateway answers with the interceptor's response and never calls the target.
      if (handled) handled.shortCircuit = true;
      send(res, this.unconfirmed.shortCircuitStatusToClient ? verdict.statusCode : 200, verdict.body);
      return;
    }
    await this.dispatch(verdict.body, verdict.headers, req.headers as Record<string, string>, res);
  }

  private async dispatch(
    message: unknown,
    interceptorHeaders: Record<string, string>,
    clientHeaders: Record<string, string>,
    res: Reply,
  ): Promise<void> {
    if (!isObject(message)) {
      send(res, 400, rpcError(null, -32600, "Invalid Request"));
      return;
    }
    const id = (message.id ?? null) as string | number | null;
    const method = String(message.method);
    if (method.startsWith("notifications/")) {
      res.writeHead(202).end();
      return;
    }
    if (method === "initialize") {
      const params = isObject(message.params) ? message.params : {};
      send(res, 200, {
        jsonrpc: "2.0",
        id,
        result: {
          protocolVersion: typeof params.protocolVersion === "string" ? params.protocolVersion : "2025-06-18",
          capabilities: { tools: { listChanged: false }, prompts: { listChanged: false } },
          serverInfo: { name: "local-agentcore-gateway", version: "1.0.0" },
        },
      });
      return;
    }
    if (method === "ping") {
      send(res, 200, { jsonrpc: "2.0", id, result: {} });
      return;
    }
    if (method === "tools/list") {
      // §5: the gateway lists every target's tools as `<target>___<tool>`; the catalogue call carries the
      // target's own credential only (no caller identity: tools/list addresses no single target).
      const tools: Json[] = [];
      for (const target of this.options.targets) {
        const listed = await callTarget(target, { ...target.credential }, { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
        const result = isObject(listed.result) ? listed.result : {};
        for (const tool of (result.tools as Json[] | undefined) ?? [])
          tools.push({ ...tool, name: `${target.name}___${String(tool.name)}` });
      }
      if (this.options.semanticSearch)
        tools.unshift({
          name: SEARCH_TOOL,
          description: "A special tool that returns a trimmed down list of tools given a context.",
          inputSchema: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
        });
      send(res, 200, { jsonrpc: "2.0", id, result: { tools } });
      return;
    }
    if (method === "tools/call" && this.options.semanticSearch && isObject(message.params) && message.params.name === SEARCH_TOOL) {
      const args = isObject(message.params.arguments) ? message.params.arguments : {};
      const query = String(args.query ?? "").toLowerCase();
      const found: Json[] = [];
      for (const target of this.options.targets) {
        const listed = await callTarget(target, { ...target.credential }, { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
        const result = isObject(listed.result) ? listed.result : {};
        for (const tool of (result.tools as Json[] | undefined) ?? []) {
          const named = { ...tool, name: `${target.name}___${String(tool.name)}` };
          if (`${named.name} ${String(tool.description ?? "")}`.toLowerCase().includes(query)) found.push(named);
        }
      }
      send(res, 200, {
        jsonrpc: "2.0",
        id,
        result: {
          content: [{ type: "text", text: JSON.stringify({ tools: found }) }],
          structuredContent: { tools: found },
          isError: false,
        },
      });
      return;
    }
    if (method === "tools/call" || method === "prompts/get") {
      // §5: split on the first three underscores. prompts/get names carry the same target prefix and are
      // proxied live to that one target (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-using-mcp-prompts-get.html).
      const params = isObject(message.params) ? message.params : {};
      const name = String(params.name ?? "");
      const at = name.indexOf("___");
      const target = at > 0 ? this.options.targets.find((t) => t.name === name.slice(0, at)) : undefined;
      if (!target) {
        send(res, 200, rpcError(id, -32602, `Unknown ${method === "tools/call" ? "tool" : "prompt"}: ${name}`));
        return;
      }
      const outbound = this.outboundHeaders(target, interceptorHeaders, clientHeaders);
      const answer = await callTarget(target, outbound, { jsonrpc: "2.0", id, method, params: { ...params, name: name.slice(at + 3) } });
      send(res, 200, { ...answer, id });
      return;
    }
    send(res, 200, rpcError(id, -32601, "Method not found"));
  }

  /**
   * §3: with RESPONSE attached, the reply is held; the interceptor gets the request (as in the REQUEST
   * phase) plus `gatewayResponse {statusCode, headers, body}`, also after a short-circuit (MCP
   * targets), and its `transformedGatewayResponse` replaces what it sets; without one the reply goes
   * out unchanged.
   */
  private async handleWithResponsePhase(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const held = new HeldReply();
    const handled: Handled = {};
    await this.handle(req, held, handled);
    if (handled.event === undefined) {
      res.writeHead(held.status, held.headers).end(held.body);
      return;
    }
    let body: unknown = null;
    try {
      body = held.body === "" ? null : JSON.parse(held.body);
    } catch {
      body = null;
    }
    if (handled.shortCircuit && this.unconfirmed.shortCircuitBodyNullInResponsePhase) body = null;
    const { rawGatewayRequest, gatewayRequest } = handled.event.mcp;
    const event = {
      interceptorInputVersion: "1.0",
      mcp: { rawGatewayRequest, gatewayRequest, gatewayResponse: { statusCode: held.status, headers: held.headers, body } },
    };
    const result = await this.options.invokeInterceptor(event);
    this.interceptions.push({ event, output: result.output });
    const verdict = validateResponseOutput(result, this.options.responseOutput ?? "status-and-body", body !== null);
    if (verdict.kind === "invalid") {
      send(res, 500, rpcError(null, -32603, "InterceptorException - Received invalid response from interceptor"));
      return;
    }
    if (verdict.kind === "keep") {
      res.writeHead(held.status, held.headers).end(held.body);
      return;
    }
    const out = verdict.replace;
    res
      .writeHead(out.statusCode ?? held.status, { ...held.headers, ...(out.headers ?? {}) })
      .end(out.body !== undefined ? JSON.stringify(out.body) : held.body);
  }

  /** §4 header rules for the request the gateway sends to one target. */
  private outboundHeaders(
    target: GatewayTarget,
    fromInterceptor: Record<string, string>,
    fromClient: Record<string, string>,
  ): Record<string, string> {
    const allowed = new Set(target.allowedRequestHeaders.map((h) => h.toLowerCase()));
    const propagatable = (name: string) => allowed.has(name) && !RESTRICTED.test(name) && !AMZN.test(name);
    // §9 the target's own credential provider.
    const out: Record<string, string> = Object.fromEntries(Object.entries(target.credential).map(([k, v]) => [k.toLowerCase(), v]));
    // §4 client headers the target allowlists are propagated.
    const setByInterceptor = new Set(Object.keys(fromInterceptor).map((k) => k.toLowerCase()));
    for (const [name, value] of Object.entries(fromClient)) {
      const lower = name.toLowerCase();
      if (!propagatable(lower)) continue;
      if (this.unconfirmed.omittedHeaderStripsClientCopy && !setByInterceptor.has(lower)) continue;
      out[lower] = value;
    }
    for (const [name, value] of Object.entries(fromInterceptor)) {
      const lower = name.toLowerCase();
      // §4 an interceptor Authorization always reaches the target and overrides the credential provider.
      if (lower === "authorization") out.authorization = value;
      // §4 other interceptor headers only if allowlisted; on conflict the interceptor wins over the client.
      else if (propagatable(lower)) out[lower] = value;
    }
    return out;
  }
}

type Verdict =
  | { kind: "invalid" }
  | { kind: "short-circuit"; statusCode: number; body: unknown }
  | { kind: "forward"; headers: Record<string, string>; body: unknown };

/** §2a/§2b: exactly `{interceptorOutputVersion: "1.0", mcp: {transformedGatewayRequest | transformedGatewayResponse}}`. */
function validateInterceptorOutput(result: { output?: unknown; error?: string }): Verdict {
  const out = result.output;
  if (result.error !== undefined || !isObject(out) || out.interceptorOutputVersion !== "1.0" || !isObject(out.mcp))
    return { kind: "invalid" };
  const { transformedGatewayRequest: request, transformedGatewayResponse: response, ...rest } = out.mcp;
  if (Object.keys(rest).length > 0) return { kind: "invalid" };
  if (response !== undefined) {
    // §2b: a response wins even if a request is present too.
    if (!isObject(response) || typeof response.statusCode !== "number" || !isObject(response.body)) return { kind: "invalid" };
    return { kind: "short-circuit", statusCode: response.statusCode, body: response.body };
  }
  if (!isObject(request) || !isObject(request.body)) return { kind: "invalid" };
  const { headers = {}, body, ...extra } = request;
  if (Object.keys(extra).length > 0 || !isObject(headers) || !Object.values(headers).every((v) => typeof v === "string"))
    return { kind: "invalid" };
  return { kind: "forward", headers: headers as Record<string, string>, body };
}

type ResponseVerdict =
  | { kind: "invalid" }
  | { kind: "keep" }
  | { kind: "replace"; replace: { statusCode?: number; headers?: Record<string, string>; body?: Json } };

/**
 * §3 RESPONSE output, strictly in the configured form: `{interceptorOutputVersion: "1.0", mcp:
 * {transformedGatewayResponse}}` with exactly the form's keys and a JSON object body. Never `{"mcp":{}}`
 * (a field report: the gateway answers it with a parse error; another: a reply without `body` fails
 * the call). The version alone is the answer to a reply without a body (as AWS's sample answers
 * `notifications/initialized`), and fails a reply that had one.
 */
function validateResponseOutput(
  result: { output?: unknown; error?: string },
  form: "status-and-body" | "body-only",
  hadBody: boolean,
): ResponseVerdict {
  const out = result.output;
  if (result.error !== undefined || !isObject(out) || out.interceptorOutputVersion !== "1.0") return { kind: "invalid" };
  const { interceptorOutputVersion: _version, mcp, ...outer } = out;
  if (Object.keys(outer).length > 0) return { kind: "invalid" };
  if (mcp === undefined) return hadBody ? { kind: "invalid" } : { kind: "keep" };
  if (!isObject(mcp)) return { kind: "invalid" };
  const { transformedGatewayResponse: response, ...rest } = mcp;
  if (Object.keys(rest).length > 0 || !isObject(response)) return { kind: "invalid" };
  const { statusCode, headers, body, ...extra } = response;
  if (Object.keys(extra).length > 0 || !isObject(body)) return { kind: "invalid" };
  if (form === "body-only")
    return statusCode === undefined && headers === undefined ? { kind: "replace", replace: { body } } : { kind: "invalid" };
  if (typeof statusCode !== "number") return { kind: "invalid" };
  if (headers !== undefined && !(isObject(headers) && Object.values(headers).every((v) => typeof v === "string")))
    return { kind: "invalid" };
  return {
    kind: "replace",
    replace: {
      statusCode,
      ...(isObject(headers) ? { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])) } : {}),
      body,
    },
  };
}

async function callTarget(target: GatewayTarget, headers: Record<string, string>, message: Json): Promise<Json> {
  const response = await fetch(target.url, {
    method: "POST",
    headers: {
      ...headers,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify(message),
  });
  return (await response.json()) as Json;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: Reply, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function rpcError(id: string | number | null, code: number, message: string): Json {
  return { jsonrpc: "2.0", id, error: { code, message } };
}
