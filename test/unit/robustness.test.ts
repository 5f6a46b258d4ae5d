import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { loadConfig } from "../../src/config/startup.js";
import { createHandler } from "../../src/handler.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import {
  baseClaims,
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  type Json,
  lambdaContext,
  mcpEvent,
  mcpOf,
  qualified,
  rawToken,
  run,
  tokenA,
  withAuth,
  keyA,
} from "../support/harness.js";
import { testCa } from "../support/tls.js";

/** docs/security.md §3 group N: robustness, isolation and configuration. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

describe("N. Robustness, isolation and configuration (RB)", () => {
  it.each([
    [
      "policy",
      (config: Json) =>
        Object.defineProperty(config.targets, "orders", {
          enumerable: true,
          get: () => {
            throw new TypeError("boom");
          },
        }),
    ],
    [
      "claim mapping",
      (config: Json) =>
        Object.defineProperty((config.targets as Json).orders as Json, "headers", {
          get: () => {
            throw new RangeError("boom");
          },
        }),
    ],
  ])("RB-01 an exception inside the %s → DENY(500, internal.error); the handler resolves", async (_n, inject) => {
    const loaded = parseConfig(h.config());
    if (!loaded.ok) throw new Error("config");
    const handler = createHandler({ config: loaded, ca: testCa });
    inject(loaded.config as unknown as Json);
    const o = await run(handler, mcpEvent());
    expectDeny(o, 500, "internal.error");
    expect(o.audit.errorClass).toMatch(/Error$/);
    expect(JSON.stringify(o.output)).not.toContain("boom");
  });

  it("RB-01 the handler never throws on inputs that are not events at all", async () => {
    const handler = h.handler();
    for (const event of [undefined, null, 42, "x", [], { mcp: null }, { interceptorInputVersion: "1.0", mcp: { gatewayRequest: null } }]) {
      const o = await run(handler, event);
      expect(o.audit).toMatchObject({ decision: "deny", reason: "event.unsupported" });
    }
  });

  it("RB-01 a Lambda context whose timer accessor throws still gets a decision, not a thrown invocation", async () => {
    const context = {
      ...lambdaContext("odd"),
      getRemainingTimeInMillis: () => {
        throw new Error("no timer");
      },
    };
    expectAllow(await run(h.handler(), mcpEvent(), context), { "X-User-Sub": qualified(ISSUER_A, "u-1") });
  });

  describe("RB-02 config sources and invalid config", () => {
    const env = (vars: Record<string, string>) => ({ ...vars }) as NodeJS.ProcessEnv;
    const here = new URL("./", import.meta.url);

    it("RB-02 INTERCEPTOR_CONFIG wins over INTERCEPTOR_CONFIG_FILE", async () => {
      const loaded = await loadConfig(
        env({ INTERCEPTOR_CONFIG: JSON.stringify(h.config()), INTERCEPTOR_CONFIG_FILE: "/nonexistent.json" }),
        here,
      );
      expect(loaded.ok).toBe(true);
    });

    it.each([
      [
        "INTERCEPTOR_CONFIG not JSON",
        { INTERCEPTOR_CONFIG: "{not json" },
        "(root): INTERCEPTOR_CONFIG is not valid JSON (line 1, column 2)",
      ],
      [
        "INTERCEPTOR_CONFIG_FILE missing",
        { INTERCEPTOR_CONFIG_FILE: "/nonexistent/config.json" },
        "(config source): cannot read the configuration (ENOENT); set INTERCEPTOR_CONFIG or INTERCEPTOR_CONFIG_FILE",
      ],
      [
        "no source and no file beside the bundle",
        {},
        "(config source): cannot read the configuration (ENOENT); set INTERCEPTOR_CONFIG or INTERCEPTOR_CONFIG_FILE",
      ],
      [
        "a wrong type deep inside",
        { INTERCEPTOR_CONFIG: JSON.stringify(h.config((c) => (c.clockSkewSeconds = 301))) },
        "clockSkewSeconds: Too big: expected number to be <=300",
      ],
      [
        "an obo exchange that names no target identifier",
        {
          INTERCEPTOR_CONFIG: JSON.stringify(
            h.config(
              (c) =>
                ((c.targets as Json).erp = {
                  mode: "obo",
                  obo: {
                    grant: "token-exchange",
                    tokenEndpoint: "https://idp.example/token",
                    clientId: "gw",
                    clientSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf",
                  },
                }),
            ),
          ),
        },
        'targets.erp.obo.audience: token-exchange needs "audience" or "resource" naming the target',
      ],
      ["an unknown field", { INTERCEPTOR_CONFIG: JSON.stringify(h.config((c) => (c.issuer = "x"))) }, '(root): Unrecognized key: "issuer"'],
      [
        "a target issuer that is not configured",
        { INTERCEPTOR_CONFIG: JSON.stringify(h.config((c) => (((c.targets as Json).orders as Json).issuers = ["https://nope.example"]))) },
        'targets.orders.issuers[0]: "https://nope.example" is not one of the configured issuers',
      ],
    ])("RB-02 %s → config.invalid naming the problem", async (_n, vars, problem) => {
      const loaded = await loadConfig(env(vars), here);
      expect(loaded.ok ? [] : loaded.problems).toEqual([problem]);
      const mark = logMark();
      const handler = createHandler({ config: loaded });
      expect(
        logRecordsSince(mark)
          .filter((r) => r.level === "ERROR")
          .map((r) => r.problems),
      ).toEqual([[problem]]);
      expectDeny(await run(handler, mcpEvent()), 500, "config.invalid");
    });
  });

  it("RB-03 user A then user B in one container: no A-specific state in B's output or log line", async () => {
    const handler = h.handler();
    await run(handler, mcpEvent({ token: tokenA({ sub: "alice-7f3", groups: ["alice-group"] }) }), lambdaContext("req-a"));
    const mark = logMark();
    const b = await run(handler, mcpEvent({ token: tokenA({ sub: "bob" }) }), lambdaContext("req-b"));
    expectAllow(b, { "X-User-Sub": qualified(ISSUER_A, "bob") });
    const logged = JSON.stringify(logRecordsSince(mark));
    expect(logged).not.toContain("alice");
    expect(logged).not.toContain("req-a");
  });

  it("RB-04 50 concurrent calls with distinct users: each output carries only its own identity", async () => {
    const handler = h.handler();
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    const outputs = await Promise.all(users.map((sub) => handler(mcpEvent({ token: tokenA({ sub, groups: [sub] }) }))));
    outputs.forEach((out, i) => {
      expect("mcp" in out ? out.mcp : undefined).toEqual({
        transformedGatewayRequest: {
          headers: { "X-User-Sub": qualified(ISSUER_A, users[i]!), "X-User-Groups": qualified(ISSUER_A, users[i]!) },
          body: expect.anything(),
        },
      });
    });
  });

  it("RB-05 Object.prototype is unchanged after __proto__ payloads in the token, the raw body and the config", async () => {
    const token = rawToken(
      { alg: "RS256", typ: "at+jwt", kid: keyA.kid },
      `{"__proto__":{"polluted":true},${JSON.stringify(baseClaims()).slice(1)}`,
    );
    const raw =
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"orders___get_order","arguments":{"__proto__":{"polluted":true}}}}';
    const event = mcpEvent({ headers: withAuth(token), raw, body: JSON.parse(raw) });
    expectAllow(await run(h.handler(), event), { "X-User-Sub": qualified(ISSUER_A, "u-1") });
    parseConfig(JSON.parse(`{"__proto__":{"polluted":true},"issuers":[]}`));
    expect(({} as Json).polluted).toBeUndefined();
  });

  describe("RB-07 Powertools debug settings never expose tokens, headers or bodies", () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
    });

    it("RB-07 POWERTOOLS_LOGGER_LOG_EVENT, SAMPLE_RATE=1 and LOG_LEVEL=DEBUG", async () => {
      Object.assign(process.env, {
        POWERTOOLS_LOGGER_LOG_EVENT: "true",
        POWERTOOLS_LOGGER_SAMPLE_RATE: "1",
        POWERTOOLS_LOG_LEVEL: "DEBUG",
      });
      const mark = logMark();
      const handler = h.handler();
      const token = tokenA();
      await run(handler, mcpEvent({ token, headers: withAuth(token, { "Mcp-Session-Id": "session-secret-123" }) }));
      await run(handler, mcpEvent({ token: `${token.slice(0, -4)}AAAA` }));
      const logged = JSON.stringify(logRecordsSince(mark));
      expect(logged).not.toContain(token.split(".")[1]);
      expect(logged).not.toContain("session-secret-123");
      expect(logged).not.toContain("orderId");
    });
  });

  it("RB-08 a failing background JWKS prefetch is not an unhandled rejection; the next request is served", async () => {
    h.server.set("/a/jwks", { kind: "status", status: 500 });
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on("unhandledRejection", onRejection);
    try {
      const mark = logMark();
      const handler = createHandler({ config: parseConfig(h.config()), ca: testCa, prefetchJwks: true });
      // The background prefetch has failed (logged) before the first request arrives.
      await vi.waitFor(() => expect(logRecordsSince(mark).some((r) => r.message === "JWKS fetch failed")).toBe(true));
      const o = await run(handler, mcpEvent());
      expectDeny(o, 503, "jwks.unavailable");
      expect(mcpOf(o).transformedGatewayResponse?.statusCode).toBe(503);
      expect(rejections).toEqual([]);
    } finally {
      process.off("unhandledRejection", onRejection);
      h.server.set("/a/jwks", { kind: "ok", body: { keys: [keyA.publicJwk] } });
    }
  });
});
