import { describe, expect, it } from "vitest";
import { audiencesOf } from "../../src/auth/audience.js";

/** src/auth/audience.ts: the `aud` claim as a list (RFC 7519 §4.1.3: one string or an array). */
describe("audiencesOf", () => {
  it("one string is a list of one, the empty string included", () => {
    expect(audiencesOf("gw")).toEqual(["gw"]);
    expect(audiencesOf("")).toEqual([""]);
    expect(audiencesOf("a b")).toEqual(["a b"]);
  });

  it("an array is kept as it is, members of any type included (a length check then fails closed)", () => {
    const aud = ["gw", 1, null, ["x"], { gw: true }];
    expect(audiencesOf(aud)).toBe(aud);
    expect(audiencesOf([])).toEqual([]);
  });

  it.each([undefined, null, 0, 1, true, { 0: "gw", length: 1 }, new Set(["gw"]), new String("gw")])("%j → the empty list", (aud) => {
    expect(audiencesOf(aud)).toEqual([]);
  });

  it("no substring or case matching: a caller comparing with includes sees exact members only", () => {
    expect(audiencesOf("gateway").includes("gate")).toBe(false);
    expect(audiencesOf(["GW"]).includes("gw")).toBe(false);
  });
});
