import { request, createServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { closeServer, listenOnLoopback } from "../support/loopback.js";
import { localhostCert, testCa } from "../support/tls.js";

/**
 * A loopback HTTPS front that passes requests to a real test server (JWKS, token endpoint, Secrets
 * Manager) or injects one fault instead: slow, hang, trickle, an error status, a redirect, garbage, a
 * huge body, or a TLS certificate the client must refuse. Every answer closes its connection and
 * switching the fault cuts open ones, so no kept-alive socket carries a request past a fault (or
 * into one).
 */
export type Fault =
  | { kind: "pass" }
  | { kind: "slow"; ms: number }
  | { kind: "hang" }
  | { kind: "trickle"; intervalMs: number }
  | { kind: "status"; status: number }
  | { kind: "redirect" }
  | { kind: "garbage"; contentType: string }
  | { kind: "huge"; bytes: number; contentType: string }
  | { kind: "tls"; cert: { key: string; cert: string } };

export class FaultServer {
  fault: Fault = { kind: "pass" };
  hits = 0;
  private server: Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly upstream: () => string) {}

  async start(): Promise<this> {
    this.server = createServer(localhostCert, (req, res) => {
      this.hits++;
      res.shouldKeepAlive = false;
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const f = this.fault;
        const pass = () => {
          const headers = { ...req.headers };
          delete headers.host;
          const out = request(new URL(req.url ?? "/", this.upstream()), { method: req.method, headers, ca: testCa }, (up) => {
            res.writeHead(up.statusCode ?? 502, { ...up.headers, connection: "close" });
            up.pipe(res);
          });
          out.on("error", () => res.destroy());
          out.end(Buffer.concat(chunks));
        };
        switch (f.kind) {
          case "pass":
          case "tls":
            return pass();
          case "slow":
            return void setTimeout(pass, f.ms);
          case "hang":
            return;
          case "trickle": {
            res.writeHead(200, { "content-type": "application/json" });
            const timer = setInterval(() => res.write(" "), f.intervalMs);
            res.on("close", () => clearInterval(timer));
            return;
          }
          case "status":
            return void res.writeHead(f.status, { "content-type": "application/json" }).end(`{"message":"fault ${f.status}"}`);
          case "redirect":
            return void res.writeHead(302, { location: this.url("/elsewhere") }).end();
          case "garbage":
            return void res
              .writeHead(200, { "content-type": f.contentType })
              .end('<html><body>\u0000\u00ff not what you asked for {"keys":</body>');
          case "huge": {
            res.writeHead(200, { "content-type": f.contentType });
            const chunk = Buffer.alloc(64 * 1024, 0x20);
            let sent = 0;
            res.on("error", () => undefined);
            const pump = () => {
              while (sent < f.bytes) {
                sent += chunk.length;
                if (!res.write(chunk)) return void res.once("drain", pump);
              }
              res.end();
            };
            return pump();
          }
        }
      });
    });
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    this.server.on("tlsClientError", () => undefined);
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  /** Injects a fault (or `pass`), cutting every open connection first. */
  set(fault: Fault): void {
    for (const s of this.sockets) s.destroy();
    this.fault = fault;
    this.server?.setSecureContext(fault.kind === "tls" ? fault.cert : localhostCert);
  }

  url(path = ""): string {
    return `https://127.0.0.1:${this.port}${path}`;
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return closeServer(this.server);
  }
}
