// Writes the committed RSA test keys (test/support/keys/rsa-<bits>-<name>.pem): one for every
// `rsaKey("name"[, bits])` in test/, plus the e2e IdPs' signing keys. Existing files are kept.
// Test-only material: never use these keys anywhere else.
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../test/", import.meta.url).pathname;
const out = join(root, "support/keys");
/** Keys named in code that builds the name (test/e2e/stack/idp.ts: `idp-<name>`). */
const EXTRA = [
  ["idp-acme", 2048],
  ["idp-globex", 2048],
  ["idp-initech", 2048],
];
const CALL = /rsaKey\("([\w.-]+)"(?:,\s*(\d+))?/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith(".ts")) yield path;
  }
}

const wanted = new Map(EXTRA.map(([name, bits]) => [`rsa-${bits}-${name}.pem`, bits]));
for (const file of files(root)) {
  for (const m of readFileSync(file, "utf8").matchAll(CALL)) wanted.set(`rsa-${m[2] ?? 2048}-${m[1]}.pem`, Number(m[2] ?? 2048));
}
let written = 0;
for (const [file, bits] of [...wanted].sort()) {
  const path = join(out, file);
  if (existsSync(path)) continue;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  writeFileSync(path, privateKey.export({ format: "pem", type: "pkcs8" }));
  written++;
}
console.log(`${wanted.size} test keys, ${written} written to ${out}`);
