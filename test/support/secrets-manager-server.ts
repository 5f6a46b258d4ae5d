import { createServer, type Server } from "node:https";
import { closeServer, listenOnLoopback } from "./loopback.js";
import { Agent } from "node:https";
import { registerSecret } from "./secrets.js";
import { localhostCert, testCa } from "./tls.js";

/**
 * A loopback HTTPS endpoint speaking the Secrets Manager JSON protocol (awsJson1.1,
 * `X-Amz-Target: secretsmanager.GetSecretValue`), driven by the real AWS SDK client in tests.
 */
export class SecretsManagerServer {
  readonly secrets = new Map<string, string>();
  readonly reads: string[] = [];
  mode: "ok" | "error" | "hang" = "ok";
  /** When set, every request is answered with this AWS error (`__type`) and status. */
  fault: { status: number; type: string } | undefined;
  private server: Server | undefined;
  private port = 0;

  put(arn: string, value: string): void {
    registerSecret(value);
    this.secrets.set(arn, value);
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** The SDK client settings that point at this server and trust the test CA. */
  clientConfig(): Record<string, unknown> {
    return {
      endpoint: this.url,
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-test-secret-key" },
      requestHandler: { httpsAgent: new Agent({ ca: testCa }) },
    };
  }

  async start(): Promise<this> {
    this.server = createServer(localhostCert, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (this.mode === "hang") return;
        const reply = (status: number, body: unknown) =>
          res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
        if (this.mode === "error") return reply(500, { __type: "InternalServiceError", message: "unavailable" });
        if (this.fault !== undefined) return reply(this.fault.status, { __type: this.fault.type, message: "refused" });
        if (
          req.headers["x-amz-target"] !== "secretsmanager.GetSecretValue" ||
          !String(req.headers.authorization).startsWith("AWS4-HMAC-SHA256")
        ) {
          return reply(400, { __type: "InvalidRequestException", message: "unsupported" });
        }
        const { SecretId } = JSON.parse(Buffer.concat(chunks).toString()) as { SecretId: string };
        this.reads.push(SecretId);
        const value = this.secrets.get(SecretId);
        if (value === undefined)
          return reply(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." });
        return reply(200, {
          ARN: SecretId,
          Name: SecretId.split(":").at(-1),
          SecretString: value,
          VersionId: "v1",
          VersionStages: ["AWSCURRENT"],
          CreatedDate: 1.7e9,
        });
      });
    });
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}
