import { createServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HttpsFailure } from "../../src/errors.js";
import { httpsRequest } from "../../src/http/https-request.js";
import { httpsJwksFetcher } from "../../src/auth/jwks-fetch.js";
import { closeServer, listenOnLoopback } from "../support/loopback.js";
import { localhostCert, testCa } from "../support/tls.js";

/**
 * The one HTTPS edge (src/http/https-request.ts) against a loopback TLS server: a request that lands on
 * a kept-alive socket the server has closed is retried once on a fresh connection; any other failure is
 * not retried.
 */
let server: Server | undefined;
afterEach(() => closeServer(server));

/** A server that answers the first request of each connection, and resets any later one on the same connection. */
async function oneRequestPerConnection(onRequest: () => void = () => undefined): Promise<string> {
  const served = new WeakSet<Socket>();
  server = createServer(localhostCert, (req, res) => {
    onRequest();
    if (served.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    served.add(req.socket);
    res.writeHead(200, { "content-type": "application/json", connection: "keep-alive" }).end('{"ok":true}');
  });
  server.keepAliveTimeout = 60_000;
  return `https://localhost:${await listenOnLoopback(server)}/jwks`;
}

const get = (url: string) => httpsRequest({ url, method: "GET", signal: new AbortController().signal, maxBytes: 1024, ca: testCa });

describe("httpsRequest", () => {
  it("a reset on a reused kept-alive socket is retried once on a fresh connection", async () => {
    let requests = 0;
    const url = await oneRequestPerConnection(() => requests++);
    expect((await get(url)).body.toString()).toBe('{"ok":true}');
    // The second request reuses the kept-alive socket, which the server resets: retried on a new one.
    expect((await get(url)).body.toString()).toBe('{"ok":true}');
    expect(requests).toBe(3);
  });

  it("a reset on a fresh connection is not retried", async () => {
    let requests = 0;
    server = createServer(localhostCert, (req) => {
      requests++;
      req.socket.destroy();
    });
    const url = `https://localhost:${await listenOnLoopback(server)}/jwks`;
    const failure = await get(url).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(HttpsFailure);
    expect(failure).toMatchObject({ kind: "network", why: "ECONNRESET" });
    expect(requests).toBe(1);
  });
});

/** The kind of each failure, as callers branch on it (never on `why`). */
describe("HttpsFailure kinds", () => {
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => (err instanceof HttpsFailure ? { kind: err.kind, why: err.why } : err),
    );
  const request = (url: string, signal = new AbortController().signal, maxBytes = 1024) =>
    httpsRequest({ url, method: "GET", signal, maxBytes, ca: testCa });

  it("a URL that does not parse, or is not https, is refused before any request", async () => {
    expect(await failureOf(request("not a url"))).toEqual({ kind: "invalid-url", why: "invalid URL" });
    expect(await failureOf(request("http://localhost/jwks"))).toEqual({ kind: "not-https", why: "not https" });
  });

  it("an aborted signal: timeout when the budget ran out, aborted otherwise", async () => {
    const url = await oneRequestPerConnection();
    expect(await failureOf(request(url, AbortSignal.abort()))).toEqual({ kind: "aborted", why: "aborted" });
    const timedOut = AbortSignal.abort(new DOMException("budget", "TimeoutError"));
    expect(await failureOf(request(url, timedOut))).toEqual({ kind: "timeout", why: "timeout" });
  });

  it("a body over the byte cap is too-large", async () => {
    const url = await oneRequestPerConnection();
    expect(await failureOf(request(url, new AbortController().signal, 4))).toEqual({ kind: "too-large", why: "body too large" });
  });

  it.each([
    [500, "application/json", '{"keys":[]}', { kind: "status", why: "status 500" }],
    [200, "text/html", '{"keys":[]}', { kind: "content-type", why: "content-type is not JSON" }],
    [200, "application/json", "{not json", { kind: "not-json", why: "body is not JSON" }],
  ])("a JWKS answer %s %s %j fails as %o", async (status, contentType, body, expected) => {
    server = createServer(localhostCert, (_req, res) => res.writeHead(status, { "content-type": contentType }).end(body));
    const url = `https://localhost:${await listenOnLoopback(server)}/jwks`;
    expect(await failureOf(httpsJwksFetcher({ timeoutMs: 5_000, maxBytes: 1024, ca: testCa })(url))).toEqual(expected);
  });
});
