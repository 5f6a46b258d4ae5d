/**
 * `npm run bench:lambda`: what a user of the deployed function feels, through AWS's runtime client
 * (`aws-lambda-ric` on Node 24, test/support/ric.ts) pulling invocations from a loopback Lambda Runtime
 * API (test/support/runtime-api.ts), at the CPU share of a Lambda memory size where the machine allows
 * a cgroup CPU quota (Lambda's CPU is proportional to memory: 1,769 MB is one vCPU).
 *
 * - **Time to first answer**: from starting the runtime process (a fresh execution environment) to the
 *   answer to its first invocation, a fresh token whose issuer's JWKS nobody has loaded: init plus the
 *   first invocation, against the floor, an empty handler whose first invocation fetches the same JWKS
 *   over the same TLS (bench/lambda/floor/index.mjs). Cold starts of the two alternate, and the budget
 *   is the median over rounds of (interceptor ÷ floor) within each round.
 * - **A warm invocation**: the round trip from queueing an invocation to its answer, for the
 *   interceptor, the empty handler and the empty handler writing one line as long as the interceptor's
 *   audit line, each in its own runtime process, one invocation of each per round, in rotating order;
 *   what the interceptor adds is the median over rounds of its round trip minus the empty handler's.
 *   The handler's own time inside the runtime process comes back in each answer
 *   (bench/lambda/interceptor/bench-handler.mjs).
 *
 * Writes bench/lambda-results.json (ignored) and bench/last-lambda-run.json (committed), renders the
 * figures of docs/performance.md (scripts/perf-table.ts) and exits non-zero when a budget fails.
 * Knobs: BENCH_LAMBDA_COLD (cold starts per kind and share, default 7), BENCH_LAMBDA_WARM (warm rounds,
 * default 200), BENCH_LAMBDA_SHARES (comma-separated memory sizes, default 1769,512,128; `machine` for
 * no quota).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { functionFiles } from "../cli/bundle.js";
import { parseConfig } from "../src/config/load.js";
import { JwksServer } from "../test/support/jwks-server.js";
import { jwksOf, rsaKey } from "../test/support/keys.js";
import { ensureRic, RIC_NODE_VERSION, RIC_VERSION, startRic, type RicProcess } from "../test/support/ric.js";
import { RuntimeApi } from "../test/support/runtime-api.js";
import { type LambdaRun, writePerfDoc } from "../scripts/perf-table.js";
import { BENCH_ISSUER, benchEvent, benchToken } from "./tokens.js";

const root = new URL("../", import.meta.url);
const path = (p: string) => fileURLToPath(new URL(p, root));
const r = (n: number, d = 1) => n.toFixed(d);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s[Math.floor(s.length / 2)];
  if (m === undefined) throw new Error("median of nothing");
  return m;
};
const load = () =>
  loadavg()
    .map((x) => r(x, 2))
    .join(", ");

const COLD = Number(process.env.BENCH_LAMBDA_COLD ?? 7);
const WARM = Number(process.env.BENCH_LAMBDA_WARM ?? 200);
const WARMUP = 20;
/** Repeated-token invocations of the interceptor alone after the warm rounds: its handler's time as V8 finishes optimising it. */
const LATE = Number(process.env.BENCH_LAMBDA_LATE ?? 2_000);
const LATE_SAMPLE = 200;
const ONE_VCPU_MB = 1_769;
/** Memory sizes whose CPU share to apply; `machine`: no quota (the whole machine). */
const MEMORY_SIZES = (process.env.BENCH_LAMBDA_SHARES ?? "1769,512,128").split(",").map((m) => (m === "machine" ? undefined : Number(m)));
const TTFA_BUDGET = 1.4;

// ---------------------------------------------------------------------------------------------------
// CPU quotas: a child cgroup per runtime process, removed when the process has exited.

interface CpuCgroup {
  /** The cgroup's procs file: the runtime process writes its pid there before Node starts. */
  procs: string;
  remove(): void;
}
interface CpuQuotas {
  create(name: string, fraction: number): CpuCgroup;
  how: string;
}

function cpuQuotas(): CpuQuotas | { unavailable: string } {
  const PERIOD = 100_000;
  const make = (dir: string, write: (dir: string, quota: number) => void) => (name: string, fraction: number) => {
    const at = join(dir, name);
    mkdirSync(at);
    try {
      write(at, Math.round(fraction * PERIOD));
    } catch (err) {
      rmdirSync(at);
      throw err;
    }
    return {
      procs: join(at, "cgroup.procs"),
      remove: () => rmdirSync(at),
    };
  };
  const v2 = "/sys/fs/cgroup";
  try {
    if (existsSync(join(v2, "cgroup.controllers"))) {
      if (!readFileSync(join(v2, "cgroup.controllers"), "utf8").split(/\s+/).includes("cpu"))
        return { unavailable: "cgroup v2 without the cpu controller" };
      if (!readFileSync(join(v2, "cgroup.subtree_control"), "utf8").split(/\s+/).includes("cpu"))
        return { unavailable: "cgroup v2: the cpu controller is not enabled for child cgroups (cgroup.subtree_control)" };
      const create = make(v2, (at, quota) => writeFileSync(join(at, "cpu.max"), `${quota} ${PERIOD}`));
      create(`agentcore-bench-probe-${process.pid}`, 1).remove();
      return { create, how: "cgroup v2 cpu.max" };
    }
    const v1 = join(v2, "cpu");
    if (existsSync(join(v1, "cpu.cfs_quota_us"))) {
      const create = make(v1, (at, quota) => {
        writeFileSync(join(at, "cpu.cfs_period_us"), String(PERIOD));
        writeFileSync(join(at, "cpu.cfs_quota_us"), String(quota));
      });
      create(`agentcore-bench-probe-${process.pid}`, 1).remove();
      return { create, how: "cgroup v1 cpu.cfs_quota_us" };
    }
    return { unavailable: "no cgroup cpu controller found under /sys/fs/cgroup" };
  } catch (err) {
    return { unavailable: `cannot create a cgroup with a CPU quota (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** rmdir of a cgroup fails while the exited process is still being reaped: a few tries. */
async function removeCgroup(cg: CpuCgroup | undefined): Promise<void> {
  for (let i = 0; cg !== undefined; i++) {
    try {
      cg.remove();
      return;
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The function, its IdP and its invocations.

const ric = await ensureRic();
const quotas = cpuQuotas();
const shares: Array<{ memoryMb: number | undefined; fraction: number | undefined }> =
  "unavailable" in quotas
    ? [{ memoryMb: undefined, fraction: undefined }]
    : MEMORY_SIZES.map((memoryMb) => ({ memoryMb, fraction: memoryMb === undefined ? undefined : Math.min(1, memoryMb / ONE_VCPU_MB) }));
const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${r(totalmem() / 2 ** 30, 0)} GiB, aws-lambda-ric ${RIC_VERSION} on Node ${RIC_NODE_VERSION}, ${process.platform}/${process.arch}`;
const loadStart = load();
console.log(`machine: ${machine}; load average at start ${loadStart}`);
console.log("unavailable" in quotas ? `CPU shares: not applied (${quotas.unavailable}); the whole machine` : `CPU shares: ${quotas.how}`);

const key = rsaKey("lambda-1");
const jwks = await new JwksServer().start();
jwks.set("/jwks", { kind: "ok", body: jwksOf(key) });
const config = JSON.stringify({
  issuers: [
    {
      issuer: BENCH_ISSUER,
      jwksUri: jwks.url("/jwks"),
      audience: ["mcp-gateway"],
      clientIds: ["agent-app"],
      requiredScopes: ["mcp/invoke"],
    },
  ],
  targets: { crm: { mode: "claims", headers: { "x-user-sub": "sub", "x-user-email": "email" } } },
});
let seq = 0;
const freshEvent = () => benchEvent(benchToken(key, `user-${++seq}`, `l-${seq}`));

type Kind = "interceptor" | "floor" | "floor+line";
/**
 * The interceptor's function root as the `package` command writes it (the bundle, interceptor.config.json
 * and the record of its validation: what a user deploys), plus the timing wrapper.
 */
const interceptorRoot = (() => {
  const loaded = parseConfig(config);
  if (!loaded.ok) throw new Error(`bench config invalid: ${loaded.problems.join("; ")}`);
  const root = mkdtempSync(join(tmpdir(), "agentcore-bench-function-"));
  for (const f of functionFiles(path("dist"), { config: loaded.config, text: config })) writeFileSync(join(root, f.name), f.data);
  copyFileSync(path("bench/lambda/interceptor/bench-handler.mjs"), join(root, "bench-handler.mjs"));
  // Removed however the bench ends.
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  return root;
})();
const taskRoot = (kind: Kind) => (kind === "interceptor" ? interceptorRoot : path("bench/lambda/floor"));
const envOf = (kind: Kind, memoryMb: number | undefined, lineBytes: number): Record<string, string> => ({
  NODE_EXTRA_CA_CERTS: path("test/support/tls/ca.pem"),
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb ?? ONE_VCPU_MB),
  ...(kind === "interceptor" ? { _HANDLER: "bench-handler.handler" } : { BENCH_JWKS_URL: jwks.url("/jwks") }),
  ...(kind === "floor+line" ? { BENCH_FLOOR_LINE_BYTES: String(lineBytes) } : {}),
});

interface Environment {
  kind: Kind;
  api: RuntimeApi;
  proc: RicProcess;
  cgroup: CpuCgroup | undefined;
  startedAt: number;
}
let cgroups = 0;

async function startEnvironment(kind: Kind, share: (typeof shares)[number], firstEvent: unknown, lineBytes = 0) {
  const api = new RuntimeApi();
  await api.start();
  const cgroup =
    "unavailable" in quotas || share.fraction === undefined
      ? undefined
      : quotas.create(`agentcore-bench-${process.pid}-${++cgroups}`, share.fraction);
  // Queued before the process starts: its first `next` gets it at once, as after a scale-out.
  const first = api.invoke(firstEvent);
  const startedAt = performance.now();
  const proc = startRic(ric, taskRoot(kind), api.address, envOf(kind, share.memoryMb, lineBytes), cgroup?.procs);
  const env: Environment = { kind, api, proc, cgroup, startedAt };
  const answered = await Promise.race([
    first,
    proc.exited.then((code) => {
      throw new Error(`${kind}: aws-lambda-ric exited (${code}) before answering:\n${proc.stderr().slice(-2000)}`);
    }),
  ]);
  const answeredAt = performance.now();
  check(kind, answered.body);
  const polled = api.firstPollAt ?? answeredAt;
  return { env, initMs: polled - startedAt, firstMs: answeredAt - polled, totalMs: answeredAt - startedAt };
}

async function stopEnvironment(env: Environment): Promise<void> {
  await env.proc.stop();
  await env.api.stop();
  await removeCgroup(env.cgroup);
}

function check(kind: Kind, body: unknown): void {
  const ok =
    kind === "interceptor"
      ? typeof body === "object" && body !== null && "mcp" in body && JSON.stringify(body).includes("transformedGatewayRequest")
      : JSON.stringify(body) === "{}";
  if (!ok) throw new Error(`${kind}: unexpected answer ${JSON.stringify(body).slice(0, 400)}`);
}

/** Round trip of one warm invocation (ms), and the handler's own time (µs) when the answer carries it. */
async function warmInvoke(env: Environment, event: unknown): Promise<{ ms: number; handlerUs: number | undefined }> {
  const t = performance.now();
  const res = await env.api.invoke(event);
  const ms = performance.now() - t;
  check(env.kind, res.body);
  const b = res.body;
  const handlerUs =
    typeof b === "object" && b !== null && "benchHandlerUs" in b && typeof b.benchHandlerUs === "number" ? b.benchHandlerUs : undefined;
  return { ms, handlerUs };
}

// ---------------------------------------------------------------------------------------------------
// The measurement.

/** One CPU share's result: the shape docs/performance.md's table is rendered from (scripts/perf-table.ts). */
type ShareResult = LambdaRun["shares"][number];

const results: ShareResult[] = [];
for (const share of shares) {
  const label = share.memoryMb === undefined ? "whole machine" : `${share.memoryMb} MB (${r((share.fraction ?? 1) * 100)} % of a vCPU)`;
  console.log(`\n${label}: ${COLD} cold starts of each, alternating`);
  const runs: Record<"floor" | "interceptor", Array<{ initMs: number; firstMs: number; totalMs: number }>> = { floor: [], interceptor: [] };
  const ratios: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const order: Array<"floor" | "interceptor"> = i % 2 === 0 ? ["floor", "interceptor"] : ["interceptor", "floor"];
    const round: Partial<Record<"floor" | "interceptor", number>> = {};
    for (const kind of order) {
      const { env, ...t } = await startEnvironment(kind, share, freshEvent());
      await stopEnvironment(env);
      runs[kind].push(t);
      round[kind] = t.totalMs;
    }
    ratios.push((round.interceptor ?? NaN) / (round.floor ?? NaN));
    process.stdout.write(`  round ${i + 1}: floor ${r(round.floor ?? NaN)} ms, interceptor ${r(round.interceptor ?? NaN)} ms\n`);
  }
  const med = (xs: Array<{ initMs: number; firstMs: number; totalMs: number }>) => ({
    initMs: median(xs.map((x) => x.initMs)),
    firstMs: median(xs.map((x) => x.firstMs)),
    totalMs: median(xs.map((x) => x.totalMs)),
  });

  // Warm: one environment of each kind; the audit line's length from the interceptor's first answers.
  const interceptor = (await startEnvironment("interceptor", share, freshEvent())).env;
  const before = interceptor.proc.stdout().length;
  await warmInvoke(interceptor, freshEvent());
  const auditLineBytes = interceptor.proc.stdout().length - before;
  const floor = (await startEnvironment("floor", share, freshEvent())).env;
  const floorLine = (await startEnvironment("floor+line", share, freshEvent(), auditLineBytes)).env;
  const repeated = benchEvent(benchToken(key, "repeated", "repeated"));
  // The handler's own time on its first repeated-token invocations (the code still interpreted or
  // barely compiled: the first minutes of a new environment).
  const firstRepeated: number[] = [];
  for (let i = 0; i < WARMUP; i++)
    for (const env of [interceptor, floor, floorLine]) {
      const x = await warmInvoke(env, i % 2 === 0 ? freshEvent() : repeated);
      if (env === interceptor && i % 2 === 1 && x.handlerUs !== undefined) firstRepeated.push(x.handlerUs);
    }
  const w = { floor: [] as number[], floorLine: [] as number[], fresh: [] as number[], repeated: [] as number[] };
  const handler = { fresh: [] as number[], repeated: [] as number[] };
  const added = { fresh: [] as number[], repeated: [] as number[], line: [] as number[] };
  for (let i = 0; i < WARM; i++) {
    const round: Record<string, number> = {};
    const steps: Array<[string, () => Promise<void>]> = [
      ["floor", async () => void (round.floor = (await warmInvoke(floor, freshEvent())).ms * 1000)],
      ["floorLine", async () => void (round.floorLine = (await warmInvoke(floorLine, freshEvent())).ms * 1000)],
      [
        "fresh",
        async () => {
          const x = await warmInvoke(interceptor, freshEvent());
          round.fresh = x.ms * 1000;
          if (x.handlerUs !== undefined) handler.fresh.push(x.handlerUs);
        },
      ],
      [
        "repeated",
        async () => {
          const x = await warmInvoke(interceptor, repeated);
          round.repeated = x.ms * 1000;
          if (x.handlerUs !== undefined) handler.repeated.push(x.handlerUs);
        },
      ],
    ];
    for (let s = 0; s < steps.length; s++) {
      const step = steps[(s + i) % steps.length];
      if (step !== undefined) await step[1]();
      // One turn of the event loop between invocations, as between two Lambda invocations.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { floor: f = NaN, floorLine: fl = NaN, fresh = NaN, repeated: rep = NaN } = round;
    w.floor.push(f);
    w.floorLine.push(fl);
    w.fresh.push(fresh);
    w.repeated.push(rep);
    added.fresh.push(fresh - f);
    added.repeated.push(rep - f);
    added.line.push(fl - f);
  }
  // Then the interceptor alone, many more times: how far its own time falls once V8 has optimised the
  // request path (the gap between the rounds above and `npm run bench`'s tight loop).
  const lateRepeated: number[] = [];
  for (let i = 0; i < LATE; i++) {
    const x = await warmInvoke(interceptor, repeated);
    if (i >= LATE - LATE_SAMPLE && x.handlerUs !== undefined) lateRepeated.push(x.handlerUs);
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (const env of [interceptor, floor, floorLine]) await stopEnvironment(env);

  const result: ShareResult = {
    memoryMb: share.memoryMb,
    cpuFraction: share.fraction,
    cold: { runs: COLD, floor: med(runs.floor), interceptor: med(runs.interceptor), ratio: median(ratios) },
    warm: {
      rounds: WARM,
      auditLineBytes,
      floorUs: median(w.floor),
      floorLineUs: median(w.floorLine),
      freshUs: median(w.fresh),
      repeatedUs: median(w.repeated),
      freshAddedUs: median(added.fresh),
      repeatedAddedUs: median(added.repeated),
      lineAddedUs: median(added.line),
      freshHandlerUs: median(handler.fresh),
      repeatedHandlerUs: median(handler.repeated),
      repeatedHandlerFirstUs: median(firstRepeated),
      repeatedHandlerLateUs: median(lateRepeated),
      lateInvocations: WARMUP + 2 * WARM + LATE,
    },
  };
  results.push(result);
  const { cold, warm } = result;
  console.log(
    `  time to first answer (init + first invocation), median: floor ${r(cold.floor.totalMs)} ms (${r(cold.floor.initMs)} + ${r(cold.floor.firstMs)}), interceptor ${r(cold.interceptor.totalMs)} ms (${r(cold.interceptor.initMs)} + ${r(cold.interceptor.firstMs)}); ${r(cold.ratio, 2)} × floor (median of the rounds' ratios)`,
  );
  console.log(
    `  warm round trip, median of ${WARM}: empty handler ${r(warm.floorUs)} µs, + a ${warm.auditLineBytes}-byte line ${r(warm.floorLineUs)} µs, interceptor fresh token ${r(warm.freshUs)} µs, repeated token ${r(warm.repeatedUs)} µs`,
  );
  console.log(
    `  added over the empty handler (median of the rounds' differences): fresh ${r(warm.freshAddedUs)} µs, repeated ${r(warm.repeatedAddedUs)} µs, the line alone ${r(warm.lineAddedUs)} µs; handler's own time inside the runtime: fresh ${r(warm.freshHandlerUs)} µs, repeated ${r(warm.repeatedHandlerUs)} µs`,
  );
  console.log(
    `  handler's own time, repeated token, as V8 optimises it: first ${firstRepeated.length} invocations ${r(warm.repeatedHandlerFirstUs)} µs, the ${WARM} rounds ${r(warm.repeatedHandlerUs)} µs, the last ${LATE_SAMPLE} of ${warm.lateInvocations} ${r(warm.repeatedHandlerLateUs)} µs`,
  );
}
await jwks.stop();

const budgets = results.map((s) => ({
  name: `time to first answer at ${s.memoryMb === undefined ? "the whole machine" : `${s.memoryMb} MB`} ≤ ${TTFA_BUDGET} × (empty handler + one JWKS fetch)`,
  pass: s.cold.ratio <= TTFA_BUDGET,
  value: `${r(s.cold.ratio, 2)} × (${r(s.cold.interceptor.totalMs)} ms vs ${r(s.cold.floor.totalMs)} ms)`,
}));
console.log("");
for (const b of budgets) console.log(`${b.pass ? "PASS" : "FAIL"} ${b.name}: ${b.value}`);
const loadEnd = load();
const run = {
  machine,
  loadAverage: { start: loadStart, end: loadEnd },
  date: new Date().toISOString(),
  cpuShares: "unavailable" in quotas ? `not applied: ${quotas.unavailable}` : quotas.how,
  shares: results,
  budgets,
};
const text = `${JSON.stringify(run, null, 2)}\n`;
writeFileSync(path("bench/lambda-results.json"), text);
writeFileSync(path("bench/last-lambda-run.json"), text);
writePerfDoc();
console.log(`\nload average at end ${loadEnd}; wrote bench/lambda-results.json, bench/last-lambda-run.json and docs/performance.md`);
if (budgets.some((b) => !b.pass)) {
  console.log("budget(s) failed");
  process.exitCode = 1;
}
