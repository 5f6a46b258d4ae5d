import { LogFormatter, LogItem, Logger } from "@aws-lambda-powertools/logger";
import type { LogAttributes, UnformattedAttributes } from "@aws-lambda-powertools/logger/types";
import type { Metrics } from "./metrics.js";
import { DENIALS } from "./respond/denials.js";
import { VERSION } from "./version.js";

/**
 * Logging (docs/design.md "Logging", docs/security.md §5): one audit line per decision, built from an allowlist
 * of fields. Never a token, a secret, a signature, a header value or a library message.
 */
export interface AuditRecord {
  decision: "allow" | "deny";
  reason: string;
  method?: string;
  target?: string;
  tool?: string;
  /** The prompt a `prompts/get` or `completion/complete` names (without the target prefix when it has one). */
  prompt?: string;
  mode?: string;
  jsonrpcId?: string | number | null;
  iss?: string;
  sub?: string;
  client_id?: string;
  /** The current actor (`act.sub`) when the token carries one. */
  actor?: string;
  requestId?: string;
  traceId?: string;
  errorClass?: string;
  scopesRequired?: readonly string[];
  /** The tool or prompt rule (or `requireClaims`) that decided: its pattern, never a claim's value. */
  rule?: string;
  durationMs: number;
  /** Token details, nested: one key for the logger to merge instead of four. */
  jwt?: { kid?: string | undefined; alg?: string | undefined; jti?: string | undefined; exp?: number | undefined };
  /** Request details: the envelope, the identity header names set, the caches used, on-behalf-of latency. */
  detail?: {
    envelope?: string;
    headersSet?: readonly string[];
    oboCache?: "hit" | "miss";
    oboLatencyMs?: number;
    /** RESPONSE phase only: the phase, the listing filtered, how many entries were removed and from which targets. */
    phase?: "response";
    listing?: string;
    removed?: number;
    removedTargets?: readonly string[];
    streaming?: boolean;
    assertionCache?: "hit" | "miss";
    /** Whether the token's signature check was skipped for a recent verification of the same token. */
    verifiedCache?: "hit" | "miss";
  };
}

export type AuditDetail = NonNullable<AuditRecord["detail"]>;

const SENSITIVE_KEYS = new Set([
  "authorization",
  "access_token",
  "subject_token",
  "actor_token",
  "client_secret",
  "refresh_token",
  "id_token",
  "token",
  "secret",
  "password",
  "private_key",
]);
/**
 * A whole run of base64url segments joined by at least two dots, starting where such a run starts
 * (the lookbehind), redacted when it holds `eyJ`. Matching from the run's start only keeps this linear:
 * `eyJ[A-Za-z0-9_-]*\.` tried from every `eyJ` of a dotless run rescans it each time.
 */
const DOTTED_RUN = /(?<![A-Za-z0-9_.-])[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){2,}/g;
const redactJwtLike = (run: string) => (run.includes("eyJ") ? "[REDACTED]" : run);
const BEARER = /\b(Bearer|Basic|DPoP)\s+\S+/gi;
// Controls, line separators, invisible and bidi characters: a log record must stay one honest line.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const MAX_FIELD = 256;

const HAS_UNSAFE = new RegExp(UNSAFE.source);

/** Escapes control and bidi characters and truncates, for any string that came from outside. */
export function clean(value: string): string {
  const cut = value.length > MAX_FIELD ? `${value.slice(0, MAX_FIELD)}…` : value;
  return HAS_UNSAFE.test(cut) ? cut.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : cut;
}

/** Defence in depth: whatever reaches the logger, token-shaped strings and secret keys are redacted. */
export function redact(key: string, value: unknown): unknown {
  if (SENSITIVE_KEYS.has(key.toLowerCase())) return "[REDACTED]";
  // Cheap guards first: this runs for every key of every log line.
  if (typeof value === "string" && value.length > 8 && (value.includes("eyJ") || value.includes(" "))) {
    return value.replace(DOTTED_RUN, redactJwtLike).replace(BEARER, "$1 [REDACTED]");
  }
  return value;
}

/**
 * Powertools' standard keys, with the record's attributes set in one assignment: the default formatter
 * deep-merges them key by key, which the profile showed as a large share of each audit line's cost.
 * Every attribute we pass is already a flat, cleaned value or a one-level object built here.
 */
class AuditLogFormatter extends LogFormatter {
  /** `TZ` is fixed for the life of a Lambda environment (`:UTC`): read once, not once per line as Powertools does. */
  private readonly utc = ((tz) => tz === "" || tz.includes("UTC"))(process.env.TZ?.trim() ?? "");

  /** Powertools' rule (an ISO timestamp unless a non-UTC `TZ` is set), with `TZ` read once. */
  override formatTimestamp(now: Date): string {
    return this.utc ? now.toISOString() : super.formatTimestamp(now);
  }

  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
        cold_start: context?.coldStart,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        ...additional,
      },
    });
  }
}

export function createLogger(): Logger {
  return new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "agentcore-identity-interceptor",
    jsonReplacerFn: redact,
    logFormatter: new AuditLogFormatter(),
  });
}

/** Denials that are our own fault (the table's 500s) are logged at ERROR; the others at WARN. */
const ERROR_REASONS: ReadonlySet<string> = new Set(
  Object.entries(DENIALS).flatMap(([reason, spec]) => (spec.status === 500 ? [reason] : [])),
);

const cleanValue = (v: unknown): unknown => (typeof v === "string" ? clean(v) : Array.isArray(v) ? v.map((x) => clean(String(x))) : v);

/** Where audit lines go: Powertools' logger, or anything with its three levels. */
export type AuditSink = Pick<Logger, "info" | "warn" | "error">;

/** Writes one line as it is: what the Lambda runtime reads from stdout becomes one log event. */
type LineWriter = (line: string) => void;
const stdoutLine: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * The invocation's audit line, then its metrics (src/metrics.ts): one EMF document on its own line,
 * serialised without the logger (measured cheaper than carrying the EMF members in the audit line,
 * whose JSON replacer runs on every value: docs/operations.md#why-its-own-line). The metrics line is
 * written whatever the log level (`POWERTOOLS_LOG_LEVEL=WARN` drops allows' audit lines, never their
 * count) and holds only bounded dimension values and numbers, never an identity.
 */
export function writeAudit(logger: AuditSink, record: AuditRecord, metrics?: Metrics, writeLine: LineWriter = stdoutLine): void {
  const fields: Record<string, unknown> = {};
  for (const k in record) {
    const v = record[k as keyof AuditRecord];
    if (v === undefined) continue;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      const nested: Record<string, unknown> = {};
      for (const [nk, nv] of Object.entries(v)) if (nv !== undefined) nested[nk] = cleanValue(nv);
      fields[k] = nested;
    } else {
      fields[k] = cleanValue(v);
    }
  }
  // Which release decided: an operator comparing lines across a deployment sees the version change.
  fields.version = VERSION;
  // The count first: a failing log sink (conclude swallows it) never loses a decision's metrics.
  const emf = metrics?.members(record);
  if (emf !== undefined) writeLine(JSON.stringify(emf));
  if (record.decision === "allow") logger.info("audit", fields);
  else if (ERROR_REASONS.has(record.reason)) logger.error("audit", fields);
  else logger.warn("audit", fields);
}
