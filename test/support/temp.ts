import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished } from "vitest";

const make = (prefix: string) => mkdtempSync(join(tmpdir(), `${prefix}-`));
const remove = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** A temporary directory removed when the current test finishes (call it inside a test). */
export function testTempDir(prefix: string): string {
  const dir = make(prefix);
  onTestFinished(() => remove(dir));
  return dir;
}

/** A temporary directory for a whole test file, removed after its last test (call it at module level). */
export function fileTempDir(prefix: string): string {
  const dir = make(prefix);
  afterAll(() => remove(dir));
  return dir;
}
