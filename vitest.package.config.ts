import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/** `npm run test:package`: the package as a user installs it (test/package/), apart from `npm test`. */
export default defineConfig({ test: { ...base.test, include: ["test/package/**/*.test.ts"], exclude: ["**/node_modules/**"] } });
