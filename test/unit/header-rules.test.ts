import { describe, expect, it } from "vitest";
import { canonicalHeaderName, HEADER_NAME, headerNameProblem, MAX_HEADERS_PER_TARGET } from "../../src/config/header-rules.js";

/** src/config/header-rules.ts: AgentCore Gateway's rules for header names an interceptor may set on a target. */

const SYNTAX = "must match ^[a-zA-Z0-9_-]+$ and be 1..100 characters";
const RESERVED = "X-Amzn-* names are reserved (only X-Amzn-Bedrock-AgentCore-Runtime-Custom-* is allowed)";
const restricted = (name: string) => `"${name}" is a restricted header that AgentCore Gateway never propagates`;

describe("headerNameProblem", () => {
  it.each([
    "x-user-sub",
    "X-User-Sub",
    "x_user_sub",
    "a",
    "0",
    "-",
    "_",
    "x".repeat(100),
    "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User",
    "x-amzn-bedrock-agentcore-runtime-custom-",
    "x-amznfoo",
    "x-amz",
    "xhost",
    "hosts",
    "authorization2",
    "x-mcp-user",
    "forwarded-user",
  ])("%j → allowed", (name) => {
    expect(headerNameProblem(name)).toBeUndefined();
  });

  it.each([
    "",
    "x".repeat(101),
    "x user",
    "x:user",
    ":authority",
    "x.user",
    "x/user",
    "é",
    "x\nuser",
    "x\u0000",
    "x-user\r",
    "ｘ-user",
    "x\u200buser",
  ])("%j → the syntax problem", (name) => {
    expect(headerNameProblem(name)).toBe(SYNTAX);
  });

  it.each([
    "Authorization",
    "authorization",
    "AUTHORIZATION",
    "Proxy-Authorization",
    "Host",
    "Cookie",
    "Set-Cookie",
    "Content-Type",
    "Content-Length",
    "Transfer-Encoding",
    "TE",
    "Connection",
    "Upgrade",
    "Forwarded",
    "Via",
    "X-Real-IP",
    "X-Forwarded-For",
    "x-forwarded-host",
    "Access-Control-Allow-Origin",
    "CF-Connecting-IP",
    "Sec-WebSocket-Key",
    "X-Amz-Date",
    "x-amz-security-token",
    "Mcp-Session-Id",
    "mcp-protocol-version",
    "x-amz-cf-id",
  ])("%j → restricted", (name) => {
    expect(headerNameProblem(name)).toBe(restricted(name));
  });

  it.each([
    "X-Amzn-Trace-Id",
    "x-amzn-requestid",
    "X-AMZN-BEDROCK-AGENTCORE-RUNTIME-SESSION-ID",
    "x-amzn-bedrock-agentcore-runtime-custom",
  ])("%j → reserved X-Amzn-*", (name) => {
    expect(headerNameProblem(name)).toBe(RESERVED);
  });

  it("the limits are AgentCore's", () => {
    expect(MAX_HEADERS_PER_TARGET).toBe(10);
    expect(HEADER_NAME.test("x".repeat(100))).toBe(true);
    expect(HEADER_NAME.test("x".repeat(101))).toBe(false);
  });
});

describe("canonicalHeaderName", () => {
  it.each([
    ["X-User-Sub", "x-user-sub"],
    ["x_user_sub", "x-user-sub"],
    ["X_USER-SUB", "x-user-sub"],
    ["__", "--"],
    ["", ""],
  ])("%j → %j", (name, canonical) => {
    expect(canonicalHeaderName(name)).toBe(canonical);
  });

  it("names that differ only by case or _ versus - are the same header", () => {
    expect(canonicalHeaderName("X_Identity_Assertion")).toBe(canonicalHeaderName("x-identity-assertion"));
    expect(canonicalHeaderName("x-user")).not.toBe(canonicalHeaderName("x-users"));
  });
});
