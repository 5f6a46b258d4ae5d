// `npm run demo`: build the Lambda bundle, then run the TypeScript demo in place (scripts/ts-hooks.mjs).
import { register } from "node:module";

await import("../esbuild.config.mjs");
// The OpenID Provider library prints development notices (in-memory store, Node version): not demo output.
for (const level of ["warn", "info"]) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    if (!String(args[0]).includes("oidc-provider")) original(...args);
  };
}
register("./ts-hooks.mjs", import.meta.url);
await import("./demo.ts");
