// Builds the Lambda bundles (ESM, node20 syntax so the same files run on the Lambda nodejs22.x runtime
// and in the Node 20 test runner):
//   dist/index.mjs              the interceptor, exporting `handler` (lazy chunks: on-behalf-of, AWS SDK)
//   dist/cognito-pre-token.mjs  the Cognito pre token generation trigger, exporting `handler`
// Each entry is built on its own so neither cold start loads code only the other one needs.
// Prints each entry's size and the bytes its cold start loads (the entry plus its static imports).
import { build, analyzeMetafile } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { coldStartBytes } from "./scripts/bundle-size.mjs";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outExtension: { ".js": ".mjs" },
  splitting: true,
  mainFields: ["module", "main"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  minify: true,
  sourcemap: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
};

rmSync("dist", { recursive: true, force: true });
const interceptor = await build({ ...common, entryPoints: { index: "src/index.ts" }, outdir: "dist" });
const trigger = await build({
  ...common,
  entryPoints: ["src/cognito-pre-token.ts"],
  splitting: false,
  outfile: "dist/cognito-pre-token.mjs",
});
mkdirSync("dist", { recursive: true });
writeFileSync("dist/meta.json", JSON.stringify(interceptor.metafile));
writeFileSync("dist/cognito-pre-token.meta.json", JSON.stringify(trigger.metafile));

if (process.argv.includes("--verbose")) console.log(await analyzeMetafile(interceptor.metafile));
for (const [name, meta, file] of [
  ["interceptor", interceptor.metafile, "dist/index.mjs"],
  ["cognito trigger", trigger.metafile, "dist/cognito-pre-token.mjs"],
]) {
  const kb = (n) => (n / 1024).toFixed(1);
  console.log(
    `${name} ${file}: ${kb(meta.outputs[file].bytes)} KB minified entry chunk, ${kb(coldStartBytes(meta, file))} KB loaded at cold start`,
  );
}
