/**
 * The in-process half of `npm run bench` (run by bench/run.ts with stdout going nowhere, as a Lambda's
 * logs leave the process): per-request times of the built handler and of the alternative, against
 * the floor, and memory under many distinct users. Results go back to the parent over IPC.
 */
import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { pathToFileURL } from "node:url";
import { JwksServer } from "../test/support/jwks-server.js";
import { jwksOf, rsaKey } from "../test/support/keys.js";
import { buildToken } from "../test/support/tokens.js";
import { testCa } from "../test/support/tls.js";
import type { Bundle } from "../test/support/dist.js";
import { alternativeHandler } from "./alternative.js";

const ISSUER = "https://login.acme.example";
const FRESH = Number(process.env.BENCH_FRESH ?? 3_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5_000);
const USERS = 10_000;
const MEMORY_REQUESTS = 100_000;

const key = rsaKey("bench-1");
const server = await new JwksServer().start();
server.set("/jwks", { kind: "ok", body: jwksOf(key) });
const bundle = (await import(pathToFileURL(new URL("../dist/index.mjs", import.meta.url).pathname).href)) as Bundle;
const config = bundle.parseConfig({
  issuers: [{ issuer: ISSUER, jwksUri: server.url("/jwks"), audience: ["mcp-gateway"], clientIds: ["agent-app"], requiredScopes: ["mcp/invoke"] }],
  targets: {
    crm: { mode: "claims", headers: { "x-user-sub": "sub", "x-user-email": "email" } },
    orders: { mode: "forward", audience: "orders-api" },
    reports: { mode: "none" },
    payroll: { mode: "none", requiredScopes: ["payroll/read"] },
    ledger: { mode: "assertion", claims: ["email"] },
  },
  assertion: { issuer: "https://interceptor.acme.example", signingKeySecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:bench-AbCdEf" },
});
if (!config.ok) throw new Error(config.problems.join("; "));

let seq = 0;
function mint(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  return buildToken({
    header: { alg: "RS256", typ: "at+jwt", kid: key.kid },
    payload: { iss: ISSUER, sub, aud: ["mcp-gateway", "orders-api"], client_id: "agent-app", scope: "mcp/invoke", email: `${sub}@acme.example`, iat: now, exp: now + 3_600, jti: `b-${++seq}` },
    key,
  });
}
function event(token: string, method = "tools/call", name = "crm___find_contact") {
  const body = method === "tools/call" ? { jsonrpc: "2.0", id: 7, method, params: { name, arguments: { query: "Initech" } } } : { jsonrpc: "2.0", id: 7, method, params: {} };
  return {
    interceptorInputVersion: "1.0",
    mcp: {
      rawGatewayRequest: { body: JSON.stringify(body) },
      gatewayRequest: { path: "/mcp", httpMethod: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "mcp-session-id": "s-1" }, body },
    },
  };
}

/** RESPONSE phase: a 31-entry tools/list reply (search tool + 6 tools on each of 5 targets); payroll is not for this caller. */
const CATALOGUE = [
  { name: "x_amz_bedrock_agentcore_search", description: "search", inputSchema: { type: "object" } },
  ...["crm", "orders", "reports", "payroll", "weather"].flatMap((t) => Array.from({ length: 6 }, (_, i) => ({ name: `${t}___tool_${i}`, description: `${t} tool ${i}`, inputSchema: { type: "object", properties: { q: { type: "string" } } } }))),
];
function responseEvent(token: string) {
  const request = event(token, "tools/list");
  return { ...request, mcp: { ...request.mcp, gatewayResponse: { statusCode: 200, headers: { "content-type": "application/json" }, body: { jsonrpc: "2.0", id: 7, result: { tools: CATALOGUE } } } } };
}

const WARM = 2_000;
const freshTokens = Array.from({ length: FRESH * 2 }, (_, i) => mint(`user-${i}`));
const assertionTokens = Array.from({ length: FRESH }, (_, i) => mint(`signed-${i}`));
const warmTokens = Array.from({ length: WARM }, (_, i) => mint(`warm-${i}`));
const sessionToken = mint("session-user");
const context = { awsRequestId: "bench", getRemainingTimeInMillis: () => 30_000 };
// The interceptor's ES256 signing key, handed over as Secrets Manager would (read once, then cached).
const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const secretFetcher = async () => signingKey;
const ours = bundle.createHandler({ config, ca: testCa, secretFetcher });
const alternative = alternativeHandler({ issuer: ISSUER, audience: "mcp-gateway", jwksUri: server.url("/jwks"), ca: testCa, scope: "mcp/invoke", headers: { "x-user-sub": "sub", "x-user-email": "email" } });

async function sample(n: number, fn: (i: number) => unknown): Promise<number[]> {
  const times = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    times[i] = Number(process.hrtime.bigint() - t) / 1_000;
  }
  return times;
}

// Sanity and warm-up: both stacks allow, the JWKS is cached for both.
const check = (out: unknown) => {
  if (!JSON.stringify(out).includes("transformedGatewayRequest")) throw new Error(`bench request was denied: ${JSON.stringify(out).slice(0, 300)}`);
};
check(await ours(event(sessionToken), context));
check(await alternative(event(sessionToken) as never));
const filtered = JSON.stringify(await ours(responseEvent(sessionToken), context));
if (!filtered.includes("transformedGatewayResponse") || filtered.includes("payroll___")) throw new Error(`bench RESPONSE phase did not filter: ${filtered.slice(0, 300)}`);
const publicKey = createPublicKey(key.privateKey);
// Steady state, as in a warm Lambda container: every path JIT-compiled before anything is timed.
for (const t of warmTokens) {
  check(await ours(event(t), context));
  check(await alternative(event(t) as never));
  verify("sha256", Buffer.from(t.slice(0, t.lastIndexOf("."))), publicKey, Buffer.from(t.slice(t.lastIndexOf(".") + 1), "base64url"));
  await ours(event(sessionToken), context);
  await ours(responseEvent(sessionToken), context);
  check(await ours(event(sessionToken, "tools/call", "ledger___post"), context));
}

const parts = freshTokens.map((t) => ({ input: Buffer.from(t.slice(0, t.lastIndexOf("."))), sig: Buffer.from(t.slice(t.lastIndexOf(".") + 1), "base64url") }));
const unseen = freshTokens.slice(0, FRESH);
const altUnseen = freshTokens.slice(FRESH, FRESH * 2);
const samples: Record<string, number[]> = {};
const add = (name: string, xs: number[]) => (samples[name] = [...(samples[name] ?? []), ...xs]);
// Three interleaved rounds, so drift on the machine lands on every scenario alike.
for (let round = 0; round < 3; round++) {
  const slice = (xs: string[]) => xs.slice(Math.floor((xs.length * round) / 3), Math.floor((xs.length * (round + 1)) / 3));
  const mine = slice(unseen);
  const theirs = slice(altUnseen);
  const floorParts = parts.slice(Math.floor((FRESH * round) / 3), Math.floor((FRESH * (round + 1)) / 3));
  add("floor", await sample(floorParts.length, (i) => verify("sha256", floorParts[i]!.input, publicKey, floorParts[i]!.sig)));
  add("ours.claims.fresh", await sample(mine.length, (i) => ours(event(mine[i]!), context)));
  add("alternative.claims.fresh", await sample(theirs.length, (i) => alternative(event(theirs[i]!) as never)));
  const repeated = event(sessionToken);
  add("ours.claims.repeated", await sample(Math.floor(REPEAT / 3), () => ours(repeated, context)));
  add("ours.forward.repeated", await sample(Math.floor(REPEAT / 3), () => ours(event(sessionToken, "tools/call", "orders___get_order"), context)));
  add("ours.none.repeated", await sample(Math.floor(REPEAT / 3), () => ours(event(sessionToken, "tools/call", "reports___daily"), context)));
  // assertion: a fresh token is verified and a new assertion signed (ES256); a repeated one reuses it.
  const signed = slice(assertionTokens);
  add("ours.assertion.fresh", await sample(signed.length, (i) => ours(event(signed[i]!, "tools/call", "ledger___post"), context)));
  add("ours.assertion.repeated", await sample(Math.floor(REPEAT / 3), () => ours(event(sessionToken, "tools/call", "ledger___post"), context)));
  add("ours.tools-list.repeated", await sample(Math.floor(REPEAT / 3), () => ours(event(sessionToken, "tools/list"), context)));
  const listing = responseEvent(sessionToken);
  add("ours.response-tools-list.repeated", await sample(Math.floor(REPEAT / 3), () => ours(listing, context)));
}

// Memory: 100 000 requests from 10 000 distinct users on a fresh handler; resident set after a GC.
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const memoryHandler = bundle.createHandler({ config, ca: testCa });
const users = [...freshTokens, ...Array.from({ length: Math.max(0, USERS - freshTokens.length) }, (_, i) => mint(`extra-${i}`))].slice(0, USERS);
const rssAfter: Record<number, number> = {};
for (let i = 1; i <= MEMORY_REQUESTS; i++) {
  await memoryHandler(event(users[i % USERS]!), context);
  if (i === 1_000 || i === MEMORY_REQUESTS) {
    gc();
    rssAfter[i] = process.memoryUsage().rss;
  }
}

await server.stop();
process.send!({ samples, rssAfter1k: rssAfter[1_000], rssAfter100k: rssAfter[MEMORY_REQUESTS] });
