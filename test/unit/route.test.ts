import { describe, expect, it } from "vitest";
import { namedBy, routeMessage, targetOfHttpPath } from "../../src/event/route.js";

/**
 * src/event/route.ts, without a server. test/unit/message-routing.test.ts already tables routeMessage and
 * targetOfHttpPath; this file adds namedBy and hostile params (arrays, __proto__, non-string names).
 */

describe("namedBy: which methods carry a name that addresses a target", () => {
  it.each([
    ["tools/call", {}, "tool"],
    ["prompts/get", {}, "prompt"],
    ["completion/complete", { ref: { type: "ref/prompt", name: "a___b" } }, "prompt"],
    ["completion/complete", { ref: { type: "ref/tool" } }, "prompt"],
    ["completion/complete", {}, "prompt"],
    ["completion/complete", undefined, "prompt"],
    ["completion/complete", [{ ref: { type: "ref/resource" } }], "prompt"],
    ["completion/complete", { ref: [{ type: "ref/resource" }] }, "prompt"],
    ["completion/complete", { ref: { type: "ref/resource", uri: "x" } }, undefined],
    ["tools/list", {}, undefined],
    ["resources/read", { name: "a___b" }, undefined],
    ["Tools/Call", {}, undefined],
    ["tools/call ", {}, undefined],
    ["", {}, undefined],
    ["__proto__", {}, undefined],
  ])("%j %j → %j", (method, params, named) => {
    expect(namedBy(method, params)).toBe(named);
  });
});

describe("routeMessage: hostile params", () => {
  it.each([
    ["params an array", ["payroll___x"]],
    ["params a string", "payroll___x"],
    ["params null", null],
    ["name a number", { name: 1 }],
    ["name an array", { name: ["payroll___x"] }],
    ["name an object", { name: { toString: "payroll___x" } }],
    ["name null", { name: null }],
  ])("tools/call with %s → invalid", (_name, params) => {
    expect(routeMessage("tools/call", params)).toEqual({ kind: "invalid" });
  });

  it("a __proto__ member holding a name is not the name (own members only)", () => {
    const params: unknown = JSON.parse('{"__proto__": {"name": "payroll___x"}}');
    expect(routeMessage("tools/call", params)).toEqual({ kind: "invalid" });
    const completion: unknown = JSON.parse('{"ref": {"__proto__": {"type": "ref/prompt", "name": "payroll___x"}}}');
    expect(routeMessage("completion/complete", completion)).toEqual({ kind: "invalid" });
  });

  it("a control character or a huge name never routes to a target", () => {
    expect(routeMessage("tools/call", { name: "payroll\n___x" })).toEqual({ kind: "no-target", name: "payroll\n___x" });
    expect(routeMessage("prompts/get", { name: `payroll___${"x".repeat(1_000_000)}` })).toEqual({ kind: "invalid" });
  });

  it("only the params name counts: other members naming a target are ignored", () => {
    expect(routeMessage("tools/call", { name: "wiki___read", target: "payroll", arguments: { name: "payroll___x" } })).toEqual({
      kind: "target",
      target: "wiki",
      name: "read",
    });
  });
});

describe("targetOfHttpPath: more hostile paths", () => {
  it.each([
    "/payroll\u0000/invocations",
    "/payroll%00/invocations",
    "/pay\u200broll/invocations",
    "/ｐayroll/invocations",
    "/__proto__/invocations",
  ])("%j → invalid", (path) => {
    expect(targetOfHttpPath(path)).toEqual({ kind: "invalid" });
  });

  it("a 100-character target resolves, 101 does not", () => {
    expect(targetOfHttpPath(`/${"a".repeat(100)}/invocations`)).toEqual({ kind: "target", target: "a".repeat(100) });
    expect(targetOfHttpPath(`/${"a".repeat(101)}/invocations`)).toEqual({ kind: "invalid" });
  });
});
