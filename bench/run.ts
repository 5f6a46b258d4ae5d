/**
 * `npm run bench`: per-request cost of the interceptor against the physical floor (one RS256
 * verification) and a common alternative (jsonwebtoken + jwks-rsa), its cold start, its bundle and its
 * memory under many users. Prints the machine, a table and one PASS/FAIL line per budget; writes
 * bench/results.json and bench/last-run.json (committed), and renders the figures of docs/performance.md
 * from it (scripts/perf-table.ts); exits non-zero when a budget fails.
 *
 * Everything runs under this one command: the measurements in a child process (bench/measure.ts)
 * whose stdout, where the audit lines go, is a pipe this process reads (as the Lambda runtime reads a
 * function's log); cold starts in fresh Node processes, measured in CPU time.
 */
import { execFile, fork } from "node:child_process";
import { promisify } from "node:util";
import { cpus, loadavg, totalmem } from "node:os";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coldStartBytes } from "../scripts/bundle-size.mjs";
import { writePerfDoc } from "../scripts/perf-table.js";
import { JwksServer } from "../test/support/jwks-server.js";
import { jwksOf, rsaKey } from "../test/support/keys.js";
import { buildToken } from "../test/support/tokens.js";
import type { ScenarioResult } from "./measure.js";

const run = promisify(execFile);
const root = new URL("../", import.meta.url);
const path = (p: string) => new URL(p, root).pathname;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;
const r = (n: number, d = 1) => n.toFixed(d);
const KB = 1024;
const MiB = 2 ** 20;

const load = loadavg()
  .map((x) => r(x, 2))
  .join(", ");
const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${r(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
console.log(`machine: ${machine}; load average at start ${load}\n`);

// 1. Per-request times and memory, in a child whose stdout (the audit log) is a pipe read here.
interface Measured {
  results: Record<string, ScenarioResult>;
  hasResponsePhase: boolean;
  memory: Array<{ requests: number; heapUsed: number; rss: number }>;
  auditLines: number;
  rounds: number;
  batch: number;
  /** Bytes of the audit line of one claims request, and of the `write.audit-line-to-pipe` line. */
  lineBytes: number;
}
const DISCARD = process.env.BENCH_DISCARD_LOG === "1";
if (DISCARD) console.log("BENCH_DISCARD_LOG=1: audit lines discarded, not written to a pipe; this run is for comparison only\n");
let linesRead = 0;
let bytesRead = 0;
const measured = await new Promise<Measured>((resolve, reject) => {
  const child = fork(path("bench/measure.ts"), [], {
    execArgv: ["--expose-gc", "--import", path("scripts/register-ts.mjs")],
    // BENCH_DISCARD_LOG=1: the audit lines go nowhere, to compare (no budget holds on such a run).
    stdio: DISCARD ? ["ignore", "ignore", "ignore", "ipc"] : ["ignore", "pipe", "pipe", "ipc"],
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    bytesRead += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) linesRead++;
  });
  // Structured log lines (the bundle's own init, on stderr) are not bench output; anything else is.
  child.stderr?.on("data", (chunk: Buffer) => {
    // (Powertools writes WARN and ERROR lines, denials' audit lines among them, to stderr: also a pipe read here.)
    for (const line of chunk.toString().split("\n")) {
      if (line.startsWith('{"level"')) linesRead++;
      else if (line !== "") process.stderr.write(`${line}\n`);
    }
  });
  let result: Measured | undefined;
  child.once("message", (m) => (result = m as Measured));
  // Resolved on exit, once every line the child wrote has been read.
  child.once("close", (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`measure exited ${code}`))));
});

// 2. Cold starts in fresh processes, in CPU time (user + system, from process start): an empty module
// plus one JWKS fetch (what any function that verifies tokens pays), and the bundle plus its first request.
const server = await new JwksServer().start();
const key = rsaKey("cold-1");
server.set("/jwks", { kind: "ok", body: jwksOf(key) });
const now = Math.floor(Date.now() / 1000);
const token = buildToken({
  header: { alg: "RS256", typ: "at+jwt", kid: key.kid },
  payload: {
    iss: "https://login.acme.example",
    sub: "cold",
    aud: "mcp-gateway",
    client_id: "agent-app",
    scope: "mcp/invoke",
    iat: now,
    exp: now + 3600,
    jti: "cold-1",
  },
  key,
});
const config = JSON.stringify({
  issuers: [{ issuer: "https://login.acme.example", jwksUri: server.url("/jwks"), audience: ["mcp-gateway"], clientIds: ["agent-app"] }],
  targets: { crm: { mode: "claims", headers: { "x-user-sub": "sub" } } },
});
const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "crm___find", arguments: {} } };
const event = JSON.stringify({
  interceptorInputVersion: "1.0",
  mcp: {
    rawGatewayRequest: { body: JSON.stringify(body) },
    gatewayRequest: { path: "/mcp", httpMethod: "POST", headers: { authorization: `Bearer ${token}` }, body },
  },
});
const emptyDir = mkdtempSync(join(tmpdir(), "bench-"));
const empty = join(emptyDir, "empty.mjs");
writeFileSync(empty, "export {};\n");
const env = {
  PATH: process.env.PATH ?? "",
  NODE_EXTRA_CA_CERTS: path("test/support/tls/ca.pem"),
  INTERCEPTOR_CONFIG: config,
  EVENT: event,
  JWKS: server.url("/jwks"),
};
// Asynchronous on purpose: the JWKS server answering these processes runs in this one.
const probe = async (script: string): Promise<Record<string, number>> => {
  const { stderr } = await run(process.execPath, ["--input-type=module", "-e", script], {
    env,
    encoding: "utf8",
    timeout: 30_000,
    maxBuffer: 16 * MiB,
  });
  const line = stderr.split("\n").find((l) => l.startsWith("BENCH "));
  if (!line) throw new Error(`cold-start probe failed: ${stderr.slice(0, 400)}`);
  return JSON.parse(line.slice(6)) as Record<string, number>;
};
// Wall time since the script started, and CPU time (user + system) since the process started.
const report = `const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const report = (wall) => { const c = process.cpuUsage(); process.stderr.write("BENCH " + JSON.stringify({ wall, cpu: (c.user + c.system) / 1000 }) + "\\n"); };`;
const fetchJwks = `const https = await import("node:https");
await new Promise((ok, no) => https.get(process.env.JWKS, (r) => { r.resume(); r.on("end", ok); }).on("error", no));`;
const RUNS = 9;
const cold = {
  empty: [] as Array<Record<string, number>>,
  emptyFetch: [] as Array<Record<string, number>>,
  bundle: [] as Array<Record<string, number>>,
};
for (let i = 0; i < RUNS; i++) {
  cold.empty.push(await probe(`${report} const t = process.hrtime.bigint(); await import(${JSON.stringify(empty)}); report(ms(t));`));
  cold.emptyFetch.push(
    await probe(`${report} const t = process.hrtime.bigint(); await import(${JSON.stringify(empty)}); ${fetchJwks} report(ms(t));`),
  );
  cold.bundle.push(
    await probe(`${report} const t = process.hrtime.bigint(); const { handler } = await import(${JSON.stringify(path("dist/index.mjs"))});
const out = await handler(JSON.parse(process.env.EVENT), { awsRequestId: "cold", getRemainingTimeInMillis: () => 30000 });
if (!JSON.stringify(out).includes("transformedGatewayRequest")) throw new Error("denied: " + JSON.stringify(out));
report(ms(t));`),
  );
}
await server.stop();
rmSync(emptyDir, { recursive: true, force: true });
const coldMed = (xs: Array<Record<string, number>>) => ({ wallMs: median(xs.map((x) => x.wall!)), cpuMs: median(xs.map((x) => x.cpu!)) });
const coldStart = { empty: coldMed(cold.empty), emptyFetch: coldMed(cold.emptyFetch), bundle: coldMed(cold.bundle) };

// 3. The bundle: what a cold start loads.
const meta = JSON.parse(readFileSync(path("dist/meta.json"), "utf8"));
const entryBytes = meta.outputs["dist/index.mjs"].bytes as number;
const coldBytes = coldStartBytes(meta, "dist/index.mjs");

// 4. Report. A scenario's ratio to the floor is the median, over rounds, of its batch median divided
// by the median of the floor batch run just before it.
const res = measured.results;
const allFloor = Object.values(res).flatMap((x) => x.floorSamples);
const floor = median(allFloor);
const ratioOf = (x: ScenarioResult) => median(x.rounds.map((q) => q.median / q.floorMedian));
const rows = [
  { name: "floor", medianUs: floor, p99Us: p99(allFloor), xFloor: 1, n: allFloor.length },
  ...Object.entries(res).map(([name, x]) => ({
    name,
    medianUs: median(x.samples),
    p99Us: p99(x.samples),
    xFloor: ratioOf(x),
    n: x.samples.length,
  })),
];
console.log(
  `per request: ${measured.rounds} interleaved rounds of ${measured.batch} requests per scenario, each after ${measured.batch} floor verifications; × floor = median over rounds of (scenario batch median / floor batch median)`,
);
console.log(
  `audit log: ${linesRead} lines (${r(bytesRead / MiB)} MiB on stdout) read from the measuring process's stdout and stderr pipes; ${measured.auditLines} handler calls\n`,
);
console.log("| scenario | median µs | p99 µs | × floor | n |\n|---|---:|---:|---:|---:|");
for (const row of rows) console.log(`| ${row.name} | ${r(row.medianUs)} | ${r(row.p99Us)} | ${r(row.xFloor, 2)} | ${row.n} |`);
const { empty: ce, emptyFetch: cf, bundle: cb } = coldStart;
console.log(
  `\ncold start, CPU time (user + system) of a fresh process, median of ${RUNS}: empty module ${r(ce.cpuMs)} ms, empty module + one JWKS fetch ${r(cf.cpuMs)} ms, bundle import + first request ${r(cb.cpuMs)} ms (wall time from the script's start: ${r(ce.wallMs)}, ${r(cf.wallMs)}, ${r(cb.wallMs)} ms)`,
);
console.log(
  `bundle: entry chunk ${r(entryBytes / KB)} KB, ${r(coldBytes / KB)} KB loaded at cold start (entry and its static imports; the on-behalf-of code and the AWS SDK load only when used)`,
);
const mem = measured.memory;
const first = mem[0]!;
const last = mem[mem.length - 1]!;
console.log(
  `memory after a full GC (heap used / resident set): ${mem.map((m) => `${m.requests} requests ${r(m.heapUsed / MiB)} / ${r(m.rss / MiB)} MiB`).join(", ")} (10 000 distinct users)\n`,
);

const scenario = (name: string): ScenarioResult => {
  const x = res[name];
  if (x === undefined) throw new Error(`no scenario ${name} was measured`);
  return x;
};
// The budgets' units, per round (the same round's batches): the floor verification, and the bare write
// of a line as long as the audit line to the same pipe (write.audit-line-to-pipe).
const write = scenario("write.audit-line-to-pipe");
const perRound = (name: string, unit: (i: number, floorMedian: number) => number) =>
  median(scenario(name).rounds.map((q, i) => q.median / unit(i, q.floorMedian)));
const lineWrite = (i: number) => write.rounds[i]?.median ?? NaN;
const verifyPlusLine = (i: number, floorMedian: number) => floorMedian + lineWrite(i);
const freshX = perRound("ours.claims.fresh", verifyPlusLine);
const repeatedX = perRound("ours.claims.repeated", lineWrite);
const oursVsTheirs = median(res["ours.claims.fresh"]!.rounds.map((q, i) => q.median / res["alternative.claims.fresh"]!.rounds[i]!.median));
const COLD_BYTES_BUDGET = 113 * KB;
const line = `a ${measured.lineBytes}-byte line's write to the pipe`;
type Budget = { name: string; pass: boolean | "skip"; value: string };
const budgets: Budget[] = [
  {
    name: `fresh token (claims, JWKS cached) ≤ 2.5 × (one RS256 verify + ${line})`,
    pass: freshX <= 2.5,
    value: `${r(freshX, 2)} ×`,
  },
  {
    name: `repeated token ≤ 3.5 × (${line})`,
    pass: repeatedX <= 3.5,
    value: `${r(repeatedX, 2)} ×`,
  },
  measured.hasResponsePhase
    ? {
        name: `RESPONSE-phase tools/list filter, warm token ≤ 5 × (${line})`,
        pass: perRound("ours.response-tools-list.repeated", lineWrite) <= 5,
        value: `${r(perRound("ours.response-tools-list.repeated", lineWrite), 2)} ×`,
      }
    : {
        name: `RESPONSE-phase tools/list filter, warm token ≤ 5 × (${line})`,
        pass: "skip",
        value: "this bundle has no RESPONSE phase (a RESPONSE event is refused)",
      },
  {
    name: "at least 2 × faster than jsonwebtoken + jwks-rsa on fresh tokens (≤ 0.5 × its time)",
    pass: oursVsTheirs <= 0.5,
    value: `${r(oursVsTheirs, 2)} × its time (${r(median(res["ours.claims.fresh"]!.samples))} µs vs ${r(median(res["alternative.claims.fresh"]!.samples))} µs)`,
  },
  {
    name: "cold start CPU (bundle import + first request) ≤ 3 × (empty module + first JWKS fetch)",
    pass: cb.cpuMs <= 3 * cf.cpuMs,
    value: `${r(cb.cpuMs)} ms vs ${r(cf.cpuMs)} ms (${r(cb.cpuMs / cf.cpuMs, 2)} ×)`,
  },
  {
    name: `code loaded at cold start ≤ ${COLD_BYTES_BUDGET / KB} KB`,
    pass: coldBytes <= COLD_BYTES_BUDGET,
    value: `${r(coldBytes / KB)} KB`,
  },
  {
    name: "memory flat (heap after 100 000 requests within 20 % of after 1 000)",
    pass: last.heapUsed <= 1.2 * first.heapUsed,
    value: `${r((last.heapUsed / first.heapUsed - 1) * 100)} % (resident set ${r((last.rss / first.rss - 1) * 100)} %)`,
  },
  DISCARD
    ? { name: "every audit line reached the reading process", pass: "skip", value: "discarded (BENCH_DISCARD_LOG=1)" }
    : {
        name: "every audit line reached the reading process",
        pass: linesRead >= measured.auditLines,
        value: `${linesRead} of ${measured.auditLines}`,
      },
];
for (const b of budgets) console.log(`${b.pass === "skip" ? "SKIP" : b.pass ? "PASS" : "FAIL"} ${b.name}: ${b.value}`);
const loadEnd = loadavg()
  .map((x) => r(x, 2))
  .join(", ");
const results = `${JSON.stringify({ machine, loadAverage: { start: load, end: loadEnd }, date: new Date().toISOString(), method: { rounds: measured.rounds, batch: measured.batch }, rows, coldStart: { runs: RUNS, medians: coldStart }, bundle: { entryBytes, coldBytes }, memory: mem, auditLog: { lines: linesRead, bytes: bytesRead }, budgets }, null, 2)}\n`;
writeFileSync(path("bench/results.json"), results);
// bench/last-run.json is committed: docs/performance.md is rendered from it (scripts/perf-table.ts). A
// comparison run (BENCH_DISCARD_LOG=1) never replaces it.
if (!DISCARD) {
  writeFileSync(path("bench/last-run.json"), results);
  writePerfDoc();
}
console.log(`\nload average at end ${loadEnd}; wrote bench/results.json${DISCARD ? "" : ", bench/last-run.json and docs/performance.md"}`);
const failed = budgets.filter((b) => b.pass === false);
if (DISCARD) {
  console.log("not a budget run (BENCH_DISCARD_LOG=1)");
  process.exitCode = 2;
} else if (failed.length > 0) {
  console.log(`${failed.length} budget(s) failed`);
  process.exitCode = 1;
}
