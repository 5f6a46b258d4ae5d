/**
 * The inbound header map as AgentCore delivers it: absent, `{}`, or names in any letter case
 * (docs/agentcore-contract.md §1a). Lookups are case-insensitive and never merge duplicates silently.
 */
export type RawHeaders = Readonly<Record<string, string | readonly string[]>> | null | undefined;

export class HeaderBag {
  private readonly byLower = new Map<string, { keys: string[]; values: string[] }>();

  constructor(raw: RawHeaders) {
    if (!raw) return;
    for (const [key, value] of Object.entries(raw)) {
      const lower = key.toLowerCase();
      let slot = this.byLower.get(lower);
      if (!slot) this.byLower.set(lower, (slot = { keys: [], values: [] }));
      slot.keys.push(key);
      if (typeof value === "string") slot.values.push(value);
      else slot.values.push(...value);
    }
  }

  /** True when the gateway passed no header at all (which hints at `passRequestHeaders: false`). */
  get isEmpty(): boolean {
    return this.byLower.size === 0;
  }

  /** How many distinct keys spell this name (`Authorization` and `authorization` count twice). */
  keyCount(name: string): number {
    return this.byLower.get(name.toLowerCase())?.keys.length ?? 0;
  }

  values(name: string): readonly string[] {
    return this.byLower.get(name.toLowerCase())?.values ?? [];
  }

  /** One value, or undefined when absent; several values are reported as `null`. */
  single(name: string): string | undefined | null {
    const slot = this.byLower.get(name.toLowerCase());
    if (!slot) return undefined;
    return slot.values.length === 1 && slot.keys.length === 1 ? slot.values[0] : null;
  }

  lowerNames(): IterableIterator<string> {
    return this.byLower.keys();
  }
}
