// ESLint 9 flat config: the recommended JavaScript and typescript-eslint rules (not the type-checked
// set: `tsc` already runs in strict mode and type-aware linting would double CI time on two cores).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "cdk.out/", "coverage/", "node_modules/", "bench/results.json", "bench/profiles/", "**/*.d.mts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        TextDecoder: "readonly",
        TextEncoder: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        performance: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        structuredClone: "readonly",
        fetch: "readonly",
        queueMicrotask: "readonly",
        require: "readonly",
        __dirname: "readonly",
      },
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
);
