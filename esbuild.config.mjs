// Builds the Lambda bundle: dist/index.mjs exporting `handler` (ESM, node20 syntax so the same file
// runs on the Lambda nodejs22.x runtime and in the Node 20 test runner). Prints the entry chunk size.
import { build, analyzeMetafile } from "esbuild";
import { mkdirSync, writeFileSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
const result = await build({
  entryPoints: { index: "src/index.ts", "cognito-pre-token": "src/cognito-pre-token.ts" },
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
// What a cold start loads: an entry chunk plus every chunk it imports statically (shared code lands in
// chunks once there are two entries); dynamically imported chunks (the AWS SDK) are not counted.
const outputs = result.metafile.outputs;
const coldBytes = (file, seen = new Set()) => {
  if (seen.has(file)) return 0;
  seen.add(file);
  return outputs[file].bytes + outputs[file].imports.filter((i) => i.kind === "import-statement" && !i.external).reduce((n, i) => n + coldBytes(i.path, seen), 0);
};
if (process.argv.includes("--verbose")) console.log(await analyzeMetafile(result.metafile));
for (const [name, source] of [["entry", "src/index.ts"], ["cognito trigger", "src/cognito-pre-token.ts"]]) {
  const [file, out] = Object.entries(outputs).find(([, o]) => o.entryPoint === source);
  console.log(`${name} ${file}: ${(out.bytes / 1024).toFixed(1)} KB minified, ${(coldBytes(file) / 1024).toFixed(1)} KB loaded at cold start`);
}
