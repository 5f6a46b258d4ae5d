import { pathToFileURL } from "node:url";

/** The built Lambda bundle (dist/index.mjs), typed as its source. */
export type Bundle = typeof import("../../src/index.js");

export async function loadBundle(): Promise<Bundle> {
  const url = pathToFileURL(new URL("../../dist/index.mjs", import.meta.url).pathname).href;
  return (await import(/* @vite-ignore */ url)) as Bundle;
}
