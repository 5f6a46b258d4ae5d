import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { buildReport, renderReport } from "../../cli/report.js";
import { testTempDir } from "../support/temp.js";

/** `agentcore-interceptor report` (cli/report.ts) over fixed lines. */
const audit = (fields: Record<string, unknown>) => JSON.stringify({ level: "INFO", message: "audit", service: "x", ...fields });
const LINES = [
  // Lambda's text format prefix, then the JSON object.
  `2026-12-06T10:00:00.000Z\tr-1\tINFO\t${audit({ timestamp: "2026-12-06T10:00:00.000Z", decision: "allow", reason: "mode.claims", target: "crm", iss: "https://a", sub: "alice", durationMs: 1 })}`,
  audit({
    timestamp: "2026-12-06T10:00:01.000Z",
    decision: "allow",
    reason: "mode.forward",
    target: "orders",
    iss: "https://a",
    sub: "alice",
    durationMs: 2,
  }),
  // aws logs tail: timestamp and stream before the object.
  `2026-12-06T10:00:02.000000+00:00 2026/12/06/[$LATEST]abc ${audit({ timestamp: "2026-12-06T10:00:02.000Z", decision: "deny", reason: "forward.audience_not_bound", target: "orders", iss: "https://b", sub: "bob", durationMs: 3 })}`,
  audit({ timestamp: "2026-12-06T09:59:59.000Z", decision: "deny", reason: "token.signature_invalid", durationMs: 4 }),
  audit({
    timestamp: "2026-12-06T10:00:03.000Z",
    decision: "deny",
    reason: "forward.audience_not_bound",
    target: "orders",
    iss: "https://b",
    sub: "bob",
    durationMs: 10,
  }),
  // Not audit lines: another log record, plain text, broken JSON, START/END lines.
  JSON.stringify({ level: "WARN", message: "JWKS fetch failed", jwksUri: "https://a/jwks" }),
  "START RequestId: r-1 Version: $LATEST",
  '{"message":"audit",',
  "",
  // Metrics lines: one beside an audit line above, and one of an allow whose audit line the log level dropped.
  JSON.stringify({
    _aws: { Timestamp: Date.parse("2026-12-06T10:00:00.000Z"), CloudWatchMetrics: [] },
    Decision: "allow",
    Reason: "mode.claims",
    Decisions: 1,
  }),
  JSON.stringify({
    _aws: { Timestamp: Date.parse("2026-12-06T10:00:04.000Z"), CloudWatchMetrics: [] },
    Decision: "allow",
    Reason: "mode.claims",
    Target: "crm",
    Decisions: 1,
    Duration: 5,
  }),
];

describe("report", () => {
  it("tallies decisions by reason, target and caller, percentiles and first/last seen; skips and counts other lines", () => {
    const r = buildReport(LINES);
    expect(r.decisions).toEqual({ allow: 2, deny: 3 });
    expect(r.skipped).toBe(3);
    expect(r.metrics).toEqual({ allow: 2, deny: 0 });
    expect(Object.fromEntries(r.reasons)).toEqual({
      "allow mode.claims": 1,
      "allow mode.forward": 1,
      "deny forward.audience_not_bound": 2,
      "deny token.signature_invalid": 1,
    });
    expect(Object.fromEntries(r.targets)).toEqual({
      crm: { allow: 1, deny: 0 },
      orders: { allow: 1, deny: 2 },
      "(no target)": { allow: 0, deny: 1 },
    });
    expect(Object.fromEntries(r.callers)).toEqual({
      "https://a alice": { allow: 2, deny: 0 },
      "https://b bob": { allow: 0, deny: 2 },
      "(no caller logged)": { allow: 0, deny: 1 },
    });
    expect({ first: r.first, last: r.last }).toEqual({ first: "2026-12-06T09:59:59.000Z", last: "2026-12-06T10:00:03.000Z" });
    expect(renderReport(r)).toEqual([
      "decisions: 5 (allow 2, deny 3); other lines skipped: 3",
      "metrics lines: 2 decisions (allow 2, deny 0)",
      "first seen: 2026-12-06T09:59:59.000Z",
      "last seen:  2026-12-06T10:00:03.000Z",
      "duration: p50 3.000 ms, p90 10.000 ms, p99 10.000 ms, max 10.000 ms",
      "",
      "by reason",
      "decision reason                  count",
      "deny forward.audience_not_bound      2",
      "allow mode.claims                    1",
      "allow mode.forward                   1",
      "deny token.signature_invalid         1",
      "",
      "by target",
      "target       allow  deny",
      "orders           1     2",
      "(no target)      0     1",
      "crm              1     0",
      "",
      "by caller (top 20)",
      "caller (iss sub)    allow  deny",
      "https://a alice         2     0",
      "https://b bob           0     2",
      "(no caller logged)      0     1",
    ]);
  });

  it("more decisions in metrics lines than audit lines: the log level dropped some, and the report says so", () => {
    const metricsLine = (decision: string) =>
      JSON.stringify({ _aws: { Timestamp: 0, CloudWatchMetrics: [] }, Decision: decision, Decisions: 1 });
    const lines = [metricsLine("allow"), metricsLine("allow"), metricsLine("deny"), audit({ decision: "deny", reason: "token.expired" })];
    expect(renderReport(buildReport(lines)).slice(0, 2)).toEqual([
      "decisions: 1 (allow 0, deny 1); other lines skipped: 0",
      "metrics lines: 3 decisions (allow 2, deny 1): 2 without an audit line (dropped by the log level, e.g. POWERTOOLS_LOG_LEVEL=WARN drops allows)",
    ]);
  });

  it("no audit line: one summary line", () => {
    expect(renderReport(buildReport(["hello", "{}"]))).toEqual(["decisions: 0 (allow 0, deny 0); other lines skipped: 2"]);
  });

  it("the command reads FILE, or stdin without one; an unreadable FILE is exit 1", async () => {
    const dir = testTempDir("report");
    const file = join(dir, "audit.log");
    writeFileSync(file, LINES.join("\n"));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
    expect(await main(["report", file], io)).toBe(0);
    expect(out.slice(0, 2)).toEqual([
      "decisions: 5 (allow 2, deny 3); other lines skipped: 3",
      "metrics lines: 2 decisions (allow 2, deny 0)",
    ]);
    out.length = 0;
    async function* stdin() {
      yield* LINES.slice(0, 2);
    }
    expect(await main(["report"], { ...io, stdinLines: stdin })).toBe(0);
    expect(out[0]).toBe("decisions: 2 (allow 2, deny 0); other lines skipped: 0");
    expect(await main(["report", join(dir, "missing.log")], io)).toBe(1);
    expect(err).toEqual(["report: cannot read " + join(dir, "missing.log") + " (ENOENT)"]);
  });
});
