import { createServer, type Server } from "node:https";
import { closeServer, listenOnLoopback } from "../../support/loopback.js";
import { verifyJwtSync } from "aws-jwt-verify/jwt-verifier";
import Provider, { errors, type KoaContextWithOIDC } from "oidc-provider";
import { localhostCert, testCa } from "../../support/tls.js";
import { rsaKeyPair } from "../../support/keys.js";
import { httpsRequest } from "../../../src/http/https-request.js";

/**
 * A real OpenID Provider (panva/oidc-provider) on loopback HTTPS (test CA), issuing RFC 9068 JWT access
 * tokens (`typ: at+jwt`, RS256). Users get tokens without a browser through a test-only grant
 * (`urn:test:params:oauth:grant-type:user-token`, client-authenticated like any grant), the same
 * access-token machinery the provider uses for its real grants.
 */
export const USER_GRANT = "urn:test:params:oauth:grant-type:user-token";

export interface IdpUser {
  email: string;
  groups: string[];
  org_id: string;
}

export interface IdpOptions {
  /** Organisation label, used in key ids and client ids. */
  name: string;
  users: Record<string, IdpUser>;
  /** Scopes some users' tokens carry on top of `scope` (a user who was granted more, e.g. a write scope). */
  extraScopes?: Record<string, string>;
  /** Resource indicator of the gateway and the `aud` values its tokens carry (RFC 8707). */
  resource: string;
  audiences: string[];
  scope: string;
  clientId: string;
  clientSecret: string;
  /** Registers an RFC 8693 token-exchange grant for this client (the gateway's interceptor). */
  exchange?: {
    clientId: string;
    clientSecret: string;
    /** Audiences a token may be exchanged for, with the scope each may carry. */
    audiences: Record<string, string>;
    /** Users whose tokens this IdP refuses to exchange (policy: they may not be delegated). */
    refuseUsers?: string[];
  };
}

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

export class Idp {
  issuer = "";
  private server: Server | undefined;
  private readonly kid: string;

  constructor(readonly options: IdpOptions) {
    this.kid = `${options.name}-${Date.now().toString(36)}`;
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  async start(): Promise<this> {
    const server = createServer(localhostCert);
    this.server = server;
    this.issuer = `https://127.0.0.1:${await listenOnLoopback(server)}`;
    const provider = this.provider();
    server.on("request", provider.callback());
    return this;
  }

  /** Stops answering (an IdP outage): open connections are cut, the port is released. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  /** A user's access token for the gateway, from the token endpoint over HTTPS, as a client would get it. */
  async userToken(username: string, ttlSeconds = 300): Promise<string> {
    const { clientId, clientSecret, resource, scope } = this.options;
    const response = await httpsRequest({
      url: `${this.issuer}/token`,
      method: "POST",
      ca: testCa,
      signal: AbortSignal.timeout(5_000),
      maxBytes: 65_536,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: USER_GRANT, username, resource, scope, ttl: String(ttlSeconds) }).toString(),
    });
    const body = JSON.parse(response.body.toString("utf8")) as { access_token?: string; error?: string };
    if (response.status !== 200 || body.access_token === undefined)
      throw new Error(`token endpoint: ${response.status} ${body.error ?? ""}`);
    return body.access_token;
  }

  private provider(): Provider {
    const { options } = this;
    // A committed test key (test/support/keys/rsa-2048-idp-<name>.pem): generating one costs CPU every run.
    const { privateKey } = rsaKeyPair(`idp-${options.name}`);
    const jwk = { ...privateKey.export({ format: "jwk" }), kid: this.kid, use: "sig", alg: "RS256" };
    const provider = new Provider(this.issuer, {
      jwks: { keys: [jwk as never] },
      scopes: [...new Set([...options.scope.split(" "), ...Object.values(options.exchange?.audiences ?? {}).flatMap((v) => v.split(" "))])],
      clients: [
        {
          client_id: options.clientId,
          client_secret: options.clientSecret,
          grant_types: [USER_GRANT, "client_credentials"],
          redirect_uris: [],
          response_types: [],
        },
        ...(options.exchange
          ? [
              {
                client_id: options.exchange.clientId,
                client_secret: options.exchange.clientSecret,
                grant_types: [TOKEN_EXCHANGE],
                redirect_uris: [],
                response_types: [],
              },
            ]
          : []),
      ],
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => options.resource,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: options.scope,
            audience: options.audiences[0]!,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "RS256" } },
          }),
        },
      },
      formats: {
        customizers: {
          // RFC 9068 profile plus the identity claims the targets read; aud lists every resource the
          // token is issued for (the gateway, and APIs the gateway may forward it to).
          jwt: (_ctx, token, jwt) => {
            const accountId = "accountId" in token ? token.accountId : undefined;
            const user = accountId !== undefined && Object.hasOwn(options.users, accountId) ? options.users[accountId] : undefined;
            if (user) Object.assign(jwt.payload, user);
            // Exchanged tokens keep the audience of the target they were issued for, and name the
            // exchanging client as the current actor (RFC 8693 §4.1).
            if ("gty" in token && token.gty === "token_exchange") jwt.payload.act = { sub: token.clientId };
            else jwt.payload.aud = options.audiences.length === 1 ? options.audiences[0] : options.audiences;
          },
        },
      },
      ttl: {
        AccessToken: (ctx: KoaContextWithOIDC) => Number(ctx?.oidc?.params?.ttl) || 300,
        ClientCredentials: 300,
        Grant: 600,
        Session: 600,
        Interaction: 600,
        IdToken: 300,
      },
      enabledJWA: { requestObjectSigningAlgValues: ["RS256"] },
    });
    provider.registerGrantType(
      USER_GRANT,
      async (ctx) => {
        const client = ctx.oidc.client!;
        const username = String(ctx.oidc.params?.username ?? "");
        if (!Object.hasOwn(options.users, username)) throw new errors.InvalidGrant("unknown user");
        const grant = new provider.Grant({ accountId: username, clientId: client.clientId });
        const extra =
          options.extraScopes !== undefined && Object.hasOwn(options.extraScopes, username) ? options.extraScopes[username] : undefined;
        const scope = extra === undefined ? options.scope : `${options.scope} ${extra}`;
        grant.addResourceScope(options.resource, scope);
        const grantId = await grant.save();
        const at = new provider.AccessToken({ accountId: username, client, grantId, gty: "user_token", scope });
        at.resourceServer = new provider.ResourceServer(options.resource, {
          scope,
          audience: options.audiences[0]!,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        });
        const value = await at.save();
        ctx.body = { access_token: value, token_type: "Bearer", expires_in: at.expiration, scope };
      },
      ["username", "resource", "scope", "ttl"],
    );
    if (options.exchange) this.registerExchange(provider, options.exchange, publicJwk(jwk));
    return provider;
  }

  /**
   * RFC 8693 token exchange: the subject token must be one of this IdP's own access tokens (signature,
   * `typ`, issuer, expiry); the new token keeps the user as `sub`, names the target in `aud`, and
   * records the exchanging client as the actor (`act`, RFC 8693 §4.1).
   */
  private registerExchange(
    provider: Provider,
    exchange: NonNullable<IdpOptions["exchange"]>,
    verificationJwk: Record<string, unknown>,
  ): void {
    provider.registerGrantType(
      TOKEN_EXCHANGE,
      async (ctx) => {
        const client = ctx.oidc.client!;
        const params = ctx.oidc.params as Record<string, string | undefined>;
        if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest("unsupported subject_token_type");
        let subject: Record<string, unknown>;
        try {
          const header = JSON.parse(Buffer.from(String(params.subject_token).split(".")[0]!, "base64url").toString()) as { typ?: string };
          if (header.typ !== "at+jwt") throw new Error("typ");
          subject = verifyJwtSync(String(params.subject_token), verificationJwk as never, {
            issuer: this.issuer,
            audience: null,
          }) as Record<string, unknown>;
          if (typeof subject.exp !== "number" || subject.exp <= Date.now() / 1000) throw new Error("expired");
        } catch {
          throw new errors.InvalidGrant("subject token rejected");
        }
        const sub = String(subject.sub);
        if (exchange.refuseUsers?.includes(sub)) throw new errors.InvalidGrant("subject may not be delegated");
        const audience = params.audience ?? "";
        const allowedScope = exchange.audiences[audience];
        if (allowedScope === undefined) throw new errors.InvalidTarget("audience not allowed");
        const scope = (params.scope ?? allowedScope)
          .split(" ")
          .filter((s) => allowedScope.split(" ").includes(s))
          .join(" ");
        const grant = new provider.Grant({ accountId: sub, clientId: client.clientId });
        grant.addResourceScope(audience, scope);
        const grantId = await grant.save();
        const at = new provider.AccessToken({ accountId: sub, client, grantId, gty: "token_exchange", scope });
        at.resourceServer = new provider.ResourceServer(audience, {
          scope,
          audience,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        });
        const value = await at.save();
        ctx.body = { access_token: value, issued_token_type: ACCESS_TOKEN_TYPE, token_type: "Bearer", expires_in: at.expiration, scope };
      },
      ["subject_token", "subject_token_type", "requested_token_type", "audience", "resource", "scope", "actor_token", "actor_token_type"],
    );
  }
}

function publicJwk(jwk: Record<string, unknown>): Record<string, unknown> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}
