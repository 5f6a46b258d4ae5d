import { Duration, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { DEFAULT_METRICS, FAILURE_REASONS } from "../src/metrics.js";

/**
 * What operators expect around the interceptor (docs/operations.md): alarms, a dashboard and saved
 * CloudWatch Logs Insights queries, built on the metrics every audit line carries (src/metrics.ts)
 * and on the audit lines themselves. Every metric named here uses bounded dimensions only (Decision,
 * Reason, Target, Mode, Method, Phase, Service), never a caller's identity. Tooling only.
 */
export interface InterceptorOperationsOptions {
  /** Create the alarms. Default true. */
  readonly alarms?: boolean;
  /** Create the dashboard. Default true. */
  readonly dashboard?: boolean;
  /** Create the saved Logs Insights queries. Default true. */
  readonly queries?: boolean;
  /** Alarms notify this topic (alarm and OK). Default: no action. */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The metrics namespace; the construct sets it on the function as `POWERTOOLS_METRICS_NAMESPACE`.
   * Default `AgentCoreIdentityInterceptor`.
   */
  readonly namespace?: string;
  /** Our own failures (the denial table's 5xx reasons) above this share of decisions over 5 minutes alarm. Default 0.05. */
  readonly failureRateThreshold?: number;
  /** Duration above this share of the function timeout (maximum over 5 minutes) alarms. Default 0.8. */
  readonly durationShareOfTimeout?: number;
  /** The dashboard's name. Default: `<stack>-identity-interceptor`. */
  readonly dashboardName?: string;
}

export interface InterceptorOperationsProps extends InterceptorOperationsOptions {
  readonly function: lambda.IFunction;
  readonly logGroup: logs.ILogGroup;
  /** The function's timeout, for the duration alarm. */
  readonly timeout: Duration;
}

/** Logs Insights queries over the audit lines (docs/operations.md#saved-queries); `SUBJECT` is replaced by the operator. */
export const QUERIES = {
  "denials-by-reason": [
    "fields @timestamp, reason",
    '| filter message = "audit" and decision = "deny"',
    "| stats count(*) as denials by reason",
    "| sort denials desc",
  ].join("\n"),
  "audit-trail-for-subject": [
    "fields @timestamp, iss, sub, client_id, actor, method, target, tool, prompt, decision, reason, requestId",
    '| filter message = "audit" and sub = "SUBJECT"',
    "| sort @timestamp desc",
    "| limit 1000",
  ].join("\n"),
  "callers-refused-most": [
    'filter message = "audit" and decision = "deny"',
    "| stats count(*) as refusals, count_distinct(reason) as reasons, latest(reason) as lastReason by iss, sub, client_id",
    "| sort refusals desc",
    "| limit 50",
  ].join("\n"),
  "slowest-exchanges": [
    "fields @timestamp, target, iss, sub, detail.oboLatencyMs as latencyMs, detail.oboCache as cache, decision, reason",
    '| filter message = "audit" and mode = "obo" and ispresent(detail.oboLatencyMs)',
    "| sort latencyMs desc",
    "| limit 50",
  ].join("\n"),
} as const;

const FIVE_MINUTES = Duration.minutes(5);

export class InterceptorOperations extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard | undefined;
  readonly queries: logs.CfnQueryDefinition[] = [];
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: InterceptorOperationsProps) {
    super(scope, id);
    const namespace = props.namespace ?? DEFAULT_METRICS.namespace;
    this.namespace = namespace;
    const service = { Service: DEFAULT_METRICS.service };
    const metric = (metricName: string, statistic: string, dimensionsMap: Record<string, string>, label?: string) =>
      new cloudwatch.Metric({ namespace, metricName, statistic, dimensionsMap, period: FIVE_MINUTES, ...(label ? { label } : {}) });
    const stackName = Stack.of(this).stackName;

    if (props.alarms !== false) {
      const add = (alarm: cloudwatch.Alarm) => {
        if (props.alarmTopic !== undefined) {
          alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
          alarm.addOkAction(new actions.SnsAction(props.alarmTopic));
        }
        this.alarms.push(alarm);
      };
      add(
        new cloudwatch.Alarm(this, "ConfigInvalid", {
          alarmDescription:
            "The interceptor's configuration is invalid: every request is denied 500 config.invalid. Its ERROR line names each bad field.",
          metric: metric("Decisions", "Sum", { Reason: "config.invalid" }).with({ period: Duration.minutes(1) }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new cloudwatch.Alarm(this, "FailureRate", {
          alarmDescription: `Our own failures (${FAILURE_REASONS.join(", ")}) above the threshold share of decisions: an IdP JWKS or token endpoint, Secrets Manager, or the interceptor itself.`,
          // Failures is 0 or 1 on every decision, so its average is the failure rate.
          metric: metric("Failures", "Average", service),
          threshold: props.failureRateThreshold ?? 0.05,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new cloudwatch.Alarm(this, "LambdaErrors", {
          alarmDescription:
            "The interceptor Lambda failed invocations (it answers every failure with a denial, so any error is a crash or a timeout).",
          metric: props.function.metricErrors({ period: FIVE_MINUTES, statistic: "Sum" }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new cloudwatch.Alarm(this, "LambdaThrottles", {
          alarmDescription: "The interceptor Lambda was throttled: the gateway could not run it for some requests.",
          metric: props.function.metricThrottles({ period: FIVE_MINUTES, statistic: "Sum" }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      const share = props.durationShareOfTimeout ?? 0.8;
      add(
        new cloudwatch.Alarm(this, "DurationNearTimeout", {
          alarmDescription: `The interceptor's duration reached ${Math.round(share * 100)}% of its timeout: a slow dependency is near a timeout.`,
          metric: props.function.metricDuration({ period: FIVE_MINUTES, statistic: "Maximum" }),
          threshold: props.timeout.toMilliseconds() * share,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    if (props.queries !== false) {
      for (const [name, queryString] of Object.entries(QUERIES)) {
        this.queries.push(
          new logs.CfnQueryDefinition(this, `Query-${name}`, {
            name: `${stackName}/identity-interceptor/${name}`,
            queryString,
            logGroupNames: [props.logGroup.logGroupName],
          }),
        );
      }
    }

    if (props.dashboard !== false) {
      // SEARCH expressions graph every value of a bounded dimension (reasons, targets) without listing them.
      const search = (dims: string, metricName: string, stat: string) =>
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${namespace},${dims}} MetricName="${metricName}"', '${stat}', 300)`,
          period: FIVE_MINUTES,
          usingMetrics: {},
        });
      this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
        dashboardName: props.dashboardName ?? `${stackName}-identity-interceptor`,
        widgets: [
          [
            new cloudwatch.GraphWidget({
              title: "Decisions by reason",
              left: [search("Reason", "Decisions", "Sum")],
              width: 12,
              stacked: true,
            }),
            new cloudwatch.LogQueryWidget({
              title: "Top denied reasons",
              logGroupNames: [props.logGroup.logGroupName],
              queryString: `${QUERIES["denials-by-reason"]}\n| limit 10`,
              view: cloudwatch.LogQueryVisualizationType.TABLE,
              width: 12,
            }),
          ],
          [
            new cloudwatch.GraphWidget({
              title: "Allows and denies per target",
              left: [search("Target,Decision", "Decisions", "Sum")],
              width: 12,
            }),
            new cloudwatch.GraphWidget({
              title: "Duration (ms)",
              left: ["p50", "p90", "p99", "Maximum"].map((s) => metric("Duration", s, service, s)),
              width: 12,
            }),
          ],
          [
            new cloudwatch.GraphWidget({
              title: "Cold starts and key-set fetches",
              left: [
                metric("ColdStart", "Sum", service, "cold starts"),
                metric("JwksFetches", "Sum", service, "JWKS fetches"),
                metric("JwksFetchFailures", "Sum", service, "JWKS fetch failures"),
                metric("JwksStaleServed", "Sum", service, "stale key sets served"),
              ],
              width: 8,
            }),
            new cloudwatch.GraphWidget({
              title: "On-behalf-of exchange latency (ms)",
              left: ["p50", "p99"].map((s) => metric("ExchangeLatency", s, service, s)),
              right: [
                metric("ExchangeCacheHits", "Sum", service, "cache hits"),
                metric("ExchangeCacheMisses", "Sum", service, "cache misses"),
                metric("ExchangeFailures", "Sum", service, "failures"),
              ],
              width: 8,
            }),
            new cloudwatch.GraphWidget({
              title: "Our own failures (share of decisions)",
              left: [metric("Failures", "Average", service, "failure rate")],
              right: [
                metric("AssertionsSigned", "Sum", service, "assertions signed"),
                metric("ListingEntriesRemoved", "Sum", service, "listing entries removed"),
              ],
              width: 8,
            }),
          ],
          ...(this.alarms.length > 0 ? [[new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24 })]] : []),
        ],
      });
    }
  }
}
