import { describe, expect, it } from "vitest";
import { dottedPathProblem, segmentProblem } from "../../src/config/claim-paths.js";

/** src/config/claim-paths.ts: claim references that can never resolve, or would walk into a prototype, are refused at load. */

const SEGMENT = "must not be empty or a prototype member name";
const DOTTED = "must be a claim name or dotted path without empty or prototype segments";

describe("segmentProblem (a member name taken literally)", () => {
  it.each(["email", "https://acme.example/email", "my.client", "proto", "Constructor", "PROTOTYPE", "__proto", "a b", "é"])(
    "%j → allowed",
    (segment) => {
      expect(segmentProblem(segment)).toBeUndefined();
    },
  );

  it.each([
    "",
    "__proto__",
    "prototype",
    "constructor",
    "toString",
    "valueOf",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "__defineGetter__",
    "__lookupSetter__",
  ])("%j → refused", (segment) => {
    expect(segmentProblem(segment)).toBe(SEGMENT);
  });
});

describe("dottedPathProblem", () => {
  it.each([
    "sub",
    "email",
    "org.id",
    "a.b.c.d",
    "realm_access.roles",
    "resource_access.my-client.roles",
    "resource_access.client",
    "https://acme",
    "urn:example",
    "iss",
  ])("%j → allowed", (path) => {
    expect(dottedPathProblem(path)).toBeUndefined();
  });

  it.each(["", ".", "a..b", ".a", "a.", "__proto__", "org.__proto__", "org.constructor", "constructor.name", "a.prototype", "a.toString"])(
    "%j → empty or prototype segment",
    (path) => {
      expect(dottedPathProblem(path)).toBe(DOTTED);
    },
  );

  it("a namespaced claim split on its dots → refused, naming the literal form", () => {
    expect(dottedPathProblem("https://acme.example/email")).toBe(
      '"https://acme.example/email" looks like a namespaced claim name (a URL or URN) split on its dots, which never resolves; ' +
        'name it literally: {"claimPath": ["https://acme.example/email"]}',
    );
    expect(dottedPathProblem("urn:acme.roles")).toBe(
      '"urn:acme.roles" looks like a namespaced claim name (a URL or URN) split on its dots, which never resolves; ' +
        'name it literally: {"claimPath": ["urn:acme.roles"]}',
    );
  });

  it.each(["iss.x", "sub.id", "jti.a", "exp.b", "nbf.c", "iat.d"])("%j: nothing lies under a string or number claim → refused", (path) => {
    expect(dottedPathProblem(path)).toBe(`"${path.split(".")[0] ?? ""}" is a string or number claim: nothing lies under it`);
  });

  it("Keycloak shapes: realm_access holds only roles; resource_access.<client id> only roles", () => {
    expect(dottedPathProblem("realm_access.groups")).toBe('"realm_access" holds only "roles"');
    expect(dottedPathProblem("resource_access.my.client.roles")).toBe(
      '"resource_access.<client id>" holds only "roles"; a client id that contains dots needs ' +
        'name it literally: {"claimPath": ["resource_access","my.client","roles"]}',
    );
    expect(dottedPathProblem("resource_access.client.groups")).toBe(
      '"resource_access.<client id>" holds only "roles"; a client id that contains dots needs ' +
        'name it literally: {"claimPath": ["resource_access.client.groups"]}',
    );
  });

  it("a huge path is judged, not crashed on", () => {
    expect(dottedPathProblem(Array.from({ length: 10_000 }, (_, i) => `s${i}`).join("."))).toBeUndefined();
    expect(dottedPathProblem(`${"a.".repeat(10_000)}__proto__`)).toBe(DOTTED);
  });
});
