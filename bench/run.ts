/**
 * `npm run bench`: per-request cost of the interceptor against the physical floor (one RS256
 * verification) and a common alternative (jsonwebtoken + jwks-rsa), its cold start, its bundle and its
 * memory under many users. Prints a table and PASS/FAIL budget lines; writes bench/results.json.
 * Everything runs under this one command: the measurements in a child process (bench/measure.ts) whose
 * stdout, where the audit lines go, is discarded; cold starts in fresh Node processes.
 */
import { execFile, fork } from "node:child_process";
import { promisify } from "node:util";
import { cpus, totalmem } from "node:os";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coldStartBytes } from "../scripts/bundle-size.mjs";
import { JwksServer } from "../test/support/jwks-server.js";
import { jwksOf, rsaKey } from "../test/support/keys.js";
import { buildToken } from "../test/support/tokens.js";

const run = promisify(execFile);
const root = new URL("../", import.meta.url);
const path = (p: string) => new URL(p, root).pathname;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

// 1. Per-request times and memory, in a child whose stdout (the audit log) goes nowhere.
const measured = await new Promise<{ samples: Record<string, number[]>; rssAfter1k: number; rssAfter100k: number }>((resolve, reject) => {
  const child = fork(path("bench/measure.ts"), [], {
    execArgv: ["--expose-gc", "--import", path("scripts/register-ts.mjs")],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  // Structured log lines (the bundle's own init, on stderr) are not bench output; anything else is.
  child.stderr!.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line !== "" && !line.startsWith('{"level"')) process.stderr.write(`${line}\n`);
  });
  child.once("message", (m) => resolve(m as never));
  child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`measure exited ${code}`))));
});

// 2. Cold starts in fresh processes: an empty module, one JWKS fetch, the bundle plus its first request.
const server = await new JwksServer().start();
const key = rsaKey("cold-1");
server.set("/jwks", { kind: "ok", body: jwksOf(key) });
const now = Math.floor(Date.now() / 1000);
const token = buildToken({ header: { alg: "RS256", typ: "at+jwt", kid: key.kid }, payload: { iss: "https://login.acme.example", sub: "cold", aud: "mcp-gateway", client_id: "agent-app", scope: "mcp/invoke", iat: now, exp: now + 3600, jti: "cold-1" }, key });
const config = JSON.stringify({
  issuers: [{ issuer: "https://login.acme.example", jwksUri: server.url("/jwks"), audience: ["mcp-gateway"], clientIds: ["agent-app"] }],
  targets: { crm: { mode: "claims", headers: { "x-user-sub": "sub" } } },
});
const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "crm___find", arguments: {} } };
const event = JSON.stringify({ interceptorInputVersion: "1.0", mcp: { rawGatewayRequest: { body: JSON.stringify(body) }, gatewayRequest: { path: "/mcp", httpMethod: "POST", headers: { authorization: `Bearer ${token}` }, body } } });
const empty = join(mkdtempSync(join(tmpdir(), "bench-")), "empty.mjs");
writeFileSync(empty, "export {};\n");
const env = { PATH: process.env.PATH ?? "", NODE_EXTRA_CA_CERTS: path("test/support/tls/ca.pem"), INTERCEPTOR_CONFIG: config, EVENT: event, JWKS: server.url("/jwks") };
// Asynchronous on purpose: the JWKS server answering these processes runs in this one.
const probe = async (script: string): Promise<Record<string, number>> => {
  const { stderr } = await run(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8", timeout: 30_000, maxBuffer: 16 * 2 ** 20 });
  const line = stderr.split("\n").find((l) => l.startsWith("BENCH "));
  if (!line) throw new Error(`cold-start probe failed: ${stderr.slice(0, 400)}`);
  return JSON.parse(line.slice(6)) as Record<string, number>;
};
const ms = "const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;";
const RUNS = 9;
const cold = { emptyImportMs: [] as number[], jwksFetchMs: [] as number[], bundleImportMs: [] as number[], firstRequestMs: [] as number[], totalMs: [] as number[] };
for (let i = 0; i < RUNS; i++) {
  cold.emptyImportMs.push((await probe(`${ms} const t = process.hrtime.bigint(); await import(${JSON.stringify(empty)}); process.stderr.write("BENCH " + JSON.stringify({ v: ms(t) }) + "\\n");`)).v!);
  cold.jwksFetchMs.push(
    (await probe(`${ms} const t = process.hrtime.bigint(); const https = await import("node:https");
await new Promise((ok, no) => https.get(process.env.JWKS, (r) => { r.resume(); r.on("end", ok); }).on("error", no));
process.stderr.write("BENCH " + JSON.stringify({ v: ms(t) }) + "\\n");`)).v!,
  );
  const b = await probe(`${ms} const t0 = process.hrtime.bigint(); const { handler } = await import(${JSON.stringify(path("dist/index.mjs"))}); const imported = ms(t0);
const t1 = process.hrtime.bigint(); const out = await handler(JSON.parse(process.env.EVENT), { awsRequestId: "cold", getRemainingTimeInMillis: () => 30000 }); const first = ms(t1);
if (!JSON.stringify(out).includes("transformedGatewayRequest")) throw new Error("denied: " + JSON.stringify(out));
process.stderr.write("BENCH " + JSON.stringify({ imported, first }) + "\\n");`);
  cold.bundleImportMs.push(b.imported!);
  cold.firstRequestMs.push(b.first!);
  cold.totalMs.push(b.imported! + b.first!);
}
await server.stop();

// 3. The bundle: what a cold start loads.
const meta = JSON.parse(readFileSync(path("dist/meta.json"), "utf8"));
const entryBytes = meta.outputs["dist/index.mjs"].bytes as number;
const coldBytes = coldStartBytes(meta, "dist/index.mjs");

// 4. Report.
const s = measured.samples;
const floor = median(s.floor!);
const rows = Object.entries(s).map(([name, xs]) => ({ name, medianUs: median(xs), p99Us: p99(xs), xFloor: median(xs) / floor, n: xs.length }));
const r = (n: number, d = 1) => n.toFixed(d);
const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${r(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}\n`);
console.log("| scenario | median µs | p99 µs | × floor | n |\n|---|---:|---:|---:|---:|");
for (const row of rows) console.log(`| ${row.name} | ${r(row.medianUs)} | ${r(row.p99Us)} | ${r(row.xFloor, 2)} | ${row.n} |`);
const coldMed = Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, median(v)])) as Record<keyof typeof cold, number>;
console.log(`\ncold start (median of ${RUNS} fresh processes): empty module ${r(coldMed.emptyImportMs)} ms, one JWKS fetch ${r(coldMed.jwksFetchMs)} ms, bundle import ${r(coldMed.bundleImportMs)} ms + first request ${r(coldMed.firstRequestMs)} ms = ${r(coldMed.totalMs)} ms`);
console.log(`bundle: entry chunk ${r(entryBytes / 1024)} KB, ${r(coldBytes / 1024)} KB loaded at cold start (the AWS SDK loads only on the first obo exchange)`);
console.log(`memory: resident set ${r(measured.rssAfter1k / 2 ** 20)} MiB after 1 000 requests, ${r(measured.rssAfter100k / 2 ** 20)} MiB after 100 000 requests from 10 000 users\n`);

const find = (name: string) => rows.find((x) => x.name === name)!;
const budgets = [
  { name: "fresh-token median ≤ 2 × floor", pass: find("ours.claims.fresh").medianUs <= 2 * floor, value: `${r(find("ours.claims.fresh").xFloor, 2)} × floor` },
  { name: "repeated-token median ≤ 0.75 × floor", pass: find("ours.claims.repeated").medianUs <= 0.75 * floor, value: `${r(find("ours.claims.repeated").xFloor, 2)} × floor` },
  { name: "faster than jsonwebtoken + jwks-rsa on fresh tokens", pass: find("ours.claims.fresh").medianUs < find("alternative.claims.fresh").medianUs, value: `${r(find("ours.claims.fresh").medianUs)} µs vs ${r(find("alternative.claims.fresh").medianUs)} µs` },
  { name: "cold-start bundle ≤ 80 KB minified", pass: coldBytes <= 80 * 1024, value: `${r(coldBytes / 1024)} KB` },
  { name: "cold import + first request ≤ 3 × (empty import + first JWKS fetch)", pass: coldMed.totalMs <= 3 * (coldMed.emptyImportMs + coldMed.jwksFetchMs), value: `${r(coldMed.totalMs)} ms vs ${r(3 * (coldMed.emptyImportMs + coldMed.jwksFetchMs))} ms` },
  { name: "RSS after 100 000 requests within 20 % of after 1 000", pass: measured.rssAfter100k <= 1.2 * measured.rssAfter1k, value: `${r((measured.rssAfter100k / measured.rssAfter1k - 1) * 100)} %` },
];
for (const b of budgets) console.log(`${b.pass ? "PASS" : "FAIL"} ${b.name}: ${b.value}`);
writeFileSync(path("bench/results.json"), `${JSON.stringify({ machine, date: new Date().toISOString(), rows, cold: { runs: RUNS, medians: coldMed }, bundle: { entryBytes, coldBytes }, memory: { rssAfter1k: measured.rssAfter1k, rssAfter100k: measured.rssAfter100k }, budgets }, null, 2)}\n`);
console.log("\nwrote bench/results.json");
