/**
 * The in-process half of `npm run bench` (forked by bench/run.ts). Its stdout, where every audit line
 * goes, is a pipe that the parent process reads and counts, as the Lambda runtime reads a function's
 * log: writing the line to a pipe is part of what a request costs.
 *
 * Per-request times of the built handler and of the alternative against the floor (one RS256
 * `crypto.verify`), in interleaved rounds: each round runs, for every scenario, a batch of the floor
 * immediately followed by a batch of the scenario, so that load from other processes lands on both
 * alike. Then memory under many distinct users. Results go back to the parent over IPC.
 */
import { parseConfig } from "../src/config/load.js";
import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { pathToFileURL } from "node:url";
import { JwksServer } from "../test/support/jwks-server.js";
import { jwksOf, rsaKey } from "../test/support/keys.js";
import { testCa } from "../test/support/tls.js";
import type { Bundle } from "../test/support/dist.js";
import { alternativeHandler } from "./alternative.js";
import { BENCH_ISSUER, benchEvent, benchToken } from "./tokens.js";

const ISSUER = BENCH_ISSUER;
/** One turn of the event loop, outside the timer: as between two Lambda invocations, libuv flushes the pipe. */
const nextTurn = process.env.BENCH_NO_YIELD === "1" ? async () => undefined : () => new Promise<void>((resolve) => setImmediate(resolve));
/** Rounds, and requests per scenario per round (each preceded by as many floor verifications). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const BATCH = Number(process.env.BENCH_BATCH ?? 50);
const USERS = 10_000;
const MEMORY_REQUESTS = Number(process.env.BENCH_MEMORY ?? 100_000);
const MEMORY_CHECKPOINTS = [1_000, 10_000, MEMORY_REQUESTS];

const key = rsaKey("bench-1");
const server = await new JwksServer().start();
server.set("/jwks", { kind: "ok", body: jwksOf(key) });
const bundle = (await import(pathToFileURL(new URL("../dist/index.mjs", import.meta.url).pathname).href)) as Bundle;
const config = parseConfig({
  issuers: [
    { issuer: ISSUER, jwksUri: server.url("/jwks"), audience: ["mcp-gateway"], clientIds: ["agent-app"], requiredScopes: ["mcp/invoke"] },
  ],
  targets: {
    crm: { mode: "claims", headers: { "x-user-sub": "sub", "x-user-email": "email" } },
    orders: { mode: "forward", audience: "orders-api" },
    reports: { mode: "none" },
    payroll: { mode: "none", requiredScopes: ["payroll/read"] },
    ledger: { mode: "assertion", claims: ["email"] },
  },
  assertion: {
    issuer: "https://interceptor.acme.example",
    signingKeySecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:bench-AbCdEf",
  },
});
if (!config.ok) throw new Error(config.problems.join("; "));

let seq = 0;
const mint = (sub: string): string => benchToken(key, sub, `b-${++seq}`);
const event = benchEvent;

/** RESPONSE phase: a 31-entry tools/list reply (search tool + 6 tools on each of 5 targets); payroll is not for this caller. */
const CATALOGUE = [
  { name: "x_amz_bedrock_agentcore_search", description: "search", inputSchema: { type: "object" } },
  ...["crm", "orders", "reports", "payroll", "weather"].flatMap((t) =>
    Array.from({ length: 6 }, (_, i) => ({
      name: `${t}___tool_${i}`,
      description: `${t} tool ${i}`,
      inputSchema: { type: "object", properties: { q: { type: "string" } } },
    })),
  ),
];
function responseEvent(token: string) {
  const request = event(token, "tools/list");
  return {
    ...request,
    mcp: {
      ...request.mcp,
      gatewayResponse: {
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: { jsonrpc: "2.0", id: 7, result: { tools: structuredClone(CATALOGUE) } },
      },
    },
  };
}

const WARM = Number(process.env.BENCH_WARM ?? 2_000);
const FRESH = ROUNDS * BATCH;
const freshTokens = Array.from({ length: FRESH }, (_, i) => mint(`user-${i}`));
const assertionTokens = Array.from({ length: FRESH }, (_, i) => mint(`signed-${i}`));
const warmTokens = Array.from({ length: WARM }, (_, i) => mint(`warm-${i}`));
const sessionToken = mint("session-user");
const context = { awsRequestId: "bench", getRemainingTimeInMillis: () => 30_000 };
// The interceptor's ES256 signing key, handed over as Secrets Manager would (read once, then cached).
const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const secretFetcher = async () => signingKey;
const ours = bundle.createHandler({ config, ca: testCa, secretFetcher });
const alternative = alternativeHandler({
  issuer: ISSUER,
  audience: "mcp-gateway",
  jwksUri: server.url("/jwks"),
  ca: testCa,
  scope: "mcp/invoke",
  headers: { "x-user-sub": "sub", "x-user-email": "email" },
});
/** Audit lines this process writes (one per handler call): the parent checks it read as many. */
let auditLines = 0;
const callOurs = (e: unknown) => (auditLines++, ours(e, context));
const callAlternative = (e: unknown) => (auditLines++, alternative(e as never));

// Sanity and warm-up: both stacks allow, the JWKS is cached for both.
const check = (out: unknown) => {
  if (!JSON.stringify(out).includes("transformedGatewayRequest"))
    throw new Error(`bench request was denied: ${JSON.stringify(out).slice(0, 300)}`);
};
check(await callOurs(event(sessionToken)));
check(await callAlternative(event(sessionToken)));
// The RESPONSE-phase listing filter is measured only when the bundle has it: a filtered reply keeps
// this caller's tools and drops payroll's (without the phase, the event is refused as unsupported).
const listing = JSON.stringify(await callOurs(responseEvent(sessionToken)));
const hasResponsePhase = !listing.includes('"event.unsupported"');
if (
  hasResponsePhase &&
  (!listing.includes("transformedGatewayResponse") || !listing.includes("crm___tool_0") || listing.includes("payroll___"))
)
  throw new Error(`bench RESPONSE phase did not filter: ${listing.slice(0, 300)}`);
const publicKey = createPublicKey(key.privateKey);
const floorParts = freshTokens.map((t) => ({
  input: Buffer.from(t.slice(0, t.lastIndexOf("."))),
  sig: Buffer.from(t.slice(t.lastIndexOf(".") + 1), "base64url"),
}));
const floorOnce = (i: number) => {
  const p = floorParts[i % floorParts.length]!;
  if (!verify("sha256", p.input, publicKey, p.sig)) throw new Error("floor: signature did not verify");
};
// Steady state, as in a warm Lambda container: every path JIT-compiled before anything is timed.
for (const t of warmTokens) {
  await nextTurn();
  check(await callOurs(event(t)));
  check(await callAlternative(event(t)));
  floorOnce(0);
  await callOurs(event(sessionToken));
  await callOurs(event(sessionToken, "tools/call", "orders___get_order"));
  await callOurs(event(sessionToken, "tools/list"));
  if (hasResponsePhase) await callOurs(responseEvent(sessionToken));
  check(await callOurs(event(sessionToken, "tools/call", "ledger___post")));
}

/**
 * A scenario prepares one request outside the timer (`prepare`, e.g. building the event object) and
 * returns what is timed: one handler invocation, awaited.
 */
interface Scenario {
  name: string;
  prepare: () => () => unknown;
  /** Run before each sample, outside the timer. */
  before?: () => void;
}
let ourFresh = 0;
let theirFresh = 0;
let ourSigned = 0;
const ourCall = (e: unknown) => () => callOurs(e);
const scenarios: Scenario[] = [
  { name: "ours.claims.fresh", prepare: () => ourCall(event(freshTokens[ourFresh++]!)) },
  // The alternative caches no verification, so it may see the same tokens (in the same order).
  {
    name: "alternative.claims.fresh",
    prepare: () =>
      (
        (e) => () =>
          callAlternative(e)
      )(event(freshTokens[theirFresh++]!)),
  },
  { name: "ours.claims.repeated", prepare: () => ourCall(event(sessionToken)) },
  { name: "ours.forward.repeated", prepare: () => ourCall(event(sessionToken, "tools/call", "orders___get_order")) },
  { name: "ours.none.repeated", prepare: () => ourCall(event(sessionToken, "tools/call", "reports___daily")) },
  // assertion: a fresh token is verified and a new assertion signed (ES256); a repeated one reuses it.
  { name: "ours.assertion.fresh", prepare: () => ourCall(event(assertionTokens[ourSigned++]!, "tools/call", "ledger___post")) },
  { name: "ours.assertion.repeated", prepare: () => ourCall(event(sessionToken, "tools/call", "ledger___post")) },
  { name: "ours.tools-list.repeated", prepare: () => ourCall(event(sessionToken, "tools/list")) },
];
// Not a handler: the bare write of one line as long as the audit line of a `tools/call` to the claims
// target (measured here on the pipe: bytes written by one such request) to the same pipe: the budgets'
// unit next to the floor (bench/run.ts).
const lineBase = {
  level: "INFO",
  message: "audit",
  timestamp: new Date(0).toISOString(),
  decision: "allow",
  reason: "mode.claims",
  padding: "",
};
const writtenBefore = process.stdout.bytesWritten;
check(await callOurs(event(mint("line-user"))));
const measuredLine = process.stdout.bytesWritten - writtenBefore;
const LINE_BYTES = Number.isFinite(measuredLine) && measuredLine > 200 ? measuredLine : 515;
const LINE = `${JSON.stringify({ ...lineBase, padding: "x".repeat(Math.max(0, LINE_BYTES - JSON.stringify(lineBase).length - 1)) })}\n`;
// 100 µs apart, as a handler's lines are: the reading process has gone back to waiting and must be woken
// (back to back, while it is still reading, a write costs a few µs).
const spin = (us: number) => {
  const until = process.hrtime.bigint() + BigInt(us * 1_000);
  while (process.hrtime.bigint() < until);
};
scenarios.push({
  name: "write.audit-line-to-pipe",
  prepare: () => () => (auditLines++, process.stdout.write(LINE)),
  before: () => spin(100),
});
if (hasResponsePhase) scenarios.push({ name: "ours.response-tools-list.repeated", prepare: () => ourCall(responseEvent(sessionToken)) });

const now = () => process.hrtime.bigint();
const micros = (t: bigint) => Number(now() - t) / 1_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeBatch(work: Array<() => unknown>, before?: () => void): Promise<number[]> {
  const times = new Array<number>(work.length);
  for (let i = 0; i < work.length; i++) {
    await nextTurn();
    before?.();
    const t = now();
    await work[i]!();
    times[i] = micros(t);
  }
  return times;
}

/** Per scenario: every sample, and per round the median of its batch and of the floor batch just before it. */
export interface ScenarioResult {
  samples: number[];
  floorSamples: number[];
  rounds: Array<{ median: number; floorMedian: number }>;
}
const results: Record<string, ScenarioResult> = Object.fromEntries(
  scenarios.map((s) => [s.name, { samples: [], floorSamples: [], rounds: [] }]),
);
let floorIndex = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const s of scenarios) {
    const floorBatch = await timeBatch(
      Array.from({ length: BATCH }, () => {
        const i = floorIndex++;
        return () => floorOnce(i);
      }),
    );
    const work = Array.from({ length: BATCH }, () => s.prepare());
    const batch = await timeBatch(work, s.before);
    const r = results[s.name]!;
    r.samples.push(...batch);
    r.floorSamples.push(...floorBatch);
    r.rounds.push({ median: median(batch), floorMedian: median(floorBatch) });
  }
}

// Memory: 100 000 requests from 10 000 distinct users on a fresh handler; heap and resident set after a full GC.
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
let memoryHandler = bundle.createHandler({ config, ca: testCa });
const users = [
  ...freshTokens,
  ...warmTokens,
  ...Array.from({ length: Math.max(0, USERS - freshTokens.length - warmTokens.length) }, (_, i) => mint(`extra-${i}`)),
].slice(0, USERS);
const memory: Array<{ requests: number; heapUsed: number; rss: number }> = [];
// Its first JWKS fetch may meet a loopback keep-alive socket the server just closed: retried once.
for (let attempt = 0; ; attempt++) {
  const out = JSON.stringify(await memoryHandler(event(users[0]!), context));
  auditLines++;
  if (out.includes("transformedGatewayRequest")) break;
  if (attempt > 0) throw new Error(`memory run denied: ${out.slice(0, 300)}`);
  memoryHandler = bundle.createHandler({ config, ca: testCa });
}
let denied = 0;
for (let i = 1; i <= MEMORY_REQUESTS; i++) {
  await nextTurn();
  auditLines++;
  const out = (await memoryHandler(event(users[i % USERS]!), context)) as { mcp?: { transformedGatewayRequest?: unknown } };
  if (out.mcp?.transformedGatewayRequest === undefined) denied++;
  if (MEMORY_CHECKPOINTS.includes(i)) {
    gc();
    const m = process.memoryUsage();
    memory.push({ requests: i, heapUsed: m.heapUsed, rss: m.rss });
  }
}

await server.stop();
if (denied > 0) throw new Error(`memory run: ${denied} requests denied`);
process.send!({ results, hasResponsePhase, memory, auditLines, rounds: ROUNDS, batch: BATCH, lineBytes: LINE.length });
