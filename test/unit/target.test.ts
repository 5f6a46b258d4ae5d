import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { expectAllow, expectDeny, Harness, ISSUER_A, type Json, mcpEvent, qualified, run } from "../support/harness.js";

/** docs/security.md §3 group I: target resolution and tool-name impersonation. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const CLAIMS = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const callTool = (name: string, patch?: (c: Json) => void) => run(h.handler(patch), mcpEvent({ name }));

describe("I. Target resolution and tool-name impersonation (TG)", () => {
  it("TG-01 orders___get_order → ALLOW(claims)", async () => {
    const o = await callTool("orders___get_order");
    expectAllow(o, CLAIMS);
    expect(o.audit).toMatchObject({ target: "orders", tool: "get_order", mode: "claims" });
  });

  it.each([
    ["TG-02", "Orders___get_order"],
    ["TG-02", "ORDERS___get_order"],
    ["TG-03", "orders"],
    ["TG-03", "orders__get_order"],
    ["TG-05", "evil___orders___get_order"],
    ["TG-06", "___get_order"],
    ["TG-08", "оrders___get_order"],
    ["TG-08", "ｏｒｄｅｒｓ___get_order"],
    ["TG-09", "orders＿＿＿get_order"],
    ["TG-10", "orders\u200b___get_order"],
    ["TG-10", "orders ___x"],
    ["TG-10", " orders___x"],
    ["TG-10", "orders\u0000___x"],
    ["TG-10", "orders\r\n___x"],
    ["TG-11", "orders%5F%5F%5Fget_order"],
    ["TG-13", "orders-___x"],
    ["TG-15", "x_amz_bedrock_agentcore_search"],
  ])("%s tool name %j → ALLOW-NOID", async (_id, name) => {
    const o = await callTool(name);
    expectAllow(o, {});
    expect(JSON.stringify(o.audit)).not.toMatch(/[\r\n\u0000\u200b]/);
  });

  it("TG-04 orders____get_order (four underscores) → target orders, tool _get_order → ALLOW(claims)", async () => {
    const o = await callTool("orders____get_order");
    expectAllow(o, CLAIMS);
    expect(o.audit).toMatchObject({ target: "orders", tool: "_get_order" });
  });

  it("TG-07 orders___ (empty tool) → DENY(400, request.invalid_tool_name)", async () => {
    expectDeny(await callTool("orders___"), 400, "request.invalid_tool_name");
  });

  it("TG-10 the audit line escapes a control character in the tool name", async () => {
    const o = await callTool("orders\r\n___x");
    expect(o.audit.tool).toBe("orders\\u000d\\u000a___x");
  });

  it("TG-12 no prefix or suffix matching: policy pay vs payments___x, policy payments vs x-payments___y → ALLOW-NOID", async () => {
    const policy = (name: string) => (c: Json) => {
      c.targets = { [name]: { mode: "claims", headers: { "X-User-Sub": { claim: "sub", qualify: true } } } };
    };
    expectAllow(await callTool("payments___x", policy("pay")), {});
    expectAllow(await callTool("x-payments___y", policy("payments")), {});
  });

  it.each([
    ["257 characters", `orders___${"x".repeat(248)}`],
    ["1 MB", `orders___${"x".repeat(1024 * 1024)}`],
  ])("TG-14 tool name of %s → DENY(400, request.invalid_tool_name)", async (_n, name) => {
    expectDeny(await callTool(name), 400, "request.invalid_tool_name");
  });

  it("TG-16 nested gateway name outer___inner___tool where the policy lists outer → ALLOW(outer mode)", async () => {
    const o = await callTool("orders___inner___tool");
    expectAllow(o, CLAIMS);
    expect(o.audit).toMatchObject({ target: "orders", tool: "inner___tool" });
  });

  it("TG-17 unknown target with unlistedTargets deny → DENY(403, policy.target_denied)", async () => {
    expectDeny(await callTool("unknown___x", (c) => (c.unlistedTargets = "deny")), 403, "policy.target_denied");
  });

  it("TG-18 policy keys are exact: Orders does not match orders; keys outside the target pattern are config.invalid", async () => {
    const upper = (c: Json) => {
      c.targets = { Orders: { mode: "claims", headers: { "X-User-Sub": { claim: "sub", qualify: true } } } };
    };
    expectAllow(await callTool("orders___get_order", upper), {});
    const bad = parseConfig(h.config((c) => ((c.targets as Json).orders_v2 = { mode: "none" })));
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.problems[0]).toMatch(/^targets\.orders_v2: target names must match/);
  });
});
