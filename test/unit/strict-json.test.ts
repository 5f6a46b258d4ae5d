import { describe, expect, it } from "vitest";
import { StrictJsonError } from "../../src/errors.js";
import { parseStrictJson } from "../../src/event/strict-json.js";

const failure = (text: string, depth = 32) => {
  try {
    parseStrictJson(text, depth);
    return "parsed";
  } catch (err) {
    return err instanceof StrictJsonError ? err.kind : "other";
  }
};

describe("strict JSON parser", () => {
  it.each([
    '{"a":1,"b":[true,false,null,-1.5e3,"x\\n\\u00e9"],"c":{}}',
    "[]",
    '  {"nested":{"deeper":[[{"k":"v"}]]}}  ',
    '"\\ud83d\\ude00"',
    "0",
  ])("parses %s exactly like JSON.parse", (text) => {
    expect(parseStrictJson(text, 32)).toEqual(JSON.parse(text));
  });

  it.each([
    ['{"a":1,"a":2}', "duplicate"],
    ['{"sub":1,"s\\u0075b":2}', "duplicate"],
    ['{"x":{"a":1,"a":1}}', "duplicate"],
    ['{"a":1,}', "syntax"],
    ["{'a':1}", "syntax"],
    ['{"a":01}', "syntax"],
    ['{"a":1}x', "syntax"],
    ['"tab\tinside"', "syntax"],
    ['"\\x41"', "syntax"],
    ["NaN", "syntax"],
    ["", "syntax"],
    [`${"[".repeat(40)}${"]".repeat(40)}`, "depth"],
  ])("refuses %j (%s)", (text, kind) => {
    expect(failure(text)).toBe(kind);
  });

  it("keeps __proto__ as an own data property, like JSON.parse, without touching any prototype", () => {
    const value = parseStrictJson('{"__proto__":{"admin":true},"a":1}', 8) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect((value as { admin?: boolean }).admin).toBeUndefined();
  });
});
