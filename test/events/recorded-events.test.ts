import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { InterceptorHandler } from "../../src/handler.js";
import { loadBundle } from "../support/dist.js";
import { emfDocuments, emfProblems, sumBy } from "../support/emf.js";
import { auditLinesSince, logMark, logRecordsSince } from "../support/log-capture.js";
import { RECORDED_REQUEST_ID, RecordedEvents, recordedCases as cases } from "../support/recorded-events.js";
import { testCa } from "../support/tls.js";

/**
 * Every recorded gateway event in events/ goes through the built bundle (dist/index.mjs) and must
 * give the recorded output beside it (the placeholders and the loopback IdP, token endpoint, Cognito
 * pool and Secrets Manager they need: test/support/recorded-events.ts). The same events are served from
 * the installed package's zip under the Lambda runtime client in test/package/installed-package.test.ts.
 */
const recorded = new RecordedEvents();
let handler: InterceptorHandler;

beforeAll(async () => {
  await recorded.start();
  const bundle = await loadBundle();
  const config = parseConfig(recorded.configText());
  expect(config).toMatchObject({ ok: true });
  handler = bundle.createHandler({ config, ca: testCa, secretsClientConfig: recorded.sm.clientConfig() });
});
afterAll(() => recorded.stop());

const json = (segment: string) => JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as Record<string, unknown>;

describe("recorded gateway events through dist/index.mjs", () => {
  it("covers the cases the issue names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  /** Each case's decision as its audit line records it, and the EMF documents written. */
  const decided: string[] = [];
  const reasons: string[] = [];
  const emf: Record<string, unknown>[] = [];

  it.each(cases)("%s gives its recorded output", async (name) => {
    const event = recorded.event(name);
    const mark = logMark();
    const output = await handler(event, { awsRequestId: RECORDED_REQUEST_ID, getRemainingTimeInMillis: () => 30_000 });
    expect(output).toEqual(recorded.expected(name, output, event));
    const audit = auditLinesSince(mark);
    expect(audit).toHaveLength(1);
    const docs = emfDocuments(logRecordsSince(mark));
    expect(docs).toHaveLength(1);
    for (const doc of docs) expect(emfProblems(doc), name).toEqual([]);
    emf.push(...docs);
    decided.push(String(audit[0]?.decision));
    reasons.push(String(audit[0]?.reason));
  });

  it("the metrics count exactly the decisions over the recorded events: by Decision, and by Reason as the audit lines give it", () => {
    expect(decided).toHaveLength(cases.length);
    const tally = (xs: string[]) => xs.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});
    expect(sumBy(emf, "Decisions", ["Decision"])).toEqual(tally(decided));
    expect(sumBy(emf, "Decisions", ["Reason"])).toEqual(tally(reasons));
    expect(Object.values(sumBy(emf, "Decisions", ["Phase", "Decision"])).reduce((a, b) => a + b, 0)).toBe(cases.length);
  });

  it("tools-call-obo-cognito exchanged dave's own pool token at the pool, with the interceptor's own token as actor", () => {
    const { pool, tokens, ISSUERS } = recorded;
    const exchanges = pool.requests.filter((r) => r.form.grant_type === "urn:ietf:params:oauth:grant-type:token-exchange");
    expect(
      exchanges.map((r) => ({
        subject: r.form.subject_token,
        audience: r.form.audience,
        scope: r.form.scope,
        actor: r.form.actor_token !== undefined,
        client: r.clientId,
      })),
    ).toEqual([
      { subject: tokens.get("dave"), audience: "ledger-api", scope: "ledger-api/read", actor: true, client: "billing-interceptor" },
    ]);
    expect(json(pool.exchanged[0]?.split(".")[1] ?? "")).toMatchObject({
      iss: ISSUERS.pool,
      sub: "d4e5-dave",
      aud: "ledger-api",
      token_use: "access",
      act: { sub: "billing-interceptor" },
    });
  });

  it("tools-call-obo exchanged alice's own verified token for an erp-api token at the token endpoint", () => {
    expect(recorded.sts.requests.map((r) => ({ subject: r.form.subject_token, audience: r.form.audience, client: r.clientId }))).toEqual([
      { subject: recorded.tokens.get("alice"), audience: "erp-api", client: "gateway-interceptor" },
    ]);
  });
});
