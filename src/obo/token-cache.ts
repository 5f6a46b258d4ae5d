import { LruMap } from "../lru-map.js";

/**
 * Exchanged tokens, in memory only (docs/security.md §1.5 §5, OBO-13..16): one entry per
 * issuer + subject + inbound client + target + scope + inbound token, never shared across users or
 * targets; an entry expires no later than either token minus the leeway; concurrent misses for one
 * key share one request; the least recently used entry goes first when the cache is full.
 */
interface Entry {
  token: string;
  expiresAt: number;
}

export class TokenCache {
  private readonly entries: LruMap<string, Entry>;
  private readonly inflight = new Map<string, Promise<Entry>>();

  constructor(maxEntries: number) {
    this.entries = new LruMap(maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** A cached token, or the result of `load` (shared by concurrent callers of the same key). */
  async get(key: string, nowSeconds: number, load: () => Promise<Entry>): Promise<{ token: string; hit: boolean }> {
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > nowSeconds) return { token: cached.token, hit: true };
    if (cached) this.entries.delete(key);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = load().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
      const entry = await pending;
      if (entry.expiresAt > nowSeconds) this.entries.set(key, entry);
      return { token: entry.token, hit: false };
    }
    return { token: (await pending).token, hit: false };
  }
}
