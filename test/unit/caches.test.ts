import { describe, expect, it } from "vitest";
import { LruMap } from "../../src/lru-map.js";
import { TokenCache } from "../../src/obo/token-cache.js";

/** The one eviction policy of the in-memory caches (src/lru-map.ts) and the obo token cache built on it. */
describe("bounded caches", () => {
  it("LruMap evicts the least recently used entry: a read counts as a use", () => {
    const m = new LruMap<string, number>(2);
    m.set("a", 1);
    m.set("b", 2);
    expect(m.get("a")).toBe(1);
    m.set("c", 3);
    expect([m.get("a"), m.get("b"), m.get("c"), m.size]).toEqual([1, undefined, 3, 2]);
    m.set("a", 4); // a write refreshes too
    m.set("d", 5);
    expect([m.get("a"), m.get("c"), m.get("d")]).toEqual([4, undefined, 5]);
  });

  it("the obo token cache holds at most maxEntries: the least recently used token is exchanged again", async () => {
    const cache = new TokenCache(2);
    let loads = 0;
    const load = (token: string) => () => {
      loads++;
      return Promise.resolve({ token, expiresAt: 1_000 });
    };
    const get = async (key: string) => (await cache.get(key, 0, load(`t-${key}`))).hit;
    expect([await get("u1"), await get("u2"), await get("u1")]).toEqual([false, false, true]);
    expect(await get("u3")).toBe(false); // evicts u2, the least recently used
    expect(cache.size).toBe(2);
    expect([await get("u1"), await get("u3"), await get("u2")]).toEqual([true, true, false]);
    expect(loads).toBe(4);
  });

  it("an obo token past its expiry is exchanged again, and one already expired when issued is not kept", async () => {
    const cache = new TokenCache(10);
    const first = await cache.get("k", 100, () => Promise.resolve({ token: "t1", expiresAt: 200 }));
    expect(first).toEqual({ token: "t1", hit: false });
    expect(await cache.get("k", 199, () => Promise.resolve({ token: "unused", expiresAt: 300 }))).toEqual({ token: "t1", hit: true });
    expect(await cache.get("k", 200, () => Promise.resolve({ token: "t2", expiresAt: 150 }))).toEqual({ token: "t2", hit: false });
    expect(cache.size).toBe(0);
  });
});
