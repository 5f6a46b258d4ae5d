import { createPrivateKey, type KeyObject } from "node:crypto";
import type { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type Clock, systemClock } from "../clock.js";
import { SecretUnavailable } from "../errors.js";
import { isPlainObject, jwkFrom } from "../plain-object.js";

/**
 * The token-endpoint client credential, from AWS Secrets Manager. The SDK is imported lazily, so it
 * lands in its own chunk that forward/claims/none deployments never load. Secrets are cached for a
 * bounded time, concurrent reads share one request, failures are never cached.
 */
export type ClientCredential = { kind: "secret"; secret: string } | { kind: "private-key"; key: KeyObject };

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
      throw new SecretUnavailable(sdkFailure(err));
    }
    if (typeof answer.SecretString !== "string" || answer.SecretString === "") throw new SecretUnavailable("secret has no SecretString");
    return answer.SecretString;
  };
}

/** The SDK error's name and HTTP status, never its message. */
function sdkFailure(err: unknown): string {
  if (!(err instanceof Error)) return "unavailable";
  const metadata: unknown = Reflect.get(err, "$metadata");
  const status: unknown = isPlainObject(metadata) ? metadata.httpStatusCode : undefined;
  return `${err.name}${typeof status === "number" ? ` (HTTP ${status})` : ""}`;
}

/** `SecretString` is the client secret itself, or JSON with `client_secret`, or `private_key` (PEM or JWK). */
export function parseClientCredential(text: string): ClientCredential {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "secret", secret: text };
  }
  if (!isPlainObject(json)) return { kind: "secret", secret: text };
  const { client_secret: secret, private_key: key } = json;
  if (typeof secret === "string" && secret !== "") return { kind: "secret", secret };
  try {
    if (typeof key === "string") return { kind: "private-key", key: createPrivateKey(key) };
    if (isPlainObject(key)) return { kind: "private-key", key: createPrivateKey({ key: jwkFrom(key), format: "jwk" }) };
  } catch {
    throw new SecretUnavailable("private_key is not a usable PEM or JWK");
  }
  throw new SecretUnavailable("secret JSON has neither client_secret nor private_key");
}

interface Entry {
  value: Promise<ClientCredential>;
  loadedAt: number;
}

export class SecretCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly fetcher: SecretFetcher,
    private readonly maxAgeSeconds: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The credential, from cache unless stale or `force` (after the token endpoint said invalid_client). */
  get(secretId: string, signal: AbortSignal, force = false): Promise<ClientCredential> {
    const cached = this.entries.get(secretId);
    const now = this.clock.now();
    if (cached && !force && (now - cached.loadedAt) / 1000 < this.maxAgeSeconds) return cached.value;
    const entry: Entry = {
      value: this.fetcher(secretId, signal).then(parseClientCredential),
      loadedAt: now,
    };
    this.entries.set(secretId, entry);
    entry.value.catch(() => {
      if (this.entries.get(secretId) === entry) this.entries.delete(secretId);
    });
    return entry.value;
  }
}
