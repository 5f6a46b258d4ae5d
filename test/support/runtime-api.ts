import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * A loopback implementation of the Lambda Runtime API, the HTTP interface a runtime client (such as
 * aws-lambda-ric) pulls invocations from and posts their results to
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
 *
 *   GET  /2018-06-01/runtime/invocation/next           the next event, held until one is queued, with the
 *                                                      headers Lambda-Runtime-Aws-Request-Id,
 *                                                      Lambda-Runtime-Deadline-Ms (epoch ms) and
 *                                                      Lambda-Runtime-Invoked-Function-Arn
 *   POST /2018-06-01/runtime/invocation/{id}/response  the handler's result for that request id
 *   POST /2018-06-01/runtime/invocation/{id}/error     the handler's error (Lambda-Runtime-Function-Error-Type)
 *   POST /2018-06-01/runtime/init/error                the function could not start
 *
 * aws-lambda-ric 4.x requires the three invocation headers above (REQUIRED_INVOKE_HEADERS in its
 * index.mjs, https://github.com/aws/aws-lambda-nodejs-runtime-interface-client) and reads the API's
 * address from AWS_LAMBDA_RUNTIME_API (`host:port`, no scheme).
 */
export interface InvocationResult {
  requestId: string;
  kind: "response" | "error";
  /** The posted body, parsed as JSON. */
  body: unknown;
  /** Lambda-Runtime-Function-Error-Type of an error post. */
  errorType?: string | undefined;
}

interface Queued {
  requestId: string;
  payload: string;
  deadlineMs: number;
}

const PREFIX = "/2018-06-01/runtime";
export const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:identity-interceptor";

export class RuntimeApi {
  private server: Server | undefined;
  private readonly queue: Queued[] = [];
  private readonly polls: ServerResponse[] = [];
  private readonly pending = new Map<string, (result: InvocationResult) => void>();
  /** Bodies posted to /runtime/init/error, in order. */
  readonly initErrors: { errorType: string | undefined; body: unknown }[] = [];
  /** Results posted for request ids this API never handed out (or twice for one). */
  readonly unexpected: { path: string; body: string }[] = [];
  /** The most invocations handed out and not yet answered at one time. */
  maxInFlight = 0;
  /** `performance.now()` when the runtime first asked for an invocation (its init had ended). */
  firstPollAt: number | undefined;

  /** `host:port`, the value of AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    const a = this.server?.address();
    if (typeof a !== "object" || a === null) throw new Error("the runtime API is not listening");
    return `127.0.0.1:${a.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.route(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Queues one invocation; resolves with what the runtime posted for it. `timeoutMs` is the invocation's
   * Lambda timeout (its deadline header), not a bound on this promise: a runtime that never answers
   * leaves it pending, and the caller's test timeout reports that.
   */
  invoke(event: unknown, timeoutMs = 30_000): Promise<InvocationResult> {
    const requestId = randomUUID();
    const result = new Promise<InvocationResult>((resolve) => this.pending.set(requestId, resolve));
    this.queue.push({ requestId, payload: JSON.stringify(event), deadlineMs: Date.now() + timeoutMs });
    this.dispatch();
    return result;
  }

  /** What is waiting, for a failure message. */
  state(): string {
    return `${this.queue.length} queued, ${this.inFlight} handed out and unanswered, ${this.polls.length} runtime requests waiting`;
  }

  private get inFlight(): number {
    return this.pending.size - this.queue.length;
  }

  /** Hands queued invocations to the runtime's waiting `next` requests. */
  private dispatch(): void {
    while (this.queue.length > 0 && this.polls.length > 0) {
      const poll = this.polls.shift();
      if (poll === undefined) return;
      // A runtime that went away while waiting (its connection closed) gets nothing.
      if (poll.socket === null || poll.socket.destroyed) continue;
      const next = this.queue.shift();
      if (next === undefined) return;
      poll.writeHead(200, {
        "Content-Type": "application/json",
        "Lambda-Runtime-Aws-Request-Id": next.requestId,
        "Lambda-Runtime-Deadline-Ms": String(next.deadlineMs),
        "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
        "Lambda-Runtime-Trace-Id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${next.requestId.replace(/-/g, "").slice(0, 24)};Sampled=0`,
      });
      poll.end(next.payload);
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const body = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "";
    if (req.method === "GET" && path === `${PREFIX}/invocation/next`) {
      this.firstPollAt ??= performance.now();
      this.polls.push(res);
      res.on("close", () => {
        const i = this.polls.indexOf(res);
        if (i >= 0) this.polls.splice(i, 1);
      });
      this.dispatch();
      return;
    }
    const errorType = req.headers["lambda-runtime-function-error-type"];
    const posted = { errorType: typeof errorType === "string" ? errorType : undefined, body: parse(body) };
    if (req.method === "POST" && path === `${PREFIX}/init/error`) {
      this.initErrors.push(posted);
      accepted(res);
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (req.method === "POST" && m !== null) {
      const requestId = decodeURIComponent(m[1] ?? "");
      const resolve = this.pending.get(requestId);
      if (resolve === undefined || this.queue.some((q) => q.requestId === requestId)) {
        this.unexpected.push({ path, body });
        res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ errorType: "InvalidRequestID" }));
        return;
      }
      this.pending.delete(requestId);
      accepted(res);
      resolve({ requestId, kind: m[2] === "error" ? "error" : "response", ...posted });
      return;
    }
    res.writeHead(404).end();
  }
}

const accepted = (res: ServerResponse) => res.writeHead(202, { "Content-Type": "application/json" }).end('{"status":"OK"}');

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
