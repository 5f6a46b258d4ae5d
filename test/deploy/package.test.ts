import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { configFingerprint } from "../../src/config/fingerprint.js";
import { VERSION } from "../../src/version.js";
import { baseConfig, Harness, mcpEvent, tokenA } from "../support/harness.js";
import { testTempDir } from "../support/temp.js";
import { unzip } from "../support/zip.js";

/**
 * `agentcore-interceptor package --config FILE` (also `npm run package -- --config FILE`): the config is validated and shipped in the zip as
 * interceptor.config.json, the source the bundle reads beside index.mjs when no environment variable is
 * set (Lambda environment variables are limited to 4 KB in total:
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
 */
const run = promisify(execFile);
const repo = new URL("../../", import.meta.url).pathname;
const caFile = new URL("../support/tls/ca.pem", import.meta.url).pathname;
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const packageZip = (...args: string[]) =>
  run(process.execPath, ["bin/agentcore-interceptor.mjs", "package", ...args], { cwd: repo, timeout: 30_000 });

describe("agentcore-interceptor package --config FILE", () => {
  it("ships the validated config as interceptor.config.json with the record of its validation, and the bundle answers from it with no environment", async () => {
    const dir = testTempDir("package");
    const configText = `${JSON.stringify(baseConfig(h.server), null, 2)}\n`;
    writeFileSync(join(dir, "config.json"), configText);
    const { stdout } = await packageZip("--config", join(dir, "config.json"), "--out", join(dir, "function.zip"));
    expect(stdout).toContain("interceptor.config.json");

    const files = unzip(readFileSync(join(dir, "function.zip")));
    expect(files.get("interceptor.config.json")?.toString()).toBe(configText);
    // Exactly the bundle's top-level .mjs files (entries and chunks) and the config: no source map, no
    // esbuild metafile, nothing of the package's tooling (dist/lib/) or type declarations (dist/types/).
    const shipped = readdirSync(join(repo, "dist"))
      .filter((f) => f.endsWith(".mjs"))
      .sort();
    expect(shipped).toContain("index.mjs");
    expect([...files.keys()]).toEqual([...shipped, "interceptor.config.json", "interceptor.config.validated.json"]);
    // The record of the validation: this release, this exact text, the configuration parseConfig returned.
    const record = JSON.parse(files.get("interceptor.config.validated.json")?.toString() ?? "null") as Record<string, unknown>;
    const parsed = parseConfig(configText);
    expect(record).toEqual({
      validatedBy: `agentcore-identity-interceptor ${VERSION} (config ${configFingerprint().slice(0, 16)})`,
      sourceSha256: createHash("sha256").update(configText).digest("hex"),
      config: parsed.ok ? parsed.config : "invalid",
    });

    const fn = join(dir, "function");
    for (const [name, data] of files) {
      mkdirSync(dirname(join(fn, name)), { recursive: true });
      writeFileSync(join(fn, name), data);
    }
    const script = `const { handler } = await import(${JSON.stringify(join(fn, "index.mjs"))});
const out = await handler(JSON.parse(process.env.EVENT), { awsRequestId: "zip-test", getRemainingTimeInMillis: () => 30000 });
process.stdout.write("OUTPUT " + JSON.stringify(out) + "\\n");`;
    const child = await run(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH ?? "", NODE_EXTRA_CA_CERTS: caFile, EVENT: JSON.stringify(mcpEvent({ token: tokenA() })) },
      timeout: 15_000,
    });
    const line = child.stdout.split("\n").find((l) => l.startsWith("OUTPUT ")) ?? "OUTPUT null";
    expect(JSON.parse(line.slice(7))).toMatchObject({
      mcp: { transformedGatewayRequest: { headers: { "X-User-Sub": "https://idp-a.example|u-1" } } },
    });
  });

  it("refuses an invalid config with every problem and writes no zip", async () => {
    const dir = testTempDir("package");
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify({
        issuers: [{ issuer: "https://a.example", jwksUri: "http://a.example/k", audience: ["x"] }],
        targets: { crm: { mode: "claims", headers: { Host: "sub" } } },
      }),
    );
    const failed = await packageZip("--config", join(dir, "bad.json"), "--out", join(dir, "function.zip")).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("issuers[0].jwksUri: must be an https:// URL");
    expect(failed?.stderr).toContain('targets.crm.headers.Host: "Host" is a restricted header');
    expect(existsSync(join(dir, "function.zip"))).toBe(false);
  });
});

describe("the deployment tooling stays out of the Lambda bundle", () => {
  it("dist/ contains no CDK, control-plane SDK, command-line or deployment-planning code", () => {
    for (const meta of ["dist/meta.json", "dist/cognito-pre-token.meta.json"]) {
      const { inputs } = JSON.parse(readFileSync(join(repo, meta), "utf8")) as { inputs: Record<string, unknown> };
      const tooling = Object.keys(inputs).filter((i) =>
        /aws-cdk-lib|constructs|client-bedrock-agentcore-control|^cli\/|^cdk\/|src\/config\/deployment\.ts/.test(i),
      );
      expect(tooling).toEqual([]);
      expect(Object.keys(inputs)).toContain(meta.includes("cognito") ? "src/cognito-pre-token.ts" : "src/index.ts");
    }
  });

  it("the package's library and command line load neither the CDK nor the control-plane SDK up front (optional peers, lazy client)", () => {
    const { outputs } = JSON.parse(readFileSync(join(repo, "dist/lib/meta.json"), "utf8")) as {
      outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
    };
    const loaded = new Set<string>();
    const external = new Set<string>();
    const walk = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const i of outputs[file]?.imports ?? []) {
        if (i.kind !== "import-statement") continue;
        if (i.external === true) external.add(i.path);
        else walk(i.path);
      }
    };
    walk("dist/lib/index.mjs");
    walk("dist/lib/cli.mjs");
    expect([...external].filter((p) => /aws-cdk-lib|constructs|client-bedrock-agentcore-control|esbuild|typescript/.test(p))).toEqual([]);
    expect(external).toContain("zod/mini");
  });
});
