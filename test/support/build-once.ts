import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * vitest globalSetup: build dist/ once, so the recorded-event and bundle tests exercise the real
 * artefact; and give the run its own temporary directory (TMPDIR, inherited by every worker and every
 * process a test starts), removed with all it holds when the run ends. Tests remove what they make
 * (test/support/temp.ts); this also catches what libraries stage there (CDK's asset staging and its
 * `cdk.out` of an `App` without an outdir), so a run leaves nothing behind.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ["esbuild.config.mjs"], { stdio: ["ignore", "ignore", "inherit"] });
  const saved = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), "interceptor-suite-"));
  process.env.TMPDIR = root;
  return () => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(root, { recursive: true, force: true });
  };
}
