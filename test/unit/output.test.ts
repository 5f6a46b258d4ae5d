import { describe, expect, it } from "vitest";
import { allowOutput, denyOutput, NOTHING_TO_ANSWER, responseOutput, wwwAuthenticate } from "../../src/respond/output.js";
import { Denial } from "../../src/errors.js";
import type { Challenge } from "../../src/respond/denials.js";

/** src/respond/output.ts: what the interceptor returns to the gateway, for an allow and for a deny. */

const PRM = "https://gw.example/.well-known/oauth-protected-resource";
const ctx = { id: "req-1", requestId: "aws-req-1", resourceMetadataUrl: undefined };
const decode = (b64: unknown) => (typeof b64 === "string" ? JSON.parse(Buffer.from(b64, "base64").toString("utf8")) : undefined);

describe("allowOutput", () => {
  it("mcp: exactly {headers, body} under mcp.transformedGatewayRequest, body by reference", () => {
    const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "hr___x" } };
    const out = allowOutput("mcp", { "x-user-sub": "alice" }, body);
    expect(out).toStrictEqual({
      interceptorOutputVersion: "1.0",
      mcp: { transformedGatewayRequest: { headers: { "x-user-sub": "alice" }, body } },
    });
    expect("mcp" in out && out.mcp.transformedGatewayRequest?.body).toBe(body);
  });

  it("http: the same under http; no headers is {}", () => {
    expect(allowOutput("http", {}, "raw")).toStrictEqual({
      interceptorOutputVersion: "1.0",
      http: { transformedGatewayRequest: { headers: {}, body: "raw" } },
    });
  });
});

describe("wwwAuthenticate (RFC 6750 §3)", () => {
  const cases: [Challenge, readonly string[] | undefined, string | undefined, string | undefined][] = [
    ["none", undefined, undefined, undefined],
    ["none", ["a"], PRM, undefined],
    ["bare", undefined, undefined, "Bearer"],
    ["bare", undefined, PRM, `Bearer resource_metadata="${PRM}"`],
    ["invalid_request", undefined, undefined, 'Bearer error="invalid_request"'],
    ["invalid_token", undefined, undefined, 'Bearer error="invalid_token", error_description="The access token is invalid"'],
    [
      "invalid_token",
      undefined,
      PRM,
      `Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata="${PRM}"`,
    ],
    ["insufficient_scope", ["read", "payroll:write"], undefined, 'Bearer error="insufficient_scope", scope="read payroll:write"'],
    ["insufficient_scope", undefined, undefined, 'Bearer error="insufficient_scope"'],
    ["insufficient_scope", [], undefined, 'Bearer error="insufficient_scope", scope=""'],
  ];
  it.each(cases)("%s scope=%j prm=%j → %j", (challenge, scope, prm, header) => {
    expect(wwwAuthenticate(challenge, "The access token is invalid", scope, prm)).toBe(header);
  });

  it("quotes and backslashes are escaped inside quoted strings", () => {
    expect(wwwAuthenticate("invalid_token", 'say "hi" \\ bye', undefined, undefined)).toBe(
      'Bearer error="invalid_token", error_description="say \\"hi\\" \\\\ bye"',
    );
    expect(wwwAuthenticate("insufficient_scope", "m", ['a"b'], 'https://x.example/"')).toBe(
      'Bearer error="insufficient_scope", scope="a\\"b", resource_metadata="https://x.example/\\""',
    );
  });

  it("a scope is only named for insufficient_scope", () => {
    expect(wwwAuthenticate("invalid_token", "m", ["read"], undefined)).toBe('Bearer error="invalid_token", error_description="m"');
    expect(wwwAuthenticate("bare", "m", ["read"], undefined)).toBe("Bearer");
  });
});

describe("denyOutput: mcp envelope", () => {
  it("401 token: JSON-RPC error with the reason, request id and the challenge in error.data", () => {
    expect(denyOutput("mcp", new Denial("token.expired"), { ...ctx, resourceMetadataUrl: PRM })).toStrictEqual({
      interceptorOutputVersion: "1.0",
      mcp: {
        transformedGatewayResponse: {
          statusCode: 401,
          body: {
            jsonrpc: "2.0",
            id: "req-1",
            error: {
              code: -31001,
              message: "The access token is expired",
              data: {
                reason: "token.expired",
                requestId: "aws-req-1",
                wwwAuthenticate: `Bearer error="invalid_token", error_description="The access token is expired", resource_metadata="${PRM}"`,
              },
            },
          },
        },
      },
    });
  });

  it("403 insufficient scope: the full required set in the challenge", () => {
    const out = denyOutput("mcp", new Denial("scope.insufficient", { scope: ["gw:use", "payroll:read"] }), { ...ctx, id: 7 });
    expect(out).toStrictEqual({
      interceptorOutputVersion: "1.0",
      mcp: {
        transformedGatewayResponse: {
          statusCode: 403,
          body: {
            jsonrpc: "2.0",
            id: 7,
            error: {
              code: -31003,
              message: "Insufficient scope",
              data: {
                reason: "scope.insufficient",
                requestId: "aws-req-1",
                wwwAuthenticate: 'Bearer error="insufficient_scope", scope="gw:use payroll:read"',
              },
            },
          },
        },
      },
    });
  });

  it("403 policy: no challenge, no requestId when unknown, id null echoed", () => {
    expect(
      denyOutput("mcp", new Denial("policy.target_denied"), { id: null, requestId: undefined, resourceMetadataUrl: PRM }),
    ).toStrictEqual({
      interceptorOutputVersion: "1.0",
      mcp: {
        transformedGatewayResponse: {
          statusCode: 403,
          body: {
            jsonrpc: "2.0",
            id: null,
            error: { code: -31003, message: "Access to this tool is not permitted", data: { reason: "policy.target_denied" } },
          },
        },
      },
    });
  });

  it("503: retryAfter is the default 10 s, or the denial's own", () => {
    const body = (d: Denial) => {
      const out = denyOutput("mcp", d, ctx);
      return "mcp" in out ? out.mcp.transformedGatewayResponse : undefined;
    };
    expect(body(new Denial("jwks.unavailable"))).toStrictEqual({
      statusCode: 503,
      body: {
        jsonrpc: "2.0",
        id: "req-1",
        error: {
          code: -31503,
          message: "Temporarily unavailable",
          data: { reason: "jwks.unavailable", requestId: "aws-req-1", retryAfter: 10 },
        },
      },
    });
    expect(body(new Denial("jwks.rate_limited", { retryAfter: 3 }))?.body).toMatchObject({ error: { data: { retryAfter: 3 } } });
    // retryAfter only on 503s.
    expect(body(new Denial("internal.error", { retryAfter: 3 }))?.body).toStrictEqual({
      jsonrpc: "2.0",
      id: "req-1",
      error: { code: -32603, message: "Internal error", data: { reason: "internal.error", requestId: "aws-req-1" } },
    });
  });

  it("a parse error keeps its reason but answers JSON-RPC -32700 Parse error", () => {
    const out = denyOutput("mcp", new Denial("request.invalid_jsonrpc", { jsonRpcCode: -32700 }), { ...ctx, id: null });
    expect("mcp" in out && out.mcp.transformedGatewayResponse).toStrictEqual({
      statusCode: 400,
      body: {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32700, message: "Parse error", data: { reason: "request.invalid_jsonrpc", requestId: "aws-req-1" } },
      },
    });
    // Any other jsonRpcCode does not replace the table's.
    const other = denyOutput("mcp", new Denial("request.invalid_jsonrpc", { jsonRpcCode: -32601 }), ctx);
    expect("mcp" in other && other.mcp.transformedGatewayResponse?.body).toMatchObject({
      error: { code: -32600, message: "Invalid Request" },
    });
  });

  it("bodyOnly (a stream event, or the body-only RESPONSE form) sends no status", () => {
    const out = denyOutput("mcp", new Denial("policy.target_denied"), { ...ctx, bodyOnly: true });
    expect("mcp" in out && out.mcp.transformedGatewayResponse).toStrictEqual({
      body: {
        jsonrpc: "2.0",
        id: "req-1",
        error: {
          code: -31003,
          message: "Access to this tool is not permitted",
          data: { reason: "policy.target_denied", requestId: "aws-req-1" },
        },
      },
    });
  });

  it("never a transformedGatewayRequest on a deny", () => {
    const out = denyOutput("mcp", new Denial("auth.missing"), ctx);
    expect(Object.keys("mcp" in out ? out.mcp : {})).toEqual(["transformedGatewayResponse"]);
  });
});

describe("denyOutput: http envelope", () => {
  it("401: status, JSON content type, WWW-Authenticate header, base64 JSON body", () => {
    const out = denyOutput("http", new Denial("auth.missing"), { ...ctx, resourceMetadataUrl: PRM });
    const response = "http" in out ? out.http.transformedGatewayResponse : undefined;
    expect(response && { ...response, body: decode(response.body) }).toStrictEqual({
      statusCode: 401,
      contentType: "application/json",
      headers: { "WWW-Authenticate": `Bearer resource_metadata="${PRM}"` },
      body: {
        jsonrpc: "2.0",
        id: "req-1",
        error: {
          code: -31001,
          message: "Authentication required",
          data: { reason: "auth.missing", requestId: "aws-req-1", wwwAuthenticate: `Bearer resource_metadata="${PRM}"` },
        },
      },
    });
    expect(Object.keys("http" in out ? out.http : {})).toEqual(["transformedGatewayResponse"]);
  });

  it("503: a Retry-After header as well; 403 policy: no headers at all", () => {
    const unavailable = denyOutput("http", new Denial("obo.unavailable", { retryAfter: 30 }), ctx);
    expect("http" in unavailable && unavailable.http.transformedGatewayResponse?.headers).toStrictEqual({ "Retry-After": "30" });
    const denied = denyOutput("http", new Denial("policy.target_denied"), ctx);
    expect("http" in denied && denied.http.transformedGatewayResponse?.headers).toStrictEqual({});
    // bodyOnly only matters for mcp: http always has its status.
    const streamed = denyOutput("http", new Denial("policy.target_denied"), { ...ctx, bodyOnly: true });
    expect("http" in streamed && streamed.http.transformedGatewayResponse?.statusCode).toBe(403);
  });

  it("the body is UTF-8 JSON in base64, whatever the id holds", () => {
    const id = 'naïve "id" \u2028 😀';
    const out = denyOutput("http", new Denial("policy.target_denied"), { ...ctx, id });
    const body = "http" in out ? out.http.transformedGatewayResponse?.body : undefined;
    expect(typeof body === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(body)).toBe(true);
    expect(decode(body)).toMatchObject({ id, error: { data: { reason: "policy.target_denied" } } });
  });
});

describe("responseOutput: a RESPONSE-phase reply", () => {
  const body = { jsonrpc: "2.0", id: 1, result: { tools: [] } };
  it("status-and-body: the status and the body", () => {
    expect(responseOutput("status-and-body", 207, body, false)).toEqual({
      interceptorOutputVersion: "1.0",
      mcp: { transformedGatewayResponse: { statusCode: 207, body } },
    });
  });
  it("body-only, or any stream event: the body alone", () => {
    const bodyOnly = { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse: { body } } };
    expect(responseOutput("body-only", 200, body, false)).toEqual(bodyOnly);
    expect(responseOutput("status-and-body", 200, body, true)).toEqual(bodyOnly);
    expect(responseOutput("body-only", 200, body, true)).toEqual(bodyOnly);
  });
  it("the body is handed back as given, text included", () => {
    expect(responseOutput("body-only", 200, '{"a":1}', false)).toEqual({
      interceptorOutputVersion: "1.0",
      mcp: { transformedGatewayResponse: { body: '{"a":1}' } },
    });
  });
  it("nothing to answer: the version alone", () => {
    expect(NOTHING_TO_ANSWER).toEqual({ interceptorOutputVersion: "1.0" });
  });
});
