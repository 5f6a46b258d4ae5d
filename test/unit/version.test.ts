import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { Harness, run, mcpEvent } from "../support/harness.js";

/** The release stamped into the audit line is the package's, and the CHANGELOG names it. */
describe("version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

  it("src/version.ts says package.json's version, and the CHANGELOG has a section for it", () => {
    expect(VERSION).toBe(pkg.version);
    expect(readFileSync(new URL("../../CHANGELOG.md", import.meta.url), "utf8")).toContain(`## [${pkg.version}]`);
  });

  it("every audit line carries it", async () => {
    const h = new Harness();
    await h.start();
    try {
      const { audit } = await run(h.handler(), mcpEvent({ method: "ping" }));
      expect(audit.version).toBe(pkg.version);
    } finally {
      await h.stop();
    }
  });
});
