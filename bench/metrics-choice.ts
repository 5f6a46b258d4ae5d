/**
 * `node --import ./scripts/register-ts.mjs bench/metrics-choice.ts > /dev/null`: the cost of a
 * decision's metrics, two ways (docs/operations.md#why-the-audit-line-carries-the-metrics):
 *   - `line`: no metrics, the audit line alone (the baseline);
 *   - `emf-in-line`: the audit line carries the EMF members (through the logger and its JSON replacer);
 *   - `emf-own-line`: the same EMF document (src/metrics.ts) written as its own line, serialised
 *     without a replacer (what the bundle does);
 *   - `powertools`: the audit line, plus `@aws-lambda-powertools/metrics` with the same dimensions and
 *     metrics, flushed once per invocation (its own line, as its `logMetrics` middleware does).
 * Interleaved rounds so that load from other processes lands on every variant alike; the medians per
 * decision go to stderr (stdout, where the lines go, is meant to be a pipe or /dev/null). Then what each
 * way adds to the bundle's cold start: minified bytes and import time in a fresh process.
 */
import { execFileSync } from "node:child_process";
import { Metrics as PowertoolsMetrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { build } from "esbuild";
import { type AuditRecord, createLogger, writeAudit } from "../src/log.js";
import { DEFAULT_METRICS, Metrics } from "../src/metrics.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const logger = createLogger();
const emf = new Metrics(DEFAULT_METRICS, new Set(["crm"]));
const powertools = new PowertoolsMetrics({ namespace: DEFAULT_METRICS.namespace, serviceName: DEFAULT_METRICS.service });

const record = (): AuditRecord => ({
  decision: "allow",
  reason: "mode.claims",
  method: "tools/call",
  target: "crm",
  tool: "find_contact",
  mode: "claims",
  jsonrpcId: 7,
  iss: "https://login.acme.example",
  sub: "alice",
  client_id: "acme-agent",
  requestId: "8c1f0000-0000-4000-8000-000000000000",
  durationMs: 0.041,
  jwt: { kid: "acme-2026-11", alg: "RS256", jti: "j-1", exp: 1795433717 },
  detail: { envelope: "mcp", headersSet: ["x-user-sub", "x-user-email"] },
});

const variants: Record<string, () => void> = {
  line: () => writeAudit(logger, record()),
  "emf-in-line": () => writeAudit(logger, record(), emf),
  "emf-own-line": () => {
    const r = record();
    writeAudit(logger, r);
    process.stdout.write(`${JSON.stringify(emf.members(r))}\n`);
  },
  powertools: () => {
    const r = record();
    writeAudit(logger, r);
    // The same four dimensions (Powertools warns when one key is in two sets, so one set each).
    powertools.addDimensions({ Decision: r.decision });
    powertools.addDimensions({ Reason: r.reason });
    powertools.addDimensions({ Target: "crm" });
    powertools.addDimensions({ Mode: "claims" });
    powertools.addMetric("Decisions", MetricUnit.Count, 1);
    powertools.addMetric("Duration", MetricUnit.Milliseconds, r.durationMs);
    powertools.publishStoredMetrics();
  },
};

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(variants)) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) run();
    samples[name]?.push(Number(process.hrtime.bigint() - start) / BATCH / 1000);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const base = median(samples.line ?? []);
process.stderr.write(`per decision (median of ${ROUNDS} rounds of ${BATCH}), µs:\n`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  process.stderr.write(`  ${name.padEnd(12)} ${m.toFixed(2)}  (+${(m - base).toFixed(2)} over the line alone)\n`);
}

// What each way adds to the bundle: minified bytes of the metrics code alone, and its import time.
const sizeOf = async (contents: string) => {
  const out = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: "ts" },
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  return out.outputFiles[0]?.contents.length ?? 0;
};
const ours = await sizeOf(`export { Metrics } from "./src/metrics.ts";`);
const theirs = await sizeOf(`export { Metrics } from "@aws-lambda-powertools/metrics";`);
const importMs = (specifier: string) => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(
      process.execPath,
      [
        "--import",
        "./scripts/register-ts.mjs",
        "-e",
        `const t=performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now()-t)`,
      ],
      { encoding: "utf8" },
    );
    times.push(Number(out.trim().split("\n").at(-1)));
  }
  return median(times);
};
process.stderr.write(
  `bundle: src/metrics.ts ${(ours / 1024).toFixed(1)} KB minified, @aws-lambda-powertools/metrics ${(theirs / 1024).toFixed(1)} KB\n`,
);
process.stderr.write(
  `import in a fresh process (median of 5): src/metrics.ts ${importMs("./src/metrics.ts").toFixed(1)} ms, @aws-lambda-powertools/metrics ${importMs("@aws-lambda-powertools/metrics").toFixed(1)} ms\n`,
);
