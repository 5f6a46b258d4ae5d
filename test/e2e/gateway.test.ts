import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway, type GatewayOptions } from "./stack/gateway.js";
import { McpTarget } from "./stack/mcp-target.js";

/**
 * The local gateway is a test double of AgentCore Gateway: its own rules (docs/agentcore-contract.md §2, §4)
 * are checked here with scripted interceptor outputs, so the end-to-end results rest on a gateway that
 * behaves as documented.
 */
const target = new McpTarget("t");
beforeAll(() => target.start());
afterAll(() => target.stop());

type Output = Awaited<ReturnType<GatewayOptions["invokeInterceptor"]>>;
const allow = (headers: Record<string, string>, body: unknown): Output => ({
  output: { interceptorOutputVersion: "1.0", mcp: { transformedGatewayRequest: { headers, body } } },
});

async function withGateway(
  reply: (event: { mcp: { gatewayRequest: { body: unknown } } }) => Output,
  unconfirmed: GatewayOptions["unconfirmed"],
  work: (url: string) => Promise<void>,
) {
  const gateway = await new Gateway({
    targets: [
      {
        name: "t",
        url: target.url,
        credential: { authorization: "Bearer static-credential", "x-api-key": "k" },
        allowedRequestHeaders: ["x-user-sub", "x-note"],
      },
    ],
    passRequestHeaders: true,
    invokeInterceptor: async (e) => reply(e as never),
    unconfirmed,
  }).start();
  try {
    await work(gateway.url);
  } finally {
    await gateway.stop();
  }
}

const call = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "t___echo", arguments: {} } }),
  });

describe("local gateway (AgentCore Gateway double)", () => {
  it.each([
    [
      "body as a JSON string",
      (b: unknown) => ({ output: { interceptorOutputVersion: "1.0", mcp: { transformedGatewayRequest: { body: JSON.stringify(b) } } } }),
    ],
    [
      "wrong envelope key",
      (b: unknown) => ({ output: { interceptorOutputVersion: "1.0", http: { transformedGatewayRequest: { body: b } } } }),
    ],
    [
      "extra keys",
      (b: unknown) => ({ output: { interceptorOutputVersion: "1.0", mcp: { transformedGatewayRequest: { body: b, path: "/mcp" } } } }),
    ],
    ["a thrown invocation", () => ({ error: "Error" })],
  ])("rejects malformed interceptor output (%s) with 500 and never calls the target", async (_n, make) => {
    const before = target.seen.length;
    await withGateway(
      (e) => make(e.mcp.gatewayRequest.body) as Output,
      {},
      async (url) => {
        const res = await call(url);
        expect(res.status).toBe(500);
        expect(JSON.stringify(await res.json())).toContain("InterceptorException");
      },
    );
    expect(target.seen.length).toBe(before);
  });

  it("answers a short-circuit with its status and body, without calling the target", async () => {
    const before = target.seen.length;
    const body = { jsonrpc: "2.0", id: 1, error: { code: -31003, message: "no", data: { reason: "policy.target_denied" } } };
    await withGateway(
      () => ({ output: { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse: { statusCode: 403, body } } } }),
      {},
      async (url) => {
        const res = await call(url);
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual(body);
      },
    );
    expect(target.seen.length).toBe(before);
  });

  it("applies the header rules: interceptor Authorization overrides the credential; other interceptor headers only if allowlisted; restricted names dropped; allowlisted client headers pass", async () => {
    await withGateway(
      (e) =>
        allow(
          { Authorization: "Bearer from-interceptor", "x-user-sub": "alice", "x-not-allowed": "1", "content-type": "text/plain" },
          e.mcp.gatewayRequest.body,
        ),
      {},
      async (url) => {
        await call(url, { "x-note": "client-note", "x-user-sub": "client-value", "x-other": "client" });
      },
    );
    const seen = target.seen.at(-1)!;
    expect(seen.authorization).toBe("Bearer from-interceptor");
    expect(seen["x-api-key"]).toBe("k");
    expect(seen["x-user-sub"]).toBe("alice");
    expect(seen["x-note"]).toBe("client-note");
    expect(seen["x-not-allowed"]).toBeUndefined();
    expect(seen["x-other"]).toBeUndefined();
    expect(seen["content-type"]).toBe("application/json");
  });

  it("option omittedHeaderStripsClientCopy: an allowlisted client header the interceptor did not set is dropped", async () => {
    await withGateway(
      (e) => allow({}, e.mcp.gatewayRequest.body),
      { omittedHeaderStripsClientCopy: true },
      async (url) => {
        await call(url, { "x-note": "client-note" });
      },
    );
    expect(target.seen.at(-1)!["x-note"]).toBeUndefined();
    expect(target.seen.at(-1)!.authorization).toBe("Bearer static-credential");
  });
});
