import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The package as a user installs it (npm pack, an offline install, the zip under AWS's runtime
    // client) takes about 40 s alone: its own run, `npm run test:package` (vitest.package.config.ts),
    // which CI runs after the suite.
    exclude: ["test/package/**", "**/node_modules/**"],
    globalSetup: ["test/support/build-once.ts"],
    setupFiles: ["test/support/log-capture.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Every core: the default leaves one idle, which on a 2-core machine halves the suite's speed.
    maxWorkers: "100%",
  },
});
