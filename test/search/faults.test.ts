import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeClock } from "../support/clock.js";
import { jwksOf, rsaKey } from "../support/keys.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { StsServer } from "../support/sts-server.js";
import { untrustedCert, wrongHostCert } from "../support/tls.js";
import { ISSUER_A, type Json, keyA } from "../support/harness.js";
import { Bed, claimsFor, decisionOf, mcpEnvelope, mint, toolCall } from "./bed.js";
import { type Fault, FaultServer } from "./fault-server.js";

/**
 * Fault injection (issue #9) on the three dependencies, through the BUILT handler: the JWKS endpoint,
 * the token endpoint and Secrets Manager each sit behind a loopback front that passes requests to a
 * real test server or injects a fault. Every fault must give the documented outcome (docs/denials.md,
 * docs/on-behalf-of.md) within the request deadline, and the handler must recover once the fault ends.
 */
const bed = new Bed();
const sts = new StsServer();
const sm = new SecretsManagerServer();
const jwksFront = new FaultServer(() => bed.h.server.url("/"));
const stsFront = new FaultServer(() => sts.url);
const smFront = new FaultServer(() => sm.url);
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:faults-AbCdEf";
const { at } = fakeClock(1_950_000_000);
const survived = { jwks: 0, sts: 0, sm: 0 };

beforeAll(async () => {
  await Promise.all([bed.start(), sts.start(), sm.start()]);
  await Promise.all([jwksFront.start(), stsFront.start(), smFront.start()]);
  sm.put(SECRET_ARN, sts.clientSecret);
});
afterAll(async () => {
  const total = survived.jwks + survived.sts + survived.sm;
  console.log(
    `faults: ${total} faults survived (JWKS ${survived.jwks}, token endpoint ${survived.sts}, Secrets Manager ${survived.sm}): documented outcome within the deadline, then recovery`,
  );
  await Promise.all([jwksFront.stop(), stsFront.stop(), smFront.stop(), sts.stop(), sm.stop(), bed.stop()]);
});

const JWKS_TIMEOUT_MS = 150;
const OBO_TIMEOUT_MS = 250;
/** The Lambda says 2 s remain: the handler's deadline is 1.75 s. */
const REMAINING_MS = 2_000;
const context = { awsRequestId: "fault", getRemainingTimeInMillis: () => REMAINING_MS };

const config = (c: Json) => {
  (c.issuers as Json[])[0]!.jwksUri = jwksFront.url("/a/jwks");
  c.jwks = {
    timeoutMs: JWKS_TIMEOUT_MS,
    maxBytes: 16_384,
    maxAgeSeconds: 60,
    staleIfErrorSeconds: 3_600,
    negativeCacheSeconds: 10,
    refetchIntervalSeconds: 10,
  };
  (c.targets as Json).erp = {
    mode: "obo",
    issuers: [ISSUER_A],
    obo: {
      grant: "token-exchange",
      tokenEndpoint: stsFront.url("/oauth2/token"),
      clientId: "gateway-interceptor",
      clientSecretArn: SECRET_ARN,
      audience: "erp-api",
      scope: "erp.read",
      timeoutMs: OBO_TIMEOUT_MS,
    },
  };
};
const handler = () => bed.handler(config, { secretsClientConfig: { ...sm.clientConfig(), endpoint: smFront.url() } });

let userNo = 0;
/** A fresh user each time, so no cached verification or exchanged token hides a fault. */
const freshToken = () => mint(claimsFor("A", { sub: `fault-user-${userNo++}` }));

async function timed(h: ReturnType<typeof handler>, tool: string, token = freshToken()) {
  const started = performance.now();
  bed.log.clear();
  const output = (await h(mcpEnvelope({ Authorization: `Bearer ${token}` }, toolCall(tool)), context)) as Json;
  return { ...decisionOf(output), output, ms: performance.now() - started };
}

const expectOutcome = (got: Awaited<ReturnType<typeof timed>>, want: string, budgetMs: number) => {
  expect(got.allow ? "allow" : got.reason).toBe(want);
  expect(got.ms, `answered in ${got.ms.toFixed(0)} ms`).toBeLessThan(budgetMs);
};

const COMMON: [string, Fault][] = [
  ["hang", { kind: "hang" }],
  ["trickle one byte every 20 ms", { kind: "trickle", intervalMs: 20 }],
  ["500", { kind: "status", status: 500 }],
  ["503", { kind: "status", status: 503 }],
  ["302 redirect", { kind: "redirect" }],
  ["an untrusted TLS certificate", { kind: "tls", cert: untrustedCert }],
  ["a certificate for another host", { kind: "tls", cert: wrongHostCert }],
];

describe("faults on the JWKS endpoint", () => {
  const faults: [string, string, Fault][] = [
    ...COMMON.map(([n, f]): [string, string, Fault] => [n, "jwks.unavailable", f]),
    ["slower than the fetch budget", "jwks.unavailable", { kind: "slow", ms: JWKS_TIMEOUT_MS + 150 }],
    ["garbage as JSON", "jwks.unavailable", { kind: "garbage", contentType: "application/json" }],
    ["garbage as HTML", "jwks.unavailable", { kind: "garbage", contentType: "text/html" }],
    ["a 1 MiB body", "jwks.unavailable", { kind: "huge", bytes: 1_048_576, contentType: "application/json" }],
  ];

  it.each(faults)("%s: cold → DENY(%s) within the fetch budget; fault ends → ALLOW after the negative cache", async (_n, reason, fault) => {
    jwksFront.set(fault);
    const h = handler();
    expectOutcome(await timed(h, "orders___x"), reason, JWKS_TIMEOUT_MS + 1_000);
    // Inside the negative-cache window the fault costs nothing more: no second wait.
    const hits = jwksFront.hits;
    expectOutcome(await timed(h, "orders___x"), reason, 250);
    expect(jwksFront.hits).toBe(hits);
    jwksFront.set({ kind: "pass" });
    at(11);
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    survived.jwks++;
  });

  it.each(faults)("%s on a refresh: the cached key set is served (stale-if-error) within the budget", async (_n, _reason, fault) => {
    jwksFront.set({ kind: "pass" });
    const h = handler();
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    jwksFront.set(fault);
    at(61);
    expectOutcome(await timed(h, "orders___x"), "allow", JWKS_TIMEOUT_MS + 1_000);
    jwksFront.set({ kind: "pass" });
    at(72);
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    survived.jwks++;
  });

  it("a slow JWKS inside the budget → ALLOW", async () => {
    jwksFront.set({ kind: "slow", ms: 40 });
    expectOutcome(await timed(handler(), "orders___x"), "allow", JWKS_TIMEOUT_MS + 1_000);
    jwksFront.set({ kind: "pass" });
    survived.jwks++;
  });

  it("key rotation: a new kid is fetched at most once per refetch interval, then accepted", async () => {
    const k2 = rsaKey("a2");
    jwksFront.set({ kind: "pass" });
    const h = handler();
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    bed.h.server.set("/a/jwks", { kind: "ok", body: jwksOf(keyA, k2) });
    const rotated = () => mint(claimsFor("A", { sub: `rotated-${userNo++}` }), { kid: k2.kid }, k2);
    expectOutcome(await timed(h, "orders___x", rotated()), "jwks.rate_limited", 250);
    at(11);
    expectOutcome(await timed(h, "orders___x", rotated()), "allow", 2_000);
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    bed.h.resetKeys();
    survived.jwks++;
  });

  it("key removal: a removed key stops being trusted after the key set's max age; restored → ALLOW", async () => {
    const k2 = rsaKey("a3");
    jwksFront.set({ kind: "pass" });
    const h = handler();
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    bed.h.server.set("/a/jwks", { kind: "ok", body: jwksOf(k2) });
    at(30);
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    at(61);
    expectOutcome(await timed(h, "orders___x"), "token.kid_unknown", 2_000);
    bed.h.resetKeys();
    at(72);
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    survived.jwks++;
  });
});

describe("faults on the token endpoint (on-behalf-of)", () => {
  // The first exchange loads the on-behalf-of chunk and the AWS SDK (about a second, once per
  // container): done here, so each fault below is timed on its own.
  beforeAll(async () => {
    jwksFront.set({ kind: "pass" });
    expectOutcome(await timed(handler(), "erp___x"), "allow", REMAINING_MS);
  });

  const faults: [string, string, Fault][] = [
    ...COMMON.map(([n, f]): [string, string, Fault] => [n, f.kind === "redirect" ? "obo.invalid_response" : "obo.unavailable", f]),
    ["slower than the exchange budget", "obo.unavailable", { kind: "slow", ms: OBO_TIMEOUT_MS + 150 }],
    ["garbage as JSON", "obo.invalid_response", { kind: "garbage", contentType: "application/json" }],
    ["garbage as HTML", "obo.invalid_response", { kind: "garbage", contentType: "text/html" }],
    ["a 1 MiB body", "obo.invalid_response", { kind: "huge", bytes: 1_048_576, contentType: "application/json" }],
  ];

  it.each(faults)("%s → DENY(%s) within the exchange budget, never the caller's token; fault ends → ALLOW", async (_n, reason, fault) => {
    jwksFront.set({ kind: "pass" });
    const h = handler();
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000); // keys loaded: only the exchange is timed
    stsFront.set(fault);
    const token = freshToken();
    const got = await timed(h, "erp___x", token);
    expectOutcome(got, reason, OBO_TIMEOUT_MS + 1_000);
    // The whole interceptor output (the denial's body and any headers), not only a field of it.
    expect(JSON.stringify(got.output)).not.toContain(token);
    stsFront.set({ kind: "pass" });
    expectOutcome(await timed(h, "erp___x", token), "allow", 2_000);
    survived.sts++;
  });

  it("a slow token endpoint inside the budget → ALLOW", async () => {
    stsFront.set({ kind: "slow", ms: 40 });
    expectOutcome(await timed(handler(), "erp___x"), "allow", OBO_TIMEOUT_MS + 1_000);
    stsFront.set({ kind: "pass" });
    survived.sts++;
  });
});

describe("faults on Secrets Manager (the obo client secret)", () => {
  const faults: [string, string, Fault][] = [
    ...COMMON.map(([n, f]): [string, string, Fault] => [n, "obo.unavailable", f]),
    ["garbage as its JSON", "obo.unavailable", { kind: "garbage", contentType: "application/x-amz-json-1.1" }],
    ["a 1 MiB body of blanks", "obo.unavailable", { kind: "huge", bytes: 1_048_576, contentType: "application/x-amz-json-1.1" }],
  ];

  it.each(faults)("%s → DENY(%s) within the exchange budget; fault ends → ALLOW (failures are never cached)", async (_n, reason, fault) => {
    jwksFront.set({ kind: "pass" });
    stsFront.set({ kind: "pass" });
    smFront.set(fault);
    const h = handler();
    expectOutcome(await timed(h, "orders___x"), "allow", 2_000);
    // The secret read has the exchange's budget, well inside the request deadline.
    expectOutcome(await timed(h, "erp___x"), reason, OBO_TIMEOUT_MS + 1_000);
    smFront.set({ kind: "pass" });
    expectOutcome(await timed(h, "erp___x"), "allow", 2_000);
    survived.sm++;
  });
});
