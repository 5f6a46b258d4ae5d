import { describe, expect, it } from "vitest";
import { SecretUnavailable } from "../../src/errors.js";
import { parseClientCredential } from "../../src/obo/secrets.js";
import { secretFailureReason, secretReadFailure } from "../../src/secrets-manager.js";

/**
 * One classification of a secret that cannot be used, for obo client credentials and the assertion
 * signing key alike: what retrying will not fix is our fault (500), an outage is 503. The permanence is
 * decided where the failure is raised (the SDK error's name, or the finding about the content) and the
 * classification reads that field, never `why`.
 * Error names: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html#API_GetSecretValue_Errors
 */
const sdkError = (name: string, httpStatusCode?: number): Error =>
  Object.assign(new Error("message the SDK wrote, never logged"), { name, $metadata: { httpStatusCode } });

describe("secretReadFailure: an SDK error's name decides its permanence", () => {
  it.each([
    ["ResourceNotFoundException", 400, "permanent", "ResourceNotFoundException (HTTP 400)"],
    ["AccessDeniedException", 400, "permanent", "AccessDeniedException (HTTP 400)"],
    ["DecryptionFailure", 400, "permanent", "DecryptionFailure (HTTP 400)"],
    ["InvalidRequestException", 400, "permanent", "InvalidRequestException (HTTP 400)"],
    ["InvalidParameterException", 400, "permanent", "InvalidParameterException (HTTP 400)"],
    ["ThrottlingException", 400, "transient", "ThrottlingException (HTTP 400)"],
    ["InternalServiceError", 500, "transient", "InternalServiceError (HTTP 500)"],
    ["TimeoutError", undefined, "transient", "TimeoutError"],
    ["AbortError", undefined, "transient", "AbortError"],
    // Only the whole name counts, never a word inside it.
    ["TimeoutError AccessDeniedException", undefined, "transient", "TimeoutError AccessDeniedException"],
    ["AccessDeniedExceptionX", 400, "transient", "AccessDeniedExceptionX (HTTP 400)"],
  ])("%s (HTTP %s) → %s, logged as %s", (name, status, permanence, why) => {
    const failure = secretReadFailure(sdkError(name, status));
    expect(failure).toBeInstanceOf(SecretUnavailable);
    expect([failure.permanence, failure.why]).toEqual([permanence, why]);
  });

  it("anything thrown that is not an Error is an outage that may pass", () => {
    const failure = secretReadFailure("a string");
    expect([failure.permanence, failure.why]).toEqual(["transient", "unavailable"]);
  });
});

describe("parseClientCredential: a secret holding nothing usable is permanent", () => {
  it.each([
    [JSON.stringify({ private_key: "not a key" }), "private_key is not a usable PEM or JWK"],
    [JSON.stringify({ private_key: { kty: "EC" } }), "private_key is not a usable PEM or JWK"],
    [JSON.stringify({ client_id: "x" }), "secret JSON has neither client_secret nor private_key"],
    [JSON.stringify({ client_secret: "" }), "secret JSON has neither client_secret nor private_key"],
  ])("%s → permanent (%s)", (text, why) => {
    let caught: unknown;
    try {
      parseClientCredential(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SecretUnavailable);
    expect(caught).toMatchObject({ permanence: "permanent", why });
  });
});

describe("secretFailureReason", () => {
  it.each([
    ["permanent", "obo.client_auth_failed", "assertion.key_unusable"],
    ["transient", "obo.unavailable", "assertion.unavailable"],
  ] as const)("%s → obo %s, assertion %s", (permanence, obo, assertion) => {
    expect([secretFailureReason(permanence, "obo"), secretFailureReason(permanence, "assertion")]).toEqual([obo, assertion]);
  });

  it("follows the failure's permanence whatever its why says", () => {
    const permanent = new SecretUnavailable("permanent", "ThrottlingException (HTTP 400)");
    const transient = new SecretUnavailable("transient", "secret has no SecretString");
    expect(secretFailureReason(permanent.permanence, "obo")).toBe("obo.client_auth_failed");
    expect(secretFailureReason(transient.permanence, "obo")).toBe("obo.unavailable");
  });
});
