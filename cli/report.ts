/**
 * `agentcore-interceptor report [FILE]`: a local report over audit lines (a file, or stdin, e.g. piped
 * from `aws logs tail`): decisions by reason, by target and by caller, duration percentiles, and when
 * the lines were first and last seen (docs/operations.md#a-local-report). A line may carry a prefix
 * (the Lambda text log format, `aws logs tail`'s timestamp and stream): the JSON object starts at its
 * first `{`. The metrics line beside each audit line (EMF, src/metrics.ts) is tallied on its own: it is
 * written whatever the log level, so more decisions there than in audit lines means the log level
 * dropped audit lines. Anything else is skipped and counted.
 */

interface Tally {
  allow: number;
  deny: number;
}

export interface Report {
  decisions: Tally;
  /** Decisions by `decision reason`. */
  reasons: Map<string, number>;
  targets: Map<string, Tally>;
  callers: Map<string, Tally>;
  durations: number[];
  first: string | undefined;
  last: string | undefined;
  /** Lines that were neither audit lines nor metrics lines. */
  skipped: number;
  /** Decisions as the metrics lines count them. */
  metrics: Tally;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function parseLine(line: string): Json | undefined {
  const start = line.indexOf("{");
  if (start === -1) return undefined;
  try {
    const value: unknown = JSON.parse(line.slice(start));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const bump = (map: Map<string, Tally>, key: string, decision: "allow" | "deny") => {
  const t = map.get(key) ?? { allow: 0, deny: 0 };
  t[decision]++;
  map.set(key, t);
};

export function buildReport(lines: Iterable<string>): Report {
  const r: Report = {
    decisions: { allow: 0, deny: 0 },
    reasons: new Map(),
    targets: new Map(),
    callers: new Map(),
    durations: [],
    first: undefined,
    last: undefined,
    skipped: 0,
    metrics: { allow: 0, deny: 0 },
  };
  for (const line of lines) {
    if (line.trim() === "") continue;
    const rec = parseLine(line);
    if (rec !== undefined && isObject(rec._aws) && rec.message === undefined && (rec.Decision === "allow" || rec.Decision === "deny")) {
      r.metrics[rec.Decision]++;
      continue;
    }
    const decision = rec?.decision;
    const reason = str(rec?.reason);
    if (rec === undefined || rec.message !== "audit" || (decision !== "allow" && decision !== "deny") || reason === undefined) {
      r.skipped++;
      continue;
    }
    r.decisions[decision]++;
    const reasonKey = `${decision} ${reason}`;
    r.reasons.set(reasonKey, (r.reasons.get(reasonKey) ?? 0) + 1);
    bump(r.targets, str(rec.target) ?? "(no target)", decision);
    const iss = str(rec.iss);
    const who = str(rec.sub) ?? str(rec.client_id);
    bump(r.callers, iss === undefined ? "(no caller logged)" : `${iss} ${who ?? "(no subject)"}`, decision);
    if (typeof rec.durationMs === "number" && Number.isFinite(rec.durationMs)) r.durations.push(rec.durationMs);
    const when = str(rec.timestamp);
    if (when !== undefined) {
      if (r.first === undefined || when < r.first) r.first = when;
      if (r.last === undefined || when > r.last) r.last = when;
    }
  }
  return r;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

const byCount = <T>(entries: Iterable<[string, T]>, count: (t: T) => number) =>
  [...entries].sort((a, b) => count(b[1]) - count(a[1]) || (a[0] < b[0] ? -1 : 1));

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: readonly string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

export function renderReport(r: Report, top = 20): string[] {
  const total = r.decisions.allow + r.decisions.deny;
  const out = [`decisions: ${total} (allow ${r.decisions.allow}, deny ${r.decisions.deny}); other lines skipped: ${r.skipped}`];
  const counted = r.metrics.allow + r.metrics.deny;
  if (counted > 0) {
    const dropped =
      counted > total
        ? `: ${counted - total} without an audit line (dropped by the log level, e.g. POWERTOOLS_LOG_LEVEL=WARN drops allows)`
        : "";
    out.push(`metrics lines: ${counted} decisions (allow ${r.metrics.allow}, deny ${r.metrics.deny})${dropped}`);
  }
  if (total === 0) return out;
  out.push(`first seen: ${r.first ?? "-"}`, `last seen:  ${r.last ?? "-"}`);
  const sorted = [...r.durations].sort((a, b) => a - b);
  if (sorted.length > 0) {
    const ms = (n: number) => `${n.toFixed(3)} ms`;
    out.push(
      `duration: p50 ${ms(percentile(sorted, 50))}, p90 ${ms(percentile(sorted, 90))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted.at(-1) ?? 0)}`,
    );
  }
  const tallyRows = (m: Map<string, Tally>) =>
    byCount(m, (t) => t.allow + t.deny)
      .slice(0, top)
      .map(([k, t]) => [k, String(t.allow), String(t.deny)]);
  out.push(
    "",
    "by reason",
    ...table(
      ["decision reason", "count"],
      byCount(r.reasons, (n) => n).map(([k, n]) => [k, String(n)]),
    ),
    "",
    "by target",
    ...table(["target", "allow", "deny"], tallyRows(r.targets)),
    "",
    `by caller (top ${top})`,
    ...table(["caller (iss sub)", "allow", "deny"], tallyRows(r.callers)),
  );
  return out;
}
