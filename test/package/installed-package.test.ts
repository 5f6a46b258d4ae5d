import { execFile, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkConfigFile } from "../../cli/check-config.js";
import { RecordedEvents, recordedCases } from "../support/recorded-events.js";
import { ensureRic, type Ric, startRic } from "../support/ric.js";
import { RuntimeApi } from "../support/runtime-api.js";
import { unzip } from "../support/zip.js";

/**
 * The package as a user gets it (issue 23): `npm pack` of a clean copy of this checkout (its `prepack`
 * builds everything), the tarball installed offline into an empty project with aws-cdk-lib and
 * constructs, and from that project: the library imported, a CDK app synthesised with the construct, the
 * CLI's `check-config` and `package`, and the zip `package` wrote served under AWS's Lambda Runtime
 * Interface Client (test/support/ric.ts) from a loopback Runtime API (test/support/runtime-api.ts),
 * answering every recorded event of events/ as recorded: one invocation at a time, then with
 * AWS_LAMBDA_MAX_CONCURRENCY set (Lambda Managed Instances: worker threads, interleaved invocations).
 *
 * Offline: the project's lockfile is this repo's (same versions, same integrity), so npm takes every
 * package from the cache `npm ci` filled and asks the registry for nothing. Every child process gets its
 * own environment; this process's is never changed.
 */
const exec = promisify(execFile);
const repo = new URL("../../", import.meta.url).pathname;
const caFile = new URL("../support/tls/ca.pem", import.meta.url).pathname;
const PACKAGE = "agentcore-identity-interceptor";
const RECIPE = "okta-org.json";

let work: string;
let app: string;
let installed: string;
let packed: string[];
const childEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "",
  TMPDIR: join(work, "tmp"),
  // The cache `npm ci` filled, wherever it is configured.
  ...(process.env.npm_config_cache !== undefined ? { npm_config_cache: process.env.npm_config_cache } : {}),
  npm_config_offline: "true",
  npm_config_update_notifier: "false",
  npm_config_audit: "false",
  npm_config_fund: "false",
  ...extra,
});
const inApp = (file: string, args: string[], extra: Record<string, string> = {}) =>
  exec(file, args, { cwd: app, env: childEnv(extra), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
// `--` so that npx passes every argument (`--help` too) to the package's bin.
const npx = (...args: string[]) => inApp("npx", ["--no", "--", "agentcore-interceptor", ...args]);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "installed-package-"));
  mkdirSync(join(work, "tmp"));
  // A clean copy of the checkout: the files git tracks or would track (nothing ignored: no dist/), with
  // this repo's node_modules for the build tools.
  const checkout = join(work, "checkout");
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repo, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(repo, f)));
  for (const f of files) {
    mkdirSync(dirname(join(checkout, f)), { recursive: true });
    cpSync(join(repo, f), join(checkout, f));
  }
  symlinkSync(join(repo, "node_modules"), join(checkout, "node_modules"), "dir");
  const { stdout } = await exec("npm", ["pack", "--json", "--pack-destination", work], {
    cwd: checkout,
    env: childEnv(),
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  // The build prepack runs prints first; the report is the JSON array after it.
  const [report] = JSON.parse(stdout.slice(stdout.search(/^\[\s*$/m))) as { filename: string; files: { path: string }[] }[];
  if (report === undefined) throw new Error(`npm pack reported nothing: ${stdout}`);
  packed = report.files.map((f) => f.path).sort();
  const tarball = join(work, report.filename);

  app = join(work, "app");
  mkdirSync(app);
  const lock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")) as { packages: Record<string, Record<string, unknown>> };
  const own = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  const dependencies = {
    [PACKAGE]: `file:${tarball}`,
    "aws-cdk-lib": own.devDependencies["aws-cdk-lib"] ?? "",
    constructs: own.devDependencies.constructs ?? "",
  };
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "user-app", version: "1.0.0", private: true, type: "module", dependencies }),
  );
  const { "": _root, ...packages } = lock.packages;
  const root = { name: "user-app", version: "1.0.0", dependencies };
  writeFileSync(
    join(app, "package-lock.json"),
    JSON.stringify({ name: "user-app", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": root, ...packages } }),
  );
  await inApp("npm", ["install", "--offline", "--no-audit", "--no-fund"]);
  installed = join(app, "node_modules", PACKAGE);
}, 600_000);

// The installed project holds all of aws-cdk-lib: removing it takes a while on a loaded machine.
afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true, maxRetries: 3 });
}, 300_000);

describe("npm pack", () => {
  it("ships the library, the construct, the CLI, the Lambda bundle, the schema and the recipes, and nothing else", () => {
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^LICENSE$/,
      /^bin\/agentcore-interceptor\.mjs$/,
      /^dist\/[\w-]+\.mjs$/,
      /^dist\/lib\/[\w-]+\.mjs$/,
      /^dist\/custom-resource\/index\.mjs$/,
      /^dist\/types\/(src|cdk|cli)\/[\w/-]+\.d\.ts$/,
      /^schema\/interceptor\.config\.schema\.json$/,
      /^recipes\/[\w-]+\.json$/,
    ];
    expect(packed.filter((f) => !allowed.some((a) => a.test(f)))).toEqual([]);
    expect(packed).toEqual(
      expect.arrayContaining([
        "dist/index.mjs",
        "dist/cognito-pre-token.mjs",
        "dist/lib/index.mjs",
        "dist/lib/cdk.mjs",
        "dist/lib/cli.mjs",
        "dist/custom-resource/index.mjs",
        "dist/types/src/library.d.ts",
        "dist/types/cdk/identity-interceptor.d.ts",
        "schema/interceptor.config.schema.json",
        `recipes/${RECIPE}`,
      ]),
    );
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg.private).toBeUndefined();
    expect(pkg.peerDependenciesMeta).toEqual({ "aws-cdk-lib": { optional: true }, constructs: { optional: true } });
  });
});

describe("from a project that installed the tarball", () => {
  it("imports the library: createHandler and parseConfig, with no side effect at import", async () => {
    const script = `import * as lib from ${JSON.stringify(PACKAGE)};
import { readFileSync } from "node:fs";
const recipe = readFileSync(new URL(import.meta.resolve(${JSON.stringify(`${PACKAGE}/recipes/${RECIPE}`)})), "utf8");
const valid = lib.parseConfig(recipe);
const invalid = lib.parseConfig({ issuers: [] });
console.log(JSON.stringify({
  exports: Object.keys(lib).sort(),
  valid: valid.ok,
  issuer: valid.ok ? valid.config.issuers[0].issuer : null,
  invalid,
  notJson: lib.parseConfig("{", "x.json"),
  handler: typeof lib.createHandler({ config: valid }),
}));`;
    const { stdout, stderr } = await inApp(process.execPath, ["--input-type=module", "-e", script]);
    expect(stderr).toBe("");
    expect(JSON.parse(stdout)).toEqual({
      exports: ["createHandler", "parseConfig", "readConfigFile"],
      valid: true,
      issuer: "https://acme.okta.com",
      invalid: {
        ok: false,
        problems: ["issuers: Too small: expected array to have >=1 items"],
      },
      notJson: { ok: false, problems: ["(root): x.json is not valid JSON (line 1, column 2)"] },
      handler: "function",
    });
  }, 60_000);

  it("synthesises a CDK app with agentcore-identity-interceptor/cdk: nodejs24.x, the shipped bundle and the recipe", async () => {
    const out = join(work, "cdk.out");
    const script = `import { App, Stack } from "aws-cdk-lib";
import { fileURLToPath } from "node:url";
import { IdentityInterceptor } from "agentcore-identity-interceptor/cdk";
const app = new App({ outdir: ${JSON.stringify(out)} });
const stack = new Stack(app, "UserStack", { env: { account: "111122223333", region: "eu-west-1" } });
new IdentityInterceptor(stack, "Identity", {
  configFile: fileURLToPath(import.meta.resolve("agentcore-identity-interceptor/recipes/${RECIPE}")),
  gatewayName: "user-gateway",
});
new IdentityInterceptor(new Stack(app, "OutsideStack", { env: { account: "111122223333", region: "eu-west-1" } }), "Identity", {
  configFile: fileURLToPath(import.meta.resolve("agentcore-identity-interceptor/recipes/${RECIPE}")),
  existingGatewayId: "team-gw-abcdefghij",
});
app.synth();`;
    writeFileSync(join(app, "app.mjs"), script);
    // CDK's CloudFormation schema validation (a wasm module) only slows a loaded machine down.
    await inApp(process.execPath, ["app.mjs"], { CDK_VALIDATION: "false" });
    const template = JSON.parse(readFileSync(join(out, "UserStack.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Function");
    expect(functions.map((f) => ({ runtime: f.Properties.Runtime, handler: f.Properties.Handler }))).toEqual([
      { runtime: "nodejs24.x", handler: "index.handler" },
    ]);
    const code = functions[0]?.Properties.Code;
    const key = typeof code === "object" && code !== null && "S3Key" in code ? String(code.S3Key) : "";
    const asset = join(out, `asset.${key.replace(/\.zip$/, "")}`);
    const bundle = readdirSync(join(installed, "dist")).filter((f) => f.endsWith(".mjs"));
    expect(readdirSync(asset).sort()).toEqual([...bundle, "interceptor.config.json", "interceptor.config.validated.json"].sort());
    expect(readFileSync(join(asset, "interceptor.config.json"), "utf8")).toBe(readFileSync(join(installed, "recipes", RECIPE), "utf8"));

    // The existing-gateway route: its custom resource's handler is the prebuilt file the package ships.
    const outside = JSON.parse(readFileSync(join(out, "OutsideStack.template.json"), "utf8")) as typeof template;
    const handler = Object.values(outside.Resources).find(
      (r) => r.Type === "AWS::Lambda::Function" && String(r.Properties.Description).startsWith("Attaches the identity interceptor"),
    );
    const handlerCode = handler?.Properties.Code;
    const handlerKey = typeof handlerCode === "object" && handlerCode !== null && "S3Key" in handlerCode ? String(handlerCode.S3Key) : "";
    const handlerAsset = join(out, `asset.${handlerKey.replace(/\.zip$/, "")}`);
    expect(readdirSync(handlerAsset)).toEqual(["index.mjs"]);
    expect(readFileSync(join(handlerAsset, "index.mjs"))).toEqual(readFileSync(join(installed, "dist", "custom-resource", "index.mjs")));
  }, 60_000);

  it("runs the CLI: --help lists every command, check-config validates", async () => {
    const help = await npx("--help");
    for (const command of ["check-config", "attach", "sync-targets", "package", "jwks", "help"])
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    const recipe = join(installed, "recipes", RECIPE);
    const { stdout } = await npx("check-config", recipe);
    // Exactly what this checkout's check-config prints for it.
    expect(stdout).toBe(`${checkConfigFile(recipe).lines.join("\n")}\n`);
    expect(stdout.split("\n")[0]).toBe(`${recipe}: valid`);
  }, 60_000);
});

describe("the zip `package` wrote, under the Lambda Runtime Interface Client", () => {
  const recorded = new RecordedEvents();
  let ric: Ric;
  let fn: string;

  beforeAll(async () => {
    // First the runtime client (its first build takes minutes; later runs find it in the cache), then the
    // tokens, so that none of them ages during that build.
    ric = await ensureRic();
    await recorded.start();
    writeFileSync(join(work, "events.config.json"), recorded.configText());
    const zipFile = join(work, "function.zip");
    const { stdout } = await npx("package", "--config", join(work, "events.config.json"), "--out", zipFile);
    expect(stdout).toMatch(/function\.zip: \d+ files \(.*index\.mjs.*interceptor\.config\.json, interceptor\.config\.validated\.json\)/);
    fn = join(work, "function");
    mkdirSync(fn);
    if (await has("unzip")) await exec("unzip", ["-q", zipFile, "-d", fn]);
    else for (const [name, data] of unzip(readFileSync(zipFile))) writeFileSync(join(fn, name), data);
    const bundle = readdirSync(join(installed, "dist")).filter((f) => f.endsWith(".mjs"));
    expect(readdirSync(fn).sort()).toEqual([...bundle, "interceptor.config.json", "interceptor.config.validated.json"].sort());
  }, 900_000);
  afterAll(() => recorded.stop());

  /**
   * Serves every recorded event through one runtime client process and a Runtime API of its own; checks
   * each answer and its audit line. Returns the most invocations the process had in hand at once.
   */
  async function serveAll(env: Record<string, string>): Promise<number> {
    const api = new RuntimeApi();
    await api.start();
    const proc = startRic(ric, fn, api.address, {
      NODE_EXTRA_CA_CERTS: caFile,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
      AWS_SECRET_ACCESS_KEY: "local-test-secret-key",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: recorded.sm.url,
      ...env,
    });
    try {
      const answered = Promise.all(
        recordedCases.map(async (name) => {
          const event = recorded.event(name);
          return { name, event, result: await api.invoke(event) };
        }),
      );
      // A runtime client that dies leaves invocations unanswered: fail with its output, not a timeout.
      const died = proc.exited.then((code) => {
        throw new Error(`aws-lambda-ric exited (${code}) with invocations unanswered:\n${proc.stderr().slice(-4000)}`);
      });
      // Not a time bound on the function: a report, well before the test's own timeout, of what is stuck.
      let guard: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        guard = setTimeout(
          () => reject(new Error(`invocations unanswered after 90 s: ${api.state()}\n${proc.stderr().slice(-4000)}`)),
          90_000,
        );
      });
      died.catch(() => undefined); // once the answers are in, stopping the process is no failure
      stuck.catch(() => undefined);
      const served = await Promise.race([answered, died, stuck]).finally(() => clearTimeout(guard));
      for (const { name, event, result } of served) {
        expect({ name, kind: result.kind }).toEqual({ name, kind: "response" });
        expect(result.body, name).toEqual(recorded.expected(name, result.body, event, result.requestId));
      }
      const results = served.map((s) => s.result);
      // Each invocation's audit line carries its own request id (Powertools' function_request_id and the
      // record's requestId), even when invocations interleave. Powertools writes INFO lines to stdout and
      // WARN/ERROR lines to stderr; both may trail the answers a little.
      const audits = () =>
        [...proc.stdout().split("\n"), ...proc.stderr().split("\n")]
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((r) => r.message === "audit");
      for (let waited = 0; audits().length < results.length && waited < 30_000; waited += 100) await sleep(100);
      expect(
        audits()
          .map((a) => ({ function_request_id: a.function_request_id, requestId: a.requestId }))
          .sort((a, b) => String(a.requestId).localeCompare(String(b.requestId))),
      ).toEqual(
        results
          .map((r) => ({ function_request_id: r.requestId, requestId: r.requestId }))
          .sort((a, b) => a.requestId.localeCompare(b.requestId)),
      );
      expect(api.initErrors).toEqual([]);
      expect(api.unexpected).toEqual([]);
      const log = proc.stdout() + proc.stderr();
      const leaked = [...recorded.tokens.values()].filter((t) => log.includes(t));
      expect(leaked, "a caller token appeared in the function's logs").toEqual([]);
      return api.maxInFlight;
    } finally {
      await proc.stop();
      await api.stop();
    }
  }

  it("answers every recorded event as recorded, one invocation at a time", async () => {
    expect(await serveAll({})).toBe(1);
  }, 120_000);

  it("answers every recorded event as recorded with AWS_LAMBDA_MAX_CONCURRENCY set: interleaved invocations on worker threads", async () => {
    expect(await serveAll({ AWS_LAMBDA_MAX_CONCURRENCY: "8", AWS_LAMBDA_NODEJS_WORKER_COUNT: "2" })).toBeGreaterThan(1);
  }, 120_000);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function has(binary: string): Promise<boolean> {
  return exec("which", [binary]).then(
    () => true,
    () => false,
  );
}
