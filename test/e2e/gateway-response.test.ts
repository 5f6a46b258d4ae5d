import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway, type GatewayOptions } from "./stack/gateway.js";
import { McpTarget } from "./stack/mcp-target.js";

/**
 * The local gateway's RESPONSE phase (docs/agentcore-contract.md §3), checked with scripted interceptor
 * outputs: the interceptor sees each reply with the request, also after a short-circuit; a
 * `transformedGatewayResponse` in the configured form replaces the reply; the version alone answers a
 * reply without a body; anything else (`{"mcp":{}}` included, in either phase) is the gateway's
 * InterceptorException.
 */
const target = new McpTarget("t");
beforeAll(() => target.start());
afterAll(() => target.stop());

type Json = Record<string, unknown>;
type Output = Awaited<ReturnType<GatewayOptions["invokeInterceptor"]>>;
type Event = {
  mcp: { gatewayRequest: { body: Json; headers: Json }; gatewayResponse: null | { statusCode: number; headers: Json; body: unknown } };
};

async function withGateway(
  reply: (event: Event) => Output,
  unconfirmed: GatewayOptions["unconfirmed"],
  work: (url: string, gateway: Gateway) => Promise<void>,
  responseOutput: GatewayOptions["responseOutput"] = "status-and-body",
) {
  const gateway = await new Gateway({
    targets: [{ name: "t", url: target.url, credential: {}, allowedRequestHeaders: [] }],
    passRequestHeaders: true,
    invokeInterceptor: async (e) => reply(e as Event),
    responsePhase: true,
    semanticSearch: true,
    unconfirmed,
    responseOutput,
  }).start();
  try {
    await work(gateway.url, gateway);
  } finally {
    await gateway.stop();
  }
}

const allowRequest = (e: Event): Output => ({
  output: { interceptorOutputVersion: "1.0", mcp: { transformedGatewayRequest: { headers: {}, body: e.mcp.gatewayRequest.body } } },
});
/** Hands the reply back unchanged, in the default form; the version alone when there was no body. */
const echo = (e: Event): Output => {
  const response = e.mcp.gatewayResponse;
  if (response === null || response.body === null) return { output: { interceptorOutputVersion: "1.0" } };
  return {
    output: {
      interceptorOutputVersion: "1.0",
      mcp: { transformedGatewayResponse: { statusCode: response.statusCode, body: response.body } },
    },
  };
};
const EMPTY_MCP: Output = { output: { interceptorOutputVersion: "1.0", mcp: {} } };
const phaseOf = (e: Event) => (e.mcp.gatewayResponse === null ? "REQUEST" : "RESPONSE");

const post = (url: string, body: Json) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: "Bearer t0k3n" },
    body: JSON.stringify(body),
  });
const list = { jsonrpc: "2.0", id: 3, method: "tools/list", params: {} };

describe("local gateway: the RESPONSE phase", () => {
  it("invokes the interceptor a second time with the request (headers included) and the reply; a pass-through keeps the reply", async () => {
    const seen: Event[] = [];
    await withGateway(
      (e) => (seen.push(e), phaseOf(e) === "REQUEST" ? allowRequest(e) : echo(e)),
      {},
      async (url) => {
        const res = await post(url, list);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { result: { tools: { name: string }[] } };
        expect(body.result.tools.map((t) => t.name)).toEqual(["x_amz_bedrock_agentcore_search", "t___whoami", "t___echo"]);
      },
    );
    expect(seen.map(phaseOf)).toEqual(["REQUEST", "RESPONSE"]);
    const response = seen[1]!.mcp;
    expect(response.gatewayRequest.body).toEqual(list);
    expect(response.gatewayRequest.headers.authorization).toBe("Bearer t0k3n");
    expect(response.gatewayResponse).toMatchObject({
      statusCode: 200,
      body: { jsonrpc: "2.0", id: 3, result: { tools: expect.any(Array) } },
    });
  });

  it("a transformedGatewayResponse replaces the body (and the status when it sets one)", async () => {
    const replaced = { jsonrpc: "2.0", id: 3, result: { tools: [] } };
    await withGateway(
      (e) =>
        phaseOf(e) === "REQUEST"
          ? allowRequest(e)
          : { output: { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse: { statusCode: 200, body: replaced } } } },
      {},
      async (url) => {
        const res = await post(url, list);
        expect(await res.json()).toEqual(replaced);
      },
    );
  });

  it("runs after a short-circuit too, with the short-circuit reply; option: a null body there (aws/bedrock-agentcore-sdk-python#409)", async () => {
    const denial = { jsonrpc: "2.0", id: 3, error: { code: -31003, message: "no" } };
    const shortCircuit: Output = {
      output: { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse: { statusCode: 403, body: denial } } },
    };
    for (const nullBody of [false, true]) {
      const seen: Event[] = [];
      await withGateway(
        (e) => (seen.push(e), phaseOf(e) === "REQUEST" ? shortCircuit : echo(e)),
        { shortCircuitBodyNullInResponsePhase: nullBody },
        async (url) => {
          const res = await post(url, list);
          expect(res.status).toBe(403);
          expect(await res.json()).toEqual(denial);
        },
      );
      expect(seen[1]!.mcp.gatewayResponse).toMatchObject({ statusCode: 403, body: nullBody ? null : denial });
    }
  });

  it.each([
    ["the body as a JSON string", { transformedGatewayResponse: { statusCode: 200, body: "{}" } }],
    ["an unknown key", { transformedGatewayResponse: { body: {}, decision: "allow" } }],
    ["a second key beside the response", { transformedGatewayResponse: { body: {} }, transformedGatewayRequest: { body: {} } }],
  ])("rejects a malformed RESPONSE output (%s) with the gateway's 500", async (_n, mcp) => {
    await withGateway(
      (e) => (phaseOf(e) === "REQUEST" ? allowRequest(e) : { output: { interceptorOutputVersion: "1.0", mcp } }),
      {},
      async (url) => {
        const res = await post(url, list);
        expect(res.status).toBe(500);
        expect(JSON.stringify(await res.json())).toContain("InterceptorException");
      },
    );
  });

  it.each([
    ["REQUEST", (e: Event) => (phaseOf(e) === "REQUEST" ? EMPTY_MCP : echo(e))],
    ["RESPONSE", (e: Event) => (phaseOf(e) === "REQUEST" ? allowRequest(e) : EMPTY_MCP)],
  ])('refuses {"mcp":{}} in the %s phase with the gateway\'s 500', async (_phase, reply) => {
    await withGateway(reply, {}, async (url) => {
      const res = await post(url, list);
      expect(res.status).toBe(500);
      expect(JSON.stringify(await res.json())).toContain("InterceptorException");
    });
  });

  const replaced = { jsonrpc: "2.0", id: 3, result: { tools: [] } };
  it.each([
    ["status-and-body", { statusCode: 200, body: replaced }, 200],
    ["status-and-body", { statusCode: 200, headers: { "x-filtered": "1" }, body: replaced }, 200],
    ["status-and-body", { body: replaced }, 500],
    ["body-only", { body: replaced }, 200],
    ["body-only", { statusCode: 200, body: replaced }, 500],
    ["body-only", { headers: {}, body: replaced }, 500],
  ] as const)("in the %s form, %j → HTTP %i", async (form, transformedGatewayResponse, status) => {
    await withGateway(
      (e) =>
        phaseOf(e) === "REQUEST" ? allowRequest(e) : { output: { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse } } },
      {},
      async (url) => {
        const res = await post(url, list);
        expect(res.status).toBe(status);
        if (status === 200) expect(await res.json()).toEqual(replaced);
        else expect(JSON.stringify(await res.json())).toContain("InterceptorException");
      },
      form,
    );
  });

  it("the version alone answers a reply without a body (a notification's 202) and fails one with a body", async () => {
    const versionOnly: Output = { output: { interceptorOutputVersion: "1.0" } };
    await withGateway(
      (e) => (phaseOf(e) === "REQUEST" ? allowRequest(e) : versionOnly),
      {},
      async (url) => {
        expect((await post(url, { jsonrpc: "2.0", method: "notifications/initialized" })).status).toBe(202);
        expect((await post(url, list)).status).toBe(500);
      },
    );
  });

  it("answers its search tool with the matching tools in structuredContent and as JSON text", async () => {
    await withGateway(
      (e) => (phaseOf(e) === "REQUEST" ? allowRequest(e) : echo(e)),
      {},
      async (url) => {
        const res = await post(url, {
          jsonrpc: "2.0",
          id: 4,
          method: "tools/call",
          params: { name: "x_amz_bedrock_agentcore_search", arguments: { query: "identity" } },
        });
        const body = (await res.json()) as { result: { structuredContent: { tools: { name: string }[] }; content: { text: string }[] } };
        expect(body.result.structuredContent.tools.map((t) => t.name)).toEqual(["t___whoami"]);
        expect(JSON.parse(body.result.content[0]!.text)).toEqual(body.result.structuredContent);
      },
    );
  });
});
