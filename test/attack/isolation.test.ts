import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ecKey, jwksOf } from "../support/keys.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { StsServer } from "../support/sts-server.js";
import { GATEWAY_AUD, ISSUER_A, ISSUER_B, type Json, keyA, keyB } from "../support/harness.js";
import type { TestKey } from "../support/keys.js";
import { Bed, decisionOf, mint } from "./bed.js";

/**
 * Isolation and load: many interleaved users of three issuers on nine targets, in ONE warm
 * handler of the built bundle, sequentially and concurrently. Every answer is compared with an
 * independent model of the policy (below, not the code under test): not one wrong decision, no
 * identity, exchanged token or audit field of one request in another, and memory within the caches'
 * bounds. CI runs ISOLATION_REQUESTS (default 10 000); SOAK=1 runs the full 100 000.
 */
const REQUESTS = process.env.SOAK === "1" ? 100_000 : Number(process.env.ISOLATION_REQUESTS ?? 10_000);
const SEED = 0x15_0_1a7e;
const ISSUER_C = "https://idp-c.example";
const keyC = ecKey("c1");
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:isolation-AbCdEf";
const OBO_CACHE_ENTRIES = 16;

const bed = new Bed();
const sts = new StsServer();
const sm = new SecretsManagerServer();
beforeAll(async () => {
  await Promise.all([bed.start(), sts.start(), sm.start()]);
  bed.h.server.set("/c/jwks", { kind: "ok", body: jwksOf(keyC) });
  sm.put(SECRET_ARN, sts.clientSecret);
});
afterAll(() => Promise.all([bed.stop(), sts.stop(), sm.stop()]));

const config = (c: Json) => {
  (c.issuers as Json[]).push({ issuer: ISSUER_C, jwksUri: bed.h.server.url("/c/jwks"), audience: ["gateway-c"], algorithms: ["ES256"] });
  c.oboCache = { maxEntries: OBO_CACHE_ENTRIES };
  Object.assign(c.targets as Json, {
    payroll: { mode: "claims", headers: { "X-Payroll-Sub": "sub" }, issuers: [ISSUER_A], onDenied: "strip" },
    hr: { mode: "claims", headers: { "X-Hr-Email": "email" }, issuers: [ISSUER_B] },
    erp: {
      mode: "obo",
      issuers: [ISSUER_A],
      obo: {
        grant: "token-exchange",
        tokenEndpoint: sts.url,
        clientId: "gateway-interceptor",
        clientSecretArn: SECRET_ARN,
        audience: "erp-api",
        scope: "erp.read",
      },
    },
  });
};

// ---------- users and the independent model ----------

type Flaw = "none" | "expired" | "audience" | "scope" | "bound";
interface User {
  no: number;
  iss: string;
  sub: string;
  email: string;
  groups: string[];
  org: string;
  tenant: number;
  legacyAud: boolean;
  flaw: Flaw;
  token: string;
}

const ISSUERS: [string, TestKey, string, string][] = [
  [ISSUER_A, keyA, "RS256", GATEWAY_AUD],
  [ISSUER_B, keyB, "RS256", "gateway-b"],
  [ISSUER_C, keyC, "ES256", "gateway-c"],
];

function makeUser(no: number, issuerIndex: number, flaw: Flaw, legacyAud: boolean): User {
  const [iss, key, alg, aud] = ISSUERS[issuerIndex]!;
  const now = Math.floor(Date.now() / 1000);
  const u = {
    no,
    iss,
    sub: `user-${no}`,
    email: `user-${no}@org${no % 7}.example`,
    groups: [`g-${no}`, `team-${no % 5}`],
    org: `org-${no % 7}`,
    tenant: 1_000 + no,
    legacyAud,
    flaw,
  };
  const claims: Json = {
    iss,
    sub: u.sub,
    aud: legacyAud ? [aud, "legacy-resource"] : aud,
    client_id: issuerIndex === 0 ? "app-a" : `client-${issuerIndex}`,
    scope: "mcp:invoke",
    iat: now - 5,
    exp: now + 3_600,
    jti: `jti-${no}`,
    email: u.email,
    groups: u.groups,
    org: { id: u.org },
    tenant_no: u.tenant,
  };
  if (flaw === "expired") claims.exp = now - 3_600;
  if (flaw === "audience") claims.aud = "someone-else";
  if (flaw === "scope") claims.scope = "other";
  if (flaw === "bound") claims.cnf = { jkt: `thumb-${no}` };
  return { ...u, token: mint(claims, { alg, kid: key.kid }, key) };
}

const TOOLS = ["orders", "crm", "legacy", "passthru", "reports", "payroll", "hr", "erp", "nothere"] as const;
type Expected = { allow: true; headers: Record<string, string> | "exchanged" } | { allow: false; reason: string };

/** What the docs (docs/configuration.md) say must happen, written from the configuration above. */
function expected(u: User, tool: string): Expected {
  if (u.flaw === "expired") return { allow: false, reason: "token.expired" };
  if (u.flaw === "audience") return { allow: false, reason: "token.audience_mismatch" };
  if (u.flaw === "scope" && u.iss === ISSUER_A) return { allow: false, reason: "scope.insufficient" };
  if (u.flaw === "bound") return { allow: false, reason: "token.sender_constrained" };
  const sub = `${u.iss}|${u.sub}`;
  switch (tool) {
    case "orders":
      // Two issuers reach orders, so every header is issuer-bound ("qualify").
      return { allow: true, headers: { "X-User-Sub": sub, "X-User-Groups": u.groups.map((g) => `${u.iss}|${g}`).join(",") } };
    case "crm":
      // crm accepts issuer A only, so its headers need no qualifier.
      if (u.iss !== ISSUER_A) return { allow: false, reason: "policy.target_denied" };
      return { allow: true, headers: { "x-user-email": u.email, "x-org-id": u.org, "x-tenant-no": String(u.tenant) } };
    case "legacy":
      return u.legacyAud
        ? { allow: true, headers: { Authorization: `Bearer ${u.token}` } }
        : { allow: false, reason: "forward.audience_not_bound" };
    case "passthru":
      return { allow: true, headers: { Authorization: `Bearer ${u.token}` } };
    case "payroll":
      return { allow: true, headers: u.iss === ISSUER_A ? { "X-Payroll-Sub": u.sub } : {} };
    case "hr":
      return u.iss === ISSUER_B ? { allow: true, headers: { "X-Hr-Email": u.email } } : { allow: false, reason: "policy.target_denied" };
    case "erp":
      return u.iss === ISSUER_A ? { allow: true, headers: "exchanged" } : { allow: false, reason: "policy.target_denied" };
    default:
      return { allow: true, headers: {} };
  }
}

const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Json;

interface Tally {
  requests: number;
  wrong: number;
  leaks: number;
  allows: number;
  denies: number;
  failures: string[];
}

async function one(
  handler: ReturnType<Bed["handler"]>,
  u: User,
  tool: string,
  n: number,
  tally: Tally,
  outputs: Map<string, Json>,
): Promise<void> {
  const requestId = `r-${n}`;
  const body = { jsonrpc: "2.0", id: n, method: "tools/call", params: { name: `${tool}___run`, arguments: { n } } };
  const event = {
    interceptorInputVersion: "1.0",
    mcp: {
      rawGatewayRequest: { body: JSON.stringify(body) },
      gatewayRequest: { path: "/mcp", httpMethod: "POST", headers: { authorization: `Bearer ${u.token}` }, body },
    },
  };
  const output = (await handler(event, { awsRequestId: requestId, getRemainingTimeInMillis: () => 30_000 })) as Json;
  outputs.set(requestId, output);
  tally.requests++;
  const got = decisionOf(output);
  const want = expected(u, tool);
  const wrong = (why: string) => {
    tally.wrong++;
    if (tally.failures.length < 10) tally.failures.push(`request ${n} user ${u.no} (${u.iss}, ${u.flaw}) ${tool}: ${why}`);
  };
  if (got.allow) tally.allows++;
  else tally.denies++;
  if (!want.allow) {
    if (got.allow || got.reason !== want.reason) wrong(`expected deny ${want.reason}, got ${got.allow ? "allow" : got.reason}`);
  } else if (!got.allow) {
    wrong(`expected allow, got ${got.reason}`);
  } else if (want.headers === "exchanged") {
    const auth = got.headers.Authorization ?? "";
    const claims = payloadOf(auth.slice(7));
    if (Object.keys(got.headers).join() !== "Authorization" || claims.sub !== u.sub || claims.aud !== "erp-api" || auth.includes(u.token)) {
      tally.leaks++;
      wrong(`exchanged token for ${String(claims.sub)} / ${String(claims.aud)}`);
    }
  } else if (JSON.stringify(got.headers) !== JSON.stringify(want.headers)) {
    wrong(`headers ${JSON.stringify(got.headers)} != ${JSON.stringify(want.headers)}`);
  }
  // The echoed body is this request's own.
  const inner = (output.mcp as Json).transformedGatewayRequest as Json | undefined;
  if (inner !== undefined && JSON.stringify(inner.body) !== JSON.stringify(body)) wrong("another request's body");
}

/** The audit records of a run, matched to their requests by awsRequestId: every field is this request's. */
function checkAudits(users: Map<string, { u: User; tool: string; n: number }>, tally: Tally): void {
  const audits = bed.log.audits();
  expect(audits).toHaveLength(users.size);
  for (const a of audits) {
    const req = users.get(String(a.requestId));
    if (req === undefined) {
      tally.leaks++;
      continue;
    }
    const { u, tool, n } = req;
    const line = JSON.stringify(a);
    const mismatch =
      a.jsonrpcId !== n ||
      a.target !== tool ||
      (a.iss !== undefined && a.iss !== u.iss) ||
      (a.sub !== undefined && a.sub !== u.sub) ||
      line.includes("eyJ") ||
      // Another user's subject appears nowhere in this line.
      /user-\d+/.exec(line.replaceAll(`user-${u.no}@`, "").replaceAll(`user-${u.no}"`, ""))?.[0] !== undefined;
    if (mismatch) {
      tally.leaks++;
      if (tally.failures.length < 10) tally.failures.push(`audit of r-${n} does not belong to it: ${line.slice(0, 300)}`);
    }
  }
}

function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe("isolation and load in one warm container", () => {
  it(
    `${REQUESTS.toLocaleString("en")} interleaved requests, sequential then concurrent: no wrong decision, no leak, bounded memory`,
    { timeout: 600_000 },
    async () => {
      // 40 users each of A and B (RSA, slow to sign), 3 000 of C (ES256): more distinct tokens than the
      // verified-token cache holds (2 048), more A users than the obo cache holds.
      const flaws = fc.sample(
        fc.constantFrom<Flaw>("none", "none", "none", "none", "none", "none", "none", "none", "expired", "audience", "scope", "bound"),
        { seed: SEED, numRuns: 3_080 },
      );
      const users = flaws.map((flaw, no) => makeUser(no, no < 40 ? 0 : no < 80 ? 1 : 2, flaw, no % 3 === 0));
      const picks = fc.sample(fc.tuple(fc.nat({ max: users.length - 1 }), fc.nat({ max: 79 }), fc.constantFrom(...TOOLS), fc.boolean()), {
        seed: SEED + 1,
        numRuns: REQUESTS,
      });
      const handler = bed.handler(config, { secretsClientConfig: sm.clientConfig() });
      const tally: Tally = { requests: 0, wrong: 0, leaks: 0, allows: 0, denies: 0, failures: [] };
      const started = performance.now();
      const half = Math.floor(REQUESTS / 2);
      let heapWarm = 0;
      let exchanges = 0;
      const batch = REQUESTS >= 50_000 ? 10_000 : 2_000;

      for (let from = 0; from < REQUESTS; from += batch) {
        const slice = picks.slice(from, from + batch);
        const byRequest = new Map<string, { u: User; tool: string; n: number }>();
        const outputs = new Map<string, Json>();
        bed.log.clear();
        const run = slice.map(([userIdx, abUser, tool, favourAB], i) => {
          // Half the traffic from the 80 A/B users, so their caches are hit and evicted often.
          const u = favourAB ? users[abUser]! : users[userIdx]!;
          const n = from + i;
          byRequest.set(`r-${n}`, { u, tool, n });
          return { u, tool, n };
        });
        if (from < half) {
          for (const r of run) await one(handler, r.u, r.tool, r.n, tally, outputs);
        } else {
          for (let i = 0; i < run.length; i += 64) {
            await Promise.all(run.slice(i, i + 64).map((r) => one(handler, r.u, r.tool, r.n, tally, outputs)));
          }
        }
        checkAudits(byRequest, tally);
        exchanges += sts.requests.length;
        sts.requests.length = 0; // the test server's own record, not the handler's memory
        if (from === 0) heapWarm = heapAfterGc();
      }
      const heapGrowthMb = (heapAfterGc() - heapWarm) / 1_048_576;
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `isolation: ${tally.requests.toLocaleString("en")} requests (${half.toLocaleString("en")} sequential, ${(REQUESTS - half).toLocaleString("en")} concurrent by 64), ` +
          `${users.length.toLocaleString("en")} users of 3 issuers on ${TOOLS.length} targets: ${tally.wrong} wrong decisions, ${tally.leaks} leaks ` +
          `(${tally.allows.toLocaleString("en")} allow, ${tally.denies.toLocaleString("en")} deny, ${exchanges.toLocaleString("en")} exchanges); ` +
          `heap +${heapGrowthMb.toFixed(1)} MB after warm-up; ${seconds.toFixed(1)} s`,
      );
      expect(tally.failures).toEqual([]);
      expect(tally.wrong).toBe(0);
      expect(tally.leaks).toBe(0);
      expect(tally.requests).toBe(REQUESTS);
      // Caches are bounded (verified tokens 2 048, obo tokens 16 here, one JWKS per issuer): after the
      // first batch filled them, the heap may not keep growing with the request count.
      expect(heapGrowthMb).toBeLessThan(40);
    },
  );
});
