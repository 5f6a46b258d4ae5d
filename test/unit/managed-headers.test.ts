import { describe, expect, it } from "vitest";
import { ManagedHeaders } from "../../src/policy/managed-headers.js";
import { HeaderBag } from "../../src/event/headers.js";
import { configOf } from "../support/pure-inputs.js";

/** src/policy/managed-headers.ts: inbound headers a client may not send (the interceptor speaks them, or proxies trust them). */

const ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:s-AbCdEf";
const managed = new ManagedHeaders(
  configOf({
    targets: {
      hr: { mode: "claims", headers: { "X-User-Sub": "sub", x_user_email: "email" } },
      signed: { mode: "assertion", header: "X-Caller-Assertion" },
      fw: { mode: "forward", allowPassthrough: true, header: "X-Upstream-Token" },
      plain: { mode: "forward", allowPassthrough: true },
    },
    assertion: { issuer: "https://interceptor.example", signingKeySecretArn: ARN },
  }),
);

describe("ManagedHeaders.has", () => {
  it.each([
    "X-User-Sub",
    "x-user-sub",
    "X_USER_SUB",
    "x-user-email",
    "X_User_Email",
    "x-caller-assertion",
    "x-upstream-token",
    "X-Forwarded-User",
    "x_forwarded_email",
    "Remote-User",
    "x-authenticated-userid",
    "X-Auth-Request-User",
    "x-auth-request-",
    "X-Amzn-Oidc-Identity",
    "x-ms-client-principal-name",
    "X-MS-CLIENT-PRINCIPAL",
    "x-goog-authenticated-user-email",
  ])("%j → managed", (name) => {
    expect(managed.has(name)).toBe(true);
  });

  it.each([
    "authorization",
    "x-user",
    "x-user-sub-2",
    "x-identity-assertion",
    "content-type",
    "x-forwarded-for",
    "x-auth-request",
    "x-goog-authenticated-user",
    "mcp-session-id",
    "",
    "__proto__",
    "constructor",
  ])("%j → not managed", (name) => {
    expect(managed.has(name)).toBe(false);
  });

  it("the default assertion header is managed only when an assertion target uses it", () => {
    const withDefault = new ManagedHeaders(
      configOf({
        targets: { signed: { mode: "assertion" } },
        assertion: { issuer: "https://interceptor.example", signingKeySecretArn: ARN },
      }),
    );
    expect(withDefault.has("X-Identity-Assertion")).toBe(true);
    expect(new ManagedHeaders(configOf({})).has("x-identity-assertion")).toBe(false);
  });
});

describe("ManagedHeaders.firstConflict", () => {
  it("the first managed inbound header, lower-cased; none → undefined", () => {
    expect(managed.firstConflict(new HeaderBag({ Authorization: "Bearer t", "X-USER-SUB": "admin", "x-forwarded-user": "root" }))).toBe(
      "x-user-sub",
    );
    expect(managed.firstConflict(new HeaderBag({ Authorization: "Bearer t", "Content-Type": "application/json" }))).toBeUndefined();
    expect(managed.firstConflict(new HeaderBag(undefined))).toBeUndefined();
    expect(managed.firstConflict(new HeaderBag({}))).toBeUndefined();
  });

  it("an underscore spelling or a list value is still a conflict", () => {
    expect(managed.firstConflict(new HeaderBag({ x_user_sub: ["a", "b"] }))).toBe("x_user_sub");
  });
});
