import { request } from "node:https";
import { HttpsFailure } from "../errors.js";

/**
 * One HTTPS exchange with a hard deadline (connect, TLS, headers and body together), a byte cap on the
 * body, no redirects and TLS verification always on. The I/O edge for JWKS and token endpoints.
 */
export interface HttpsRequest {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
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
    const req = request(url, { method: r.method, headers: r.headers, ...(r.ca !== undefined ? { ca: r.ca } : {}) });
    const timer = setTimeout(() => req.destroy(new HttpsFailure("timeout")), Math.max(1, r.timeoutMs));
    const fail = (err: unknown) => {
      clearTimeout(timer);
      reject(err instanceof HttpsFailure ? err : new HttpsFailure((err as NodeJS.ErrnoException).code ?? "network error"));
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
        clearTimeout(timer);
        if (size <= r.maxBytes) resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? "", body: Buffer.concat(chunks) });
      });
    });
    req.end(r.body);
  });
}
