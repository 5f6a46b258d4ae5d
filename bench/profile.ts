/**
 * A profiling workload: the source handler (not the minified bundle, so profiles name functions)
 * on fresh and repeated tokens. `npm run bench:profile` writes a .cpuprofile under bench/profiles/
 * (open it in Chrome DevTools, or any .cpuprofile viewer).
 */
import { createHandler } from "../src/handler.js";
import { parseConfig } from "../src/config/load.js";
import { JwksServer } from "../test/support/jwks-server.js";
import { jwksOf, rsaKey } from "../test/support/keys.js";
import { buildToken } from "../test/support/tokens.js";
import { testCa } from "../test/support/tls.js";

const key = rsaKey("p-1");
const server = await new JwksServer().start();
server.set("/jwks", { kind: "ok", body: jwksOf(key) });
const ISSUER = "https://login.acme.example";
const config = parseConfig({
  issuers: [
    { issuer: ISSUER, jwksUri: server.url("/jwks"), audience: ["mcp-gateway"], clientIds: ["agent-app"], requiredScopes: ["mcp/invoke"] },
  ],
  targets: { crm: { mode: "claims", headers: { "x-user-sub": "sub", "x-user-email": "email" } } },
});
const handler = createHandler({ config, ca: testCa });
const now = Math.floor(Date.now() / 1000);
const mint = (i: number) =>
  buildToken({
    header: { alg: "RS256", typ: "at+jwt", kid: key.kid },
    payload: {
      iss: ISSUER,
      sub: `u-${i}`,
      aud: "mcp-gateway",
      client_id: "agent-app",
      scope: "mcp/invoke",
      email: `u${i}@acme.example`,
      iat: now,
      exp: now + 3600,
      jti: `p-${i}`,
    },
    key,
  });
const event = (token: string) => {
  const body = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "crm___find", arguments: { q: "x" } } };
  return {
    interceptorInputVersion: "1.0",
    mcp: {
      rawGatewayRequest: { body: JSON.stringify(body) },
      gatewayRequest: { path: "/mcp", httpMethod: "POST", headers: { authorization: `Bearer ${token}` }, body },
    },
  };
};
const tokens = Array.from({ length: 4000 }, (_, i) => mint(i));
const ctx = { awsRequestId: "p", getRemainingTimeInMillis: () => 30_000 };
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (() => true) as typeof process.stdout.write;
for (const t of tokens) await handler(event(t), ctx);
const repeated = event(tokens[0]!);
for (let i = 0; i < 20_000; i++) await handler(repeated, ctx);
process.stdout.write = write;
await server.stop();
