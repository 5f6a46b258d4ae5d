import { request } from "node:https";
import { HttpsFailure } from "../errors.js";

/**
 * One HTTPS exchange bounded by an `AbortSignal` (connect, TLS, headers and body together: the signal
 * aborting destroys the socket), a byte cap on the body, no redirects and TLS verification always on.
 * The I/O edge for JWKS and token endpoints.
 */
export interface HttpsRequest {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** The call's bound: its own budget and/or the request deadline (`Deadline.within`, `Clock.timeout`). */
  signal: AbortSignal;
  maxBytes: number;
  /** Extra trusted CA certificates (PEM); the system store (and NODE_EXTRA_CA_CERTS) otherwise. */
  ca?: string | undefined;
}

export interface HttpsResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/**
 * A request written to a kept-alive socket that the server closed in the meantime (an IdP's load
 * balancer ending idle connections) fails with a reset before any answer: it never reached the server.
 * Such a failure is retried once on a fresh connection, as Node's documentation advises
 * (https://nodejs.org/api/http.html#requestreusedsocket); without it, one reset on a warm Lambda's
 * first JWKS refresh would become the negative cache's whole window of 503s.
 */
const STALE_SOCKET = new Set(["ECONNRESET", "EPIPE"]);

export async function httpsRequest(r: HttpsRequest): Promise<HttpsResponse> {
  try {
    return await attempt(r);
  } catch (err) {
    if (!(err instanceof StaleSocket)) throw err;
    return attempt(r, true);
  }
}

/** The failure of a request on a reused socket before any answer: the one failure worth a retry. */
class StaleSocket extends HttpsFailure {}

function attempt(r: HttpsRequest, retried = false): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(r.url);
    } catch {
      reject(new HttpsFailure("invalid-url", "invalid URL"));
      return;
    }
    if (url.protocol !== "https:") {
      reject(new HttpsFailure("not-https", "not https"));
      return;
    }
    const { signal } = r;
    if (signal.aborted) {
      reject(abortFailure(signal));
      return;
    }
    const req = request(url, { method: r.method, headers: r.headers, ...(r.ca !== undefined ? { ca: r.ca } : {}) });
    let answered = false;
    const onAbort = () => req.destroy(abortFailure(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    const done = () => signal.removeEventListener("abort", onAbort);
    const fail = (err: unknown) => {
      done();
      if (err instanceof HttpsFailure) return reject(err);
      const code = errnoCode(err);
      const stale = !retried && !answered && req.reusedSocket && code !== undefined && STALE_SOCKET.has(code);
      reject(stale ? new StaleSocket("network", code) : new HttpsFailure("network", code ?? "network error"));
    };
    req.on("error", fail);
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        const before = size;
        size += chunk.length;
        if (size <= r.maxBytes) chunks.push(chunk);
        else if (before <= r.maxBytes) {
          // Rejected here rather than through destroy(err): when the whole answer is already in, the
          // socket may be back in the agent's pool, where that error would be uncaught and this
          // promise never settle.
          fail(new HttpsFailure("too-large", "body too large"));
          req.destroy();
        }
      });
      res.on("error", fail);
      res.on("end", () => {
        done();
        if (size <= r.maxBytes)
          resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? "", body: Buffer.concat(chunks) });
      });
    });
    req.end(r.body);
  });
}

/** "timeout" when the call's budget or the deadline ran out, "aborted" for any other abort. */
function abortFailure(signal: AbortSignal): HttpsFailure {
  const reason: unknown = signal.reason;
  const kind = reason instanceof Error && reason.name === "TimeoutError" ? "timeout" : "aborted";
  return new HttpsFailure(kind, kind);
}

function errnoCode(err: unknown): string | undefined {
  const code: unknown = typeof err === "object" && err !== null ? Reflect.get(err, "code") : undefined;
  return typeof code === "string" ? code : undefined;
}
