import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headerNameProblem } from "../../src/config/header-rules.js";
import { REASONS } from "../../src/respond/reasons.js";
import { DENIALS } from "../../src/respond/denials.js";
import { ISSUER_A, ISSUER_B, type Json, keyA, keyB } from "../support/harness.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { StsServer } from "../support/sts-server.js";
import { Bed, claimsFor, decisionOf, keyOf, mcpEnvelope, median, mint, toolCall } from "./bed.js";

/**
 * Property-based search over the BUILT handler: fixed seeds, so every run tries the same
 * cases and a failure reproduces with its printed seed and path. Each property states an invariant
 * that must hold for every input, not an expected value for one.
 */
const SEED = 0x5eed_0009;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 600);
const bed = new Bed();
beforeAll(() => bed.start());
afterAll(() => {
  console.log(`property: ${summary.properties} properties held over ${summary.cases.toLocaleString("en")} generated cases (seed ${SEED})`);
  return bed.stop();
});
const summary = { properties: 0, cases: 0 };
const held = (cases: number) => {
  summary.properties++;
  summary.cases += cases;
};

/** Targets of the search config and the headers each may receive (name → claim, or the token). */
const TARGET_HEADERS: Record<string, Record<string, string>> = {
  orders: { "X-User-Sub": "sub", "X-User-Groups": "groups" },
  crm: { "x-user-email": "email", "x-org-id": "org.id", "x-tenant-no": "tenant_no" },
  payroll: { "X-Payroll-Sub": "sub" },
  hr: { "X-Hr-Email": "email" },
  legacy: { Authorization: "token" },
  passthru: { Authorization: "token" },
  reports: {},
};
const TARGETS = Object.keys(TARGET_HEADERS);
const setup = (c: Json) => {
  Object.assign(c.targets as Json, {
    payroll: { mode: "claims", headers: { "X-Payroll-Sub": "sub" }, issuers: [ISSUER_A], onDenied: "strip" },
    hr: { mode: "claims", headers: { "X-Hr-Email": "email" }, issuers: [ISSUER_B] },
  });
};
let handler: ReturnType<Bed["handler"]>;
beforeAll(() => {
  handler = bed.handler(setup);
});

/** The target a name or path NAMES, read the simplest way: the text before the first `___`. */
const namedBy = (name: unknown): string | undefined => {
  if (typeof name !== "string") return undefined;
  const at = name.indexOf("___");
  return at < 0 ? undefined : name.slice(0, at);
};
const pathTarget = (path: string) => path.split("?")[0]!.split("/")[1];

// ---------- arbitraries ----------

const anyChar = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const nameArb = fc.oneof(
  fc.constantFrom(...TARGETS, "unknown").map((t) => `${t}___get`),
  fc
    .tuple(
      fc.constantFrom(
        ...TARGETS,
        "Orders",
        "ORDERS",
        "orders-",
        "-orders",
        "or ders",
        "\u043erders",
        "orders\u200b",
        "",
        "x_amz",
        "payroll-x",
      ),
      fc.constantFrom("___", "____", "__", "___ ", "%5F%5F%5F", "_\u200b__", "\uff3f\uff3f\uff3f", "___orders___"),
      fc.string({ maxLength: 12 }),
    )
    .map(([a, b, c]) => a + b + c),
  fc.string({
    unit: fc.constantFrom("o", "r", "d", "e", "s", "_", "-", "l", "g", "a", "c", "y", "p", "h", "\u0000", "/", "."),
    maxLength: 30,
  }),
  fc.string({ unit: anyChar, maxLength: 40 }),
);

const tokenShape = fc.record({
  issuer: fc.constantFrom<"A" | "B">("A", "B"),
  legacyAud: fc.boolean(),
  scope: fc.constantFrom("mcp:invoke", "other", undefined),
});

/** Distinct, plain ASCII markers per case: each claim value can be searched for in the whole output. */
let caseNo = 0;
const markers = () => {
  const n = (caseNo++).toString(36);
  return { sub: `ZQs${n}Q`, email: `ZQe${n}Q@example.com`, groups: `ZQg${n}Q`, org: `ZQo${n}Q`, tenant: `ZQt${n}Q` };
};

const authVariant = fc.constantFrom("plain", "lower", "missing", "double", "query", "dpop");
const envelopeVariant = fc.constantFrom("mcp", "mcp", "mcp", "http");
const methodArb = fc.constantFrom("tools/call", "tools/call", "tools/call", "prompts/get", "tools/list", "ping");
const pathArb = fc.constantFrom("/mcp", "/mcp", "/mcp", "/mcp?x=1", "/other", "/MCP", "/mcp/", null);

function eventFor(o: { envelope: string; method: string; name: string; path: string | null; auth: string; token: string }): Json {
  const headers: Json = { "content-type": "application/json" };
  if (o.auth === "plain") headers.Authorization = `Bearer ${o.token}`;
  if (o.auth === "lower") headers.authorization = `bearer ${o.token}`;
  if (o.auth === "double") headers.Authorization = [`Bearer ${o.token}`, `Bearer ${o.token}`];
  if (o.auth === "dpop") headers.Authorization = `DPoP ${o.token}`;
  const path = o.auth === "query" ? `/mcp?access_token=${o.token}` : o.path;
  if (o.auth === "query") headers.Authorization = `Bearer ${o.token}`;
  const body =
    o.method === "tools/call"
      ? toolCall(o.name)
      : o.method === "prompts/get"
        ? { jsonrpc: "2.0", id: 1, method: o.method, params: { name: o.name } }
        : { jsonrpc: "2.0", id: 1, method: o.method, params: {} };
  if (o.envelope === "http") {
    return {
      interceptorInputVersion: "1.0",
      http: {
        gatewayRequest: {
          path: `/${o.name}/invocations`,
          httpMethod: "POST",
          headers,
          body: Buffer.from(JSON.stringify(body)).toString("base64"),
        },
      },
    };
  }
  return mcpEnvelope(headers, body, path);
}

// ---------- checks shared by the properties ----------

/** The reason code of a JSON-RPC error body the interceptor built, if `body` is one. */
function ownReason(body: unknown): keyof typeof DENIALS | undefined {
  if (typeof body !== "object" || body === null || !("error" in body)) return undefined;
  const error: unknown = body.error;
  if (typeof error !== "object" || error === null || !("data" in error)) return undefined;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null || !("reason" in data)) return undefined;
  const reason = data.reason;
  return typeof reason === "string" && Object.hasOwn(DENIALS, reason) ? (reason as keyof typeof DENIALS) : undefined;
}

const STATUSES = new Set(Object.values(DENIALS).map((d) => d.status));

/** Exactly one documented output shape (docs/agentcore-contract.md §2a/§2b). */
function expectDocumentedShape(output: Json, kind: "mcp" | "http"): void {
  expect(Object.keys(output).sort()).toEqual(["interceptorOutputVersion", kind].sort());
  expect(output.interceptorOutputVersion).toBe("1.0");
  const inner = output[kind] as Json;
  expect(Object.keys(inner)).toHaveLength(1);
  if ("transformedGatewayRequest" in inner) {
    const req = inner.transformedGatewayRequest as Json;
    expect(Object.keys(req)).toEqual(["headers", "body"]);
    return;
  }
  const res = inner.transformedGatewayResponse as Json;
  expect(res).toBeDefined();
  expect(STATUSES.has(res.statusCode as number)).toBe(true);
  const { reason, status } = decisionOf(output);
  expect(REASONS as readonly (string | undefined)[]).toContain(reason);
  expect(status).toBe(DENIALS[reason as keyof typeof DENIALS].status);
}

/** AgentCore accepts an interceptor-set header when its name is allowed and its value is one printable line. */
function expectLegalHeaders(headers: Record<string, string>): void {
  expect(Object.keys(headers).length).toBeLessThanOrEqual(10);
  for (const [name, value] of Object.entries(headers)) {
    if (name !== "Authorization") expect(headerNameProblem(name), name).toBeUndefined();
    expect(typeof value).toBe("string");
    // One printable line without surrounding blanks; empty is a legal field value (an empty list).
    expect(value, name).toMatch(/^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/);
  }
}

describe("property-based search over the built handler", () => {
  it("P1 any input: never throws, exactly one documented shape, exactly one audit record", async () => {
    const validToken = mint(claimsFor("A"));
    const headersArb = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.dictionary(
        fc.string({ maxLength: 20 }),
        fc.oneof(fc.string({ unit: anyChar, maxLength: 60 }), fc.array(fc.string(), { maxLength: 3 })),
        { maxKeys: 6 },
      ),
      fc.constantFrom({ Authorization: `Bearer ${validToken}` }, { authorization: `Bearer ${validToken}`, "mcp-session-id": "s" }),
    );
    const bodyArb = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record(
        {
          jsonrpc: fc.constantFrom("2.0", "1.0"),
          id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
          method: fc.oneof(methodArb, fc.string()),
          params: fc.oneof(fc.record({ name: nameArb }), fc.jsonValue({ maxDepth: 2 })),
        },
        { requiredKeys: [] },
      ),
    );
    const eventArb = fc.oneof(
      fc.anything({ maxDepth: 3 }),
      fc
        .record({
          headers: headersArb,
          body: bodyArb,
          path: pathArb,
          raw: fc.oneof(fc.constant("same"), fc.string({ maxLength: 40 }), fc.constant(null)),
        })
        .map(({ headers, body, path, raw }) => {
          const event = mcpEnvelope(headers, body, path);
          const mcp = event.mcp as Json;
          if (raw === null) delete mcp.rawGatewayRequest;
          else if (raw !== "same") mcp.rawGatewayRequest = { body: raw };
          return event;
        }),
      fc
        .record({
          headers: headersArb,
          body: fc.oneof(fc.base64String(), fc.string(), fc.constant(null)),
          path: fc.oneof(fc.string(), fc.constantFrom("/orders/invocations", "/legacy/invocations")),
        })
        .map(({ headers, body, path }) => ({
          interceptorInputVersion: "1.0",
          http: { gatewayRequest: { path, httpMethod: "POST", headers, body } },
        })),
    );
    await fc.assert(
      fc.asyncProperty(eventArb, async (event) => {
        const kind = typeof event === "object" && event !== null && !("mcp" in event) && "http" in event ? "http" : "mcp";
        const { output, audit } = await bed.call(handler, event);
        expectDocumentedShape(output, kind);
        expect(audit.decision).toBe(decisionOf(output).allow ? "allow" : "deny");
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    held(RUNS * 2);
  });

  it("P2 the caller's token and claim values reach only the target the request names, and only if the policy allows it", async () => {
    await fc.assert(
      fc.asyncProperty(
        tokenShape,
        nameArb,
        methodArb,
        pathArb,
        authVariant,
        envelopeVariant,
        async (shape, name, method, path, auth, envelope) => {
          const m = markers();
          const claims = claimsFor(shape.issuer, {
            sub: m.sub,
            email: m.email,
            groups: [m.groups],
            org: { id: m.org },
            tenant_no: m.tenant,
            ...(shape.legacyAud ? { aud: [shape.issuer === "A" ? "https://gateway.example/mcp" : "gateway-b", "legacy-resource"] } : {}),
            ...(shape.scope !== undefined ? { scope: shape.scope } : {}),
          });
          const token = mint(claims, {}, keyOf(shape.issuer));
          const event = eventFor({ envelope, method, name, path, auth, token });
          const { output, audit, records } = await bed.call(handler, event);
          const d = decisionOf(output);
          const named =
            envelope === "http"
              ? pathTarget(`/${name}/invocations`)
              : method === "tools/call" || method === "prompts/get"
                ? namedBy(name)
                : undefined;
          const allowedHeaders = named !== undefined && Object.hasOwn(TARGET_HEADERS, named) ? TARGET_HEADERS[named]! : {};

          // Headers only of the named target, routing only to the named target.
          for (const h of Object.keys(d.headers)) expect(Object.keys(allowedHeaders), `${h} for name ${JSON.stringify(name)}`).toContain(h);
          if (audit.target !== undefined) expect(audit.target).toBe(named);
          expectLegalHeaders(d.headers);

          // Search the whole output: a value appears only in a header of the named target mapped to it.
          const text = JSON.stringify(output);
          const mapped = new Set(Object.values(d.allow ? allowedHeaders : {}));
          const leaks: [string, string][] = [
            ["token", token],
            ["sub", m.sub],
            ["email", m.email],
            ["groups", m.groups],
            ["org.id", m.org],
            ["tenant_no", m.tenant],
          ];
          for (const [claim, value] of leaks) {
            if (JSON.stringify((event.mcp as Json | undefined)?.gatewayRequest ?? {}).includes(value) && claim !== "token") continue;
            if (text.includes(value)) expect(mapped.has(claim), `${claim} reached ${JSON.stringify(name)}`).toBe(true);
          }
          if (text.includes(token)) expect(Object.values(d.headers)).toContain(`Bearer ${token}`);
          // And never a token in the logs.
          expect(JSON.stringify(records)).not.toContain(token.split(".")[2]);
        },
      ),
      { seed: SEED + 1, numRuns: RUNS * 2 },
    );
    held(RUNS * 2);
  });

  it("P3 any claim value: every output header is legal for AgentCore (or the request is denied)", async () => {
    const claimValue = fc.oneof(
      fc.string({ unit: anyChar, maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.array(fc.string({ unit: anyChar, maxLength: 8 }), { maxLength: 4 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 2 }),
      fc.string({ minLength: 1000, maxLength: 1100 }),
    );
    await fc.assert(
      fc.asyncProperty(
        claimValue,
        claimValue,
        claimValue,
        fc.constantFrom("orders", "crm", "payroll"),
        async (sub, email, groups, target) => {
          const token = mint(claimsFor("A", { sub, email, groups, org: { id: email }, tenant_no: sub }));
          const { output } = await bed.call(handler, mcpEnvelope({ Authorization: `Bearer ${token}` }, toolCall(`${target}___x`)));
          expectDocumentedShape(output, "mcp");
          const d = decisionOf(output);
          expectLegalHeaders(d.headers);
          for (const h of Object.keys(d.headers)) expect(Object.keys(TARGET_HEADERS[target]!)).toContain(h);
        },
      ),
      { seed: SEED + 2, numRuns: RUNS },
    );
    held(RUNS);
  });

  it("P4 a mutated valid token is never accepted: flipped characters, re-encoded segments, swapped header fields", async () => {
    const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const original = mint(claimsFor("A"));
    const other = mint(claimsFor("A", { sub: "someone-else" }));
    const otherB = mint(claimsFor("B"), {}, keyB);
    expect(
      decisionOf((await bed.call(handler, mcpEnvelope({ Authorization: `Bearer ${original}` }, toolCall("orders___x")))).output).allow,
    ).toBe(true);
    const [h64, p64, s64] = original.split(".") as [string, string, string];
    const header = JSON.parse(Buffer.from(h64, "base64url").toString()) as Json;
    const payload = JSON.parse(Buffer.from(p64, "base64url").toString()) as Json;
    const enc = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

    const mutation = fc.oneof(
      fc.tuple(fc.nat(), fc.nat()).map(([i, c]) => {
        const at = i % original.length;
        if (original[at] === ".") return original;
        return original.slice(0, at) + ALPHABET[c % 64] + original.slice(at + 1);
      }),
      fc.nat().map((i) => {
        const at = i % original.length;
        const ch = original[at]!;
        const swapped = ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
        return original.slice(0, at) + swapped + original.slice(at + 1);
      }),
      fc
        .record({
          alg: fc.constantFrom("RS256", "RS384", "ES256", "HS256", "none", "PS256", "EdDSA"),
          kid: fc.constantFrom(keyA.kid, keyB.kid, "", "x"),
          typ: fc.constantFrom("at+jwt", "JWT", "jwt", undefined),
          extra: fc.dictionary(fc.constantFrom("jku", "x5u", "jwk", "cty", "zzz"), fc.string({ maxLength: 5 }), { maxKeys: 1 }),
          spaced: fc.boolean(),
        })
        .map(({ alg, kid, typ, extra, spaced }) => {
          const h = { ...header, alg, kid, ...(typ !== undefined ? { typ } : {}), ...extra };
          return `${enc(spaced ? JSON.stringify(h, null, 1) : h)}.${p64}.${s64}`;
        }),
      fc
        .record({
          field: fc.constantFrom("sub", "aud", "exp", "iss", "scope", "client_id", "extra"),
          value: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(ISSUER_B)),
          spaced: fc.boolean(),
        })
        .map(({ field, value, spaced }) => {
          const p = { ...payload, [field]: value };
          return `${h64}.${enc(spaced ? JSON.stringify(p, null, 1) : p)}.${s64}`;
        }),
      fc.constantFrom(
        `${h64}.${p64}.${other.split(".")[2]}`,
        `${otherB.split(".")[0]}.${p64}.${s64}`,
        `${h64}.${otherB.split(".")[1]}.${s64}`,
        `${h64}.${p64}.${s64}=`,
        `${h64}.${p64}.${s64}.`,
        `${h64}.${p64}.`,
        `${h64}..${s64}`,
        `${p64}.${h64}.${s64}`,
        `${h64}=.${p64}.${s64}`,
        `${h64}.${p64}.${s64}${s64.slice(-2)}`,
        `${h64}.${p64}.${Buffer.from(s64, "base64url").toString("base64")}`,
        `${h64}.${p64}.${s64.slice(0, -1)}`,
      ),
      fc.tuple(fc.nat(), fc.constantFrom("=", "+", "/", "%", "\u00a0", ".", "\t")).map(([i, c]) => {
        const at = i % original.length;
        return original.slice(0, at) + c + original.slice(at);
      }),
    );
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (mutated) => {
        if (mutated === original) return;
        tried++;
        const { output } = await bed.call(handler, mcpEnvelope({ Authorization: `Bearer ${mutated}` }, toolCall("orders___x")));
        const d = decisionOf(output);
        expect(d.allow, `mutated token accepted: ${mutated.slice(0, 40)}…`).toBe(false);
      }),
      { seed: SEED + 3, numRuns: RUNS * 2 },
    );
    expect(tried).toBeGreaterThan(RUNS);
    held(RUNS * 2);
  });

  it("P6 the caller's token reaches the token endpoint only for the obo target the request names, and only from that target's issuer", async () => {
    const sts = await new StsServer().start();
    const sm = await new SecretsManagerServer().start();
    const arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:property-AbCdEf";
    sm.put(arn, sts.clientSecret);
    try {
      const obo = bed.handler(
        (c) => {
          setup(c);
          (c.targets as Json).erp = {
            mode: "obo",
            issuers: [ISSUER_A],
            obo: {
              grant: "token-exchange",
              tokenEndpoint: sts.url,
              clientId: "gateway-interceptor",
              clientSecretArn: arn,
              audience: "erp-api",
              scope: "erp.read",
            },
          };
        },
        { secretsClientConfig: sm.clientConfig() },
      );
      let exchanges = 0;
      const outcomes: Record<string, number> = {};
      const names = fc.oneof(
        fc.constantFrom("erp___x", "erp___get"),
        nameArb,
        fc.constantFrom("erp___x", "erp____x", "Erp___x", "erp___", "erpx___y", "erp-___x", "orders___erp___x", "erp"),
      );
      await fc.assert(
        fc.asyncProperty(
          tokenShape,
          names,
          fc.constantFrom("tools/call", "tools/call", "prompts/get", "ping"),
          fc.constantFrom("plain", "plain", "lower", "missing", "double", "query"),
          async (shape, name, method, auth) => {
            const token = mint(claimsFor(shape.issuer, { sub: `p6-${caseNo++}` }), {}, keyOf(shape.issuer));
            sts.requests.length = 0;
            const { output } = await bed.call(obo, eventFor({ envelope: "mcp", method, name, path: "/mcp", auth, token }));
            const named = method === "tools/call" || method === "prompts/get" ? namedBy(name) : undefined;
            for (const r of sts.requests) {
              exchanges++;
              expect(named, `token posted for ${JSON.stringify(name)}`).toBe("erp");
              expect(shape.issuer, "another issuer's token posted to issuer A's endpoint").toBe("A");
              expect(r.form.subject_token).toBe(token);
            }
            const d = decisionOf(output);
            if (d.headers.Authorization !== undefined && named === "erp") expect(d.headers.Authorization).not.toContain(token);
            if (named === "erp") {
              const key = d.allow ? "allow" : (d.reason ?? "?");
              outcomes[key] = (outcomes[key] ?? 0) + 1;
            }
          },
        ),
        { seed: SEED + 5, numRuns: RUNS },
      );
      expect(exchanges, `outcomes of requests naming erp: ${JSON.stringify(outcomes)}`).toBeGreaterThan(RUNS / 50);
    } finally {
      await Promise.all([sts.stop(), sm.stop()]);
    }
    held(RUNS);
  });

  it('P7 any RESPONSE-phase event, in either responseOutput form: one of the decided reply forms, never {"mcp":{}}', async () => {
    const validToken = mint(claimsFor("A"));
    const forms = { "status-and-body": handler, "body-only": bed.handler((c) => (setup(c), (c.responseOutput = "body-only"))) };
    const entry = fc.oneof(
      nameArb.map((name) => ({ name })),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const responseBody = fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 3 }),
      fc.string({ maxLength: 40 }),
      fc
        .record({
          listKey: fc.constantFrom("tools", "prompts"),
          entries: fc.array(entry, { maxLength: 6 }),
          cursor: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
          asText: fc.boolean(),
        })
        .map(({ listKey, entries, cursor, asText }) => {
          const message = {
            jsonrpc: "2.0",
            id: 1,
            result: { [listKey]: entries, ...(cursor !== undefined ? { nextCursor: cursor } : {}) },
          };
          return asText ? JSON.stringify(message) : message;
        }),
    );
    const eventArb = fc
      .record({
        method: fc.oneof(
          fc.constantFrom("tools/list", "prompts/list", "tools/call", "initialize", "notifications/initialized", "ping"),
          fc.string(),
        ),
        search: fc.boolean(),
        auth: fc.constantFrom("valid", "none", "garbage"),
        status: fc.oneof(fc.constantFrom(200, 202, 401, 403, 500), fc.integer(), fc.constant("200"), fc.constant(undefined)),
        body: responseBody,
        streaming: fc.option(fc.boolean(), { nil: undefined }),
        form: fc.constantFrom<keyof typeof forms>("status-and-body", "body-only"),
      })
      .map(({ method, search, auth, status, body, streaming, form }) => {
        const headers: Json =
          auth === "valid" ? { Authorization: `Bearer ${validToken}` } : auth === "garbage" ? { Authorization: "Bearer x.y.z" } : {};
        const params = method === "tools/call" ? { name: search ? "x_amz_bedrock_agentcore_search" : "crm___get" } : {};
        const event = mcpEnvelope(headers, { jsonrpc: "2.0", id: 1, method, params });
        const response: Json = { headers: {} };
        if (status !== undefined) response.statusCode = status;
        if (body !== undefined) response.body = body;
        if (streaming !== undefined) response.isStreamingResponse = streaming;
        (event.mcp as Json).gatewayResponse = response;
        return { event, form, response };
      });
    await fc.assert(
      fc.asyncProperty(eventArb, async ({ event, form, response }) => {
        const { output } = await bed.call(forms[form], event);
        expect(output).not.toEqual({ interceptorOutputVersion: "1.0", mcp: {} });
        if (response.body === null || response.body === undefined) {
          expect(output).toEqual({ interceptorOutputVersion: "1.0" });
          return;
        }
        expect(Object.keys(output)).toEqual(["interceptorOutputVersion", "mcp"]);
        const mcp = output.mcp as Json;
        expect(Object.keys(mcp)).toEqual(["transformedGatewayResponse"]);
        const reply = mcp.transformedGatewayResponse as Json;
        const statusless = form === "body-only" || response.isStreamingResponse === true;
        expect(Object.keys(reply)).toEqual(statusless ? ["body"] : ["statusCode", "body"]);
        expect(reply.body).not.toBeUndefined();
        if (!statusless) {
          // The gateway's status, echoed (200 where it sent none that is an integer), or a refusal's own.
          const echoed = typeof response.statusCode === "number" && Number.isInteger(response.statusCode) ? response.statusCode : 200;
          const reason = ownReason(reply.body);
          expect(reply.statusCode).toBe(reason !== undefined && reply.statusCode !== echoed ? DENIALS[reason].status : echoed);
        }
      }),
      { seed: SEED + 7, numRuns: RUNS },
    );
    held(RUNS);
  });

  it("P5 no input makes one request cost more than a small multiple of a normal one", async () => {
    const FACTOR = 25;
    const cpuMs = async (event: unknown): Promise<number> => {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = process.cpuUsage();
        await handler(event, {});
        const used = process.cpuUsage(start);
        samples.push((used.user + used.system) / 1000);
      }
      bed.log.clear();
      return median(samples);
    };
    // A normal request: a fresh token each time (decoding and signature verification included).
    const fresh = Array.from({ length: 15 }, (_, i) => mint(claimsFor("A", { sub: `normal-${i}` })));
    const normal: number[] = [];
    for (const t of fresh) {
      const start = process.cpuUsage();
      await handler(mcpEnvelope({ Authorization: `Bearer ${t}` }, toolCall("orders___x")), {});
      const used = process.cpuUsage(start);
      normal.push((used.user + used.system) / 1000);
    }
    const baseline = Math.max(median(normal), 0.05);
    const cap = 16_384;
    const blanks = fc.constantFrom(" ", "\t", " \t", ",", ".", "=", "eyJ", "a");
    const hostile = fc.oneof(
      // Authorization values at the size cap built from repeated units around the scheme and token.
      fc
        .tuple(fc.constantFrom("", "Bearer", "Bearer ", "bearer x"), blanks, fc.constantFrom("", "x", "Bearer x", "."))
        .map(([pre, unit, post]) => {
          const fill = unit.repeat(Math.floor((cap - pre.length - post.length) / unit.length));
          return mcpEnvelope({ Authorization: pre + fill + post }, toolCall("orders___x"));
        }),
      // A token of the cap's size: many dots, long segments, deep JSON in the header.
      fc
        .constantFrom(
          `Bearer ${".".repeat(cap - 8)}`,
          `Bearer ${"A".repeat(cap - 8)}`,
          `Bearer ${Buffer.from("[".repeat(5_000)).toString("base64url")}.e30.sig`,
          `Bearer ${Buffer.from(`{"alg":"RS256","kid":"a1","x":"${"\\u0000".repeat(1_500)}"}`).toString("base64url")}.e30.c2ln`,
          `Bearer ${Buffer.from(`{${'"a":1,'.repeat(1_800)}"alg":"RS256"}`).toString("base64url")}.e30.c2ln`,
        )
        .map((auth) => mcpEnvelope({ Authorization: auth }, toolCall("orders___x"))),
      // Many headers, long names and bodies (16 KiB) of hostile JSON.
      fc.constantFrom(
        mcpEnvelope(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-h${i}`, "v".repeat(20)])), toolCall("orders___x")),
        mcpEnvelope({ Authorization: `Bearer ${fresh[0]}` }, toolCall(`orders___${"_".repeat(250)}`)),
        mcpEnvelope(
          { Authorization: `Bearer ${fresh[0]}` },
          { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "orders___x", arguments: { a: "x".repeat(16_000) } } },
        ),
        mcpEnvelope(
          { Authorization: `Bearer ${fresh[0]}` },
          {
            jsonrpc: "2.0",
            id: 1,
            method: "tools/call",
            params: { name: "orders___x", arguments: JSON.parse("[".repeat(500) + "]".repeat(500)) as unknown },
          },
        ),
      ),
    );
    const inputs = fc.sample(hostile, { seed: SEED + 4, numRuns: 40 });
    let worst = 0;
    for (const event of inputs) {
      const ms = await cpuMs(event);
      worst = Math.max(worst, ms / baseline);
      expect(ms, `an input cost ${ms.toFixed(3)} ms against ${baseline.toFixed(3)} ms normally`).toBeLessThan(baseline * FACTOR);
    }
    console.log(
      `property: P5 worst hostile request ${worst.toFixed(1)}x a normal one (bound ${FACTOR}x, normal ${baseline.toFixed(3)} ms CPU)`,
    );
    held(inputs.length);
  });
});
