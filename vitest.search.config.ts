import { defineConfig } from "vitest/config";
import base, { SEARCH_FILES } from "./vitest.config.js";

/**
 * `npm run test:search`: the property-based search (test/attack/property.test.ts) and the isolation soak
 * (test/attack/isolation.test.ts) over the built handler, apart from `npm test`; CI runs them on Node 20
 * and Node 24 after the suite.
 */
export default defineConfig({ test: { ...base.test, include: SEARCH_FILES, exclude: ["**/node_modules/**"] } });
