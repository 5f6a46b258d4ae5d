// Zips dist/ into function.zip for upload (`aws lambda update-function-code --zip-file fileb://function.zip`).
// Plain Node (zlib deflate + crc32), so packaging needs no zip binary on the machine.
//   --config FILE   validate FILE (as the Lambda's cold start does) and add it as interceptor.config.json,
//                   the file the bundle reads beside index.mjs (Lambda environment variables stop at 4 KB)
//   --out FILE      where to write the zip (default function.zip)
// Run through the repo's TypeScript hooks (`npm run package`), which the config check needs.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { crc32, deflateRawSync } from "node:zlib";

const { values: args } = parseArgs({ options: { config: { type: "string" }, out: { type: "string", default: "function.zip" } } });
let configText;
if (args.config !== undefined) {
  const { parseConfig } = await import("../src/config/load.js");
  configText = readFileSync(args.config, "utf8");
  let json;
  try {
    json = JSON.parse(configText);
  } catch {
    console.error(`${args.config}: not valid JSON`);
    process.exit(1);
  }
  const loaded = parseConfig(json);
  if (!loaded.ok) {
    console.error(`${args.config}: ${loaded.problems.length} problem(s); nothing packaged`);
    for (const p of loaded.problems) console.error(`  ${p}`);
    process.exit(1);
  }
}

const root = "dist";
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (!name.endsWith(".map") && !name.endsWith("meta.json")) files.push(path);
  }
};
walk(root);
if (!files.some((f) => f.endsWith("index.mjs"))) throw new Error("dist/index.mjs is missing: run npm run build first");

const locals = [];
const centrals = [];
let offset = 0;
const entries = files
  .filter((f) => relative(root, f) !== "interceptor.config.json")
  .map((path) => ({ name: relative(root, path).split("\\").join("/"), data: readFileSync(path) }));
if (configText !== undefined) entries.push({ name: "interceptor.config.json", data: Buffer.from(configText) });
for (const entry of entries) {
  const name = Buffer.from(entry.name);
  const data = entry.data;
  const packed = deflateRawSync(data, { level: 9 });
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt16LE(0x21, 12); // 1980-01-01: reproducible archives
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  locals.push(local, name, packed);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(0x031e, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  central.writeUInt32LE(offset, 42);
  centrals.push(central, name);
  offset += local.length + name.length + packed.length;
}
const directory = Buffer.concat(centrals);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
end.writeUInt16LE(entries.length, 8);
end.writeUInt16LE(entries.length, 10);
end.writeUInt32LE(directory.length, 12);
end.writeUInt32LE(offset, 16);
writeFileSync(args.out, Buffer.concat([...locals, directory, end]));
console.log(`${args.out}: ${entries.length} files (${entries.map((e) => e.name).join(", ")})`);
