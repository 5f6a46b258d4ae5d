// Builds the Lambda bundle: dist/index.mjs exporting `handler` (ESM, node20 syntax so the same file
// runs on the Lambda nodejs22.x runtime and in the Node 20 test runner). Prints the entry chunk size.
import { build, analyzeMetafile } from "esbuild";
import { mkdirSync, writeFileSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
const result = await build({
  entryPoints: { index: "src/index.ts" },
  outdir: "dist",
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
});
mkdirSync("dist", { recursive: true });
writeFileSync("dist/meta.json", JSON.stringify(result.metafile));
const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === "src/index.ts");
if (process.argv.includes("--verbose")) console.log(await analyzeMetafile(result.metafile));
console.log(`entry chunk ${entry[0]}: ${(entry[1].bytes / 1024).toFixed(1)} KB minified`);
