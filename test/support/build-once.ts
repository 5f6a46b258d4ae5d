import { execFileSync } from "node:child_process";

/** vitest globalSetup: build dist/ once, so the recorded-event and bundle tests exercise the real artefact. */
export default function setup(): void {
  execFileSync(process.execPath, ["esbuild.config.mjs"], { stdio: ["ignore", "ignore", "inherit"] });
}
