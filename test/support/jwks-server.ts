import { createServer, type Server } from "node:https";
import { closeServer, listenOnLoopback } from "./loopback.js";
import { localhostCert } from "./tls.js";

/** How one JWKS path answers; switchable while a test runs (docs/security.md §0 harness needs). */
export type JwksBehaviour =
  | { kind: "ok"; body: unknown; contentType?: string }
  | { kind: "status"; status: number }
  | { kind: "redirect"; location: string }
  | { kind: "hang" }
  | { kind: "trickle"; intervalMs: number }
  | { kind: "raw"; body: string; contentType: string }
  | { kind: "huge"; bytes: number };

/** A loopback HTTPS server (test CA) serving JWKS documents per path, counting hits. */
export class JwksServer {
  readonly hits = new Map<string, number>();
  private readonly behaviours = new Map<string, JwksBehaviour>();
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly tls = localhostCert) {}

  async start(): Promise<this> {
    this.server = createServer(this.tls, (req, res) => {
      const path = (req.url ?? "/").split("?")[0]!;
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const b = this.behaviours.get(path) ?? { kind: "status", status: 404 };
      switch (b.kind) {
        case "ok":
          res.writeHead(200, { "content-type": b.contentType ?? "application/json" }).end(JSON.stringify(b.body));
          return;
        case "status":
          res.writeHead(b.status, { "content-type": "application/json" }).end("{}");
          return;
        case "redirect":
          res.writeHead(302, { location: b.location }).end();
          return;
        case "hang":
          return;
        case "trickle": {
          res.writeHead(200, { "content-type": "application/json" });
          const timer = setInterval(() => res.write(" "), b.intervalMs);
          res.on("close", () => clearInterval(timer));
          return;
        }
        case "raw":
          res.writeHead(200, { "content-type": b.contentType }).end(b.body);
          return;
        case "huge": {
          res.writeHead(200, { "content-type": "application/json" });
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          let sent = 0;
          const pump = () => {
            while (sent < b.bytes) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once("drain", pump);
            }
            res.end();
          };
          res.on("error", () => undefined);
          pump();
          return;
        }
      }
    });
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  url(path: string): string {
    return `https://127.0.0.1:${this.port}${path}`;
  }

  set(path: string, behaviour: JwksBehaviour): void {
    this.behaviours.set(path, behaviour);
  }

  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}
