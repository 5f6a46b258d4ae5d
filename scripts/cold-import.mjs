// Cold import of the Lambda bundle: median wall time for a fresh Node process to import dist/index.mjs,
// against importing an empty module, over N runs. `node scripts/cold-import.mjs [runs]`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const runs = Number(process.argv[2] ?? 15);
const empty = join(mkdtempSync(join(tmpdir(), "cold-")), "empty.mjs");
writeFileSync(empty, "export {};\n");
const probe = (file) =>
  `const t=process.hrtime.bigint(); await import(${JSON.stringify(file)}); process.stderr.write("MS="+String(Number(process.hrtime.bigint()-t)/1e6)+"\\n");`;
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const measure = (file) =>
  median(
    Array.from({ length: runs }, () =>
      Number(/MS=([\d.]+)/.exec(spawnSync(process.execPath, ["--input-type=module", "-e", probe(file)], { env: { PATH: process.env.PATH, INTERCEPTOR_CONFIG: CONFIG } }).stderr.toString())[1]),
    ),
  );
// A valid config whose JWKS host answers nothing quickly: init starts its prefetch as in Lambda.
const CONFIG = JSON.stringify({
  issuers: [{ issuer: "https://idp.example", jwksUri: "https://127.0.0.1:9/jwks", audience: ["mcp-gateway"] }],
  targets: { crm: { mode: "claims", headers: { "x-user-sub": "sub" } } },
});
const bundle = resolve("dist/index.mjs");
const result = { node: process.version, runs, emptyModuleMs: measure(empty), bundleImportMs: measure(bundle) };
console.log(JSON.stringify(result));
