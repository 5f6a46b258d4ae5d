import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  type Json,
  mcpEvent,
  mcpOf,
  qualified,
  run,
  tokenA,
  withAuth,
} from "../support/harness.js";

/** docs/security.md §3 group H: JSON-RPC / MCP request shape. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const badSignature = () => {
  const t = tokenA();
  return `${t.slice(0, -6)}AAAAAA`;
};
const errorOf = (o: Awaited<ReturnType<typeof run>>) => mcpOf(o).transformedGatewayResponse!.body;
const TOOL_CALL = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "orders___get_order", arguments: {} } };

describe("H. JSON-RPC / MCP request shape (RPC)", () => {
  it("RPC-01 a batch of two requests → DENY(400, request.batch_unsupported), -32600, id null", async () => {
    const o = await run(h.handler(), mcpEvent({ body: [TOOL_CALL, { ...TOOL_CALL, id: 8 }] }));
    expectDeny(o, 400, "request.batch_unsupported");
    expect(errorOf(o)).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it.each([[[]], [[TOOL_CALL]]])("RPC-02 body %j → DENY(400, request.batch_unsupported)", async (body) => {
    expectDeny(await run(h.handler(), mcpEvent({ body })), 400, "request.batch_unsupported");
  });

  it.each([
    ["jsonrpc missing", { id: 1, method: "tools/list" }, 1],
    ["jsonrpc 1.0", { jsonrpc: "1.0", id: 1, method: "tools/list" }, 1],
    ["method missing", { jsonrpc: "2.0", id: 1 }, 1],
    ["method not a string", { jsonrpc: "2.0", id: 1, method: 5 }, 1],
    ["id an object", { jsonrpc: "2.0", id: { a: 1 }, method: "tools/list" }, null],
    ["id an array", { jsonrpc: "2.0", id: [1], method: "tools/list" }, null],
  ])("RPC-03 %s → DENY(400, request.invalid_jsonrpc), -32600", async (_n, body, id) => {
    const o = await run(h.handler(), mcpEvent({ body }));
    expectDeny(o, 400, "request.invalid_jsonrpc");
    expect(errorOf(o)).toMatchObject({ id, error: { code: -32600 } });
  });

  it("RPC-04 rawGatewayRequest.body not valid JSON → DENY(400, request.invalid_jsonrpc), -32700", async () => {
    const o = await run(h.handler(), mcpEvent({ raw: '{"jsonrpc":"2.0",' }));
    expectDeny(o, 400, "request.invalid_jsonrpc");
    expect(errorOf(o)).toMatchObject({ id: 1, error: { code: -32700, message: "Parse error" } });
  });

  it.each([
    ["method", '{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"orders___get_order"}}'],
    ["params.name", '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"payments___refund","name":"orders___get_order"}}'],
  ])("RPC-05 raw body with a duplicate %s → DENY(400, request.duplicate_member)", async (_n, raw) => {
    expectDeny(await run(h.handler(), mcpEvent({ raw })), 400, "request.duplicate_member");
  });

  it.each([
    ["method", JSON.stringify({ ...TOOL_CALL, id: 1, method: "tools/list" })],
    ["params.name", JSON.stringify({ ...TOOL_CALL, id: 1, params: { name: "payments___refund" } })],
  ])("RPC-06 raw and parsed bodies disagree on %s → DENY(400, request.duplicate_member)", async (_n, raw) => {
    expectDeny(await run(h.handler(), mcpEvent({ raw })), 400, "request.duplicate_member");
  });

  const METHODS = [
    "initialize",
    "ping",
    "tools/list",
    "server/discover",
    "subscriptions/listen",
    "tasks/get",
    "resources/read",
    "prompts/list",
  ];

  it.each(METHODS)("RPC-07 %s with a valid token → ALLOW-NOID", async (method) => {
    const o = await run(h.handler(), mcpEvent({ method }));
    expectAllow(o, {});
    expect(o.audit).toMatchObject({ method, reason: "no-target", mode: "none" });
  });

  it.each(METHODS)(
    "RPC-08 %s without a token → DENY(401, auth.missing); with a bad signature → DENY(401, token.signature_invalid)",
    async (method) => {
      expectDeny(await run(h.handler(), mcpEvent({ method, headers: { "content-type": "application/json" } })), 401, "auth.missing");
      expectDeny(await run(h.handler(), mcpEvent({ method, token: badSignature() })), 401, "token.signature_invalid");
    },
  );

  it("RPC-09 notifications/initialized (no id) → ALLOW-NOID; with a bad signature → DENY(401, token.signature_invalid), id null", async () => {
    expectAllow(await run(h.handler(), mcpEvent({ method: "notifications/initialized", id: null })), {});
    const o = await run(h.handler(), mcpEvent({ method: "notifications/initialized", id: null, token: badSignature() }));
    expectDeny(o, 401, "token.signature_invalid");
    expect(errorOf(o).id).toBeNull();
  });

  it.each(["Tools/Call", "tools/call ", "tools/call\u0000"])("RPC-10 method %j is not tools/call → ALLOW-NOID", async (method) => {
    const o = await run(h.handler(), mcpEvent({ method, params: { name: "orders___get_order" } }));
    expectAllow(o, {});
  });

  it.each([
    ["params missing", undefined],
    ["params an array", ["orders___get_order"]],
    ["name missing", { arguments: {} }],
    ["name not a string", { name: 5 }],
    ["name empty", { name: "" }],
  ])("RPC-11 tools/call with %s → DENY(400, request.invalid_tool_name), -32602", async (_n, params) => {
    const body: Json = { jsonrpc: "2.0", id: 3, method: "tools/call" };
    if (params !== undefined) body.params = params;
    const o = await run(h.handler(), mcpEvent({ body }));
    expectDeny(o, 400, "request.invalid_tool_name");
    expect(errorOf(o)).toMatchObject({ id: 3, error: { code: -32602 } });
  });

  it("RPC-12 Mcp-Method: tools/list while the body says tools/call → DENY(400, request.header_mismatch), -32020", async () => {
    const o = await run(h.handler(), mcpEvent({ headers: withAuth(tokenA(), { "mcp-method": "tools/list" }) }));
    expectDeny(o, 400, "request.header_mismatch");
    expect(errorOf(o).error.code).toBe(-32020);
  });

  it("RPC-13 Mcp-Name names another tool than the body → DENY(400, request.header_mismatch)", async () => {
    const o = await run(
      h.handler(),
      mcpEvent({ name: "payments___refund", headers: withAuth(tokenA(), { "Mcp-Name": "orders___get_order" }) }),
    );
    expectDeny(o, 400, "request.header_mismatch");
  });

  it("RPC-14 Mcp-Name in the =?base64?…?= form, matching → ALLOW(claims)", async () => {
    const sentinel = `=?base64?${Buffer.from("orders___get_order").toString("base64")}?=`;
    const o = await run(h.handler(), mcpEvent({ headers: withAuth(tokenA(), { "Mcp-Name": sentinel, "Mcp-Method": "tools/call" }) }));
    expectAllow(o, ALLOWED);
  });

  it.each(["GET", "DELETE"])("RPC-15 %s request → ALLOW-NOID, still authenticated", async (verb) => {
    const event = mcpEvent();
    const gr = (event.mcp as Json).gatewayRequest as Json;
    gr.httpMethod = verb;
    gr.body = {};
    delete (event.mcp as Json).rawGatewayRequest;
    expectAllow(await run(h.handler(), event), {});
    (gr.headers as Json) = { accept: "text/event-stream" };
    expectDeny(await run(h.handler(), event), 401, "auth.missing");
  });

  it.each(["/other", "/mcp/", "/MCP", "//mcp", "/mcp/../x", "/%6Dcp", null])(
    "RPC-15 tools/call on path %j → the same decision as on /mcp (the gateway routes by body)",
    async (path) => {
      const event = mcpEvent();
      ((event.mcp as Json).gatewayRequest as Json).path = path;
      expectAllow(await run(h.handler(), event), ALLOWED);
      const denied = mcpEvent({ name: "unknown___x" });
      ((denied.mcp as Json).gatewayRequest as Json).path = path;
      expectDeny(
        await run(
          h.handler((c) => (c.unlistedTargets = "deny")),
          denied,
        ),
        403,
        "policy.target_denied",
      );
    },
  );

  it.each([
    ["interceptorInputVersion 2.0 (mcp)", { interceptorInputVersion: "2.0", mcp: (mcpEvent() as Json).mcp }, "mcp"],
    ["mcp missing", { interceptorInputVersion: "1.0" }, "mcp"],
    [
      "interceptorInputVersion 2.0 (http)",
      { interceptorInputVersion: "2.0", http: { gatewayRequest: { path: "/x/invocations", body: "" } } },
      "http",
    ],
  ])("RPC-16 %s → DENY(500, event.unsupported) in the envelope received", async (_n, event, key) => {
    const o = await run(h.handler(), event);
    expect(Object.keys(o.output)).toEqual(["interceptorOutputVersion", key]);
    expect(JSON.stringify(o.output)).toContain('"statusCode":500');
    expect(o.audit).toMatchObject({ decision: "deny", reason: "event.unsupported" });
  });

  it("RPC-16 a RESPONSE-phase event is not refused: a reply it does not filter passes through unchanged", async () => {
    const o = await run(h.handler(), {
      ...mcpEvent(),
      mcp: { ...((mcpEvent() as Json).mcp as Json), gatewayResponse: { statusCode: 200, body: {} } },
    });
    expect(o.output).toEqual({ interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse: { statusCode: 200, body: {} } } });
    expect(o.audit).toMatchObject({ decision: "allow", reason: "response.passthrough" });
  });
});
