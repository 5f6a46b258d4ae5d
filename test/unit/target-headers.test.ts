import { describe, expect, it } from "vitest";
import { headersSetOn } from "../../src/config/target-headers.js";
import { DEFAULT_ASSERTION_HEADER, type TargetConfig } from "../../src/config/schema.js";
import { configOf } from "../support/pure-inputs.js";

/** src/config/target-headers.ts: the header names the interceptor sets on a target besides Authorization. */

const ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:s-AbCdEf";

function target(t: Record<string, unknown>): TargetConfig {
  const parsed = configOf({
    targets: { t },
    assertion: { issuer: "https://interceptor.example", signingKeySecretArn: ARN },
  }).targets.t;
  if (parsed === undefined) throw new Error("no target");
  return parsed;
}

const OBO = {
  grant: "token-exchange",
  tokenEndpoint: "https://idp.example/token",
  clientId: "ic",
  clientSecretArn: ARN,
  audience: "api",
};

describe("headersSetOn", () => {
  it("claims: every mapped header, names as configured, in order", () => {
    expect(headersSetOn(target({ mode: "claims", headers: { "X-User-Sub": "sub", "x-email": "email", x_org: "org" } }))).toEqual([
      "X-User-Sub",
      "x-email",
      "x_org",
    ]);
  });

  it("assertion: the assertion header (default x-identity-assertion) first, then its claim headers", () => {
    expect(DEFAULT_ASSERTION_HEADER).toBe("x-identity-assertion");
    expect(headersSetOn(target({ mode: "assertion" }))).toEqual(["x-identity-assertion"]);
    expect(headersSetOn(target({ mode: "assertion", header: "X-Caller-Assertion", headers: { "x-email": "email" } }))).toEqual([
      "X-Caller-Assertion",
      "x-email",
    ]);
  });

  it.each([
    ["forward default", { mode: "forward", allowPassthrough: true }, []],
    ["forward Authorization", { mode: "forward", allowPassthrough: true, header: "Authorization" }, []],
    ["forward custom header", { mode: "forward", allowPassthrough: true, header: "X-Upstream-Token" }, ["X-Upstream-Token"]],
    ["obo default", { mode: "obo", obo: OBO }, []],
    ["obo Authorization", { mode: "obo", header: "Authorization", obo: OBO }, []],
    ["obo custom header", { mode: "obo", header: "x-exchanged", obo: OBO }, ["x-exchanged"]],
    ["none", { mode: "none" }, []],
  ])("%s → %j", (_name, t, names) => {
    expect(headersSetOn(target(t))).toEqual(names);
  });

  it("returns a fresh list each time (a caller may not change the config through it)", () => {
    const t = target({ mode: "claims", headers: { "x-sub": "sub" } });
    const first = headersSetOn(t);
    first.push("x-injected");
    expect(headersSetOn(t)).toEqual(["x-sub"]);
  });
});
