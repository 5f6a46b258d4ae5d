import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionFiles } from "../../cli/bundle.js";
import { parseConfig } from "../../src/config/load.js";
import { validatedRecord } from "../../src/config/validated.js";
import { baseConfig, Harness, mcpEvent, tokenA } from "../support/harness.js";
import { testTempDir } from "../support/temp.js";

/**
 * The Lambda entry as AWS runs it: a fresh Node process imports dist/index.mjs, reads the config from
 * the environment, trusts the IdP through NODE_EXTRA_CA_CERTS and answers one event.
 */
const run = promisify(execFile);
const h = new Harness();
const caFile = new URL("../support/tls/ca.pem", import.meta.url).pathname;
const bundle = new URL("../../dist/index.mjs", import.meta.url).pathname;
beforeAll(() => h.start());
afterAll(() => h.stop());

async function invoke(env: Record<string, string>, event: unknown): Promise<Record<string, unknown>> {
  const script = `const { handler } = await import(${JSON.stringify(bundle)});
const out = await handler(JSON.parse(process.env.EVENT), { awsRequestId: "entry-test", getRemainingTimeInMillis: () => 30000 });
process.stdout.write("OUTPUT " + JSON.stringify(out) + "\\n");`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH ?? "", NODE_EXTRA_CA_CERTS: caFile, EVENT: JSON.stringify(event), ...env },
    timeout: 15_000,
  });
  const line = stdout.split("\n").find((l) => l.startsWith("OUTPUT "));
  return JSON.parse(line!.slice(7)) as Record<string, unknown>;
}

/**
 * A fresh Node process imports `entry`, answers one event (`eventText`, JSON) and reports its answer and
 * every module file it loaded. A resolve hook posts each file: URL to the main thread over a message
 * port; after the answer, one more import (a marker) goes through the hook, and the list is read once
 * the marker's message has arrived, so no file's message can still be on its way (the port keeps order).
 */
async function answerInFreshProcess(
  entry: string,
  env: Record<string, string>,
  eventText: string,
): Promise<{ files: string[]; out: unknown }> {
  const marker = "data:text/javascript,export default 'marker'";
  const hook = `let port;
export function initialize(data) { port = data.port; }
export async function resolve(s, c, next) {
  const r = await next(s, c);
  if (r.url.startsWith("file:")) port.postMessage(r.url);
  else if (r.url === ${JSON.stringify(marker)}) port.postMessage("MARKER");
  return r;
}`;
  const script = `import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const loaded = [];
let markerSeen;
const seen = new Promise((resolve) => (markerSeen = resolve));
port1.on("message", (m) => (m === "MARKER" ? markerSeen() : loaded.push(m)));
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] });
const { handler } = await import(${JSON.stringify(entry)});
const out = await handler(JSON.parse(process.env.EVENT), { awsRequestId: "fresh", getRemainingTimeInMillis: () => 30000 });
await import(${JSON.stringify(marker)});
await seen;
port1.close();
process.stdout.write("LOADED " + JSON.stringify(loaded) + "\\n");
process.stdout.write("OUTPUT " + JSON.stringify(out) + "\\n");`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH ?? "", NODE_EXTRA_CA_CERTS: caFile, EVENT: eventText, ...env },
    timeout: 15_000,
  });
  const lineOf = (tag: string) =>
    stdout
      .split("\n")
      .find((l) => l.startsWith(`${tag} `))
      ?.slice(tag.length + 1) ?? "null";
  const urls = JSON.parse(lineOf("LOADED")) as string[] | null;
  return { files: (urls ?? []).map((u) => u.split("/").pop() ?? ""), out: JSON.parse(lineOf("OUTPUT")) };
}

describe("dist/index.mjs as the Lambda entry", () => {
  it("exports handler from a small entry chunk: under 32 KiB minified (npm run build prints the size; 17.5 KB when written)", () => {
    const meta = JSON.parse(readFileSync(new URL("../../dist/meta.json", import.meta.url), "utf8")) as {
      outputs: Record<string, { entryPoint?: string; exports: string[]; bytes: number }>;
    };
    const entry = meta.outputs["dist/index.mjs"];
    expect(entry?.entryPoint).toBe("src/index.ts");
    expect([...(entry?.exports ?? [])].sort()).toEqual(["createHandler", "handler"]);
    expect(entry?.bytes).toBeGreaterThan(0);
    expect(entry?.bytes).toBeLessThan(32 * 1024);
  });

  it("reads INTERCEPTOR_CONFIG and allows a valid caller", async () => {
    const out = await invoke({ INTERCEPTOR_CONFIG: JSON.stringify(baseConfig(h.server)) }, mcpEvent({ token: tokenA() }));
    expect(out).toMatchObject({ mcp: { transformedGatewayRequest: { headers: { "X-User-Sub": "https://idp-a.example|u-1" } } } });
  });

  it("reads INTERCEPTOR_CONFIG_FILE", async () => {
    const file = join(testTempDir("interceptor"), "config.json");
    writeFileSync(file, JSON.stringify(baseConfig(h.server)));
    const out = await invoke({ INTERCEPTOR_CONFIG_FILE: file }, mcpEvent({ token: tokenA() }));
    expect(out).toHaveProperty("mcp.transformedGatewayRequest.headers.X-User-Sub");
  });

  it("with no configuration at all, denies every request with 500 config.invalid", async () => {
    const out = await invoke({}, mcpEvent({ token: tokenA() }));
    expect(out).toMatchObject({
      mcp: { transformedGatewayResponse: { statusCode: 500, body: { error: { data: { reason: "config.invalid" } } } } },
    });
  });
});

describe("lazy loading", () => {
  const loadedFiles = async (config: Record<string, unknown>, event: unknown): Promise<string[]> => {
    const { files, out } = await answerInFreshProcess(bundle, { INTERCEPTOR_CONFIG: JSON.stringify(config) }, JSON.stringify(event));
    expect(JSON.stringify(out)).toContain("transformedGatewayRequest");
    return files;
  };

  it("forward/claims/none deployments never load the on-behalf-of chunk or the AWS SDK", async () => {
    const files = await loadedFiles(baseConfig(h.server), mcpEvent({ token: tokenA() }));
    expect(files).toContain("index.mjs");
    expect(files.some((f) => f.startsWith("chunk-"))).toBe(true);
    const meta = JSON.parse(readFileSync(new URL("../../dist/meta.json", import.meta.url), "utf8")) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const lazy = Object.entries(meta.outputs)
      .filter(([, o]) =>
        Object.keys(o.inputs).some(
          (i) => i.includes("@aws-sdk/client-secrets-manager") || i.startsWith("src/obo/") || i === "src/secrets-manager.ts",
        ),
      )
      .map(([file]) => file.split("/").pop()!);
    expect(lazy.length).toBeGreaterThan(0);
    expect(files.filter((f) => lazy.includes(f))).toEqual([]);
  });

  it("deployments without an assertion target never load the signed-assertion chunk", async () => {
    const files = await loadedFiles(baseConfig(h.server), mcpEvent({ token: tokenA() }));
    const meta = JSON.parse(readFileSync(new URL("../../dist/meta.json", import.meta.url), "utf8")) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const lazy = Object.entries(meta.outputs)
      .filter(([, o]) => Object.keys(o.inputs).some((i) => i.startsWith("src/assertion/")))
      .map(([file]) => file.split("/").pop()!);
    expect(lazy.length).toBeGreaterThan(0);
    expect(files.filter((f) => lazy.includes(f))).toEqual([]);
  });
});

describe("a configuration validated before deployment (interceptor.config.validated.json)", () => {
  const dist = new URL("../../dist/", import.meta.url).pathname;
  const meta = JSON.parse(readFileSync(join(dist, "meta.json"), "utf8")) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  /** The chunk that holds the configuration schema (and zod's English messages): loaded only to validate. */
  const schemaChunks = Object.entries(meta.outputs)
    .filter(([file, o]) => file.endsWith(".mjs") && "src/config/schema.ts" in o.inputs)
    .map(([file]) => file.split("/").pop());

  /** The function's root as `package` writes it (the bundle, the config and its record), in a temp directory. */
  const functionRoot = (config: Record<string, unknown>) => {
    const text = `${JSON.stringify(config, null, 2)}\n`;
    const loaded = parseConfig(text);
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    const root = testTempDir("function");
    for (const f of functionFiles(dist, { config: loaded.config, text })) writeFileSync(join(root, f.name), f.data);
    return { root, text, config: loaded.config };
  };

  /** A fresh process imports the root's index.mjs with no environment and answers one event; lists the module files it loaded. */
  const answer = (root: string, eventText = JSON.stringify(mcpEvent({ token: tokenA() }))) =>
    answerInFreshProcess(join(root, "index.mjs"), {}, eventText);

  it("is used as it is: the cold start never loads the schema's chunk", async () => {
    expect(schemaChunks).toHaveLength(1);
    const { root } = functionRoot(baseConfig(h.server));
    const { files, out } = await answer(root);
    expect(out).toMatchObject({ mcp: { transformedGatewayRequest: { headers: { "X-User-Sub": "https://idp-a.example|u-1" } } } });
    expect(files).toContain("index.mjs");
    expect(files.filter((f) => schemaChunks.includes(f))).toEqual([]);
  });

  /** Every chunk that holds any of zod. */
  const zodChunks = Object.entries(meta.outputs)
    .filter(([file, o]) => file.endsWith(".mjs") && Object.keys(o.inputs).some((i) => i.includes("node_modules/zod/")))
    .map(([file]) => file.split("/").pop());

  it("with plain events, a cold start never loads zod: events the hand check refuses load the envelope schema, which answers them", async () => {
    expect(zodChunks.length).toBeGreaterThan(0);
    const { root } = functionRoot(baseConfig(h.server));
    const plain = await answer(root);
    expect(plain.out).toHaveProperty(["mcp", "transformedGatewayRequest", "headers", "X-User-Sub"], "https://idp-a.example|u-1");
    expect(plain.files.filter((f) => zodChunks.includes(f))).toEqual([]);

    // An own `__proto__` member (JSON.parse makes one) is left to zod, which drops it from its copy.
    const other = await answer(root, JSON.stringify(mcpEvent({ token: tokenA() })).replace(/^\{/, '{"__proto__":{},'));
    expect(other.out).toHaveProperty(["mcp", "transformedGatewayRequest", "headers", "X-User-Sub"], "https://idp-a.example|u-1");
    const envelopeChunk = Object.entries(meta.outputs)
      .find(([, o]) => "src/event/envelope-schema.ts" in o.inputs)?.[0]
      .split("/")
      .pop();
    expect(other.files).toContain(envelopeChunk);
  });

  it("its configuration is what the function runs, not the text's (trusted by provenance, never validated again)", async () => {
    const { root, text, config } = functionRoot(baseConfig(h.server));
    const orders = config.targets.orders;
    if (orders?.mode !== "claims") throw new Error("the base config's orders target is a claims target");
    const renamed = Object.fromEntries(Object.entries(orders.headers).map(([k, v]) => [k === "X-User-Sub" ? "X-Record-Sub" : k, v]));
    const other = { ...config, targets: { ...config.targets, orders: { ...orders, headers: renamed } } };
    writeFileSync(join(root, "interceptor.config.validated.json"), validatedRecord(other, text));
    const { out } = await answer(root);
    expect(out).toHaveProperty(["mcp", "transformedGatewayRequest", "headers", "X-Record-Sub"], "https://idp-a.example|u-1");
  });

  it("a config edited after packaging is validated as always: the schema loads and the edit holds", async () => {
    const { root } = functionRoot(baseConfig(h.server));
    const orders = (c: Record<string, unknown>) => (c.targets as Record<string, Record<string, unknown>>).orders ?? {};
    writeFileSync(
      join(root, "interceptor.config.json"),
      JSON.stringify(baseConfig(h.server, (c) => (orders(c).headers = { "X-Edited-Sub": { claim: "sub", qualify: true } }))),
    );
    const { files, out } = await answer(root);
    expect(out).toHaveProperty(["mcp", "transformedGatewayRequest", "headers", "X-Edited-Sub"], "https://idp-a.example|u-1");
    expect(files.filter((f) => schemaChunks.includes(f))).toEqual(schemaChunks);
  });

  it("applies to interceptor.config.json beside the bundle only: the same text from INTERCEPTOR_CONFIG is validated", async () => {
    const { root, text, config } = functionRoot(baseConfig(h.server));
    const orders = config.targets.orders;
    if (orders?.mode !== "claims") throw new Error("the base config's orders target is a claims target");
    const renamed = Object.fromEntries(Object.entries(orders.headers).map(([k, v]) => [k === "X-User-Sub" ? "X-Record-Sub" : k, v]));
    writeFileSync(
      join(root, "interceptor.config.validated.json"),
      validatedRecord({ ...config, targets: { ...config.targets, orders: { ...orders, headers: renamed } } }, text),
    );
    const { files, out } = await answerInFreshProcess(
      join(root, "index.mjs"),
      { INTERCEPTOR_CONFIG: text },
      JSON.stringify(mcpEvent({ token: tokenA() })),
    );
    expect(out).toHaveProperty(["mcp", "transformedGatewayRequest", "headers", "X-User-Sub"], "https://idp-a.example|u-1");
    expect(files.filter((f) => schemaChunks.includes(f))).toEqual(schemaChunks);
  });

  it("a root missing the validator's chunk denies every request config.invalid instead of failing init", async () => {
    const { root } = functionRoot(baseConfig(h.server));
    writeFileSync(join(root, "interceptor.config.json"), JSON.stringify(baseConfig(h.server)));
    for (const f of schemaChunks) if (f !== undefined) rmSync(join(root, f));
    const { out } = await answer(root);
    expect(out).toMatchObject({
      mcp: { transformedGatewayResponse: { statusCode: 500, body: { error: { data: { reason: "config.invalid" } } } } },
    });
  });

  it("an edit that breaks the config is caught at that cold start: every request denied config.invalid", async () => {
    const { root } = functionRoot(baseConfig(h.server));
    writeFileSync(join(root, "interceptor.config.json"), JSON.stringify(baseConfig(h.server, (c) => (c.clockSkewSeconds = 301))));
    const { out } = await answer(root);
    expect(out).toMatchObject({
      mcp: { transformedGatewayResponse: { statusCode: 500, body: { error: { data: { reason: "config.invalid" } } } } },
    });
  });
});
