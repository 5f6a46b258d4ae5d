// ESLint 9 flat config: the recommended JavaScript and typescript-eslint rules everywhere, and, on
// src/ only (the Lambda), the type-aware promise rules: a dropped or misused promise there is a request
// that fails silently or after its answer. Type-aware linting is limited to src/ and to these rules so
// that `npm run lint` stays quick on two cores (`tsc` already checks everything in strict mode): its
// program is tsconfig.eslint.json, the root tsconfig.json limited to src/ (with the whole tsconfig.json,
// which pulls in the CDK and test types, lint took five times as long).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "cdk.out/", "coverage/", "node_modules/", "bench/results.json", "bench/profiles/", "**/*.d.mts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: globals.node,
    },
    rules: {
      // Control characters in regular expressions are deliberate: the code escapes or refuses them.
      "no-control-regex": "off",
      // `_`-prefixed names mark parameters and bindings kept for a signature or a destructuring.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    languageOptions: {
      parserOptions: { project: "./tsconfig.eslint.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
);
