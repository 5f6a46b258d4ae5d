import type { AuditRecord } from "./log.js";
import { DENIALS } from "./respond/denials.js";

/**
 * Metrics (docs/operations.md#metrics): every invocation's decision as CloudWatch metrics in the
 * Embedded Metric Format, one document on its own line beside the audit line (src/log.ts `writeAudit`;
 * a measured choice: docs/operations.md#why-its-own-line). The document's shape follows the EMF
 * specification: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * (root member `_aws` with `Timestamp` and `CloudWatchMetrics`, each a `MetricDirective` of `Namespace`,
 * `Dimensions` (dimension sets, at most 30 keys each) and `Metrics` (at most 100, `Name` and `Unit`);
 * each dimension and metric named there is a root member holding its value).
 *
 * Dimensions are bounded vocabularies only, never a caller's identity: the decision, the reason code,
 * the phase, the MCP method (anything outside MCP's list is `other`), a configured target's name (any
 * other is `unlisted`), the mode and the service name. Nobody can mint a metric by sending a name.
 */
export interface MetricsSettings {
  /** False with `POWERTOOLS_METRICS_DISABLED=true`: no EMF member is written. */
  readonly enabled: boolean;
  /** `POWERTOOLS_METRICS_NAMESPACE`, default `AgentCoreIdentityInterceptor`. */
  readonly namespace: string;
  /** The `Service` dimension: `POWERTOOLS_SERVICE_NAME`, default `agentcore-identity-interceptor`. */
  readonly service: string;
}

export const DEFAULT_METRICS: MetricsSettings = {
  enabled: true,
  namespace: "AgentCoreIdentityInterceptor",
  service: "agentcore-identity-interceptor",
};

/** The bucket of every target name the configuration does not list. */
const UNLISTED_TARGET = "unlisted";
/** The bucket of every method outside MCP's list. */
const OTHER_METHOD = "other";

/** MCP's methods (specification 2025-06-18 and 2025-11-25), the gateway's search tool rides `tools/call`. */
const MCP_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
  "logging/setLevel",
  "sampling/createMessage",
  "elicitation/create",
  "roots/list",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/message",
  "notifications/roots/list_changed",
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
  "notifications/resources/updated",
  "notifications/elicitation/complete",
  "notifications/tasks/status",
  "(response)",
]);

/** Counted between audit lines (the JWKS cache's events, the init prefetch's too) and carried by the next one. */
type PendingMetric = "JwksFetches" | "JwksFetchFailures" | "JwksStaleServed";
const PENDING: readonly PendingMetric[] = ["JwksFetches", "JwksFetchFailures", "JwksStaleServed"];

/** Our own failures: the table's 5xx reasons (JWKS, token endpoint, Secrets Manager, internal). */
export const FAILURE_REASONS: readonly string[] = Object.entries(DENIALS).flatMap(([reason, spec]) => (spec.status >= 500 ? [reason] : []));
const IS_FAILURE: ReadonlySet<string> = new Set(FAILURE_REASONS);

/** CloudWatch's units this module uses (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html). */
type Unit = "Count" | "Milliseconds";
interface MetricDefinition {
  Name: string;
  Unit: Unit;
}
interface MetricDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: MetricDefinition[];
}
/** One EMF document: the `_aws` metadata, and the dimension and metric members it names. */
type EmfMembers = Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: MetricDirective[] } };

/**
 * One per execution environment: knows the configured targets (to bucket the rest), counts what happens
 * between audit lines, and turns an audit record into its EMF document.
 */
export class Metrics {
  private readonly pending = new Map<PendingMetric, number>();
  private coldStart = true;

  constructor(
    private readonly settings: MetricsSettings,
    private readonly targets: ReadonlySet<string>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an event of the environment (a JWKS fetch, a failure, a stale key set served). */
  count(metric: PendingMetric): void {
    if (this.settings.enabled) this.pending.set(metric, (this.pending.get(metric) ?? 0) + 1);
  }

  /** The EMF document for one invocation's audit record, or undefined when metrics are off. Drains the pending counts. */
  members(record: AuditRecord): EmfMembers | undefined {
    if (!this.settings.enabled) return undefined;
    const { namespace, service } = this.settings;
    const response = record.detail?.phase === "response";
    const target = record.target === undefined ? undefined : this.targets.has(record.target) ? record.target : UNLISTED_TARGET;
    const decisionSets = [["Decision"], ["Reason"], ["Phase", "Decision"], ["Method", "Decision"]];
    if (target !== undefined) decisionSets.push(["Target", "Decision"]);
    if (record.mode !== undefined) decisionSets.push(["Mode", "Decision"]);
    const out: Record<string, unknown> = {
      Decision: record.decision,
      Reason: record.reason,
      Phase: response ? "response" : "request",
      Method: record.method === undefined ? "none" : MCP_METHODS.has(record.method) ? record.method : OTHER_METHOD,
      Service: service,
      Decisions: 1,
      Duration: record.durationMs,
      Failures: record.decision === "deny" && IS_FAILURE.has(record.reason) ? 1 : 0,
    };
    if (target !== undefined) out.Target = target;
    if (record.mode !== undefined) out.Mode = record.mode;
    const serviceMetrics: MetricDefinition[] = [
      { Name: "Duration", Unit: "Milliseconds" },
      { Name: "Failures", Unit: "Count" },
    ];
    if (this.coldStart) {
      this.coldStart = false;
      out.ColdStart = 1;
      serviceMetrics.push({ Name: "ColdStart", Unit: "Count" });
    }
    for (const name of PENDING) {
      const n = this.pending.get(name);
      if (n === undefined) continue;
      out[name] = n;
      serviceMetrics.push({ Name: name, Unit: "Count" });
    }
    this.pending.clear();
    const directives: MetricDirective[] = [
      { Namespace: namespace, Dimensions: decisionSets, Metrics: [{ Name: "Decisions", Unit: "Count" }] },
      { Namespace: namespace, Dimensions: [["Service"]], Metrics: serviceMetrics },
    ];
    const work = this.workMetrics(record, out);
    if (work.length > 0) {
      directives.push({
        Namespace: namespace,
        Dimensions: target !== undefined ? [["Service"], ["Target"]] : [["Service"]],
        Metrics: work,
      });
    }
    return { ...out, _aws: { Timestamp: this.now(), CloudWatchMetrics: directives } };
  }

  /** On-behalf-of exchanges, assertion signings and listing entries removed, from the record's details. */
  private workMetrics(record: AuditRecord, out: Record<string, unknown>): MetricDefinition[] {
    const detail = record.detail;
    const defs: MetricDefinition[] = [];
    const put = (name: string, unit: Unit, value: number) => {
      out[name] = value;
      defs.push({ Name: name, Unit: unit });
    };
    if (record.mode === "obo") {
      put("ExchangeFailures", "Count", record.decision === "deny" && record.reason.startsWith("obo.") ? 1 : 0);
      if (detail?.oboCache !== undefined) {
        put("ExchangeCacheHits", "Count", detail.oboCache === "hit" ? 1 : 0);
        put("ExchangeCacheMisses", "Count", detail.oboCache === "miss" ? 1 : 0);
      }
      // The latency of an exchange made now (a cache hit made none).
      if (detail?.oboCache === "miss" && detail.oboLatencyMs !== undefined) put("ExchangeLatency", "Milliseconds", detail.oboLatencyMs);
    }
    if (record.mode === "assertion" && detail?.assertionCache !== undefined) {
      put("AssertionsSigned", "Count", detail.assertionCache === "miss" ? 1 : 0);
    }
    if (detail?.removed !== undefined) put("ListingEntriesRemoved", "Count", detail.removed);
    return defs;
  }
}
