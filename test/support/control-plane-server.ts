import { Agent, createServer, type Server } from "node:https";
import { closeServer, listenOnLoopback } from "./loopback.js";
import { localhostCert, testCa } from "./tls.js";

/**
 * A loopback HTTPS endpoint speaking the AgentCore control plane's REST-JSON protocol for the gateway
 * operations the command line uses, at the paths and methods the real SDK client sends
 * (https://docs.aws.amazon.com/bedrock-agentcore-control/latest/APIReference/API_GetGateway.html,
 * API_UpdateGateway.html, API_ListGatewayTargets.html, API_GetGatewayTarget.html,
 * API_UpdateGatewayTarget.html). It records every request and keeps what an update sends.
 */
export type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  path: string;
  body: Json | undefined;
}

export class ControlPlaneServer {
  readonly gateways = new Map<string, Json>();
  /** gateway id -> target id -> target */
  readonly targets = new Map<string, Map<string, Json>>();
  readonly requests: RecordedRequest[] = [];
  /** ListGatewayTargets page size (exercises nextToken). */
  pageSize = 2;
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Real-SDK client settings: this endpoint, the test CA, static fake credentials. */
  clientConfig() {
    return {
      endpoint: this.url,
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-test-secret-key" },
      requestHandler: { httpsAgent: new Agent({ ca: testCa }) },
    };
  }

  /** Requests that change something (PUT/POST/PATCH/DELETE). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  async start(): Promise<this> {
    this.server = createServer(localhostCert, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const reply = (status: number, body: unknown) =>
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        const url = new URL(req.url ?? "/", "https://localhost");
        const text = Buffer.concat(chunks).toString();
        const body = text === "" ? undefined : (JSON.parse(text) as Json);
        const method = req.method ?? "GET";
        this.requests.push({ method, path: url.pathname, body });
        if (!String(req.headers.authorization).startsWith("AWS4-HMAC-SHA256")) {
          return reply(403, { message: "missing signature" });
        }
        const notFound = () =>
          res
            .writeHead(404, { "content-type": "application/json", "x-amzn-errortype": "ResourceNotFoundException" })
            .end(JSON.stringify({ message: "not found" }));
        const m = /^\/gateways\/([^/]+)\/(?:targets\/(?:([^/]+)\/)?)?$/.exec(url.pathname);
        const gatewayId = m?.[1];
        const gateway = gatewayId !== undefined ? this.gateways.get(gatewayId) : undefined;
        if (gatewayId === undefined || gateway === undefined) return notFound();
        const isTargets = url.pathname.includes("/targets/");
        const targetId = m?.[2];
        const targets = this.targets.get(gatewayId) ?? new Map<string, Json>();
        if (!isTargets) {
          if (method === "GET") return reply(200, gateway);
          if (method === "PUT" && body !== undefined) {
            const updated = { ...readOnly(gateway), ...body, status: "UPDATING", updatedAt: "2026-11-23T10:00:00Z" };
            this.gateways.set(gatewayId, updated);
            return reply(202, updated);
          }
        } else if (targetId === undefined) {
          if (method === "GET") {
            const all = [...targets.values()];
            const start = Number(url.searchParams.get("nextToken") ?? "0");
            const items = all.slice(start, start + this.pageSize).map((t) => ({
              targetId: t.targetId,
              name: t.name,
              status: t.status,
              createdAt: t.createdAt,
              updatedAt: t.updatedAt,
            }));
            const next = start + this.pageSize < all.length ? { nextToken: String(start + this.pageSize) } : {};
            return reply(200, { items, ...next });
          }
        } else {
          const target = targets.get(targetId);
          if (target === undefined) return notFound();
          if (method === "GET") return reply(200, target);
          if (method === "PUT" && body !== undefined) {
            const updated = { ...targetReadOnly(target), ...body, status: "UPDATING" };
            targets.set(targetId, updated);
            return reply(202, updated);
          }
        }
        return reply(400, { message: "unsupported" });
      });
    });
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}

const pick = (o: Json, keys: string[]) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
const readOnly = (g: Json) => pick(g, ["gatewayArn", "gatewayId", "gatewayUrl", "createdAt", "workloadIdentityDetails", "webAclArn"]);
const targetReadOnly = (t: Json) => pick(t, ["gatewayArn", "targetId", "createdAt", "updatedAt", "lastSynchronizedAt", "protocolType"]);
