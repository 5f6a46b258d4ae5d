/**
 * A checker for CloudWatch Embedded Metric Format documents, by the specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * a root `_aws` object with a numeric `Timestamp` and a `CloudWatchMetrics` array of directives; each
 * directive has a `Namespace` (1-255 characters), `Dimensions` (arrays of at most 30 keys, each a root
 * member holding a string) and `Metrics` (each with a `Name` whose root member holds a number, or an
 * array of at most 100 numbers, and a `Unit` from CloudWatch's list); at most 100 metrics per document.
 * Returns the problems found (empty for a valid document).
 */

/** CloudWatch's units (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html). */
export const CLOUDWATCH_UNITS: ReadonlySet<string> = new Set([
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export function emfProblems(doc: Json): string[] {
  const problems: string[] = [];
  const aws = doc._aws;
  if (!isObject(aws)) return ["no _aws object"];
  if (typeof aws.Timestamp !== "number" || !Number.isInteger(aws.Timestamp)) problems.push("_aws.Timestamp is not an integer");
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0) return [...problems, "_aws.CloudWatchMetrics is not a non-empty array"];
  let metricCount = 0;
  directives.forEach((d: unknown, i) => {
    if (!isObject(d)) return void problems.push(`directive ${i} is not an object`);
    const extra = Object.keys(d).filter((k) => !["Namespace", "Dimensions", "Metrics"].includes(k));
    if (extra.length > 0) problems.push(`directive ${i} has members ${extra.join(",")}`);
    if (typeof d.Namespace !== "string" || d.Namespace.length === 0 || d.Namespace.length > 255)
      problems.push(`directive ${i}: Namespace invalid`);
    if (!Array.isArray(d.Dimensions)) problems.push(`directive ${i}: Dimensions is not an array`);
    else
      for (const set of d.Dimensions as unknown[]) {
        if (!Array.isArray(set) || set.length === 0 || set.length > 30) {
          problems.push(`directive ${i}: a dimension set is empty, not an array or over 30 keys`);
          continue;
        }
        for (const key of set as unknown[]) {
          const value = typeof key === "string" ? doc[key] : undefined;
          if (typeof value !== "string" || value.length > 1024 || !PRINTABLE_ASCII.test(value))
            problems.push(`directive ${i}: dimension ${String(key)} has no printable ASCII string value`);
        }
      }
    if (!Array.isArray(d.Metrics)) return void problems.push(`directive ${i}: Metrics is not an array`);
    for (const m of d.Metrics as unknown[]) {
      metricCount++;
      if (!isObject(m) || typeof m.Name !== "string" || m.Name.length === 0) {
        problems.push(`directive ${i}: a metric has no Name`);
        continue;
      }
      if (m.Unit !== undefined && (typeof m.Unit !== "string" || !CLOUDWATCH_UNITS.has(m.Unit)))
        problems.push(`metric ${m.Name}: unit ${String(m.Unit)} is not CloudWatch's`);
      const value = doc[m.Name];
      const numbers = Array.isArray(value) ? value : [value];
      if (numbers.length === 0 || numbers.length > 100 || !numbers.every((n) => typeof n === "number" && Number.isFinite(n)))
        problems.push(`metric ${m.Name}: value missing or not a number`);
    }
  });
  if (metricCount > 100) problems.push(`${metricCount} metrics in one document (at most 100)`);
  return problems;
}

/** The lines of a log that are EMF documents. */
export function emfDocuments(lines: readonly Json[]): Json[] {
  return lines.filter((l) => isObject(l._aws));
}

/** Sums metric `name` over documents, keyed by the dimension values of `dims` (documents that declare it with exactly that set). */
export function sumBy(docs: readonly Json[], name: string, dims: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const doc of docs) {
    const aws = doc._aws;
    if (!isObject(aws) || !Array.isArray(aws.CloudWatchMetrics)) continue;
    for (const d of aws.CloudWatchMetrics as Json[]) {
      const declared = (d.Metrics as Json[]).some((m) => m.Name === name);
      const hasSet = (d.Dimensions as string[][]).some((s) => s.length === dims.length && s.every((k, i) => k === dims[i]));
      const value = doc[name];
      if (!declared || !hasSet || typeof value !== "number") continue;
      const key = dims.map((k) => String(doc[k])).join("|");
      out[key] = (out[key] ?? 0) + value;
    }
  }
  return out;
}
