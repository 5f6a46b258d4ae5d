import { describe, expect, it } from "vitest";
import { secretFailureReason } from "../../src/obo/secrets.js";

/**
 * One classification of a secret that cannot be used, for obo client credentials and the assertion
 * signing key alike: what retrying will not fix is our fault (500), an outage is 503.
 * Error names: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html#API_GetSecretValue_Errors
 */
describe("secretFailureReason", () => {
  it.each([
    ["ResourceNotFoundException (HTTP 400)", "obo.client_auth_failed", "assertion.key_unusable"],
    ["AccessDeniedException (HTTP 400)", "obo.client_auth_failed", "assertion.key_unusable"],
    ["DecryptionFailure (HTTP 400)", "obo.client_auth_failed", "assertion.key_unusable"],
    ["InvalidRequestException (HTTP 400)", "obo.client_auth_failed", "assertion.key_unusable"],
    ["InvalidParameterException (HTTP 400)", "obo.client_auth_failed", "assertion.key_unusable"],
    ["secret has no SecretString", "obo.client_auth_failed", "assertion.key_unusable"],
    ["secret JSON has neither client_secret nor private_key", "obo.client_auth_failed", "assertion.key_unusable"],
    ["private_key is not a usable PEM or JWK", "obo.client_auth_failed", "assertion.key_unusable"],
    ["ThrottlingException (HTTP 400)", "obo.unavailable", "assertion.unavailable"],
    ["InternalServiceError (HTTP 500)", "obo.unavailable", "assertion.unavailable"],
    ["TimeoutError", "obo.unavailable", "assertion.unavailable"],
    ["AbortError", "obo.unavailable", "assertion.unavailable"],
    ["unavailable", "obo.unavailable", "assertion.unavailable"],
    // Only the SDK error's name counts, never a word later in the text.
    ["TimeoutError AccessDeniedException", "obo.unavailable", "assertion.unavailable"],
  ])("%s → obo %s, assertion %s", (why, obo, assertion) => {
    expect([secretFailureReason(why, "obo"), secretFailureReason(why, "assertion")]).toEqual([obo, assertion]);
  });
});
