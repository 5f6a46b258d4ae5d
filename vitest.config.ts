import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/** The searches over the built handler (`npm run test:search`, vitest.search.config.ts). */
export const SEARCH_FILES = ["test/attack/property.test.ts", "test/attack/isolation.test.ts"];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Run apart, and by CI after the suite: the package as a user installs it (npm pack, an offline
    // install, the zip under AWS's runtime client: about 40 s, `npm run test:package`) and the two
    // searches over the built handler, property-based and the 10,000-request isolation soak (about 18 s
    // of CPU, `npm run test:search`, SEARCH_FILES).
    exclude: ["test/package/**", ...SEARCH_FILES, "**/node_modules/**"],
    globalSetup: ["test/support/build-once.ts"],
    setupFiles: ["test/support/log-capture.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    // More workers than cores: many files wait on child processes and loopback servers, so a third
    // worker on a 2-core machine keeps both busy (a percentage is capped at the core count) (measured beside a CPU hog: 2 workers ~70 s, 3 ~60 s, 4 ~66 s).
    maxWorkers: Math.ceil(availableParallelism() * 1.5),
  },
});
