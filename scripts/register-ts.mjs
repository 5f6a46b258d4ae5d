// `node --import ./scripts/register-ts.mjs file.ts`: run this repo's TypeScript in place (ts-hooks.mjs).
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);
