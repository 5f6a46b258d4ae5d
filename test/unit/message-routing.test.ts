import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../src/handler.js";
import { parseConfig } from "../../src/config/load.js";
import { routeMessage, targetOfHttpPath } from "../../src/event/route.js";
import {
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  ISSUER_B,
  type Json,
  mcpEvent,
  mcpOf,
  qualified,
  run,
  tokenA,
  tokenB,
  withAuth,
} from "../support/harness.js";

/**
 * Every message that addresses a target gets exactly that target's decision (docs/security.md group I).
 * AgentCore routes `prompts/get` on the same `<target>___` prefix as `tools/call` and proxies it live
 * to that one target: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-using-mcp-prompts-get.html
 * (operations list: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-using.html).
 */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

/** payroll accepts issuer B's users only (so its sub needs no issuer); ledger needs a scope; hr refuses machine tokens. */
const policy = (c: Json) => {
  const targets = c.targets as Json;
  targets.payroll = { mode: "claims", issuers: [ISSUER_B], onDenied: "deny", headers: { "x-user-sub": "sub" } };
  targets.ledger = { mode: "claims", requiredScopes: ["ledger:read"], headers: { "x-user-sub": { claim: "sub", qualify: true } } };
  targets.hr = { mode: "claims", requireUser: true, headers: { "x-user-sub": { claim: "sub", qualify: true } } };
};
const handler = (extra?: (c: Json) => void) =>
  h.handler((c) => {
    policy(c);
    extra?.(c);
  });
const errorOf = (o: Awaited<ReturnType<typeof run>>) => mcpOf(o).transformedGatewayResponse!.body;

const toolCall = (name: string) => ({ method: "tools/call", params: { name, arguments: {} } });
const promptGet = (name: string) => ({ method: "prompts/get", params: { name, arguments: { month: "2026-11" } } });
const completion = (name: string) => ({
  method: "completion/complete",
  params: { ref: { type: "ref/prompt", name }, argument: { name: "month", value: "2026-" } },
});
const ADDRESSING = [
  ["tools/call", toolCall],
  ["prompts/get", promptGet],
  ["completion/complete (ref/prompt)", completion],
] as const;

describe("routeMessage: which target a message addresses (pure)", () => {
  it.each([
    ["tools/call", { name: "payroll___monthly_summary" }, { kind: "target", target: "payroll", name: "monthly_summary" }],
    ["tools/call", { name: "x_amz_bedrock_agentcore_search" }, { kind: "no-target", name: "x_amz_bedrock_agentcore_search" }],
    ["tools/call", { name: "orders___" }, { kind: "invalid" }],
    ["tools/call", {}, { kind: "invalid" }],
    ["prompts/get", { name: "payroll___monthly_summary" }, { kind: "target", target: "payroll", name: "monthly_summary" }],
    ["prompts/get", { name: "outer___inner___p" }, { kind: "target", target: "outer", name: "inner___p" }],
    ["prompts/get", { name: "code_review" }, { kind: "no-target", name: "code_review" }],
    ["prompts/get", { name: "Payroll___x" }, { kind: "target", target: "Payroll", name: "x" }],
    ["prompts/get", { name: "payroll___" }, { kind: "invalid" }],
    ["prompts/get", { name: "" }, { kind: "invalid" }],
    ["prompts/get", { name: 5 }, { kind: "invalid" }],
    ["prompts/get", {}, { kind: "invalid" }],
    ["prompts/get", undefined, { kind: "invalid" }],
    ["prompts/get", { name: `payroll___${"x".repeat(300)}` }, { kind: "invalid" }],
    [
      "completion/complete",
      { ref: { type: "ref/prompt", name: "payroll___monthly_summary" } },
      { kind: "target", target: "payroll", name: "monthly_summary" },
    ],
    ["completion/complete", { ref: { type: "ref/resource", uri: "file:///payroll___x" } }, { kind: "no-target" }],
    ["completion/complete", { ref: { type: "ref/prompt" } }, { kind: "invalid" }],
    ["completion/complete", { ref: { type: "ref/tool", name: "payroll___x" } }, { kind: "invalid" }],
    ["completion/complete", { ref: "payroll___x" }, { kind: "invalid" }],
    ["completion/complete", {}, { kind: "invalid" }],
    ["resources/read", { uri: "payroll___x://a", name: "payroll___x" }, { kind: "no-target" }],
    ["resources/list", {}, { kind: "no-target" }],
    ["prompts/list", { cursor: "payroll___x" }, { kind: "no-target" }],
    ["Prompts/Get", { name: "payroll___x" }, { kind: "no-target" }],
  ])("%s %j → %j", (method, params, route) => {
    expect(routeMessage(method, params)).toEqual(route);
  });
});

describe("targetOfHttpPath: only a canonical path names a target (pure)", () => {
  it.each([
    ["/payroll/invocations", "payroll"],
    ["/payroll/invocations?x=%2e%2e", "payroll"],
    ["/payroll", "payroll"],
    ["/a-b-1/invocations", "a-b-1"],
  ])("%j → target %s", (path, target) => {
    expect(targetOfHttpPath(path)).toEqual({ kind: "target", target });
  });

  it.each([
    "//payroll/invocations",
    "/ledger/../wiki/invocations",
    "/ledger/./invocations",
    "/../payroll/invocations",
    "/payroll/invocations/",
    "/payroll//invocations",
    "/%70ayroll/invocations",
    "/payroll/%2e%2e/wiki/invocations",
    "/payroll\\..\\wiki/invocations",
    "/payroll/inv ocations",
    "/payroll#/x",
    "/pay_roll/invocations",
    "/payroll;x/invocations",
    "payroll/invocations",
    "/",
    "",
    "?payroll",
    null,
    undefined,
  ])("%j → invalid", (path) => {
    expect(targetOfHttpPath(path)).toEqual({ kind: "invalid" });
  });
});

describe("a message that addresses a target gets exactly that target's decision", () => {
  it.each(ADDRESSING)(
    "%s payroll___monthly_summary: issuer A's user → DENY(403, policy.target_denied); issuer B's user → ALLOW(claims)",
    async (_n, message) => {
      const denied = await run(handler(), mcpEvent({ ...message("payroll___monthly_summary"), id: "q-1" }));
      expectDeny(denied, 403, "policy.target_denied");
      expect(errorOf(denied).id).toBe("q-1");
      expect(denied.audit).toMatchObject({ target: "payroll" });
      const allowed = await run(handler(), mcpEvent({ ...message("payroll___monthly_summary"), token: tokenB() }));
      expectAllow(allowed, { "x-user-sub": "u-1" });
      expect(allowed.audit).toMatchObject({ target: "payroll", mode: "claims", reason: "mode.claims" });
    },
  );

  it.each(ADDRESSING)(
    "%s to an unlisted target with unlistedTargets deny → DENY(403, policy.target_denied); with strip → ALLOW-NOID",
    async (_n, message) => {
      expectDeny(
        await run(
          handler((c) => (c.unlistedTargets = "deny")),
          mcpEvent(message("wiki___page")),
        ),
        403,
        "policy.target_denied",
      );
      const stripped = await run(handler(), mcpEvent(message("wiki___page")));
      expectAllow(stripped, {});
      expect(stripped.audit).toMatchObject({ target: "wiki", reason: "unlisted-target" });
    },
  );

  it.each(ADDRESSING)("%s to a target with requiredScopes the token lacks → DENY(403, scope.insufficient)", async (_n, message) => {
    expectDeny(await run(handler(), mcpEvent(message("ledger___balance"))), 403, "scope.insufficient");
    expectAllow(await run(handler(), mcpEvent({ ...message("ledger___balance"), token: tokenA({ scope: "mcp:invoke ledger:read" }) })), {
      "x-user-sub": qualified(ISSUER_A, "u-1"),
    });
  });

  it.each(ADDRESSING)(
    "%s to a requireUser target with a machine token (sub = client id) → DENY(403, policy.target_denied)",
    async (_n, message) => {
      expectDeny(
        await run(handler(), mcpEvent({ ...message("hr___leave"), token: tokenA({ sub: "app-a" }) })),
        403,
        "policy.target_denied",
      );
    },
  );

  it("the audit line names the prompt (without the prefix) beside the target; tool stays for tools", async () => {
    const o = await run(handler(), mcpEvent({ ...promptGet("orders___summary"), id: 0 }));
    expectAllow(o, { "X-User-Sub": qualified(ISSUER_A, "u-1") });
    expect(o.audit).toMatchObject({ method: "prompts/get", target: "orders", prompt: "summary", jsonrpcId: 0 });
    expect(o.audit.tool).toBeUndefined();
    const free = await run(handler(), mcpEvent(promptGet("code_review")));
    expectAllow(free, {});
    expect(free.audit).toMatchObject({ prompt: "code_review", reason: "no-target" });
  });

  it.each([
    ["prompts/get without a name", { method: "prompts/get", params: { arguments: {} } }],
    ["prompts/get with an empty tool part", { method: "prompts/get", params: { name: "payroll___" } }],
    ["completion/complete without a ref", { method: "completion/complete", params: { argument: { name: "a", value: "" } } }],
    [
      "completion/complete with an unknown ref type",
      { method: "completion/complete", params: { ref: { type: "ref/tool", name: "payroll___x" } } },
    ],
  ])("%s → DENY(400, request.invalid_tool_name), -32602", async (_n, message) => {
    const o = await run(handler(), mcpEvent({ ...message, id: 9 }));
    expectDeny(o, 400, "request.invalid_tool_name");
    expect(errorOf(o)).toMatchObject({ id: 9, error: { code: -32602 } });
  });

  it.each([
    ["resources/read by URI", { method: "resources/read", params: { uri: "payroll://reports/2026-11" } }],
    [
      "completion/complete on a ref/resource",
      {
        method: "completion/complete",
        params: { ref: { type: "ref/resource", uri: "payroll://reports/{month}" }, argument: { name: "month", value: "2" } },
      },
    ],
    ["resources/list", { method: "resources/list", params: {} }],
    ["resources/templates/list", { method: "resources/templates/list", params: {} }],
    ["prompts/list", { method: "prompts/list", params: { cursor: "eyJwYWdlIjoyfQ" } }],
    ["logging/setLevel", { method: "logging/setLevel", params: { level: "info" } }],
  ])("%s (routed without a prefix) → ALLOW-NOID, even for an issuer payroll refuses", async (_n, message) => {
    const o = await run(
      handler((c) => (c.unlistedTargets = "deny")),
      mcpEvent(message),
    );
    expectAllow(o, {});
    expect(o.audit).toMatchObject({ reason: "no-target" });
  });

  it("the raw body must name the same prompt as the parsed body (no second opinion)", async () => {
    const message = promptGet("orders___summary");
    const raw = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "prompts/get", params: { name: "payroll___monthly_summary" } });
    expectDeny(await run(handler(), mcpEvent({ ...message, raw })), 400, "request.duplicate_member");
    const dup =
      '{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"payroll___x","name":"orders___x"}}}';
    expectDeny(await run(handler(), mcpEvent({ ...completion("orders___x"), raw: dup })), 400, "request.duplicate_member");
  });

  it("a name that is an object in both bodies is not a disagreement: it is refused as an invalid name", async () => {
    expectDeny(
      await run(handler(), mcpEvent({ method: "prompts/get", params: { name: { target: "payroll" } } })),
      400,
      "request.invalid_tool_name",
    );
  });

  it("a pretty-printed raw body with its keys in another order → the same decision", async () => {
    const message = promptGet("orders___summary");
    const raw = JSON.stringify(
      { params: { arguments: { month: "2026-11" }, name: "orders___summary" }, method: "prompts/get", id: 1, jsonrpc: "2.0" },
      null,
      2,
    );
    expectAllow(await run(handler(), mcpEvent({ ...message, raw })), { "X-User-Sub": qualified(ISSUER_A, "u-1") });
  });

  it("Mcp-Name on prompts/get must name the prompt; on completion/complete its ref; on resources/read the URI", async () => {
    const headers = (extra: Record<string, string>) => withAuth(tokenA(), extra);
    expectAllow(
      await run(
        handler(),
        mcpEvent({ ...promptGet("orders___summary"), headers: headers({ "mcp-method": "prompts/get", "mcp-name": "orders___summary" }) }),
      ),
      {
        "X-User-Sub": qualified(ISSUER_A, "u-1"),
      },
    );
    expectDeny(
      await run(handler(), mcpEvent({ ...promptGet("payroll___x"), headers: headers({ "mcp-name": "orders___summary" }) })),
      400,
      "request.header_mismatch",
    );
    expectDeny(
      await run(
        handler(),
        mcpEvent({ ...completion("payroll___x"), token: tokenB(), headers: withAuth(tokenB(), { "mcp-name": "orders___x" }) }),
      ),
      400,
      "request.header_mismatch",
    );
    expectAllow(
      await run(
        handler(),
        mcpEvent({ ...completion("payroll___x"), token: tokenB(), headers: withAuth(tokenB(), { "mcp-name": "payroll___x" }) }),
      ),
      {
        "x-user-sub": "u-1",
      },
    );
    const read = { method: "resources/read", params: { uri: "file:///reports/2026-11.md" } };
    expectAllow(
      await run(
        handler(),
        mcpEvent({ ...read, headers: headers({ "Mcp-Method": "resources/read", "Mcp-Name": "file:///reports/2026-11.md" }) }),
      ),
      {},
    );
  });
});

describe("client JSON-RPC responses (answers to relayed elicitation and sampling requests)", () => {
  const answer = (extra: Json): Json => ({ jsonrpc: "2.0", ...extra });

  it.each([
    ["an elicitation result", answer({ id: 3, result: { action: "accept", content: { approved: true } } })],
    [
      "a sampling result, string id",
      answer({ id: "srv-7", result: { role: "assistant", content: { type: "text", text: "ok" }, model: "m" } }),
    ],
    ["an error, id 0", answer({ id: 0, error: { code: -1, message: "User rejected sampling request" } })],
    ["a result of null", answer({ id: 4, result: null })],
  ])("%s → ALLOW-NOID, audited as (response)", async (_n, body) => {
    const o = await run(
      handler((c) => (c.unlistedTargets = "deny")),
      mcpEvent({ body }),
    );
    expectAllow(o, {});
    expect(mcpOf(o).transformedGatewayRequest?.body).toEqual(body);
    expect(o.audit).toMatchObject({ method: "(response)", reason: "no-target", jsonrpcId: body.id });
  });

  it("is authenticated: without a token → DENY(401, auth.missing), id echoed", async () => {
    const o = await run(handler(), mcpEvent({ body: answer({ id: 3, result: {} }), headers: { "content-type": "application/json" } }));
    expectDeny(o, 401, "auth.missing");
    expect(errorOf(o).id).toBe(3);
  });

  it.each([
    ["both result and error", answer({ id: 3, result: {}, error: { code: 1, message: "x" } })],
    ["neither result nor error", answer({ id: 3 })],
    ["id null", answer({ id: null, result: {} })],
    ["no id", answer({ result: {} })],
    ["jsonrpc missing", { id: 3, result: {} }],
  ])("%s → DENY(400, request.invalid_jsonrpc)", async (_n, body) => {
    expectDeny(await run(handler(), mcpEvent({ body })), 400, "request.invalid_jsonrpc");
  });

  it("an Mcp-Method header on a response claims a method the body has not → DENY(400, request.header_mismatch)", async () => {
    const o = await run(
      handler(),
      mcpEvent({ body: answer({ id: 3, result: {} }), headers: withAuth(tokenA(), { "mcp-method": "tools/call" }) }),
    );
    expectDeny(o, 400, "request.header_mismatch");
  });

  it("a raw body that is a request while the parsed body is a response → DENY(400, request.duplicate_member)", async () => {
    const body = answer({ id: 3, result: {} });
    const raw = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "payroll___x" }, result: {} });
    expectDeny(await run(handler(), mcpEvent({ body, raw })), 400, "request.duplicate_member");
  });
});

describe("the http envelope: the target is the first segment of a canonical path", () => {
  const httpEvent = (path: string | null, token = tokenA()) => ({
    interceptorInputVersion: "1.0",
    http: {
      gatewayRequest: {
        path,
        httpMethod: "POST",
        headers: withAuth(token),
        body: Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 21, method: "tools/call", params: { name: "x" } })).toString("base64"),
      },
    },
  });
  const httpOf = (o: Awaited<ReturnType<typeof run>>) =>
    (
      o.output as {
        http: { transformedGatewayRequest?: { headers: Json }; transformedGatewayResponse?: { statusCode: number; body: string } };
      }
    ).http;

  it("/payroll/invocations is payroll's decision: issuer A → DENY(403); issuer B → ALLOW(claims)", async () => {
    const denied = await run(handler(), httpEvent("/payroll/invocations"));
    expect(httpOf(denied).transformedGatewayResponse?.statusCode).toBe(403);
    expect(denied.audit).toMatchObject({ reason: "policy.target_denied", target: "payroll" });
    const allowed = await run(handler(), httpEvent("/payroll/invocations", tokenB()));
    expect(httpOf(allowed).transformedGatewayRequest?.headers).toEqual({ "x-user-sub": "u-1" });
  });

  it.each(["//payroll/invocations", "/ledger/../wiki/invocations", "/%6Cedger/invocations", "/payroll\\..\\wiki", "/", null])(
    "path %j → DENY(400, request.invalid_path), id echoed, before any identity is sent",
    async (path) => {
      const o = await run(handler(), httpEvent(path, tokenA({ scope: "mcp:invoke ledger:read" })));
      const response = httpOf(o).transformedGatewayResponse;
      expect(httpOf(o).transformedGatewayRequest).toBeUndefined();
      expect(response?.statusCode).toBe(400);
      expect(JSON.parse(Buffer.from(response!.body, "base64").toString())).toMatchObject({
        id: 21,
        error: { code: -32600, data: { reason: "request.invalid_path" } },
      });
      expect(o.audit).toMatchObject({ decision: "deny", reason: "request.invalid_path" });
    },
  );
});

describe("config.invalid echoes the request id whenever the body can be read", () => {
  const broken = () => {
    const config = parseConfig({ issuers: [] });
    expect(config.ok).toBe(false);
    return createHandler({ config });
  };

  it.each([7, "req-7", 0])("mcp id %j → DENY(500, config.invalid) with that id", async (id) => {
    const o = await run(broken(), mcpEvent({ id }));
    expectDeny(o, 500, "config.invalid");
    expect(errorOf(o).id).toBe(id);
  });

  it("http envelope: the id of the base64 JSON-RPC body", async () => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: "h-1", method: "tools/call" })).toString("base64");
    const o = await run(broken(), { interceptorInputVersion: "1.0", http: { gatewayRequest: { path: "/x/invocations", body } } });
    const response = (o.output as { http: { transformedGatewayResponse: { body: string } } }).http.transformedGatewayResponse;
    expect(JSON.parse(Buffer.from(response.body, "base64").toString())).toMatchObject({
      id: "h-1",
      error: { data: { reason: "config.invalid" } },
    });
  });

  it("an unreadable id stays null: a notification, an object id, a batch", async () => {
    for (const body of [
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: { a: 1 }, method: "ping" },
      [{ jsonrpc: "2.0", id: 1, method: "ping" }],
    ]) {
      expect(errorOf(await run(broken(), mcpEvent({ body }))).id).toBeNull();
    }
  });

  it("an unsupported event whose body is readable (interceptorInputVersion 2.0) → DENY(500, event.unsupported) with its id", async () => {
    const o = await run(h.handler(), { interceptorInputVersion: "2.0", mcp: (mcpEvent({ id: 12 }) as Json).mcp });
    expect(errorOf(o)).toMatchObject({ id: 12, error: { data: { reason: "event.unsupported" } } });
  });
});
