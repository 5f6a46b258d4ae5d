import { createPublicKey, verify as verifySignature } from "node:crypto";
import { createServer, type Server } from "node:https";
import { closeServer, listenOnLoopback } from "./loopback.js";
import { jwksOf, type TestKey } from "./keys.js";
import { registerSecret, registerToken } from "./secrets.js";
import { buildToken } from "./tokens.js";
import { localhostCert } from "./tls.js";

/**
 * A Cognito-style `/oauth2/token` endpoint on loopback, for the two on-behalf-of routes:
 *
 * - `client_credentials` with `aws_client_metadata` handed to a pre token generation V3 trigger as
 *   `request.clientMetadata`, and the trigger's `claimsToAddOrOverride` applied to the machine access
 *   token (docs/agentcore-contract.md §8). When the trigger throws, this endpoint answers 400
 *   `invalid_request` (Cognito's exact answer to a failing trigger is not documented; assumed).
 * - the native RFC 8693 token exchange (since 2026-11-12), as Cognito documents it:
 *   https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-token-exchange.html
 *   https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetDerivedToken.html
 *   https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 *   The client authenticates with client_secret_basic or client_secret_post; the pool needs the
 *   Essentials or Plus plan; the app client needs ALLOW_TOKEN_EXCHANGE_IMPERSONATION (no actor token)
 *   or ALLOW_TOKEN_EXCHANGE_DELEGATION (with one). The subject (and actor) token must be a valid
 *   access token of this pool. The answer is a standard Cognito access token for the subject with a
 *   single audience, no refresh token, and `act` when an actor token was sent.
 *
 * Errors are `400 {"error": …, "error_description": …}` with the token endpoint's documented codes.
 * Where the pages name no code for a case, the closest RFC 6749 / RFC 8693 code is used, and the
 * interceptor maps every plausible choice to the same reason: a pool without the feature plan →
 * `unsupported_grant_type`; an app client without the needed flow → `unauthorized_client`; an audience
 * that is no resource server of the pool → `invalid_target`; a scope the client may not have →
 * `invalid_scope`; a missing parameter or unknown token type → `invalid_request`; a bad subject or
 * actor token → `invalid_grant`; bad client credentials → `invalid_client`.
 */
export type PreTokenTrigger = (event: Record<string, unknown>) => Promise<Record<string, unknown>>;

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

export type ExchangeFlow = "ALLOW_TOKEN_EXCHANGE_IMPERSONATION" | "ALLOW_TOKEN_EXCHANGE_DELEGATION";

/** Pool and app-client settings the native exchange depends on; tests switch them. */
export interface NativeExchangeSettings {
  featurePlan: "LITE" | "ESSENTIALS" | "PLUS";
  /** The requesting app client's ExplicitAuthFlows (token-exchange ones). */
  flows: Set<ExchangeFlow>;
  /** Resource servers of the pool: identifier → scopes the app client may ask for. */
  resourceServers: Record<string, string[]>;
  expiresIn: number;
  /** Overrides of the issued token's claims (to play a misbehaving endpoint). */
  issuedClaims?: Record<string, unknown>;
}

export interface CognitoRequest {
  form: Record<string, string>;
  clientId: string | undefined;
  authMethod: "client_secret_basic" | "client_secret_post" | undefined;
}

type Reply = (status: number, body: unknown) => void;

export class CognitoEndpoint {
  readonly events: Record<string, unknown>[] = [];
  readonly requests: CognitoRequest[] = [];
  /** Every access token issued by a native token exchange, in order. */
  readonly exchanged: string[] = [];
  exchange: NativeExchangeSettings = CognitoEndpoint.defaultExchange();
  private server: Server | undefined;
  private port = 0;

  static defaultExchange(): NativeExchangeSettings {
    return {
      featurePlan: "ESSENTIALS",
      flows: new Set(["ALLOW_TOKEN_EXCHANGE_IMPERSONATION", "ALLOW_TOKEN_EXCHANGE_DELEGATION"]),
      resourceServers: { "ledger-api": ["ledger-api/read", "ledger-api/write"] },
      expiresIn: 900,
    };
  }

  constructor(
    readonly issuer: string,
    private readonly key: TestKey,
    private readonly client: { id: string; secret: string },
    private readonly trigger: PreTokenTrigger = async (e) => e,
  ) {
    registerSecret(client.secret);
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}/oauth2/token`;
  }

  /** The pool's signing keys (Cognito serves them at `<issuer>/.well-known/jwks.json`). */
  get jwksUri(): string {
    return `https://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }

  async start(): Promise<this> {
    this.server = createServer(localhostCert, (req, res) => {
      if (req.method === "GET" && req.url === "/.well-known/jwks.json") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwksOf(this.key)));
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on(
        "end",
        () =>
          void this.answer(req.headers.authorization, Buffer.concat(chunks).toString(), (status, body) =>
            res.writeHead(status, { "content-type": "application/json;charset=UTF-8" }).end(JSON.stringify(body)),
          ),
      );
    });
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  /** A user's access token from this pool, as a sign-in through the app client `clientId` returns it. */
  userToken(username: string, o: { sub?: string; groups?: string[]; clientId?: string; scope?: string } = {}): string {
    return this.accessToken({
      sub: o.sub ?? `${username}-0000-sub`,
      username,
      "cognito:groups": o.groups ?? [],
      client_id: o.clientId ?? "pool-web-app",
      scope: o.scope ?? "openid mcp/invoke",
    });
  }

  /** A client_credentials access token of this pool for the configured app client (e.g. an actor token). */
  machineToken(scopes: string[] = [], extra: Record<string, unknown> = {}): string {
    return this.accessToken({ sub: this.client.id, client_id: this.client.id, scope: scopes.join(" "), ...extra });
  }

  private accessToken(claims: Record<string, unknown>, lifetime = 3600): string {
    const now = Math.floor(Date.now() / 1000);
    const token = buildToken({
      header: { alg: "RS256", kid: this.key.kid },
      payload: {
        token_use: "access",
        iss: this.issuer,
        auth_time: now,
        iat: now,
        exp: now + lifetime,
        jti: `cg-${now}-${Math.random().toString(36).slice(2)}`,
        version: 2,
        ...claims,
      },
      key: this.key,
    });
    registerToken(token);
    return token;
  }

  /** client_secret_basic (form-encoded id and secret, RFC 6749 §2.3.1) or client_secret_post. */
  private authenticate(authorization: string | undefined, form: Record<string, string>): CognitoRequest["authMethod"] | "failed" {
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    if (authorization !== undefined) {
      if (!authorization.startsWith("Basic ") || form.client_secret !== undefined) return "failed";
      const [id = "", secret = ""] = Buffer.from(authorization.slice(6), "base64").toString().split(":").map(decode);
      return id === this.client.id && secret === this.client.secret ? "client_secret_basic" : "failed";
    }
    return form.client_id === this.client.id && form.client_secret === this.client.secret ? "client_secret_post" : "failed";
  }

  private async answer(authorization: string | undefined, text: string, reply: Reply): Promise<void> {
    const form = Object.fromEntries(new URLSearchParams(text));
    const auth = this.authenticate(authorization, form);
    this.requests.push({
      form,
      clientId: auth === "failed" ? undefined : this.client.id,
      authMethod: auth === "failed" ? undefined : auth,
    });
    const fail = (error: string, description: string) => reply(400, { error, error_description: description });
    if (auth === "failed") return fail("invalid_client", "Client authentication failed");
    if (form.grant_type === TOKEN_EXCHANGE_GRANT) return this.tokenExchange(form, reply, fail);
    if (form.grant_type !== "client_credentials") return fail("unsupported_grant_type", "Unsupported grant type");
    return this.clientCredentials(form, reply, fail);
  }

  private async clientCredentials(form: Record<string, string>, reply: Reply, fail: (e: string, d: string) => void): Promise<void> {
    const id = this.client.id;
    let clientMetadata: Record<string, string> | null = null;
    try {
      if (form.aws_client_metadata !== undefined) clientMetadata = JSON.parse(form.aws_client_metadata) as Record<string, string>;
    } catch {
      return fail("invalid_request", "Invalid aws_client_metadata");
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
      return fail("invalid_request", "PreTokenGeneration failed");
    }
    const details = (
      result.response as {
        claimsAndScopeOverrideDetails?: { accessTokenGeneration?: { claimsToAddOrOverride?: Record<string, unknown> } } | null;
      }
    ).claimsAndScopeOverrideDetails;
    const token = this.accessToken({
      ...details?.accessTokenGeneration?.claimsToAddOrOverride,
      sub: id,
      client_id: id,
      scope: scopes.join(" "),
    });
    reply(200, { access_token: token, expires_in: 3600, token_type: "Bearer" });
  }

  /** A token of this pool, verified as Cognito would: signature, issuer, access token, not expired. */
  private poolAccessToken(token: string): Record<string, unknown> | undefined {
    const [h, p, s] = token.split(".");
    if (h === undefined || p === undefined || s === undefined) return undefined;
    try {
      const ok = verifySignature("sha256", Buffer.from(`${h}.${p}`), createPublicKey(this.key.privateKey), Buffer.from(s, "base64url"));
      const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
      const fresh = typeof claims.exp === "number" && claims.exp > Date.now() / 1000;
      return ok && fresh && claims.iss === this.issuer && claims.token_use === "access" ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  private tokenExchange(form: Record<string, string>, reply: Reply, fail: (e: string, d: string) => void): void {
    const x = this.exchange;
    if (x.featurePlan === "LITE") return fail("unsupported_grant_type", "Token exchange requires the Essentials or Plus feature plan");
    const { subject_token: subjectToken, subject_token_type: subjectType, actor_token: actorToken, actor_token_type: actorType } = form;
    if (subjectToken === undefined || subjectType === undefined)
      return fail("invalid_request", "subject_token and subject_token_type are required");
    if (subjectType !== ACCESS_TOKEN_TYPE) return fail("invalid_request", "Unsupported subject_token_type");
    if ((actorToken === undefined) !== (actorType === undefined))
      return fail("invalid_request", "actor_token and actor_token_type go together");
    if (actorType !== undefined && actorType !== ACCESS_TOKEN_TYPE) return fail("invalid_request", "Unsupported actor_token_type");
    if (form.requested_token_type !== undefined && form.requested_token_type !== ACCESS_TOKEN_TYPE)
      return fail("invalid_request", "Unsupported requested_token_type");
    const flow: ExchangeFlow = actorToken === undefined ? "ALLOW_TOKEN_EXCHANGE_IMPERSONATION" : "ALLOW_TOKEN_EXCHANGE_DELEGATION";
    if (!x.flows.has(flow)) return fail("unauthorized_client", `Client is not allowed ${flow}`);
    const subject = this.poolAccessToken(subjectToken);
    if (subject === undefined) return fail("invalid_grant", "Invalid subject token");
    const actor = actorToken === undefined ? undefined : this.poolAccessToken(actorToken);
    if (actorToken !== undefined && actor === undefined) return fail("invalid_grant", "Invalid actor token");
    const audience = form.audience ?? form.resource;
    if (audience === undefined) return fail("invalid_request", "audience or resource is required");
    const allowed = x.resourceServers[audience];
    if (allowed === undefined) return fail("invalid_target", "Unknown audience");
    const scopes = (form.scope ?? "").split(" ").filter(Boolean);
    if (scopes.some((s) => !allowed.includes(s))) return fail("invalid_scope", "Invalid scope");
    const granted = scopes.length > 0 ? scopes : allowed;
    const token = this.accessToken(
      {
        sub: subject.sub,
        username: subject.username,
        "cognito:groups": subject["cognito:groups"],
        client_id: this.client.id,
        aud: audience,
        scope: granted.join(" "),
        origin_jti: subject.jti,
        ...(actor !== undefined ? { act: { sub: actor.sub } } : {}),
        ...x.issuedClaims,
      },
      x.expiresIn,
    );
    this.exchanged.push(token);
    // No refresh_token: Cognito issues none for an exchanged token.
    reply(200, {
      access_token: token,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: "Bearer",
      expires_in: x.expiresIn,
      scope: granted.join(" "),
    });
  }
}
