import { createPrivateKey, type KeyObject } from "node:crypto";
import { type Clock, systemClock } from "../clock.js";
import { SecretUnavailable } from "../errors.js";
import { isPlainObject, jwkFrom, parseJsonObject } from "../plain-object.js";
import type { SecretFetcher } from "../secrets-manager.js";

/**
 * The token-endpoint client credential, from AWS Secrets Manager (src/secrets-manager.ts). Secrets are
 * cached for a bounded time, concurrent reads share one request, failures are never cached.
 */
export type ClientCredential = { kind: "secret"; secret: string } | { kind: "private-key"; key: KeyObject };

/** `SecretString` is the client secret itself, or JSON with `client_secret`, or `private_key` (PEM or JWK). */
export function parseClientCredential(text: string): ClientCredential {
  const json = parseJsonObject(text);
  if (json === undefined) return { kind: "secret", secret: text };
  const { client_secret: secret, private_key: key } = json;
  if (typeof secret === "string" && secret !== "") return { kind: "secret", secret };
  try {
    if (typeof key === "string") return { kind: "private-key", key: createPrivateKey(key) };
    if (isPlainObject(key)) return { kind: "private-key", key: createPrivateKey({ key: jwkFrom(key), format: "jwk" }) };
  } catch {
    throw new SecretUnavailable("permanent", "private_key is not a usable PEM or JWK");
  }
  throw new SecretUnavailable("permanent", "secret JSON has neither client_secret nor private_key");
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
