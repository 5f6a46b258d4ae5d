// The fingerprint of the configuration's validation: SHA-256 over every file of src/config/ (sorted by
// name: the schema, its rules and defaults) and zod's version. esbuild.config.mjs stamps it into every
// build (`__CONFIG_FINGERPRINT__`), so the record of a validation (src/config/validated.ts) made by one
// build's tooling is trusted only by a bundle whose validation is the same. src/config/fingerprint.ts
// computes the same from the sources when they run unbundled; a test keeps the two equal.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** @param {string} root the repository (or package) root */
export function configFingerprint(root) {
  const hash = createHash("sha256");
  const dir = join(root, "src", "config");
  for (const name of readdirSync(dir).sort())
    hash
      .update(name)
      .update("\0")
      .update(readFileSync(join(dir, name)))
      .update("\0");
  hash.update(`zod@${JSON.parse(readFileSync(join(root, "node_modules", "zod", "package.json"), "utf8")).version}`);
  return hash.digest("hex");
}
