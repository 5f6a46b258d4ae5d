import { describe, expect, it } from "vitest";
import { checkIssuedFor, type IssuedFor } from "../../src/obo/issued-for.js";
import { Denial } from "../../src/errors.js";

/** Whom an on-behalf-of answer must name (src/obo/issued-for.ts), decision by decision. */
const POOL = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P";
const reasonOf = (claims: Record<string, unknown> | undefined, expect: IssuedFor): string => {
  try {
    checkIssuedFor(claims, expect);
    return "ok";
  } catch (err) {
    return err instanceof Denial ? err.reason : "threw";
  }
};
const cognito = (actor?: string): IssuedFor => ({ cognitoUser: { iss: POOL, sub: "u-1", audience: "api", actor } });
const issued = (extra: Record<string, unknown> = {}) => ({ iss: POOL, sub: "u-1", token_use: "access", aud: "api", ...extra });

describe("checkIssuedFor", () => {
  it("a generic RFC 8693 answer (nothing expected) is not checked, even when opaque", () => {
    expect(reasonOf(undefined, {})).toBe("ok");
  });

  it.each([
    ["the caller's pool token, aud as a string", issued(), cognito(), "ok"],
    ["aud as a one-element array", issued({ aud: ["api"] }), cognito(), "ok"],
    ["an opaque token", undefined, cognito(), "obo.invalid_response"],
    ["aud naming another API", issued({ aud: "other" }), cognito(), "obo.invalid_response"],
    ["an empty aud array", issued({ aud: [] }), cognito(), "obo.invalid_response"],
    ["act.sub = the actor", issued({ act: { sub: "me" } }), cognito("me"), "ok"],
    ["act.client_id = the actor", issued({ act: { client_id: "me" } }), cognito("me"), "ok"],
    ["act as a string", issued({ act: "me" }), cognito("me"), "obo.invalid_response"],
    [
      "a nested act naming the actor only deeper",
      issued({ act: { sub: "other", act: { sub: "me" } } }),
      cognito("me"),
      "obo.invalid_response",
    ],
  ])("Cognito native: %s → %s", (_n, claims, expect_, reason) => {
    expect(reasonOf(claims, expect_)).toBe(reason);
  });

  const trigger: IssuedFor = { userClaim: { name: "onBehalfOf", sub: "u-1", target: "ledger" } };
  it.each([
    ["the user, no target member", { onBehalfOf: { sub: "u-1" } }, "ok"],
    ["the user and this target", { onBehalfOf: { sub: "u-1", target: "ledger" } }, "ok"],
    ["no claim (the trigger omitted the user)", { sub: "machine" }, "obo.refused"],
    ["a null claim", { onBehalfOf: null }, "obo.invalid_response"],
    ["an array claim", { onBehalfOf: [{ sub: "u-1" }] }, "obo.invalid_response"],
    ["a numeric target", { onBehalfOf: { sub: "u-1", target: 1 } }, "obo.invalid_response"],
  ])("trigger route: %s → %s", (_n, claims, reason) => {
    expect(reasonOf(claims, trigger)).toBe(reason);
  });
});
