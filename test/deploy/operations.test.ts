import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as sns from "aws-cdk-lib/aws-sns";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { IdentityInterceptor } from "../../cdk/identity-interceptor.js";
import { type InterceptorOperationsOptions, QUERIES } from "../../cdk/operations.js";

/**
 * The construct's operations (cdk/operations.ts, docs/operations.md): alarms, a dashboard and saved
 * Logs Insights queries, synthesised offline; no metric they name has a dimension that carries a user.
 */
beforeAll(() => {
  vi.stubEnv("CDK_VALIDATION", "false");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const config = {
  issuers: [{ issuer: "https://login.acme.example", jwksUri: "https://login.acme.example/jwks.json", audience: ["mcp-gateway"] }],
  targets: { orders: { mode: "forward", audience: "orders-api" } },
};
const env = { account: "111122223333", region: "eu-west-1" };
/** The dimension names the interceptor's metrics may carry: bounded vocabularies only. */
const BOUNDED = new Set(["Decision", "Reason", "Target", "Mode", "Method", "Phase", "Service", "FunctionName", "Resource"]);
const IDENTITY_FIELDS = ["sub", "iss", "client_id", "email", "jti", "actor"];

/** A stack with the interceptor; `operations` as given, or (by default) all of them with a topic and a namespace. */
function synth(operations?: InterceptorOperationsOptions | false | "defaults") {
  const app = new App();
  const stack = new Stack(app, "Ops", { env });
  const topic = new sns.Topic(stack, "Pager");
  const interceptor = new IdentityInterceptor(stack, "Identity", {
    config,
    gatewayName: "gw",
    timeout: Duration.seconds(10),
    ...(operations === "defaults" ? {} : { operations: operations ?? { alarmTopic: topic, namespace: "Team/Identity" } }),
  });
  return { template: Template.fromStack(stack), stack, interceptor, topicId: stack.getLogicalId(topic.node.defaultChild as never) };
}

/** The dashboard's body as JSON (its CloudFormation references replaced by a placeholder). */
function dashboardBody(template: Template): { widgets: { type: string; properties: Record<string, unknown> }[] } {
  const [dash] = Object.values(template.findResources("AWS::CloudWatch::Dashboard")) as { Properties: { DashboardBody: unknown } }[];
  const body = dash?.Properties.DashboardBody;
  const parts = (body as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1];
  return JSON.parse(parts.map((p) => (typeof p === "string" ? p : "REF")).join(""));
}

/** Every dimension name of every metric the template's alarms and dashboard graph (SEARCH schemas included). */
function dimensionNames(template: Template): string[] {
  const names: string[] = [];
  for (const alarm of Object.values(template.findResources("AWS::CloudWatch::Alarm"))) {
    const props = (alarm as { Properties: { Dimensions?: { Name: string }[] } }).Properties;
    for (const d of props.Dimensions ?? []) names.push(d.Name);
  }
  for (const widget of dashboardBody(template).widgets) {
    for (const row of (widget.properties.metrics as unknown[][] | undefined) ?? []) {
      const plain = row.filter((x): x is string => typeof x === "string");
      // [namespace, metric name, dimension name, dimension value, ...]
      for (let i = 2; i < plain.length; i += 2) names.push(plain[i] ?? "");
      for (const x of row) {
        const expression = typeof x === "object" && x !== null && "expression" in x ? String(x.expression) : "";
        const schema = /SEARCH\('\{[^,]+,([^}]+)\}/.exec(expression);
        if (schema) names.push(...(schema[1] ?? "").split(","));
      }
    }
  }
  return names;
}

describe("the construct's operations", () => {
  let synthesised: ReturnType<typeof synth>;
  beforeAll(() => {
    synthesised = synth();
  });

  it("alarms on config.invalid, our own failure rate, Lambda errors, throttles and duration near the timeout, each notifying the topic", () => {
    const { template, topicId } = synthesised;
    const topic = { Ref: topicId };
    template.resourceCountIs("AWS::CloudWatch::Alarm", 5);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Team/Identity",
      MetricName: "Decisions",
      Dimensions: [{ Name: "Reason", Value: "config.invalid" }],
      Statistic: "Sum",
      Period: 60,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: [topic],
      OKActions: [topic],
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Team/Identity",
      MetricName: "Failures",
      Dimensions: [{ Name: "Service", Value: "agentcore-identity-interceptor" }],
      Statistic: "Average",
      Threshold: 0.05,
      AlarmDescription: Match.stringLikeRegexp("jwks.unavailable.*internal.error"),
      AlarmActions: [topic],
    });
    for (const name of ["Errors", "Throttles"])
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/Lambda",
        MetricName: name,
        Threshold: 1,
        AlarmActions: [topic],
      });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Duration",
      Statistic: "Maximum",
      Threshold: 8000,
      AlarmActions: [topic],
    });
  });

  it("sets the namespace on the function, so the metrics and the alarms agree", () => {
    synthesised.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_METRICS_NAMESPACE: "Team/Identity" }) },
    });
  });

  it("a dashboard: decisions by reason, top denied reasons, per-target allows and denies, duration percentiles, cold starts, exchange latency", () => {
    synthesised.template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    const widgets = dashboardBody(synthesised.template).widgets;
    const body = JSON.stringify(widgets);
    for (const title of [
      "Decisions by reason",
      "Top denied reasons",
      "Allows and denies per target",
      "Duration (ms)",
      "Cold starts and key-set fetches",
      "On-behalf-of exchange latency (ms)",
    ])
      expect(body).toContain(title);
    const expressions = widgets
      .flatMap((w) => ((w.properties.metrics as unknown[][] | undefined) ?? []).flat())
      .flatMap((x) => (typeof x === "object" && x !== null && "expression" in x ? [String(x.expression)] : []));
    expect(expressions).toEqual([
      `SEARCH('{Team/Identity,Reason} MetricName="Decisions"', 'Sum', 300)`,
      `SEARCH('{Team/Identity,Target,Decision} MetricName="Decisions"', 'Sum', 300)`,
    ]);
    const duration = widgets.find((w) => w.properties.title === "Duration (ms)");
    expect((duration?.properties.metrics as unknown[][]).map((m) => m.slice(0, 4).concat([(m[4] as { stat: string }).stat]))).toEqual(
      ["p50", "p90", "p99", "Maximum"].map((s) => ["Team/Identity", "Duration", "Service", "agentcore-identity-interceptor", s]),
    );
    expect(widgets.find((w) => w.properties.title === "Top denied reasons")?.properties.query).toMatch(/decision = "deny"/);
  });

  it("saved queries: denials by reason, one subject's audit trail, callers refused most, slowest exchanges, on the function's log group", () => {
    const { template, stack, interceptor } = synthesised;
    const logGroup = { Ref: stack.getLogicalId(interceptor.logGroup.node.defaultChild as never) };
    template.resourceCountIs("AWS::Logs::QueryDefinition", 4);
    for (const [name, query] of Object.entries(QUERIES)) {
      template.hasResourceProperties("AWS::Logs::QueryDefinition", {
        Name: `Ops/identity-interceptor/${name}`,
        QueryString: query,
        LogGroupNames: [logGroup],
      });
    }
    expect(QUERIES["denials-by-reason"]).toMatch(/decision = "deny"[\s\S]*stats count\(\*\) as denials by reason/);
    expect(QUERIES["audit-trail-for-subject"]).toMatch(/sub = "SUBJECT"/);
    expect(QUERIES["callers-refused-most"]).toMatch(/by iss, sub, client_id/);
    expect(QUERIES["slowest-exchanges"]).toMatch(/sort latencyMs desc/);
  });

  it("no alarm or dashboard metric has a dimension that carries a user", () => {
    const names = dimensionNames(synthesised.template);
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n) => !BOUNDED.has(n))).toEqual([]);
    for (const field of IDENTITY_FIELDS) expect(names).not.toContain(field);
  });

  it("each part can be turned off, and operations: false creates none", () => {
    const partial = synth({ alarms: false, dashboard: true, queries: false }).template;
    partial.resourceCountIs("AWS::CloudWatch::Alarm", 0);
    partial.resourceCountIs("AWS::Logs::QueryDefinition", 0);
    partial.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    const none = synth(false).template;
    for (const type of ["AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::QueryDefinition"])
      none.resourceCountIs(type, 0);
    const defaults = synth("defaults");
    defaults.template.resourceCountIs("AWS::CloudWatch::Alarm", 5);
    defaults.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AgentCoreIdentityInterceptor",
      MetricName: "Decisions",
    });
    expect(defaults.interceptor.operations?.alarms.every((a) => a.node.defaultChild !== undefined)).toBe(true);
  });
});
