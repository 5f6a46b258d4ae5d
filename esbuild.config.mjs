// Builds the Lambda bundles (ESM, node20 syntax so the same files run on the Lambda nodejs24.x runtime
// and in the Node 20 test runner):
//   dist/index.mjs              the interceptor, exporting `handler` (lazy chunks: on-behalf-of, AWS SDK)
//   dist/cognito-pre-token.mjs  the Cognito pre token generation trigger, exporting `handler`
//   dist/custom-resource/index.mjs  the construct's existing-gateway custom resource (`handler`, with the SDK)
// Each entry is built on its own so neither cold start loads code only the other one needs.
// Prints each entry's size and the bytes its cold start loads (the entry plus its static imports).
// Then the package's tooling, compiled so an installed package runs it with plain Node (no TypeScript,
// no esbuild) and its dependencies left as imports (not bundled):
//   dist/lib/index.mjs  the library (`import { createHandler, parseConfig } from "agentcore-identity-interceptor"`)
//   dist/lib/cdk.mjs    the CDK construct (`agentcore-identity-interceptor/cdk`)
//   dist/lib/cli.mjs    the command line (bin/agentcore-interceptor.mjs)
// The Lambda bundle is the top-level .mjs files of dist/ (cli/bundle.ts); dist/lib/ is never part of it.
// Type declarations (dist/types/) come from tsc -p tsconfig.build.json (npm run build).
import { build, analyzeMetafile } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { coldStartBytes } from "./scripts/bundle-size.mjs";
import { configFingerprint } from "./scripts/config-fingerprint.mjs";

// Stamped into every build: the record of a configuration's validation is trusted only by the same validation.
const define = { __CONFIG_FINGERPRINT__: JSON.stringify(configFingerprint(fileURLToPath(new URL(".", import.meta.url)))) };

/** What every build shares: ESM for Node 20+, split into chunks, the fingerprint stamped. */
const base = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outExtension: { ".js": ".mjs" },
  splitting: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  define,
};

/** The Lambda bundles: dependencies bundled, minified, with source maps. */
const common = {
  ...base,
  mainFields: ["module", "main"],
  // \`require\` for the CommonJS dependencies' calls, through process.getBuiltinModule: an ESM import of
  // node:module would build its facade at every cold start.
  banner: { js: 'const require = process.getBuiltinModule("node:module").createRequire(import.meta.url);' },
  minify: true,
  sourcemap: true,
};

rmSync("dist", { recursive: true, force: true });
const interceptor = await build({ ...common, entryPoints: { index: "src/index.ts" }, outdir: "dist" });
const trigger = await build({
  ...common,
  entryPoints: ["src/cognito-pre-token.ts"],
  splitting: false,
  outfile: "dist/cognito-pre-token.mjs",
});
// The custom resource that attaches the interceptor to a gateway made outside the app (the construct's
// `existingGatewayId`): the command line's read-then-put code and the AWS SDK in one file, in its own
// directory so it is never part of the interceptor's bundle (cli/bundle.ts takes dist/*.mjs only).
await build({
  ...common,
  entryPoints: { index: "cdk/custom-resource/attach-existing.ts" },
  splitting: false,
  sourcemap: false,
  metafile: false,
  outdir: "dist/custom-resource",
});
const tooling = await build({
  ...base,
  packages: "external",
  entryPoints: { index: "src/library.ts", cdk: "cdk/identity-interceptor.ts", cli: "cli/main.ts" },
  outdir: "dist/lib",
});
mkdirSync("dist", { recursive: true });
writeFileSync("dist/meta.json", JSON.stringify(interceptor.metafile));
writeFileSync("dist/cognito-pre-token.meta.json", JSON.stringify(trigger.metafile));
writeFileSync("dist/lib/meta.json", JSON.stringify(tooling.metafile));

if (process.argv.includes("--verbose")) console.log(await analyzeMetafile(interceptor.metafile));
// --quiet (npm run cli/jwks/package): the command's own output only.
if (!process.argv.includes("--quiet"))
  for (const [name, meta, file] of [
    ["interceptor", interceptor.metafile, "dist/index.mjs"],
    ["cognito trigger", trigger.metafile, "dist/cognito-pre-token.mjs"],
  ]) {
    const kb = (n) => (n / 1024).toFixed(1);
    console.log(
      `${name} ${file}: ${kb(meta.outputs[file].bytes)} KB minified entry chunk, ${kb(coldStartBytes(meta, file))} KB loaded at cold start`,
    );
  }
