import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../src/handler.js";
import { GATEWAY_AUD, Harness, type Json, lambdaContext, mcpEvent, nowSeconds, run, tokenA, tokenB } from "../support/harness.js";

/**
 * The RESPONSE phase through the handler (one Lambda attached with interceptionPoints REQUEST and
 * RESPONSE, docs/agentcore-contract.md §3): listings are filtered for the authenticated caller, everything
 * else passes through, and a caller who cannot be authenticated sees empty listings.
 * Baseline policy (test/support/harness.ts): orders, crm (claims), legacy (forward, audience
 * legacy-resource), passthru (forward), reports (none); unlisted targets strip.
 */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

/** The reply that hands `event`'s body back unchanged, with its status (the default `status-and-body` form). */
const echoOf = (event: Json) => {
  const response = (event.mcp as Json).gatewayResponse as Json;
  return { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse: { statusCode: response.statusCode, body: response.body } } };
};
/** The reply to a response without a body: nothing to hand back. */
const NOTHING = { interceptorOutputVersion: "1.0" };
const TARGETS = ["orders", "crm", "legacy", "passthru", "reports", "weather"];
const tool = (name: string) => ({ name, inputSchema: { type: "object" } });
const catalogue = () => [tool("x_amz_bedrock_agentcore_search"), ...TARGETS.flatMap((t) => [tool(`${t}___get`), tool(`${t}___put`)])];
const names = (tools: unknown) => (tools as { name: string }[]).map((t) => t.name);

interface ResponseOptions {
  request?: Json;
  status?: number;
  body?: unknown;
  responseHeaders?: Json;
  streaming?: boolean;
  token?: string;
  headers?: Json | null;
}

/** A RESPONSE-phase event: the REQUEST event's `mcp` plus `gatewayResponse`. */
function responseEvent(o: ResponseOptions = {}): Json {
  const request = mcpEvent({
    method: "tools/list",
    token: o.token ?? tokenA(),
    ...(o.headers !== undefined ? { headers: o.headers as never } : {}),
    ...(o.request ?? {}),
  });
  const mcp = request.mcp as Json;
  return {
    ...request,
    mcp: {
      ...mcp,
      gatewayResponse: {
        statusCode: o.status ?? 200,
        headers: o.responseHeaders ?? { "Mcp-Session-Id": "s-1" },
        body: o.body !== undefined ? o.body : { jsonrpc: "2.0", id: 1, result: { tools: catalogue(), nextCursor: "n2" } },
        ...(o.streaming ? { isStreamingResponse: true } : {}),
      },
    },
  };
}

const filteredBody = (out: Json) => ((out.mcp as Json).transformedGatewayResponse as Json | undefined)?.body as Json | undefined;

describe("RESPONSE phase: listings", () => {
  it("tools/list keeps only the tools the caller may call; status, id, nextCursor and built-ins preserved", async () => {
    const o = await run(h.handler(), responseEvent());
    const response = (o.output.mcp as Json).transformedGatewayResponse as Json;
    expect(Object.keys(response)).toEqual(["statusCode", "body"]);
    expect(response.statusCode).toBe(200);
    const body = response.body as Json;
    expect(body).toMatchObject({ jsonrpc: "2.0", id: 1, result: { nextCursor: "n2" } });
    // legacy is forward-bound to legacy-resource, which this token's aud does not carry.
    expect(names((body.result as Json).tools)).toEqual(names(catalogue()).filter((n) => !n.startsWith("legacy___")));
    expect(o.audit).toMatchObject({
      decision: "allow",
      reason: "listing.filtered",
      method: "tools/list",
      sub: "u-1",
      detail: { phase: "response", listing: "tools/list", removed: 2, removedTargets: ["legacy"] },
    });
    expect(JSON.stringify(o.audit)).not.toContain("legacy___get");
  });

  it("the status is echoed, never changed; a streamed event gets only a body", async () => {
    const streamed = await run(h.handler(), responseEvent({ streaming: true }));
    expect(Object.keys((streamed.output.mcp as Json).transformedGatewayResponse as Json)).toEqual(["body"]);
    expect(streamed.audit).toMatchObject({ detail: { streaming: true, removed: 2 } });
    const odd = await run(h.handler(), responseEvent({ status: 207 }));
    expect(((odd.output.mcp as Json).transformedGatewayResponse as Json).statusCode).toBe(207);
  });

  it("nothing removed: the documented pass-through, no rewritten body", async () => {
    const token = tokenA({ aud: [GATEWAY_AUD, "legacy-resource"] });
    const event = responseEvent({ token });
    const o = await run(h.handler(), event);
    expect(o.output).toEqual(echoOf(event));
    expect(o.output).toEqual({
      interceptorOutputVersion: "1.0",
      mcp: {
        transformedGatewayResponse: { statusCode: 200, body: { jsonrpc: "2.0", id: 1, result: { tools: catalogue(), nextCursor: "n2" } } },
      },
    });
    expect(o.audit).toMatchObject({ decision: "allow", reason: "listing.filtered", detail: { removed: 0 } });
  });

  it("policy rules apply per caller: issuer B loses the issuer-A-only targets (crm and orders), a scope-guarded target needs its scope", async () => {
    const handler = h.handler((c) => {
      const targets = c.targets as Json;
      targets.orders = { mode: "none", issuers: ["https://idp-a.example"] };
      targets.reports = { mode: "none", requiredScopes: ["reports:read"] };
    });
    const b = await run(handler, responseEvent({ token: tokenB() }));
    expect(b.audit).toMatchObject({ detail: { removedTargets: ["crm", "legacy", "orders", "reports"] } });
    const a = await run(handler, responseEvent({ token: tokenA({ scope: "mcp:invoke reports:read" }) }));
    expect(a.audit).toMatchObject({ detail: { removedTargets: ["legacy"] } });
  });

  it("the search tool's result is filtered in structuredContent and in JSON text content", async () => {
    const found = [tool("legacy___get"), tool("reports___get")];
    const body = {
      jsonrpc: "2.0",
      id: 8,
      result: { content: [{ type: "text", text: JSON.stringify({ tools: found }) }], structuredContent: { tools: found } },
    };
    const request = { method: "tools/call", params: { name: "x_amz_bedrock_agentcore_search", arguments: { query: "get" } }, id: 8 };
    const o = await run(h.handler(), responseEvent({ request, body }));
    expect(filteredBody(o.output)).toEqual({
      jsonrpc: "2.0",
      id: 8,
      result: {
        content: [{ type: "text", text: JSON.stringify({ tools: [tool("reports___get")] }) }],
        structuredContent: { tools: [tool("reports___get")] },
      },
    });
    expect(o.audit).toMatchObject({ method: "tools/call", detail: { listing: "search", removed: 2 } });
  });

  it("prompts/list is filtered the same way", async () => {
    const body = { jsonrpc: "2.0", id: 1, result: { prompts: [{ name: "legacy___brief" }, { name: "crm___brief" }] } };
    const o = await run(h.handler(), responseEvent({ request: { method: "prompts/list" }, body }));
    expect(filteredBody(o.output)).toEqual({ jsonrpc: "2.0", id: 1, result: { prompts: [{ name: "crm___brief" }] } });
  });

  it("a body delivered as JSON text is filtered and stays text", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [tool("legacy___get"), tool("crm___get")] } });
    const o = await run(h.handler(), responseEvent({ body }));
    expect(JSON.parse(filteredBody(o.output) as unknown as string)).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: { tools: [tool("crm___get")] },
    });
  });

  it("without request headers (passRequestHeaders off) the Authorization of gatewayResponse.headers is used, as AWS's sample does", async () => {
    const token = tokenA({ aud: [GATEWAY_AUD, "legacy-resource"] });
    const event = responseEvent({ headers: {}, responseHeaders: { Authorization: `Bearer ${token}` } });
    const o = await run(h.handler(), event);
    expect(o.output).toEqual(echoOf(event));
    expect(o.audit).toMatchObject({ reason: "listing.filtered", sub: "u-1" });
  });

  it("without a readable request, a reply that carries a tool list is still filtered", async () => {
    const event = responseEvent();
    (event.mcp as Json).gatewayRequest = null;
    const o = await run(h.handler(), event);
    expect(names((filteredBody(o.output)!.result as Json).tools)).toEqual([]);
    expect(o.audit).toMatchObject({ decision: "deny", reason: "auth.missing", detail: { listing: "tools/list" } });
  });
});

describe("RESPONSE phase: fail closed", () => {
  it.each([
    ["no Authorization", { headers: { "content-type": "application/json" } }, "auth.missing"],
    ["an expired token", { token: tokenA({ exp: nowSeconds() - 120 }) }, "token.expired"],
    ["a forged token", { token: `${tokenA().split(".").slice(0, 2).join(".")}.${tokenB().split(".")[2]}` }, "token.signature_invalid"],
  ])("%s: an empty list with the original status, never the full list", async (_n, options, reason) => {
    const o = await run(h.handler(), responseEvent(options as ResponseOptions));
    expect((o.output.mcp as Json).transformedGatewayResponse).toEqual({
      statusCode: 200,
      body: { jsonrpc: "2.0", id: 1, result: { tools: [], nextCursor: "n2" } },
    });
    expect(o.audit).toMatchObject({ decision: "deny", reason, detail: { removed: catalogue().length } });
  });

  it("an invalid configuration: empty listings, other responses untouched", async () => {
    const handler = createHandler({ config: { ok: false, problems: ["issuers: required"] } });
    const listing = await run(handler, responseEvent());
    expect(names((filteredBody(listing.output)!.result as Json).tools)).toEqual([]);
    expect(listing.audit).toMatchObject({ decision: "deny", reason: "config.invalid" });
    const ping = responseEvent({ request: { method: "ping" }, body: { jsonrpc: "2.0", id: 1, result: {} } });
    const other = await run(handler, ping);
    expect(other.output).toEqual(echoOf(ping));
  });

  it("a listing whose body cannot be read is refused, not passed on", async () => {
    const o = await run(h.handler(), responseEvent({ body: "event: message\ndata: {...}" }));
    expect((o.output.mcp as Json).transformedGatewayResponse).toMatchObject({
      statusCode: 500,
      body: { id: 1, error: { data: { reason: "event.unsupported" } } },
    });
  });

  it("a refused stream event after the first carries only a body: only the first may set a status", async () => {
    const o = await run(h.handler(), responseEvent({ body: "event: message\ndata: {...}", streaming: true }));
    const reply = (o.output.mcp as Json).transformedGatewayResponse as Json;
    expect(Object.keys(reply)).toEqual(["body"]);
    expect(reply.body).toMatchObject({ id: 1, error: { data: { reason: "event.unsupported" } } });
  });

  it("a malformed RESPONSE event is refused with the table's event.unsupported", async () => {
    const o = await run(h.handler(), { interceptorInputVersion: "2.0", mcp: { gatewayResponse: { body: {} } } });
    expect(o.audit).toMatchObject({ decision: "deny", reason: "event.unsupported", detail: { phase: "response" } });
  });
});

describe('responseOutput "body-only": every reply that carries a body carries it alone', () => {
  const bodyOnly = () => h.handler((c) => (c.responseOutput = "body-only"));
  it("a filtered listing, a pass-through, a refused caller's empty listing and a refusal: {body} only", async () => {
    const filtered = await run(bodyOnly(), responseEvent());
    expect(Object.keys((filtered.output.mcp as Json).transformedGatewayResponse as Json)).toEqual(["body"]);
    expect(names((filteredBody(filtered.output)!.result as Json).tools)).toEqual(
      names(catalogue()).filter((n) => !n.startsWith("legacy___")),
    );
    const call = responseEvent({
      request: { method: "tools/call", params: { name: "crm___get" } },
      body: { jsonrpc: "2.0", id: 1, result: {} },
    });
    expect((await run(bodyOnly(), call)).output).toEqual({
      interceptorOutputVersion: "1.0",
      mcp: { transformedGatewayResponse: { body: { jsonrpc: "2.0", id: 1, result: {} } } },
    });
    const refused = await run(bodyOnly(), responseEvent({ headers: { "content-type": "application/json" } }));
    expect(refused.output).toEqual({
      interceptorOutputVersion: "1.0",
      mcp: { transformedGatewayResponse: { body: { jsonrpc: "2.0", id: 1, result: { tools: [], nextCursor: "n2" } } } },
    });
    const unreadable = await run(bodyOnly(), responseEvent({ body: "event: message\ndata: {...}" }));
    const reply = (unreadable.output.mcp as Json).transformedGatewayResponse as Json;
    expect(Object.keys(reply)).toEqual(["body"]);
    expect(reply.body).toMatchObject({ id: 1, error: { data: { reason: "event.unsupported" } } });
  });

  it("a reply without a body is still answered by the version alone", async () => {
    const o = await run(bodyOnly(), responseEvent({ request: { method: "notifications/initialized", id: null }, body: null, status: 202 }));
    expect(o.output).toEqual(NOTHING);
  });
});

describe("RESPONSE phase: everything else passes through unchanged", () => {
  it.each([
    [
      "a tools/call result",
      {
        request: { method: "tools/call", params: { name: "legacy___get", arguments: {} } },
        body: { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "ok" }] } },
      },
    ],
    ["initialize", { request: { method: "initialize" }, body: { jsonrpc: "2.0", id: 1, result: { capabilities: { tools: {} } } } }],
    ["a notification (no body)", { request: { method: "notifications/initialized", id: null }, body: null, status: 202 }],
    ["a tools/list error", { body: { jsonrpc: "2.0", id: 1, error: { code: -32603, message: "boom" } } }],
    [
      "a short-circuit denial replayed after REQUEST",
      {
        body: { jsonrpc: "2.0", id: 1, error: { code: -31001, message: "Authentication required", data: { reason: "auth.missing" } } },
        status: 401,
        headers: {},
      },
    ],
    ["the reported null body after a short-circuit", { body: null, headers: {} }],
    ["a listing whose result is null", { body: { jsonrpc: "2.0", id: 1, result: null } }],
  ])("%s", async (_n, options) => {
    const event = responseEvent(options as ResponseOptions);
    const o = await run(h.handler(), event);
    expect(o.output).toEqual((options as ResponseOptions).body === null ? NOTHING : echoOf(event));
    expect(o.audit).toMatchObject({ decision: "allow", detail: { phase: "response" } });
  });

  it("an http-envelope response: the documented pass-through", async () => {
    const event = {
      interceptorInputVersion: "1.0",
      http: { gatewayRequest: null, gatewayResponse: { statusCode: 200, headers: {}, body: "e30=", contentType: "application/json" } },
    };
    const o = await run(h.handler(), event);
    expect(o.output).toEqual({ interceptorOutputVersion: "1.0", http: {} });
    expect(o.audit).toMatchObject({ decision: "allow", reason: "response.passthrough", detail: { envelope: "http", phase: "response" } });
  });

  it("listingFilter off: listings pass through, one audit line says so", async () => {
    const event = responseEvent();
    const o = await run(
      h.handler((c) => (c.listingFilter = "off")),
      event,
    );
    expect(o.output).toEqual(echoOf(event));
    expect(o.audit).toMatchObject({ decision: "allow", reason: "listing.filter_off", detail: { listing: "tools/list" } });
  });

  it("a REQUEST-phase event with gatewayResponse: null is still the REQUEST phase", async () => {
    const event = mcpEvent({ method: "tools/list" });
    (event.mcp as Json).gatewayResponse = null;
    const o = await run(h.handler(), event);
    expect((o.output.mcp as Json).transformedGatewayRequest).toBeDefined();
  });
});

describe("the tools a caller sees are exactly the tools it may call", () => {
  const policies: [string, (c: Json) => void][] = [
    ["baseline", () => undefined],
    [
      "issuer-bound, scoped and user-only targets; unlisted denied",
      (c) => {
        const t = c.targets as Json;
        t.orders = { mode: "none", issuers: ["https://idp-a.example"] };
        t.reports = { mode: "none", requiredScopes: ["reports:read"] };
        t.crm = { mode: "claims", headers: { "x-user-email": { claim: "email", required: true } }, requireUser: true };
        t.passthru = { mode: "forward", allowPassthrough: true, issuers: ["https://idp-b.example"], onDenied: "strip" };
        c.unlistedTargets = "deny";
      },
    ],
  ];
  const callers: [string, () => string][] = [
    ["issuer A user", () => tokenA({ email: "u@a.example" })],
    [
      "issuer A user with reports scope and legacy audience",
      () => tokenA({ scope: "mcp:invoke reports:read", aud: [GATEWAY_AUD, "legacy-resource"] }),
    ],
    ["issuer A machine token", () => tokenA({ sub: "app-a", email: "m@a.example" })],
    ["issuer B user", () => tokenB({ email: "b@b.example" })],
  ];

  it.each(policies.flatMap(([p, patch]) => callers.map(([c, token]) => [p, c, patch, token] as const)))(
    "%s / %s",
    async (_p, _c, patch, tokenOf) => {
      const handler = h.handler(patch);
      const token = tokenOf();
      const listed = await run(handler, responseEvent({ token }));
      const filtered = filteredBody(listed.output);
      const seen = filtered === undefined ? names(catalogue()) : names((filtered.result as Json).tools);
      const callable: string[] = [];
      for (const name of names(catalogue())) {
        const called = await run(handler, mcpEvent({ name, token }), lambdaContext());
        if ((called.output.mcp as Json).transformedGatewayRequest !== undefined) callable.push(name);
      }
      expect(seen).toEqual(callable);
    },
  );
});
