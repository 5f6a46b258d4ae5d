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

export function httpsRequest(r: HttpsRequest): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(r.url);
    } catch {
      reject(new HttpsFailure("invalid URL"));
      return;
    }
    if (url.protocol !== "https:") {
      reject(new HttpsFailure("not https"));
      return;
    }
    const { signal } = r;
    if (signal.aborted) {
      reject(new HttpsFailure(abortWhy(signal)));
      return;
    }
    const req = request(url, { method: r.method, headers: r.headers, ...(r.ca !== undefined ? { ca: r.ca } : {}) });
    const onAbort = () => req.destroy(new HttpsFailure(abortWhy(signal)));
    signal.addEventListener("abort", onAbort, { once: true });
    const done = () => signal.removeEventListener("abort", onAbort);
    const fail = (err: unknown) => {
      done();
      reject(err instanceof HttpsFailure ? err : new HttpsFailure(errnoCode(err) ?? "network error"));
    };
    req.on("error", fail);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > r.maxBytes) req.destroy(new HttpsFailure("body too large"));
        else chunks.push(chunk);
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
function abortWhy(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === "TimeoutError" ? "timeout" : "aborted";
}

function errnoCode(err: unknown): string | undefined {
  const code: unknown = typeof err === "object" && err !== null ? Reflect.get(err, "code") : undefined;
  return typeof code === "string" ? code : undefined;
}
