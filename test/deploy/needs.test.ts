import { describe, expect, it } from "vitest";
import { allowlistNeeds, planAllowlist, secretArnsOf } from "../../src/config/deployment.js";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { ManagedHeaders } from "../../src/policy/managed-headers.js";

const issuer = { issuer: "https://a.example", jwksUri: "https://a.example/jwks", audience: ["gw"] };
const obo = (arn: string) => ({
  grant: "token-exchange",
  tokenEndpoint: "https://a.example/token",
  clientId: "c",
  clientSecretArn: arn,
  audience: "t",
});
const A = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:a-AbCdEf";
const B = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:b-AbCdEf";
const SIGNING = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:signing-AbCdEf";
const assertion = { issuer: "https://interceptor.example", signingKeySecretArn: SIGNING };
function config(targets: Record<string, unknown>, extra: Record<string, unknown> = {}): Config {
  const loaded = parseConfig({ issuers: [issuer], targets, ...extra });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.config;
}

describe("what a config needs from its deployment", () => {
  it("secretArnsOf: every obo secret once, sorted", () => {
    expect(
      secretArnsOf(
        config({ x: { mode: "obo", obo: obo(B) }, y: { mode: "obo", obo: obo(A) }, z: { mode: "obo", obo: obo(B) }, n: { mode: "none" } }),
      ),
    ).toEqual([A, B]);
    expect(secretArnsOf(config({ n: { mode: "none" } }))).toEqual([]);
  });

  it("secretArnsOf: the assertion signing key, beside the obo secrets, only while a target uses assertion", () => {
    expect(secretArnsOf(config({ s: { mode: "assertion" }, x: { mode: "obo", obo: obo(B) } }, { assertion }))).toEqual([B, SIGNING]);
    expect(secretArnsOf(config({ x: { mode: "obo", obo: obo(B) } }, { assertion }))).toEqual([B]);
  });

  it("allowlistNeeds: claims headers, custom token headers, the assertion header and its claim headers; never Authorization", () => {
    const needs = allowlistNeeds(
      config(
        {
          crm: { mode: "claims", headers: { "x-user-sub": "sub", "x-org": "org" } },
          iam: { mode: "forward", audience: "iam", header: "X-Upstream-Authorization" },
          orders: { mode: "forward", audience: "orders" },
          erp: { mode: "obo", obo: obo(A), header: "X-Erp-Token" },
          plain: { mode: "obo", obo: obo(A) },
          none: { mode: "none" },
          signed: { mode: "assertion", headers: { "x-email": "email" } },
          custom: { mode: "assertion", header: "X-Caller-Assertion" },
        },
        { assertion },
      ),
    );
    expect([...needs]).toEqual([
      ["crm", ["x-user-sub", "x-org"]],
      ["iam", ["X-Upstream-Authorization"]],
      ["erp", ["X-Erp-Token"]],
      ["signed", ["x-identity-assertion", "x-email"]],
      ["custom", ["X-Caller-Assertion"]],
    ]);
  });

  it("every header a target must allowlist is one the Lambda refuses from clients, in any spelling", () => {
    const c = config(
      {
        crm: { mode: "claims", headers: { "x-user-sub": "sub" } },
        iam: { mode: "forward", audience: "iam", header: "X-Upstream-Token" },
        erp: { mode: "obo", obo: obo(A), header: "X-Erp-Token" },
        signed: { mode: "assertion", header: "X-Caller-Assertion", headers: { "x-email": "email" } },
        plain: { mode: "forward", audience: "plain" },
      },
      { assertion },
    );
    const needed = [...allowlistNeeds(c).values()].flat();
    expect(needed).toEqual(["x-user-sub", "X-Upstream-Token", "X-Erp-Token", "X-Caller-Assertion", "x-email"]);
    const managed = new ManagedHeaders(c);
    for (const h of needed) expect([managed.has(h), managed.has(h.toUpperCase())]).toEqual([true, true]);
    expect(managed.has("authorization")).toBe(false);
  });

  it("planAllowlist: adds what is missing, keeps (or prunes) other entries, compares names case-insensitively", () => {
    expect(planAllowlist(["x-user-sub", "x-org"], ["X-USER-SUB", "x-trace"])).toEqual({
      headers: ["X-USER-SUB", "x-org", "x-trace"],
      added: ["x-org"],
      others: ["x-trace"],
      problems: [],
    });
    expect(planAllowlist(["x-user-sub"], ["x-trace"], true).headers).toEqual(["x-user-sub"]);
    expect(planAllowlist(["x-a"], []).headers).toEqual(["x-a"]);
  });

  it("planAllowlist: refuses more than 10 names and illegal names", () => {
    const many = Array.from({ length: 10 }, (_, i) => `x-o-${i}`);
    expect(planAllowlist(["x-user-sub"], many).problems).toEqual([expect.stringContaining("needs 11 allowed request headers")]);
    expect(planAllowlist(["x user"], []).problems).toEqual(['header "x user": must match ^[a-zA-Z0-9_-]+$ and be 1..100 characters']);
  });
});
