#!/usr/bin/env node
// `npx agentcore-interceptor <command>`: the compiled command line (dist/lib/cli.mjs from cli/main.ts), which
// the published package ships; plain Node, no TypeScript hooks. In a clone, `npm run build` makes it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = new URL("../dist/lib/cli.mjs", import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error(`agentcore-interceptor: ${fileURLToPath(cli)} is missing: run npm run build first`);
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) });
