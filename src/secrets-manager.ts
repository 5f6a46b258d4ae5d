import type { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type SecretPermanence, SecretUnavailable } from "./errors.js";
import { isPlainObject } from "./plain-object.js";
import type { Reason } from "./respond/reasons.js";

/**
 * Secrets Manager reads, shared by `obo` (the token-endpoint client credential) and `assertion` (the
 * signing keys). The SDK is imported lazily, so it lands in its own chunk that deployments without
 * either mode never load. Every failure is a `SecretUnavailable` whose permanence is decided here.
 */

/** Reads a secret's `SecretString`, abandoned when `signal` aborts; the I/O edge, swappable in tests. */
export type SecretFetcher = (secretId: string, signal: AbortSignal) => Promise<string>;

/**
 * The real Secrets Manager client. It honours the SDK's standard settings (AWS_REGION, the credential
 * chain, AWS_ENDPOINT_URL_SECRETS_MANAGER); `clientConfig` adds to them (tests: a loopback endpoint).
 */
export function secretsManagerFetcher(clientConfig: Record<string, unknown> = {}): SecretFetcher {
  let sdk: Promise<{ client: SecretsManagerClient; Command: typeof GetSecretValueCommand }> | undefined;
  return async (secretId, signal) => {
    sdk ??= import("@aws-sdk/client-secrets-manager").then((m) => ({
      client: new m.SecretsManagerClient({ maxAttempts: 2, ...clientConfig }),
      Command: m.GetSecretValueCommand,
    }));
    let answer: { SecretString?: string | undefined };
    try {
      const { client, Command } = await sdk;
      answer = await client.send(new Command({ SecretId: secretId }), { abortSignal: signal });
    } catch (err) {
      throw secretReadFailure(err);
    }
    if (typeof answer.SecretString !== "string" || answer.SecretString === "")
      throw new SecretUnavailable("permanent", "secret has no SecretString");
    return answer.SecretString;
  };
}

/**
 * Secrets Manager failures that retrying will not fix, the operator must: the secret is missing, the
 * role may not read or decrypt it, the request is refused, or it holds nothing usable. Everything else
 * (throttling, 5xx, timeouts, connection failures) is an outage that may pass.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html#API_GetSecretValue_Errors
 */
const PERMANENT_SDK_ERRORS = new Set([
  "ResourceNotFoundException",
  "AccessDeniedException",
  "DecryptionFailure",
  "InvalidRequestException",
  "InvalidParameterException",
]);

/**
 * A failed SDK call as a `SecretUnavailable`: permanent when the SDK error's name says retrying will
 * not help; `why` is the name and HTTP status, never the SDK's message.
 */
export function secretReadFailure(err: unknown): SecretUnavailable {
  if (!(err instanceof Error)) return new SecretUnavailable("transient", "unavailable");
  const metadata: unknown = Reflect.get(err, "$metadata");
  const status: unknown = isPlainObject(metadata) ? metadata.httpStatusCode : undefined;
  const permanence = PERMANENT_SDK_ERRORS.has(err.name) ? "permanent" : "transient";
  return new SecretUnavailable(permanence, `${err.name}${typeof status === "number" ? ` (HTTP ${status})` : ""}`);
}

/** The denial each mode gives for a secret it cannot use: our fault (500) when permanent, else 503. */
const SECRET_FAILURE_REASONS = {
  obo: { permanent: "obo.client_auth_failed", transient: "obo.unavailable" },
  assertion: { permanent: "assertion.key_unusable", transient: "assertion.unavailable" },
} as const satisfies Record<string, Record<SecretPermanence, Reason>>;

/** The one classification of a secret that cannot be used, as the reason `mode` denies with. */
export function secretFailureReason(permanence: SecretPermanence, mode: keyof typeof SECRET_FAILURE_REASONS): Reason {
  return SECRET_FAILURE_REASONS[mode][permanence];
}
