import { afterAll, expect } from "vitest";
import { registeredSecrets } from "./secrets.js";

/**
 * Setup file (vitest `setupFiles`): captures everything written to stdout/stderr in this worker,
 * which is where the Powertools logger writes. `auditLines()` reads the decisions of a test; the
 * `afterAll` hook proves that no registered token, signature segment or secret was ever logged (LG-02).
 */
const captured: string[] = [];
const passthrough = process.env.SHOW_LOGS === "1";

for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return passthrough ? original(chunk, ...(rest as [])) : true;
  }) as typeof stream.write;
}

export function logMark(): number {
  return captured.length;
}

export function logRecordsSince(mark: number): Record<string, unknown>[] {
  return captured
    .slice(mark)
    .join("")
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function auditLinesSince(mark: number): Record<string, unknown>[] {
  return logRecordsSince(mark).filter((r) => r.message === "audit");
}

afterAll(() => {
  const all = captured.join("");
  const leaked = [...registeredSecrets()].filter((s) => all.includes(s));
  expect(
    leaked.map((s) => `${s.slice(0, 12)}… (${s.length} chars)`),
    "LG-02: a token, token segment or secret appeared in the logs",
  ).toEqual([]);
  expect(all, "LG-02: a Bearer credential appeared in the logs").not.toMatch(/Bearer\s+eyJ/);
});
