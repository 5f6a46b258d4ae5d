import { createServer, type Server } from "node:https";
import { closeServer, listenOnLoopback } from "./loopback.js";
import type { TestKey } from "./keys.js";
import { registerSecret, registerToken } from "./secrets.js";
import { buildToken } from "./tokens.js";
import { localhostCert } from "./tls.js";

/**
 * A Cognito-style `/oauth2/token` endpoint on loopback: `client_credentials` with client_secret_basic,
 * `aws_client_metadata` handed to a pre token generation V3 trigger as `request.clientMetadata`, and
 * the trigger's `claimsToAddOrOverride` applied to the machine access token (agentcore-contract.md §8).
 * When the trigger throws, this endpoint answers 400 `invalid_request` (Cognito's exact answer to a
 * failing trigger is not documented; assumed).
 */
export type PreTokenTrigger = (event: Record<string, unknown>) => Promise<Record<string, unknown>>;

export class CognitoEndpoint {
  readonly events: Record<string, unknown>[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(
    readonly issuer: string,
    private readonly key: TestKey,
    private readonly client: { id: string; secret: string },
    private readonly trigger: PreTokenTrigger,
  ) {
    registerSecret(client.secret);
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}/oauth2/token`;
  }

  async start(): Promise<this> {
    this.server = createServer(localhostCert, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void this.answer(req.headers.authorization, Buffer.concat(chunks).toString(), (status, body) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))));
    });
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async answer(authorization: string | undefined, text: string, reply: (status: number, body: unknown) => void): Promise<void> {
    const form = Object.fromEntries(new URLSearchParams(text));
    const [id, secret] = Buffer.from((authorization ?? "").replace(/^Basic /, ""), "base64").toString().split(":").map(decodeURIComponent);
    if (id !== this.client.id || secret !== this.client.secret) return reply(400, { error: "invalid_client" });
    if (form.grant_type !== "client_credentials") return reply(400, { error: "unsupported_grant_type" });
    let clientMetadata: Record<string, string> | null = null;
    try {
      if (form.aws_client_metadata !== undefined) clientMetadata = JSON.parse(form.aws_client_metadata) as Record<string, string>;
    } catch {
      return reply(400, { error: "invalid_request" });
    }
    const scopes = (form.scope ?? "").split(" ").filter(Boolean);
    const event = {
      version: "3",
      triggerSource: "TokenGeneration_ClientCredentials",
      region: "eu-west-1",
      userPoolId: this.issuer.split("/").at(-1),
      callerContext: { awsSdkVersion: "aws-sdk-unknown-unknown", clientId: id },
      request: { clientMetadata, scopes },
      response: { claimsAndScopeOverrideDetails: null },
    };
    this.events.push(event);
    let result: Record<string, unknown>;
    try {
      result = await this.trigger(event);
    } catch {
      return reply(400, { error: "invalid_request" });
    }
    const details = (result.response as { claimsAndScopeOverrideDetails?: { accessTokenGeneration?: { claimsToAddOrOverride?: Record<string, unknown> } } | null }).claimsAndScopeOverrideDetails;
    const now = Math.floor(Date.now() / 1000);
    const token = buildToken({
      header: { alg: "RS256", kid: this.key.kid },
      payload: {
        ...details?.accessTokenGeneration?.claimsToAddOrOverride,
        sub: id,
        client_id: id,
        token_use: "access",
        scope: scopes.join(" "),
        iss: this.issuer,
        auth_time: now,
        iat: now,
        exp: now + 3600,
        jti: `m2m-${now}-${Math.random().toString(36).slice(2)}`,
        version: 2,
      },
      key: this.key,
    });
    registerToken(token);
    reply(200, { access_token: token, expires_in: 3600, token_type: "Bearer" });
  }
}
