import { expect } from "vitest";
import { createHandler, type HandlerOptions, type InterceptorHandler } from "../../src/handler.js";
import { parseConfig } from "../../src/config/load.js";
import { auditLinesSince, logMark } from "./log-capture.js";
import { JwksServer } from "./jwks-server.js";
import { jwksOf, rsaKey, type TestKey } from "./keys.js";
import { buildToken, type Segment } from "./tokens.js";
import { testCa } from "./tls.js";

export const ISSUER_A = "https://idp-a.example";
export const ISSUER_B = "https://idp-b.example";
export const GATEWAY_AUD = "https://gateway.example/mcp";
export const PRM = "https://gateway.example/.well-known/oauth-protected-resource";

/** Issuers A and B sign with committed test keys (test/support/keys/), loaded once per test file. */
export const keyA = rsaKey("a1");
export const keyB = rsaKey("b1");

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The catalogue's baseline token claims (docs/security.md §3 preamble) for issuer A. */
export function baseClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  return {
    iss: ISSUER_A,
    sub: "u-1",
    aud: GATEWAY_AUD,
    client_id: "app-a",
    scope: "mcp:invoke",
    iat: now - 10,
    exp: now + 300,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    ...extra,
  };
}

export function tokenA(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  return buildToken({ header: { alg: "RS256", typ: "at+jwt", kid: keyA.kid, ...header }, payload: baseClaims(claims), key: keyA });
}

export function tokenB(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  return buildToken({
    header: { alg: "RS256", typ: "at+jwt", kid: keyB.kid, ...header },
    payload: baseClaims({ iss: ISSUER_B, aud: "gateway-b", client_id: "app-b", ...claims }),
    key: keyB,
  });
}

export function rawToken(header: Segment, payload: Segment, key: TestKey = keyA, signAs?: string): string {
  return buildToken({ header, payload, key, ...(signAs !== undefined ? { signAs } : {}) });
}

export type Json = Record<string, unknown>;

/** The test-suite configuration: issuers A and B, one target per mode (docs/security.md §3 baseline). */
export function baseConfig(server: JwksServer, patch: (c: Json) => void = () => undefined): Json {
  const config: Json = {
    issuers: [
      {
        issuer: ISSUER_A,
        jwksUri: server.url("/a/jwks"),
        audience: [GATEWAY_AUD],
        clientIds: ["app-a", "app-a2"],
        requiredScopes: ["mcp:invoke"],
      },
      { issuer: ISSUER_B, jwksUri: server.url("/b/jwks"), audience: ["gateway-b"] },
    ],
    resourceMetadataUrl: PRM,
    targets: {
      // Two issuers reach `orders`: every header is issuer-bound (`qualify`); `crm` accepts A only.
      orders: {
        mode: "claims",
        headers: { "X-User-Sub": { claim: "sub", qualify: true }, "X-User-Groups": { claim: "groups", qualify: true } },
      },
      crm: { mode: "claims", headers: { "x-user-email": "email", "x-org-id": "org.id", "x-tenant-no": "tenant_no" } },
      legacy: { mode: "forward", audience: "legacy-resource" },
      passthru: { mode: "forward", allowPassthrough: true },
      reports: { mode: "none" },
    },
  };
  patch(config);
  // `crm` accepts the first issuer only (whatever a test renamed it to), so its headers need no qualifier.
  const crm = (config.targets as Record<string, Json> | undefined)?.crm;
  const first = (config.issuers as Json[] | undefined)?.[0]?.issuer;
  if (crm?.mode === "claims" && crm.issuers === undefined && typeof first === "string") crm.issuers = [first];
  return config;
}

export interface Outcome {
  output: Json;
  audit: Json;
}

export class Harness {
  server = new JwksServer();

  async start(): Promise<this> {
    await this.server.start();
    this.resetKeys();
    return this;
  }

  /** Issuers A and B publish their baseline key sets again (after a test changed them). */
  resetKeys(): void {
    this.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA) });
    this.server.set("/b/jwks", { kind: "ok", body: jwksOf(keyB) });
  }

  config(patch?: (c: Json) => void): Json {
    return baseConfig(this.server, patch);
  }

  handler(patch?: (c: Json) => void, extra: Omit<HandlerOptions, "config"> = {}): InterceptorHandler {
    const loaded = parseConfig(this.config(patch));
    if (!loaded.ok) throw new Error(`test config invalid: ${loaded.problems.join("; ")}`);
    return createHandler({ config: loaded, ca: testCa, ...extra });
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

export const lambdaContext = (requestId = "req-1") => ({
  awsRequestId: requestId,
  functionName: "interceptor",
  getRemainingTimeInMillis: () => 30_000,
});

export interface EventOptions {
  method?: string;
  name?: string;
  id?: unknown;
  headers?: Record<string, string | string[]> | null | undefined;
  token?: string;
  body?: unknown;
  raw?: string | null;
  params?: unknown;
}

/** A realistic `mcp` envelope (docs/agentcore-contract.md §1a) for a JSON-RPC request. */
export function mcpEvent(o: EventOptions = {}): Json {
  const method = o.method ?? "tools/call";
  const params = o.params ?? (method === "tools/call" ? { name: o.name ?? "orders___get_order", arguments: { orderId: "42" } } : {});
  const body = o.body ?? { jsonrpc: "2.0", ...(o.id === undefined ? { id: 1 } : o.id === null ? {} : { id: o.id }), method, params };
  const headers =
    o.headers !== undefined
      ? o.headers
      : { "Content-Type": "application/json", Authorization: `Bearer ${o.token ?? tokenA()}`, "Mcp-Session-Id": "s-1" };
  return {
    interceptorInputVersion: "1.0",
    mcp: {
      rawGatewayRequest: o.raw === null ? undefined : { body: o.raw ?? JSON.stringify(body) },
      gatewayRequest: { path: "/mcp", httpMethod: "POST", headers, body },
    },
  };
}

export const withAuth = (token: string, extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  authorization: `Bearer ${token}`,
  ...extra,
});

export async function run(handler: InterceptorHandler, event: unknown, context = lambdaContext()): Promise<Outcome> {
  const mark = logMark();
  const output = (await handler(event, context)) as Json;
  const lines = auditLinesSince(mark);
  expect(lines, "exactly one audit line per decision (LG-01)").toHaveLength(1);
  return { output, audit: lines[0]! };
}

type Mcp = {
  transformedGatewayRequest?: { headers?: Record<string, string>; body: unknown };
  transformedGatewayResponse?: { statusCode: number; body: { id: unknown; error: { code: number; message: string; data: Json } } };
};

export const mcpOf = (o: Outcome) => (o.output as { mcp: Mcp }).mcp;

/** DENY(status, reason): only a response, the table's status, the reason in the body and the audit line. */
export function expectDeny(o: Outcome, status: number, reason: string): void {
  const mcp = mcpOf(o);
  expect(mcp.transformedGatewayRequest).toBeUndefined();
  expect({ status: mcp.transformedGatewayResponse?.statusCode, reason: mcp.transformedGatewayResponse?.body.error.data.reason }).toEqual({
    status,
    reason,
  });
  expect(o.audit).toMatchObject({ decision: "deny", reason });
}

/** ALLOW with exactly these identity headers (and the body as received). */
export function expectAllow(o: Outcome, headers: Record<string, string>): void {
  const mcp = mcpOf(o);
  expect(mcp.transformedGatewayResponse).toBeUndefined();
  expect(Object.keys(mcp.transformedGatewayRequest ?? {})).toEqual(["headers", "body"]);
  expect(mcp.transformedGatewayRequest?.headers).toEqual(headers);
  expect(o.audit).toMatchObject({ decision: "allow" });
}

export const qualified = (iss: string, sub: string) => `${iss}|${sub}`;
