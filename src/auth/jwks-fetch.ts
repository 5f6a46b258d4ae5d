import { HttpsFailure } from "../errors.js";
import { type Clock, systemClock } from "../clock.js";
import { httpsRequest } from "../http/https-request.js";

/** Fetches one JWKS document: the I/O edge, swappable in tests and for users. */
export type JwksFetcher = (uri: string) => Promise<unknown>;

export interface FetchLimits {
  /** Whole-request budget: connect, TLS, headers and body. One attempt, no retry. */
  timeoutMs: number;
  maxBytes: number;
  /** Extra trusted CA certificates (PEM); the system store is used otherwise. */
  ca?: string | undefined;
}

/**
 * HTTPS GET of a JWKS (docs/security.md §2 L7, JW-02..JW-08): the library fetcher retries, waits up to
 * ~6 s and reads bodies of any size; this one answers within `timeoutMs`, reads at most `maxBytes`,
 * follows no redirect and accepts only a 200 JSON answer.
 */
export function httpsJwksFetcher(limits: FetchLimits, clock: Clock = systemClock): JwksFetcher {
  const { timeoutMs, maxBytes, ca } = limits;
  return async (uri) => {
    const headers = { accept: "application/json, application/jwk-set+json" };
    const res = await httpsRequest({ url: uri, method: "GET", headers, maxBytes, ca, signal: clock.timeout(timeoutMs) });
    if (res.status !== 200) throw new HttpsFailure("status", `status ${res.status}`);
    if (!/json/i.test(res.contentType)) throw new HttpsFailure("content-type", "content-type is not JSON");
    try {
      return JSON.parse(res.body.toString("utf8")) as unknown;
    } catch {
      throw new HttpsFailure("not-json", "body is not JSON");
    }
  };
}
