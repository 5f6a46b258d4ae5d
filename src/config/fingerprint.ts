/**
 * The fingerprint of the configuration's validation (scripts/config-fingerprint.mjs: every file of
 * src/config/ and zod's version), as esbuild stamped it into this build; computed from the sources when
 * they run unbundled (tests, the command line from a clone). The record of a validation carries it
 * (src/config/validated.ts), so a record made by another build is never trusted, even of the same release.
 */
declare const __CONFIG_FINGERPRINT__: string | undefined;

export function configFingerprint(): string {
  return typeof __CONFIG_FINGERPRINT__ === "string" ? __CONFIG_FINGERPRINT__ : fromSources();
}

let computed: string | undefined;

/** The same computation as scripts/config-fingerprint.mjs, over this checkout's files (never in a bundle). */
function fromSources(): string {
  if (computed !== undefined) return computed;
  const fs = process.getBuiltinModule("node:fs");
  const hash = process.getBuiltinModule("node:crypto").createHash("sha256");
  const dir = new URL("./", import.meta.url);
  for (const name of fs.readdirSync(dir).sort())
    hash
      .update(name)
      .update("\0")
      .update(fs.readFileSync(new URL(name, dir)))
      .update("\0");
  const zod: unknown = JSON.parse(fs.readFileSync(new URL("../../node_modules/zod/package.json", import.meta.url), "utf8"));
  const version = typeof zod === "object" && zod !== null && "version" in zod ? String(zod.version) : "unknown";
  computed = hash.update(`zod@${version}`).digest("hex");
  return computed;
}
