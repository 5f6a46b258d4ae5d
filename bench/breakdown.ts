/**
 * `npm run bench:breakdown`: where one request's time goes. Each stage of the handler runs in
 * isolation on the source modules, over the same inputs as a real request (a fresh token each time,
 * or one repeated token), with a turn of the event loop before every sample as between two Lambda
 * invocations; then the whole handler on the same inputs, the garbage collector's time per request
 * (PerformanceObserver `gc` entries) and the bytes allocated per request (heap growth with a young
 * generation large enough that no collection runs, in a second process). The audit lines go to a
 * pipe this process reads, as in `npm run bench`.
 *
 * The parent forks this file twice (`BREAKDOWN_PART=stages`, `BREAKDOWN_PART=allocation`) and prints
 * one table; the stages are not additive to the microsecond (each runs warm in isolation), which is
 * why the whole handler, GC and allocation are measured as well.
 */
import { fork } from "node:child_process";
import { createPublicKey, verify } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import { Writable } from "node:stream";
import { Console } from "node:console";
import { fileURLToPath } from "node:url";
import { createHandler } from "../src/handler.js";
import { parseConfig } from "../src/config/load.js";
import { isPlainMcpRequest, type ParsedEvent } from "../src/event/envelope.js";
import { readRequest, type RequestView } from "../src/event/request.js";
import { bearerToken } from "../src/auth/bearer.js";
import { tokenCacheKey, TokenVerifier, type Verification, type VerifiedToken } from "../src/auth/verify.js";
import { JwksCache } from "../src/auth/jwks-cache.js";
import { httpsJwksFetcher } from "../src/auth/jwks-fetch.js";
import { decodeJws } from "../src/auth/jws.js";
import { verifySignature } from "../src/auth/signature.js";
import { ManagedHeaders } from "../src/policy/managed-headers.js";
import { decide } from "../src/policy/decide.js";
import { claimHeaders } from "../src/modes/claims.js";
import { allowOutput } from "../src/respond/output.js";
import { type AuditRecord, createLogger, writeAudit } from "../src/log.js";
import type { ClaimsTargetConfig } from "../src/config/schema.js";
import { JwksServer } from "../test/support/jwks-server.js";
import { jwksOf, rsaKey } from "../test/support/keys.js";
import { testCa } from "../test/support/tls.js";
import { BENCH_ISSUER, benchEvent, benchToken } from "./tokens.js";

/**
 * The envelope check of `parseEnvelope`, synchronously: every event of this bench takes its hand-checked
 * path (zod is for the others). The real function is async; its extra promise turn is not timed here.
 */
const parseEnvelope = (e: unknown): ParsedEvent | undefined => (isPlainMcpRequest(e) ? { kind: "mcp", event: e } : undefined);

const N = Number(process.env.BREAKDOWN_N ?? 2_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r = (n: number, d = 1) => n.toFixed(d);

interface StageRow {
  stage: string;
  fresh: number | undefined;
  repeated: number | undefined;
  /** The same stage inside one request, run in the handler's order (`inSequence`). */
  freshInSequence?: number | undefined;
  repeatedInSequence?: number | undefined;
}
interface StagesResult {
  rows: StageRow[];
  sequenceTotal: { fresh: number; repeated: number };
  whole: { fresh: number; repeated: number };
  gc: { fresh: number; repeated: number };
  lineBytes: number;
}
interface AllocationResult {
  stages: Record<string, { fresh?: number; repeated?: number }>;
  fresh: number;
  repeated: number;
}

async function child<T>(which: string, execArgv: string[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), [], {
      execArgv: [...process.execArgv, "--expose-gc", ...execArgv],
      env: { ...process.env, BREAKDOWN_PART: which },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let lines = 0;
    c.stdout!.on("data", (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    c.stderr!.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line !== "" && !line.startsWith('{"level"')) process.stderr.write(`${line}\n`);
    });
    let result: T | undefined;
    c.once("message", (m) => (result = m as T));
    c.once("close", (code) =>
      code === 0 && result !== undefined && lines > 0 ? resolve(result) : reject(new Error(`${which} exited ${code} after ${lines} lines`)),
    );
  });
}

async function parent(): Promise<void> {
  console.log(
    `machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}; load average ${loadavg()
      .map((x) => r(x, 2))
      .join(", ")}`,
  );
  const s = await child<StagesResult>("stages", []);
  // 256 MiB semi-spaces: N requests allocate well below that, so no scavenge runs while counting.
  const a = await child<AllocationResult>("allocation", ["--min-semi-space-size=256", "--max-semi-space-size=256"]);
  const us = (v: number | undefined) => (v === undefined ? "–" : r(v));
  const kib = (v: number | undefined) => (v === undefined ? "–" : r(v / 1024, 1));
  console.log(
    `\nmedian µs over ${N} requests: each stage alone (many times in a row, one event-loop turn before each call) and in sequence (once per request, in the handler's order); KiB allocated per call\n`,
  );
  console.log(
    "| stage | fresh alone | fresh in sequence | repeated alone | repeated in sequence | KiB fresh | KiB repeated |\n|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const row of s.rows) {
    const b = a.stages[row.stage] ?? {};
    console.log(
      `| ${row.stage} | ${us(row.fresh)} | ${us(row.freshInSequence)} | ${us(row.repeated)} | ${us(row.repeatedInSequence)} | ${kib(b.fresh)} | ${kib(b.repeated)} |`,
    );
  }
  const top = s.rows.filter((x) => !x.stage.startsWith("  ") && !x.stage.startsWith("harness"));
  const sum = (k: "fresh" | "repeated") => top.reduce((n, x) => n + (x[k] ?? 0), 0);
  const sumBytes = (k: "fresh" | "repeated") => top.reduce((n, x) => n + (a.stages[x.stage]?.[k] ?? 0), 0);
  console.log(
    `| **sum of the stages** (in sequence: median of the per-request sums) | ${r(sum("fresh"))} | ${r(s.sequenceTotal.fresh)} | ${r(sum("repeated"))} | ${r(s.sequenceTotal.repeated)} | ${kib(sumBytes("fresh"))} | ${kib(sumBytes("repeated"))} |`,
  );
  console.log(`| **whole handler** | ${r(s.whole.fresh)} | | ${r(s.whole.repeated)} | | ${kib(a.fresh)} | ${kib(a.repeated)} |`);
  console.log(`| garbage collection while the whole handler runs, mean per request | ${r(s.gc.fresh)} | | ${r(s.gc.repeated)} | | | |`);
  console.log(`\naudit line: ${s.lineBytes} bytes`);
}

/** The common setup: a JWKS on loopback, a config, tokens, and the events a gateway would send. */
async function setup() {
  const key = rsaKey("bd-1");
  const server = await new JwksServer().start();
  server.set("/jwks", { kind: "ok", body: jwksOf(key) });
  const ISSUER = BENCH_ISSUER;
  const loaded = parseConfig({
    issuers: [
      { issuer: ISSUER, jwksUri: server.url("/jwks"), audience: ["mcp-gateway"], clientIds: ["agent-app"], requiredScopes: ["mcp/invoke"] },
    ],
    targets: { crm: { mode: "claims", headers: { "x-user-sub": "sub", "x-user-email": "email" } } },
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const now = Math.floor(Date.now() / 1000);
  let seq = 0;
  const mint = (sub: string) => benchToken(key, sub, `bd-${++seq}`, now);
  const event = (token: string) => benchEvent(token);
  const context = { awsRequestId: "bench", getRemainingTimeInMillis: () => 30_000 };
  return { key, server, config: loaded.config, loaded, mint, event, context };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** A pause long enough for the reading process to go back to sleep, as between two invocations. */
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

async function timeEach(n: number, fn: (i: number) => unknown, gap: () => Promise<void> = nextTurn): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    await gap();
    const t = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - t) / 1_000);
  }
  return median(times);
}

interface Stage {
  stage: string;
  fresh?: (i: number) => unknown;
  repeated?: (i: number) => unknown;
  /** Run with a 1 ms pause before each sample instead of one event-loop turn. */
  paused?: boolean;
  /** Its index among the durations `inSequence` returns. */
  seq?: number;
}

/** Every stage of one request, each callable alone on request i's prepared inputs. */
async function buildStages() {
  const { key, server, config, loaded, mint, event, context } = await setup();
  const freshTokens = Array.from({ length: N + 1_000 }, (_, i) => mint(`user-${i}`));
  const session = mint("session-user");
  const jwks = new JwksCache(httpsJwksFetcher({ timeoutMs: 5_000, maxBytes: 1 << 20, ca: testCa }), config.jwks, {
    staleServed: () => undefined,
    fetchFailed: () => undefined,
  });
  await jwks.getKey(config.issuers[0]!.jwksUri, key.kid);
  const verifiers = () => new TokenVerifier(config, jwks, { weakKey: () => undefined });
  const managed = new ManagedHeaders(config);
  const target = config.targets.crm as ClaimsTargetConfig;
  const publicKey = createPublicKey(key.privateKey);
  // A logger whose lines go nowhere: Powertools' own work on the line, without the write.
  const nowhere = createLogger();
  (nowhere as unknown as { console: Console }).console = new Console({
    stdout: new Writable({ write: (_c, _e, cb) => cb() }),
    stderr: new Writable({ write: (_c, _e, cb) => cb() }),
  });

  // Every input a stage needs, prepared per request as the handler would have it.
  const prepare = (tokens: string[]) => {
    const events = tokens.map(event);
    const parsed = events.map((e) => parseEnvelope(e)!);
    const views = parsed.map((p) => readRequest(p));
    const keys = tokens.map((t) => tokenCacheKey(t));
    return { tokens, events, parsed, views, keys };
  };
  const fresh = prepare(freshTokens.slice(0, N));
  const repeated = prepare(Array.from({ length: N }, () => session));
  const warmVerifier = verifiers();
  const freshVerifier = verifiers();
  // The key sets are loaded: every verification here answers without I/O (a value, not a promise).
  const now = (v: Verification): VerifiedToken => {
    if (v.identity instanceof Promise) throw new Error("breakdown: the key set is not loaded");
    return v.identity;
  };
  now(warmVerifier.verify(session));
  const ids = {
    fresh: fresh.tokens.map((t) => now(verifiers().verify(t))),
    repeated: repeated.tokens.map((t) => now(warmVerifier.verify(t))),
  };
  const headers = {
    fresh: ids.fresh.map((id) => claimHeaders(target.headers, id)),
    repeated: ids.repeated.map((id) => claimHeaders(target.headers, id)),
  };
  const auditOf = (view: RequestView, id: VerifiedToken, set: Record<string, string>): AuditRecord => ({
    decision: "allow",
    reason: "mode.claims",
    durationMs: 0.123,
    detail: { envelope: "mcp", headersSet: Object.keys(set) },
    requestId: context.awsRequestId,
    method: view.method,
    jsonrpcId: view.id,
    ...(view.target !== undefined ? { target: view.target } : {}),
    ...(view.tool !== undefined ? { tool: view.tool } : {}),
    iss: id.issuer.issuer,
    sub: id.sub,
    ...(id.clientId !== undefined ? { client_id: id.clientId } : {}),
    jwt: { kid: id.kid, alg: id.alg, jti: id.jti, exp: id.exp },
    mode: "claims",
  });
  // One real audit line, written to this process's stdout (a pipe the parent reads) by the write stage.
  let line = "";
  const capture = createLogger();
  (capture as unknown as { console: Console }).console = new Console({
    stdout: new Writable({ write: (c: Buffer, _e, cb) => ((line = c.toString()), cb()) }),
    stderr: process.stderr,
  });
  writeAudit(capture, auditOf(fresh.views[0]!, ids.fresh[0]!, headers.fresh[0]!));
  const sigInputs = fresh.tokens.map((t) => t.slice(0, t.lastIndexOf(".")));
  const sigParts = fresh.tokens.map((t) => ({
    input: Buffer.from(t.slice(0, t.lastIndexOf("."))),
    sig: Buffer.from(t.slice(t.lastIndexOf(".") + 1), "base64url"),
  }));

  type Set = typeof fresh;
  const both = (f: (s: Set, i: number, kind: "fresh" | "repeated") => unknown) => ({
    fresh: (i: number) => f(fresh, i, "fresh"),
    repeated: (i: number) => f(repeated, i, "repeated"),
  });
  const list: Stage[] = [
    { stage: "harness: an empty stage", ...both(() => undefined) },
    { stage: "event validation (`parseEnvelope`'s hand check)", seq: 0, ...both((s, i) => parseEnvelope(s.events[i])) },
    {
      stage: "request checks (`readRequest`: headers, raw-body duplicates, `Mcp-*`, routing)",
      seq: 1,
      ...both((s, i) => readRequest(s.parsed[i]! as ParsedEvent)),
    },
    {
      stage: "`Authorization` parse",
      seq: 2,
      ...both((s, i) => bearerToken(s.views[i]!.headers, s.views[i]!.path, config.maxAuthorizationBytes)),
    },
    { stage: "token hash (SHA-256, the cache key)", seq: 3, ...both((s, i) => tokenCacheKey(s.tokens[i]!)) },
    {
      stage: "verification (`verify`, its own hash included: fresh / cached)",
      seq: 4,
      fresh: (i) => now(freshVerifier.verify(fresh.tokens[i]!)),
      repeated: () => now(warmVerifier.verify(session)),
    },
    { stage: "  of which: strict decode (`decodeJws`)", fresh: (i) => decodeJws(fresh.tokens[i]!) },
    {
      stage: "  of which: signature (`verifySignature`, RS256 on node:crypto)",
      fresh: (i) => verifySignature("RS256", publicKey, sigInputs[i]!, sigParts[i]!.sig),
    },
    {
      stage: "  (the floor: one `crypto.verify` on prepared buffers)",
      fresh: (i) => verify("sha256", sigParts[i]!.input, publicKey, sigParts[i]!.sig),
    },
    {
      stage: "policy and claim headers (`firstConflict`, `decide`, `claimHeaders`)",
      seq: 5,
      ...both((s, i, k) => {
        managed.firstConflict(s.views[i]!.headers);
        decide(config, s.views[i]!.target, ids[k][i]!);
        return claimHeaders(target.headers, ids[k][i]!);
      }),
    },
    { stage: "output build (`allowOutput`)", seq: 6, ...both((s, i, k) => allowOutput("mcp", headers[k][i]!, s.views[i]!.body)) },
    {
      stage: "audit record and Powertools formatting (line written nowhere)",
      seq: 7,
      ...both((s, i, k) => writeAudit(nowhere, auditOf(s.views[i]!, ids[k][i]!, headers[k][i]!))),
    },
    {
      stage: "audit line write to the pipe (`process.stdout.write`; alone: 1 ms after the last)",
      seq: 8,
      ...both(() => process.stdout.write(line)),
      paused: true,
    },
  ];
  // One request's stages in the handler's order, each timed: what each costs when it runs once per
  // request after the others, rather than many times in a row. Its own verifier: the tokens are new to it.
  const seqVerifier = verifiers();
  const inSequence = (s: Set, i: number): number[] => {
    const t: bigint[] = [process.hrtime.bigint()];
    const mark = () => t.push(process.hrtime.bigint());
    const parsed = parseEnvelope(s.events[i])!;
    mark();
    const view = readRequest(parsed);
    mark();
    const token = bearerToken(view.headers, view.path, config.maxAuthorizationBytes);
    mark();
    tokenCacheKey(token);
    mark();
    const id = now(seqVerifier.verify(token));
    mark();
    managed.firstConflict(view.headers);
    decide(config, view.target, id);
    const set = claimHeaders(target.headers, id);
    mark();
    allowOutput("mcp", set, view.body);
    mark();
    writeAudit(nowhere, auditOf(view, id, set));
    mark();
    process.stdout.write(line);
    mark();
    return t.slice(1).map((x, j) => Number(x - t[j]!) / 1_000);
  };
  const sequence = { fresh: (i: number) => inSequence(fresh, i), repeated: (i: number) => inSequence(repeated, i) };
  const warmSet = prepare(freshTokens.slice(N, N + 500));
  for (let i = 0; i < 500; i++) {
    inSequence(warmSet, i);
    inSequence(repeated, i);
  }
  // The whole handler on the same kind of inputs; it has its own verifier, so the fresh tokens are new to it.
  const handler = createHandler({ config: loaded, ca: testCa, logger: createLogger() });
  for (const t of freshTokens.slice(N)) {
    await handler(event(t), context);
    await handler(event(session), context);
  }
  const wholeEvents = { fresh: fresh.tokens.map(event), repeated: repeated.tokens.map(event) };
  const whole = {
    fresh: (i: number) => handler(wholeEvents.fresh[i], context),
    repeated: (i: number) => handler(wholeEvents.repeated[i], context),
  };
  // Warm-up: every stage JIT-compiled on both paths (the fresh verification on its own tokens).
  const warmTokens = freshTokens.slice(N);
  for (let i = 0; i < 500; i++) {
    now(verifiers().verify(warmTokens[i]!));
    for (const st of list) if (!st.stage.includes("verification") && !st.paused) for (const f of [st.fresh, st.repeated]) f?.(i);
  }
  return { list, whole, sequence, server, lineBytes: Buffer.byteLength(line) };
}

async function stages(): Promise<StagesResult> {
  const { list, whole, sequence, server, lineBytes } = await buildStages();
  const rows: StageRow[] = [];
  for (const st of list) {
    const gap = st.paused === true ? pause : nextTurn;
    rows.push({
      stage: st.stage,
      fresh: st.fresh && (await timeEach(N, st.fresh, gap)),
      repeated: st.repeated && (await timeEach(N, st.repeated, gap)),
    });
  }
  const sequenceTotal = { fresh: 0, repeated: 0 };
  for (const kind of ["fresh", "repeated"] as const) {
    const runs: number[][] = [];
    for (let i = 0; i < N; i++) {
      await nextTurn();
      runs.push(sequence[kind](i));
    }
    sequenceTotal[kind] = median(runs.map((d) => d.reduce((a, b) => a + b, 0)));
    list.forEach((st, r) => {
      if (st.seq === undefined) return;
      const value = median(runs.map((d) => d[st.seq!]!));
      if (kind === "fresh") rows[r]!.freshInSequence = value;
      else rows[r]!.repeatedInSequence = value;
    });
  }
  // The collector's time while the whole handler runs (PerformanceObserver `gc` entries).
  const withGc = async (run: () => Promise<number>) => {
    let ms = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) ms += e.duration;
    });
    obs.observe({ entryTypes: ["gc"] });
    const med = await run();
    await nextTurn();
    obs.disconnect();
    return { med, gcUs: (ms * 1_000) / N };
  };
  const wholeFresh = await withGc(() => timeEach(N, whole.fresh));
  const wholeRepeated = await withGc(() => timeEach(N, whole.repeated));
  await server.stop();
  return {
    rows,
    sequenceTotal,
    whole: { fresh: wholeFresh.med, repeated: wholeRepeated.med },
    gc: { fresh: wholeFresh.gcUs, repeated: wholeRepeated.gcUs },
    lineBytes,
  };
}

/** Bytes allocated per call of each stage and of the whole handler: heap growth with no collection in between. */
async function allocation(): Promise<AllocationResult> {
  const { list, whole, server } = await buildStages();
  const gc = (globalThis as { gc?: () => void }).gc!;
  const bytesPer = async (fn: (i: number) => unknown) => {
    let collections = 0;
    const obs = new PerformanceObserver((l) => (collections += l.getEntries().length));
    gc();
    obs.observe({ entryTypes: ["gc"] });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < N; i++) await fn(i);
    const after = process.memoryUsage().heapUsed;
    await nextTurn();
    obs.disconnect();
    if (collections > 0) throw new Error(`a collection ran while counting allocations (${collections})`);
    return (after - before) / N;
  };
  const stagesBytes: Record<string, { fresh?: number; repeated?: number }> = {};
  for (const st of list)
    stagesBytes[st.stage] = {
      ...(st.fresh ? { fresh: await bytesPer(st.fresh) } : {}),
      ...(st.repeated ? { repeated: await bytesPer(st.repeated) } : {}),
    };
  const result = { stages: stagesBytes, fresh: await bytesPer(whole.fresh), repeated: await bytesPer(whole.repeated) };
  await server.stop();
  return result;
}

const part = process.env.BREAKDOWN_PART;
if (part === undefined) await parent();
else if (part === "stages") process.send!(await stages());
else process.send!(await allocation());
