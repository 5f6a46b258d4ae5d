import { describe, expect, it } from "vitest";
import { MAX_TOOL_NAME, routeTool, SEARCH_TOOL } from "../../src/event/route.js";

/** src/event/route.ts routeTool: `<target>___<tool>` split on the first `___`, exactly and case-sensitively. */

describe("routeTool", () => {
  it.each([
    ["orders___get_order", "orders", "get_order"],
    ["Orders___x", "Orders", "x"],
    ["a___b___c", "a", "b___c"],
    ["orders____x", "orders", "_x"],
    ["or-ders___x", "or-ders", "x"],
    ["orders-___x", "orders-", "x"],
    ["0___x", "0", "x"],
    ["orders___ x", "orders", " x"],
    [`${"a".repeat(100)}___x`, "a".repeat(100), "x"],
  ])("%j → target %j, tool %j", (name, target, tool) => {
    expect(routeTool(name)).toEqual({ kind: "target", target, tool });
  });

  it.each([
    ["the gateway's search tool", SEARCH_TOOL],
    ["no separator", "orders"],
    ["two underscores", "orders__get"],
    ["an empty target", "___get"],
    ["a target with underscores", "x_amz___get"],
    ["a double dash", "or--ders___x"],
    ["a leading dash", "-orders___x"],
    ["a 101-character target", `${"a".repeat(101)}___x`],
    ["a Cyrillic о", "оrders___x"],
    ["a zero-width space", "orders\u200b___x"],
    ["fullwidth underscores", "orders＿＿＿x"],
    ["a space in the target", "ord ers___x"],
    ["a percent-encoded target", "%6Frders___x"],
    ["a dot", "orders.v1___x"],
    ["a NUL", "orders\u0000___x"],
    ["__proto__", "__proto_____x"],
  ])("%s → no-target", (_name, name) => {
    expect(routeTool(name)).toEqual({ kind: "no-target" });
  });

  it("the search tool is matched exactly: a case variant is just a name without a target", () => {
    expect(SEARCH_TOOL).toBe("x_amz_bedrock_agentcore_search");
    expect(routeTool("X_AMZ_BEDROCK_AGENTCORE_SEARCH")).toEqual({ kind: "no-target" });
  });

  it.each([
    ["empty", ""],
    ["a target with no tool", "orders___"],
    ["too long", `orders___${"x".repeat(MAX_TOOL_NAME - 8)}`],
  ])("%s → invalid", (_name, name) => {
    expect(routeTool(name)).toEqual({ kind: "invalid" });
  });

  it(`length: ${MAX_TOOL_NAME} characters route, ${MAX_TOOL_NAME + 1} are invalid (even without a separator)`, () => {
    expect(MAX_TOOL_NAME).toBe(256);
    const tool = "x".repeat(MAX_TOOL_NAME - "orders___".length);
    expect(routeTool(`orders___${tool}`)).toEqual({ kind: "target", target: "orders", tool });
    expect(routeTool(`orders___${tool}x`)).toEqual({ kind: "invalid" });
    expect(routeTool("x".repeat(MAX_TOOL_NAME))).toEqual({ kind: "no-target" });
    expect(routeTool("x".repeat(MAX_TOOL_NAME + 1))).toEqual({ kind: "invalid" });
    expect(routeTool("x".repeat(1_000_000))).toEqual({ kind: "invalid" });
  });
});
