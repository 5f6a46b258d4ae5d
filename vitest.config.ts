import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/build-once.ts"],
    setupFiles: ["test/support/log-capture.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Every core: the default leaves one idle, which on a 2-core machine halves the suite's speed.
    maxWorkers: "100%",
  },
});
