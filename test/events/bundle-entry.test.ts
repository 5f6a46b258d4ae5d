import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("dist/index.mjs as the Lambda entry", () => {
  it("exports handler from a small entry chunk: under 32 KiB minified (npm run build prints the size; 17.5 KB when written)", () => {
    const meta = JSON.parse(readFileSync(new URL("../../dist/meta.json", import.meta.url), "utf8")) as {
      outputs: Record<string, { entryPoint?: string; exports: string[]; bytes: number }>;
    };
    const entry = meta.outputs["dist/index.mjs"];
    expect(entry?.entryPoint).toBe("src/index.ts");
    expect(entry?.exports).toEqual(expect.arrayContaining(["handler", "createHandler", "parseConfig"]));
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
    // A resolve hook in the child lists every module file the process loads.
    const hook = `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith("file:")) process.stderr.write("LOADED " + r.url + "\\n"); return r; }`;
    const script = `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));
const { handler } = await import(${JSON.stringify(bundle)});
const out = await handler(JSON.parse(process.env.EVENT), { awsRequestId: "lazy", getRemainingTimeInMillis: () => 30000 });
if (!JSON.stringify(out).includes("transformedGatewayRequest")) throw new Error("denied");`;
    const { stderr } = await run(process.execPath, ["--input-type=module", "-e", script], {
      env: {
        PATH: process.env.PATH ?? "",
        NODE_EXTRA_CA_CERTS: caFile,
        EVENT: JSON.stringify(event),
        INTERCEPTOR_CONFIG: JSON.stringify(config),
      },
      timeout: 15_000,
    });
    return stderr
      .split("\n")
      .filter((l) => l.startsWith("LOADED "))
      .map((l) => l.slice(7).split("/").pop()!);
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
