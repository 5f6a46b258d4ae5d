import { pathToFileURL } from "node:url";

/** The built Lambda bundle (dist/index.mjs), typed as its source. */
export type Bundle = typeof import("../../src/index.js");

export async function loadBundle(): Promise<Bundle> {
  const url = pathToFileURL(new URL("../../dist/index.mjs", import.meta.url).pathname).href;
  return (await import(/* @vite-ignore */ url)) as Bundle;
}

/** The built Cognito pre token generation trigger (dist/cognito-pre-token.mjs), typed as its source. */
export type PreTokenBundle = typeof import("../../src/cognito-pre-token.js");

export async function loadPreTokenBundle(): Promise<PreTokenBundle> {
  const url = pathToFileURL(new URL("../../dist/cognito-pre-token.mjs", import.meta.url).pathname).href;
  return (await import(/* @vite-ignore */ url)) as PreTokenBundle;
}
