import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../src/config/schema.js";
import { VALIDATED_FILE, validatedRecord } from "../src/config/validated.js";

/**
 * The prebuilt Lambda bundle this package ships (dist/index.mjs, its chunks and dist/cognito-pre-token.mjs,
 * built by esbuild.config.mjs). Shared by the CDK construct and the `package` command. Tooling only:
 * nothing here enters the Lambda bundle.
 */
export const PACKAGE_NAME = "agentcore-identity-interceptor";

/**
 * The package's dist/, found from this module's own file: the nearest enclosing directory whose
 * package.json is this package's. The same rule holds for the sources in a clone (cli/, cdk/) and for the
 * compiled tooling in an installed package (node_modules/agentcore-identity-interceptor/dist/lib/).
 */
export function defaultBundleDir(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && isThisPackage(readFileSync(manifest, "utf8"))) return join(dir, "dist");
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package above ${from}`);
  }
}

function isThisPackage(manifest: string): boolean {
  try {
    const parsed: unknown = JSON.parse(manifest);
    return typeof parsed === "object" && parsed !== null && "name" in parsed && parsed.name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The files of the function: the bundle's top-level `.mjs` files (entries and chunks), by name. Not the
 * source maps or esbuild metafiles, not a config left in the directory (the caller adds its own), and not
 * the subdirectories (dist/lib/ and dist/types/ hold this package's tooling and type declarations).
 * Throws when dist/index.mjs is missing.
 */
export function bundleFiles(bundleDir: string): string[] {
  const index = join(bundleDir, "index.mjs");
  if (!existsSync(index)) throw new Error(`${index} is missing: run npm run build first`);
  return readdirSync(bundleDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".mjs"))
    .map((e) => e.name)
    .sort();
}

/** One file of the function, by its name in the function's root. */
export interface FunctionFile {
  name: string;
  data: Buffer;
}

/**
 * Everything the function's root holds, in the order of `bundleFiles`: the bundle's files and, with a
 * configuration, its text as interceptor.config.json and the record of its validation
 * (interceptor.config.validated.json, src/config/validated.ts: the cold start then skips loading the
 * schema). `validated` is what `parseConfig` returned for `text`. The `package` command zips these; the
 * construct stages them as its asset.
 */
export function functionFiles(bundleDir: string, configured?: { config: Config; text: string }): FunctionFile[] {
  const files = bundleFiles(bundleDir).map((name) => ({ name, data: readFileSync(join(bundleDir, name)) }));
  if (configured === undefined) return files;
  return [
    ...files,
    { name: "interceptor.config.json", data: Buffer.from(configured.text) },
    { name: VALIDATED_FILE, data: Buffer.from(validatedRecord(configured.config, configured.text)) },
  ];
}
