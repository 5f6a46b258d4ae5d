/**
 * The access token and gateway event every bench scenario uses: RS256, RFC 9068 `at+jwt`, issued by the bench's issuer for
 * the gateway and the orders API, with the email the claims target maps. One shape, so the scenarios and
 * the breakdown measure the same token.
 */
import type { TestKey } from "../test/support/keys.js";
import { buildToken } from "../test/support/tokens.js";

export const BENCH_ISSUER = "https://login.acme.example";

export function benchToken(key: TestKey, sub: string, jti: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  return buildToken({
    header: { alg: "RS256", typ: "at+jwt", kid: key.kid },
    payload: {
      iss: BENCH_ISSUER,
      sub,
      aud: ["mcp-gateway", "orders-api"],
      client_id: "agent-app",
      scope: "mcp/invoke",
      email: `${sub}@acme.example`,
      iat: nowSeconds,
      exp: nowSeconds + 3_600,
      jti,
    },
    key,
  });
}

/** A new gateway event object per request, as the Lambda runtime parses one per invocation. */
export function benchEvent(token: string, method = "tools/call", name = "crm___find_contact") {
  const body =
    method === "tools/call"
      ? { jsonrpc: "2.0", id: 7, method, params: { name, arguments: { query: "Initech" } } }
      : { jsonrpc: "2.0", id: 7, method, params: {} };
  return {
    interceptorInputVersion: "1.0",
    mcp: {
      rawGatewayRequest: { body: JSON.stringify(body) },
      gatewayRequest: {
        path: "/mcp",
        httpMethod: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "mcp-session-id": "s-1" },
        body,
      },
    },
  };
}
