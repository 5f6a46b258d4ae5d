import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createHandler } from "../../src/handler.js";
import { parseConfig } from "../../src/config/load.js";
import { loadConfig } from "../../src/config/startup.js";
import { type AuditRecord, createLogger, writeAudit } from "../../src/log.js";
import { DEFAULT_METRICS, FAILURE_REASONS, Metrics } from "../../src/metrics.js";
import { emfDocuments, emfProblems } from "../support/emf.js";
import { auditLinesSince, logMark, logRecordsSince } from "../support/log-capture.js";
import { Harness, ISSUER_A, lambdaContext, mcpEvent, tokenA } from "../support/harness.js";

/** Metrics (docs/operations.md#metrics): the audit line's EMF members, by the EMF specification. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
afterEach(() => {
  vi.unstubAllEnvs();
  h.resetKeys();
});

type Json = Record<string, unknown>;
/** The dimension keys a document may name: bounded vocabularies only, never a caller's identity. */
const BOUNDED = new Set(["Decision", "Reason", "Phase", "Method", "Target", "Mode", "Service"]);

async function invoke(handler: ReturnType<typeof createHandler>, event: unknown): Promise<Json[]> {
  const mark = logMark();
  await handler(event, lambdaContext());
  return logRecordsSince(mark);
}

function only(docs: Json[]): Json {
  const emf = emfDocuments(docs);
  expect(emf, "one EMF document per invocation").toHaveLength(1);
  const doc = emf[0] ?? {};
  expect(emfProblems(doc)).toEqual([]);
  return doc;
}

const dimensionKeys = (doc: Json): string[] =>
  ((doc._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics ?? []).flatMap((d) => d.Dimensions.flat());
const metricNames = (doc: Json): string[] =>
  (doc._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));

const auditOf = (lines: Json[]): Json | undefined => lines.find((l) => l.message === "audit");

describe("metrics (EMF), one document per invocation beside its audit line", () => {
  it("an allow: a valid EMF document counting one decision by Decision, Reason, Target, Mode, Method, Phase", async () => {
    const handler = h.handler();
    const lines = await invoke(handler, mcpEvent());
    const doc = only(lines);
    expect(doc).not.toHaveProperty("message");
    expect(doc).toMatchObject({
      Decision: "allow",
      Reason: "mode.claims",
      Target: "orders",
      Mode: "claims",
      Method: "tools/call",
      Phase: "request",
      Service: "agentcore-identity-interceptor",
      Decisions: 1,
      Failures: 0,
      ColdStart: 1,
      JwksFetches: 1,
    });
    expect(doc.Duration).toBe(auditOf(lines)?.durationMs);
    expect((doc._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics.map((d) => d.Namespace)).toEqual([
      "AgentCoreIdentityInterceptor",
      "AgentCoreIdentityInterceptor",
    ]);
    expect((doc._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions).toEqual([
      ["Decision"],
      ["Reason"],
      ["Phase", "Decision"],
      ["Method", "Decision"],
      ["Target", "Decision"],
      ["Mode", "Decision"],
    ]);
    // A cold start and the first key-set fetch are counted once, on the environment's first line.
    const second = only(await invoke(handler, mcpEvent()));
    expect(metricNames(second)).not.toContain("ColdStart");
    expect(metricNames(second)).not.toContain("JwksFetches");
    expect(second).not.toHaveProperty("ColdStart");
  });

  it("a target the config does not list is one bucket, `unlisted`; a method outside MCP's list is `other`: nobody mints a metric", async () => {
    const handler = h.handler();
    const unlisted = await invoke(handler, mcpEvent({ name: "x9z-anything___get" }));
    expect(auditOf(unlisted)).toMatchObject({ target: "x9z-anything" });
    expect(only(unlisted)).toMatchObject({ Target: "unlisted", Reason: "unlisted-target", Decision: "allow" });
    const odd = await invoke(handler, mcpEvent({ method: "made/up-by-client" }));
    expect(auditOf(odd)).toMatchObject({ method: "made/up-by-client" });
    expect(only(odd)).toMatchObject({ Method: "other" });
    expect(JSON.stringify(only(odd))).not.toContain("made/up");
  });

  it("no dimension carries a user: only the bounded keys, and no dimension value equals the subject, issuer, client or token id", async () => {
    const handler = h.handler();
    const token = tokenA({ sub: "alice-sub", client_id: "app-a", jti: "jti-unique-7" });
    const docs = [
      only(await invoke(handler, mcpEvent({ token }))),
      only(await invoke(handler, mcpEvent({ token, name: "legacy___x" }))),
      only(await invoke(handler, mcpEvent({ token: "not.a.token" }))),
    ];
    for (const doc of docs) {
      const keys = dimensionKeys(doc);
      expect(keys.filter((k) => !BOUNDED.has(k))).toEqual([]);
      const values = keys.map((k) => doc[k]);
      for (const who of ["alice-sub", ISSUER_A, "app-a", "jti-unique-7"]) expect(values).not.toContain(who);
    }
    expect(docs.map((d) => [d.Decision, d.Reason])).toEqual([
      ["allow", "mode.claims"],
      ["deny", "forward.audience_not_bound"],
      ["deny", "token.malformed"],
    ]);
  });

  it("our own failures count 1 in Failures (a JWKS outage: jwks.unavailable, the failed fetch counted); a caller's denial 0", async () => {
    h.server.set("/a/jwks", { kind: "status", status: 500 });
    const handler = h.handler();
    const outage = only(await invoke(handler, mcpEvent()));
    expect(outage).toMatchObject({ Decision: "deny", Reason: "jwks.unavailable", Failures: 1, JwksFetchFailures: 1 });
    expect(FAILURE_REASONS).toContain("jwks.unavailable");
    expect(FAILURE_REASONS).toContain("config.invalid");
    expect(FAILURE_REASONS).not.toContain("token.expired");
    const forged = only(await invoke(h.handler(), mcpEvent({ token: "a.b.c" })));
    expect(forged).toMatchObject({ Decision: "deny", Failures: 0 });
  });

  it("an invalid configuration still counts every request: config.invalid, no Target bucket named from the request but `unlisted`", async () => {
    const handler = createHandler({ config: parseConfig({ issuers: [] }) });
    const doc = only(await invoke(handler, mcpEvent()));
    expect(doc).toMatchObject({ Decision: "deny", Reason: "config.invalid", Failures: 1 });
  });

  it("POWERTOOLS_METRICS_DISABLED=true: no EMF member in any line", async () => {
    const handler = h.handler(undefined, { metrics: { ...DEFAULT_METRICS, enabled: false } });
    const lines = await invoke(handler, mcpEvent());
    expect(auditLinesSince(0).length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.message === "audit")).toHaveLength(1);
    expect(emfDocuments(lines)).toEqual([]);
  });

  it("POWERTOOLS_LOG_LEVEL=WARN: allows write no audit line, yet each is counted; denials keep their audit line", async () => {
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "WARN");
    const handler = h.handler();
    vi.unstubAllEnvs();
    const allow = await invoke(handler, mcpEvent());
    expect(allow.filter((l) => l.message === "audit")).toEqual([]);
    const doc = only(allow);
    // Only bounded dimension values and numbers: no identity, no audit field.
    expect(Object.keys(doc).sort()).toEqual(
      [
        "ColdStart",
        "Decision",
        "Decisions",
        "Duration",
        "Failures",
        "JwksFetches",
        "Method",
        "Mode",
        "Phase",
        "Reason",
        "Service",
        "Target",
        "_aws",
      ].sort(),
    );
    expect(doc).toMatchObject({ Decision: "allow", Reason: "mode.claims", Decisions: 1 });
    const deny = await invoke(handler, mcpEvent({ token: "a.b.c" }));
    expect(auditOf(deny)).toMatchObject({ level: "WARN", decision: "deny", reason: "token.malformed" });
    expect(only(deny)).toMatchObject({ Decision: "deny", Reason: "token.malformed" });
  });

  it("POWERTOOLS_METRICS_NAMESPACE names the namespace; the settings come from the loader, with the config", async () => {
    const env = { INTERCEPTOR_CONFIG: JSON.stringify(h.config()) };
    const besides = new URL("file:///nowhere/");
    expect((await loadConfig(env, besides)).metrics).toEqual(DEFAULT_METRICS);
    expect(
      (await loadConfig({ ...env, POWERTOOLS_METRICS_NAMESPACE: "Team/Identity", POWERTOOLS_SERVICE_NAME: "idp-gw" }, besides)).metrics,
    ).toEqual({
      enabled: true,
      namespace: "Team/Identity",
      service: "idp-gw",
    });
    expect((await loadConfig({ ...env, POWERTOOLS_METRICS_DISABLED: "true" }, besides)).metrics?.enabled).toBe(false);
    const bad = await loadConfig({ ...env, POWERTOOLS_METRICS_NAMESPACE: "AWS/Lambda" }, besides);
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.problems).toEqual([expect.stringMatching(/^POWERTOOLS_METRICS_NAMESPACE: /)]);
    // Even then, its config.invalid denials are counted under the default namespace.
    expect(bad.metrics).toEqual(DEFAULT_METRICS);
  });

  it("on-behalf-of, assertion and listing details become exchange, signing and removal metrics, per target", () => {
    const metrics = new Metrics(DEFAULT_METRICS, new Set(["erp", "wiki"]), () => 1_700_000_000_000);
    const members = (record: AuditRecord) => {
      const m = metrics.members(record);
      expect(m && emfProblems(m)).toEqual([]);
      return m;
    };
    const base = { decision: "allow" as const, durationMs: 3, method: "tools/call" };
    expect(
      members({ ...base, reason: "mode.obo", target: "erp", mode: "obo", detail: { oboCache: "miss", oboLatencyMs: 42 } }),
    ).toMatchObject({
      ExchangeFailures: 0,
      ExchangeCacheHits: 0,
      ExchangeCacheMisses: 1,
      ExchangeLatency: 42,
      Target: "erp",
      _aws: { Timestamp: 1_700_000_000_000 },
    });
    const hit = members({ ...base, reason: "mode.obo", target: "erp", mode: "obo", detail: { oboCache: "hit", oboLatencyMs: 0.1 } });
    expect(hit).toMatchObject({ ExchangeCacheHits: 1, ExchangeCacheMisses: 0 });
    expect(hit).not.toHaveProperty("ExchangeLatency");
    expect(members({ ...base, decision: "deny", reason: "obo.unavailable", target: "erp", mode: "obo" })).toMatchObject({
      ExchangeFailures: 1,
      Failures: 1,
    });
    expect(
      members({ ...base, reason: "mode.assertion", target: "wiki", mode: "assertion", detail: { assertionCache: "miss" } }),
    ).toMatchObject({
      AssertionsSigned: 1,
    });
    expect(
      members({ ...base, method: "tools/list", reason: "listing.filtered", mode: "none", detail: { phase: "response", removed: 3 } }),
    ).toMatchObject({ ListingEntriesRemoved: 3, Phase: "response", Method: "tools/list" });
    metrics.count("JwksStaleServed");
    metrics.count("JwksStaleServed");
    expect(members({ ...base, reason: "no-target", mode: "none" })).toMatchObject({ JwksStaleServed: 2 });
    expect(members({ ...base, reason: "no-target", mode: "none" })).not.toHaveProperty("JwksStaleServed");
  });

  it("writeAudit with a logger at ERROR: a WARN denial is still counted, by one metrics-only line", () => {
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "ERROR");
    const logger = createLogger();
    vi.unstubAllEnvs();
    const written: string[] = [];
    const metrics = new Metrics(DEFAULT_METRICS, new Set());
    const mark = logMark();
    writeAudit(logger, { decision: "deny", reason: "token.expired", durationMs: 1, sub: "alice" }, metrics, (l) => written.push(l));
    expect(logRecordsSince(mark)).toEqual([]);
    expect(written).toHaveLength(1);
    const doc = JSON.parse(written[0] ?? "{}") as Json;
    expect(emfProblems(doc)).toEqual([]);
    expect(doc).toMatchObject({ Decision: "deny", Reason: "token.expired", Decisions: 1 });
    expect(written[0]).not.toContain("alice");
  });
});
