import { request } from "node:https";

/** Fetches one JWKS document: the I/O edge, swappable in tests and for users. */
export type JwksFetcher = (uri: string) => Promise<unknown>;

export class JwksFetchError extends Error {
  constructor(readonly why: string) {
    super(`JWKS fetch failed: ${why}`);
  }
}

export interface FetchLimits {
  /** Whole-request budget: connect, TLS, headers and body. One attempt, no retry. */
  timeoutMs: number;
  maxBytes: number;
  /** Extra trusted CA certificates (PEM); the system store is used otherwise. */
  ca?: string | Buffer | undefined;
}

/**
 * HTTPS GET with a hard deadline, a byte cap, no redirects and TLS verification always on
 * (security.md §2 L7, JW-02..JW-08). The library fetcher retries, waits up to ~6 s and reads
 * bodies of any size; this one answers within `timeoutMs` and reads at most `maxBytes`.
 */
export function httpsJwksFetcher(limits: FetchLimits): JwksFetcher {
  return (uri) =>
    new Promise((resolve, reject) => {
      const url = new URL(uri);
      if (url.protocol !== "https:") {
        reject(new JwksFetchError("not https"));
        return;
      }
      const req = request(url, {
        method: "GET",
        headers: { accept: "application/json, application/jwk-set+json" },
        ...(limits.ca !== undefined ? { ca: limits.ca } : {}),
      });
      const timer = setTimeout(() => req.destroy(new JwksFetchError("timeout")), limits.timeoutMs);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof JwksFetchError ? err : new JwksFetchError((err as NodeJS.ErrnoException).code ?? "network"));
      };
      req.on("error", fail);
      req.on("response", (res) => {
        const type = res.headers["content-type"] ?? "";
        if (res.statusCode !== 200) {
          res.resume();
          req.destroy(new JwksFetchError(`status ${res.statusCode}`));
          return;
        }
        if (!/json/i.test(type)) {
          res.resume();
          req.destroy(new JwksFetchError("content-type is not JSON"));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) {
            req.destroy(new JwksFetchError("body too large"));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", fail);
        res.on("end", () => {
          clearTimeout(timer);
          if (size > limits.maxBytes) return;
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch {
            reject(new JwksFetchError("body is not JSON"));
          }
        });
      });
      req.end();
    });
}
