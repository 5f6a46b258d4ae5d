import { createPrivateKey, type KeyObject } from "node:crypto";
import { SecretUnavailable } from "../errors.js";

/**
 * The token-endpoint client credential, from AWS Secrets Manager. The SDK is imported lazily, so it
 * lands in its own chunk that forward/claims/none deployments never load. Secrets are cached for a
 * bounded time, concurrent reads share one request, failures are never cached.
 */
export type ClientCredential = { kind: "secret"; secret: string } | { kind: "private-key"; key: KeyObject };

/** Reads a secret's `SecretString`; the I/O edge, swappable in tests. */
export type SecretFetcher = (secretId: string, timeoutMs: number) => Promise<string>;

/**
 * The real Secrets Manager client. It honours the SDK's standard settings (AWS_REGION, the credential
 * chain, AWS_ENDPOINT_URL_SECRETS_MANAGER); `clientConfig` adds to them (tests: a loopback endpoint).
 */
export function secretsManagerFetcher(clientConfig: Record<string, unknown> = {}): SecretFetcher {
  let client: Promise<{ send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<{ SecretString?: string }> }> | undefined;
  let Command: (new (input: { SecretId: string }) => unknown) | undefined;
  return async (secretId, timeoutMs) => {
    client ??= import("@aws-sdk/client-secrets-manager").then((sdk) => {
      Command = sdk.GetSecretValueCommand as never;
      return new sdk.SecretsManagerClient({ maxAttempts: 2, ...clientConfig }) as never;
    });
    let answer: { SecretString?: string };
    try {
      answer = await (await client).send(new Command!({ SecretId: secretId }), { abortSignal: AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))) });
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new SecretUnavailable(`${(err as Error).name}${status !== undefined ? ` (HTTP ${status})` : ""}`);
    }
    if (typeof answer.SecretString !== "string" || answer.SecretString === "") throw new SecretUnavailable("secret has no SecretString");
    return answer.SecretString;
  };
}

/** `SecretString` is the client secret itself, or JSON with `client_secret`, or `private_key` (PEM or JWK). */
export function parseClientCredential(text: string): ClientCredential {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "secret", secret: text };
  }
  if (typeof json !== "object" || json === null) return { kind: "secret", secret: text };
  const { client_secret: secret, private_key: key } = json as { client_secret?: unknown; private_key?: unknown };
  if (typeof secret === "string" && secret !== "") return { kind: "secret", secret };
  try {
    if (typeof key === "string") return { kind: "private-key", key: createPrivateKey(key) };
    if (typeof key === "object" && key !== null) return { kind: "private-key", key: createPrivateKey({ key: key as never, format: "jwk" }) };
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
  ) {}

  /** The credential, from cache unless stale or `force` (after the token endpoint said invalid_client). */
  get(secretId: string, timeoutMs: number, force = false): Promise<ClientCredential> {
    const cached = this.entries.get(secretId);
    if (cached && !force && (performance.now() - cached.loadedAt) / 1000 < this.maxAgeSeconds) return cached.value;
    const entry: Entry = {
      value: this.fetcher(secretId, timeoutMs).then(parseClientCredential),
      loadedAt: performance.now(),
    };
    this.entries.set(secretId, entry);
    entry.value.catch(() => {
      if (this.entries.get(secretId) === entry) this.entries.delete(secretId);
    });
    return entry.value;
  }
}
