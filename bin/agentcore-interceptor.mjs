#!/usr/bin/env node
// `npx agentcore-interceptor <command>` from a clone after `npm ci`: runs the command line (cli/main.ts)
// in place through this repo's TypeScript hooks (scripts/ts-hooks.mjs), so it needs no build step.
import { register } from "node:module";

register("../scripts/ts-hooks.mjs", import.meta.url);
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) });
