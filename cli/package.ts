import { writeFileSync } from "node:fs";
import { crc32, deflateRawSync } from "node:zlib";
import { readConfigFile } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";
import { defaultBundleDir, type FunctionFile, functionFiles } from "./bundle.js";
import type { Io } from "./attach.js";

/**
 * `package [--config FILE] [--out FILE]`: the prebuilt bundle as function.zip, for
 * `aws lambda update-function-code --zip-file fileb://function.zip`. With `--config`, the file is validated
 * (as the Lambda's cold start does) and added as interceptor.config.json, the file the bundle reads beside
 * index.mjs (Lambda environment variables stop at 4 KB in total). Plain Node (zlib deflate + crc32), so
 * packaging needs no zip binary on the machine.
 */
export interface PackageOptions {
  configFile?: string | undefined;
  out: string;
  /** Default: this package's dist/. */
  bundleDir?: string;
}

export type ZipEntry = FunctionFile;

/** A zip of `entries` (deflated, dated 1980-01-01 so the same inputs give the same bytes). */
export function zip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
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
  return Buffer.concat([...locals, directory, end]);
}

/** Writes the zip; returns the exit code (0 written, 1 invalid config: every problem printed, nothing written). */
export function packageFunction(options: PackageOptions, io: Io): number {
  let configured: { config: Config; text: string } | undefined;
  if (options.configFile !== undefined) {
    const loaded = readConfigFile(options.configFile);
    if (!loaded.ok) {
      io.err(`${options.configFile}: ${loaded.problems.length} problem(s); nothing packaged`);
      for (const p of loaded.problems) io.err(`  ${p}`);
      return 1;
    }
    configured = { config: loaded.config, text: loaded.text };
  }
  const dir = options.bundleDir ?? defaultBundleDir();
  const entries = functionFiles(dir, configured);
  writeFileSync(options.out, zip(entries));
  io.out(`${options.out}: ${entries.length} files (${entries.map((e) => e.name).join(", ")})`);
  return 0;
}
