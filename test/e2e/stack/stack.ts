import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Gateway, type GatewayTarget } from "./gateway.js";
import { Idp, type IdpOptions, type IdpUser } from "./idp.js";
import { LambdaHost } from "./lambda-host.js";
import { type AssertionCheck, McpTarget } from "./mcp-target.js";
import { CognitoEndpoint } from "../../support/cognito-endpoint.js";
import { rsaKey } from "../../support/keys.js";
import { SecretsManagerServer } from "../../support/secrets-manager-server.js";
import { JwksServer } from "../../support/jwks-server.js";
import { publicJwks } from "../../../src/assertion/jwks.js";
import { generateKeyPairSync } from "node:crypto";
import { testCa } from "../../support/tls.js";
import { httpsRequest } from "../../../src/http/https-request.js";

/**
 * The whole flow on loopback from real parts: two organisations' OpenID Providers (and a third,
 * untrusted one), one MCP target per mode, the local gateway, and the built interceptor running in its
 * own process with its config from the environment. Used by the e2e suite and by `npm run demo`.
 */
export const GATEWAY_RESOURCE = "https://gateway.example/mcp";
const OBO_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:gateway-interceptor-AbCdEf";
const POOL_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pool-ledger-interceptor-AbCdEf";
/** A Cognito user pool's issuer string; its token endpoint and keys are served on loopback. */
export const POOL_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_LocalPool";
const ASSERTION_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:interceptor-signing-AbCdEf";
/** The interceptor's identifier as `iss` of its signed assertions. */
export const INTERCEPTOR_ISSUER = "https://interceptor.gateway.example";
const user = (email: string, org: string, groups: string[]): IdpUser => ({ email, groups, org_id: org });

export interface Stack {
  acme: Idp;
  globex: Idp;
  initech: Idp;
  /** A Cognito-style user pool answering RFC 8693 token exchange natively (for `ledger`). */
  pool: CognitoEndpoint;
  targets: Record<"orders" | "crm" | "erp" | "reports" | "weather" | "ledger" | "wiki", McpTarget>;
  /** Where the interceptor's public JWKS is hosted (a static file on a loopback HTTPS server). */
  assertionJwksUri: string;
  secretsManager: SecretsManagerServer;
  gateway: Gateway;
  lambda: LambdaHost;
  interceptorConfig: Record<string, unknown>;
  stop(): Promise<void>;
}

export interface StackOptions {
  bundlePath: string;
  caFile: string;
  /** Overrides applied to the interceptor config before it is handed to the Lambda. */
  patchConfig?: (config: Record<string, unknown>) => void;
  /** Attach the interceptor at RESPONSE too (listing filter), and let the gateway offer its search tool. */
  responsePhase?: boolean;
  semanticSearch?: boolean;
  /**
   * Per-tool rules on `crm` (docs/configuration.md "Per-tool and per-prompt rules"): crm gets a read tool
   * (`search_contacts`, open to whoever crm admits) and a write tool (`update_contact`: the `crm:write`
   * scope and the `crm-admins` group). Acme's carol holds both; alice neither.
   */
  crmToolRules?: boolean;
}

/** The crm tool rules `crmToolRules` turns on. */
export const CRM_TOOL_RULES = {
  tools: {
    "search_*": {},
    "update_*": { requiredScopes: ["crm:write"], requireClaims: [{ claim: "groups", anyOf: ["crm-admins"] }] },
  },
};

export async function startStack(options: StackOptions): Promise<Stack> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    // The interceptor's own client at Acme's IdP, for on-behalf-of exchanges; its secret lives in
    // (a loopback stand-in for) AWS Secrets Manager, read by the real SDK inside the Lambda process.
    const exchangeClient = { clientId: "gateway-interceptor", clientSecret: "acme-gateway-interceptor-secret-42" };
    const secretsManager = await new SecretsManagerServer().start();
    started.push(secretsManager);
    secretsManager.put(OBO_SECRET_ARN, exchangeClient.clientSecret);
    // The interceptor's signing key for `assertion` targets, and its public JWKS as `npm run jwks`
    // prints it, hosted as a static file.
    const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const signingSecret = JSON.stringify({ keys: [{ kid: "interceptor-2026-11", privateKey: signingKey }] });
    secretsManager.put(ASSERTION_SECRET_ARN, signingSecret);
    const jwksHost = await new JwksServer().start();
    started.push(jwksHost);
    jwksHost.set("/.well-known/jwks.json", { kind: "ok", body: publicJwks(signingSecret) });
    const assertionJwksUri = jwksHost.url("/.well-known/jwks.json");
    const idp = async (
      name: string,
      users: Record<string, IdpUser>,
      audiences: string[],
      exchange?: IdpOptions["exchange"],
      extraScopes?: Record<string, string>,
    ) => {
      const p = await new Idp({
        name,
        users,
        ...(extraScopes ? { extraScopes } : {}),
        resource: GATEWAY_RESOURCE,
        audiences,
        scope: "mcp/invoke",
        clientId: `${name}-agent`,
        clientSecret: `${name}-agent-secret-0123456789`,
        ...(exchange ? { exchange } : {}),
      }).start();
      started.push(p);
      return p;
    };
    // Acme's tokens are issued for the gateway and for the orders API (RFC 8707 multi-resource);
    // Globex's only for the gateway, so forwarding them to orders is refused.
    const acme = await idp(
      "acme",
      { alice: user("alice@acme.example", "acme", ["eng", "ops"]), carol: user("carol@acme.example", "acme", ["finance", "crm-admins"]) },
      ["mcp-gateway", "orders-api"],
      {
        ...exchangeClient,
        audiences: { "erp-api": "erp.read" },
      },
      // carol was granted the CRM write scope (per-tool rules: crmToolRules).
      { carol: "crm:write" },
    );
    const globex = await idp("globex", { bob: user("bob@globex.example", "globex", ["sales"]) }, ["mcp-gateway"]);
    const initech = await idp("initech", { mallory: user("mallory@initech.example", "initech", ["eng"]) }, ["mcp-gateway"]);

    // A Cognito user pool (Essentials plan) with the interceptor's app client allowed to exchange
    // tokens (ALLOW_TOKEN_EXCHANGE_IMPERSONATION and _DELEGATION) for the `ledger-api` resource server.
    const poolClient = { id: "ledger-interceptor", secret: "pool-ledger-interceptor-secret-42" };
    const pool = await new CognitoEndpoint(POOL_ISSUER, rsaKey("local-pool-1"), poolClient).start();
    started.push(pool);
    secretsManager.put(POOL_SECRET_ARN, JSON.stringify({ client_secret: poolClient.secret }));

    const target = async (
      name: string,
      verify?: { audience: string; issuers: { issuer: string; jwksUri: string }[] },
      assertion?: AssertionCheck,
    ) => {
      const t = await new McpTarget(
        name,
        verify ? { issuers: verify.issuers.map((i) => ({ issuer: i.issuer, jwksUri: i.jwksUri })), audience: verify.audience } : undefined,
        assertion,
      ).start();
      started.push(t);
      return t;
    };
    const targets = {
      orders: await target("orders", { audience: "orders-api", issuers: [acme, globex] }),
      crm: options.crmToolRules
        ? await (async () => {
            const t = await new McpTarget("crm", undefined, undefined, ["search_contacts", "update_contact"]).start();
            started.push(t);
            return t;
          })()
        : await target("crm"),
      erp: await target("erp", { audience: "erp-api", issuers: [acme] }),
      reports: await target("reports"),
      weather: await target("weather"),
      ledger: await target("ledger", { audience: "ledger-api", issuers: [pool] }),
      wiki: await target("wiki", undefined, {
        header: "x-identity-assertion",
        issuer: INTERCEPTOR_ISSUER,
        audience: "wiki",
        jwksUri: assertionJwksUri,
      }),
    };

    // As a deploy script would: read each IdP's OpenID discovery document over HTTPS for its exact
    // issuer string and JWKS URI.
    const discovered = await Promise.all([acme, globex].map(discover));
    const interceptorConfig: Record<string, unknown> = {
      issuers: [
        ...discovered.map((d, i) => ({
          issuer: d.issuer,
          jwksUri: d.jwks_uri,
          audience: ["mcp-gateway"],
          clientIds: [[acme, globex][i]!.options.clientId],
          requireTyp: "at+jwt",
          requiredScopes: ["mcp/invoke"],
        })),
        // Cognito access tokens carry no aud: the app client stands in for it.
        { issuer: pool.issuer, jwksUri: pool.jwksUri, clientIds: ["pool-web-app"], tokenUse: "access", requiredScopes: ["mcp/invoke"] },
      ],
      clockSkewSeconds: 0,
      resourceMetadataUrl: "https://gateway.example/.well-known/oauth-protected-resource",
      targets: {
        orders: { mode: "forward", audience: "orders-api" },
        // Two issuers reach crm: the issuer header binds every identity header to its issuer.
        crm: {
          mode: "claims",
          headers: { "x-user-iss": "iss", "x-user-sub": "sub", "x-user-email": "email", "x-user-groups": "groups", "x-org-id": "org_id" },
        },
        // On behalf of Acme users only: the exchange happens at Acme's IdP.
        erp: {
          mode: "obo",
          issuers: [acme.issuer],
          obo: {
            grant: "token-exchange",
            tokenEndpoint: `${acme.issuer}/token`,
            clientId: exchangeClient.clientId,
            clientSecretArn: OBO_SECRET_ARN,
            audience: "erp-api",
            scope: "erp.read",
          },
        },
        reports: { mode: "none" },
        // On behalf of the pool's users, by Cognito's native token exchange; the interceptor's own
        // client_credentials token goes as actor_token, so the target sees it in `act`.
        ledger: {
          mode: "obo",
          issuers: [pool.issuer],
          obo: {
            grant: "token-exchange",
            idp: "cognito",
            tokenEndpoint: pool.url,
            clientId: poolClient.id,
            clientSecretArn: POOL_SECRET_ARN,
            audience: "ledger-api",
            scope: "ledger-api/read",
            actorToken: { scope: "ledger-api/read" },
          },
        },
        // A signed assertion the target verifies against the interceptor's JWKS.
        wiki: { mode: "assertion", claims: ["email", "groups"] },
      },
      assertion: { issuer: INTERCEPTOR_ISSUER, signingKeySecretArn: ASSERTION_SECRET_ARN, lifetimeSeconds: 60 },
      unlistedTargets: "strip",
    };
    if (options.crmToolRules)
      Object.assign((interceptorConfig.targets as Record<string, Record<string, unknown>>).crm ?? {}, CRM_TOOL_RULES);
    options.patchConfig?.(interceptorConfig);

    // The Lambda's environment: config, the CA bundle, and the AWS SDK's standard settings.
    const lambda = await new LambdaHost(options.bundlePath, {
      INTERCEPTOR_CONFIG: JSON.stringify(interceptorConfig),
      NODE_EXTRA_CA_CERTS: options.caFile,
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
      AWS_SECRET_ACCESS_KEY: "local-test-secret-key",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    }).start();
    started.push(lambda);

    // Each target's own outbound credential and allowlist, as configured on the gateway (§4, §9).
    const gatewayTargets: GatewayTarget[] = [
      {
        name: "orders",
        url: targets.orders.url,
        credential: { authorization: "Bearer static-orders-client-credential" },
        allowedRequestHeaders: [],
      },
      {
        name: "crm",
        url: targets.crm.url,
        credential: { "x-api-key": "crm-static-api-key" },
        allowedRequestHeaders: ["x-user-iss", "x-user-sub", "x-user-email", "x-user-groups", "x-org-id"],
      },
      {
        name: "erp",
        url: targets.erp.url,
        credential: { authorization: "Bearer static-erp-client-credential" },
        allowedRequestHeaders: [],
      },
      {
        name: "reports",
        url: targets.reports.url,
        credential: { "x-api-key": "reports-static-api-key" },
        allowedRequestHeaders: ["x-user-sub"],
      },
      {
        name: "ledger",
        url: targets.ledger.url,
        credential: { authorization: "Bearer static-ledger-client-credential" },
        allowedRequestHeaders: [],
      },
      // Not in the interceptor's policy, and it allowlists identity-looking headers: the spoofing bait.
      { name: "weather", url: targets.weather.url, credential: {}, allowedRequestHeaders: ["x-user-sub", "x-user-email", "x-remote-user"] },
      { name: "wiki", url: targets.wiki.url, credential: {}, allowedRequestHeaders: ["x-identity-assertion"] },
    ];
    const gateway = await new Gateway({
      targets: gatewayTargets,
      passRequestHeaders: true,
      invokeInterceptor: (e) => lambda.invoke(e),
      responsePhase: options.responsePhase ?? false,
      semanticSearch: options.semanticSearch ?? false,
      // The gateway accepts the form the interceptor is configured to send, and only that one.
      responseOutput: interceptorConfig.responseOutput === "body-only" ? "body-only" : "status-and-body",
    }).start();
    started.push(gateway);

    return {
      acme,
      globex,
      initech,
      pool,
      targets,
      assertionJwksUri,
      secretsManager,
      gateway,
      lambda,
      interceptorConfig,
      stop: async () => {
        for (const part of started.reverse()) await part.stop();
      },
    };
  } catch (err) {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
    throw err;
  }
}

async function discover(idp: Idp): Promise<{ issuer: string; jwks_uri: string }> {
  const res = await httpsRequest({
    url: `${idp.issuer}/.well-known/openid-configuration`,
    method: "GET",
    ca: testCa,
    signal: AbortSignal.timeout(5_000),
    maxBytes: 65_536,
  });
  const doc = JSON.parse(res.body.toString("utf8")) as { issuer: string; jwks_uri: string };
  if (res.status !== 200 || doc.issuer !== idp.issuer) throw new Error(`discovery of ${idp.issuer} failed`);
  return doc;
}

/** An MCP client session at the gateway as one user (the SDK's real client and transport). */
export async function connect(gatewayUrl: string, token: string, extraHeaders: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "e2e-client", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gatewayUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}`, ...extraHeaders } },
    }),
  );
  return client;
}

/** The reason code of a denial, read from what the client received. */
export function reasonOf(err: unknown): string | undefined {
  const text = err instanceof Error ? `${err.message} ${JSON.stringify((err as { data?: unknown }).data ?? null)}` : String(err);
  return /"reason":"([a-z_.]+)"/.exec(text)?.[1];
}

export async function whoami(client: Client, target: string): Promise<Record<string, unknown>> {
  const result = await client.callTool({ name: `${target}___whoami`, arguments: {} });
  const content = (result.content as { type: string; text: string }[])[0];
  return JSON.parse(content!.text) as Record<string, unknown>;
}

/** The identity a target's `whoami` prompt was rendered with, fetched through the gateway with `prompts/get`. */
export async function whoamiPrompt(client: Client, target: string): Promise<Record<string, unknown>> {
  const result = await client.getPrompt({ name: `${target}___whoami` });
  const content = result.messages[0]?.content;
  return JSON.parse(content?.type === "text" ? content.text : "null") as Record<string, unknown>;
}
