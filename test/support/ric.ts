import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * AWS's Lambda Runtime Interface Client for Node.js (the npm package `aws-lambda-ric`,
 * https://github.com/aws/aws-lambda-nodejs-runtime-interface-client), installed on demand into a cache
 * outside the repo so `npm ci` stays fast and later runs reuse it. It needs Node 22 or later (its
 * `engines`), so it runs on Node 24 (the nodejs24.x runtime's major), from the npm package
 * `node-<platform>-<arch>`, whose include/node/ headers also build its native addon offline
 * (`npm_config_nodedir`: node-gyp would otherwise download headers from nodejs.org). Its install scripts
 * build curl and aws-lambda-cpp from the tarballs inside the package with cmake, make and a C/C++
 * compiler (scripts/preinstall.sh), then the addon with node-gyp (scripts/postinstall.sh): minutes, once.
 *
 * How it is run (its index.mjs, 4.0.2): `node index.mjs` with AWS_LAMBDA_RUNTIME_API (`host:port`),
 * _HANDLER (`index.handler`), LAMBDA_TASK_ROOT (the function's directory) and AWS_LAMBDA_FUNCTION_NAME,
 * _VERSION, _MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME set (REQUIRED_ENV_VARS;
 * an invocation without them is answered with an error). With AWS_LAMBDA_MAX_CONCURRENCY set (Lambda
 * Managed Instances) the main thread starts AWS_LAMBDA_NODEJS_WORKER_COUNT worker threads (default
 * 8 per CPU), each importing the handler and pulling invocations without waiting for the previous ones
 * to finish (Runtime.processMultiConcurrent: `next()`, then the invocation in `setImmediate`), each run
 * inside its own InvokeStore context (AsyncLocalStorage); logs go to stdout unless
 * _LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET is set.
 */
export const RIC_VERSION = "4.0.2";
export const RIC_NODE_VERSION = "24.22.3";
const NODE_PACKAGE = `node-${process.platform}-${process.arch}`;
export const RIC_CACHE = join(homedir(), ".cache", "agentcore-interceptor-test", "ric");

const run = promisify(execFile);

export interface Ric {
  /** The Node 24 binary. */
  node: string;
  /** aws-lambda-ric's entry (index.mjs). */
  entry: string;
}

/** The runtime client, built once into RIC_CACHE; throws with npm's output when it cannot be built. */
export async function ensureRic(): Promise<Ric> {
  const dir = join(RIC_CACHE, `${RIC_VERSION}-node-${RIC_NODE_VERSION}-${process.platform}-${process.arch}`);
  const at = (root: string): Ric => ({
    node: join(root, "node", "node_modules", NODE_PACKAGE, "bin", "node"),
    entry: join(root, "ric", "node_modules", "aws-lambda-ric", "index.mjs"),
  });
  if (existsSync(join(dir, "ready"))) return at(dir);

  // Built beside the final place and renamed into it, so an interrupted build is never taken for a ready one.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const nodeDir = join(tmp, "node", "node_modules", NODE_PACKAGE);
  const npm = async (cwd: string, dependencies: Record<string, string>, env: Record<string, string>) => {
    mkdirSync(cwd, { recursive: true });
    // The install scripts are the build: allowed by name in package.json's `allowScripts` (npm 11 runs
    // unlisted ones with a warning; a later npm will skip them; older npm ignores the field).
    const allowScripts = Object.fromEntries(Object.keys(dependencies).map((name) => [name, true]));
    writeFileSync(join(cwd, "package.json"), JSON.stringify({ private: true, dependencies, allowScripts }));
    try {
      await run("npm", ["install", "--no-audit", "--no-fund", "--no-update-notifier"], {
        cwd,
        env: { ...process.env, ...env },
        timeout: 900_000,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const output = "stderr" in e && typeof e.stderr === "string" ? e.stderr : "";
      throw new Error(`cannot install ${Object.keys(dependencies).join(", ")} in ${cwd}: ${e.message}\n${output.slice(-4000)}`);
    }
  };
  try {
    await npm(join(tmp, "node"), { [NODE_PACKAGE]: RIC_NODE_VERSION }, {});
    await npm(
      join(tmp, "ric"),
      { "aws-lambda-ric": RIC_VERSION },
      { PATH: `${join(nodeDir, "bin")}:${process.env.PATH ?? ""}`, npm_config_nodedir: nodeDir },
    );
    if (!existsSync(at(tmp).entry) || !existsSync(join(tmp, "ric", "node_modules", "aws-lambda-ric", "rapid-client.node")))
      throw new Error("aws-lambda-ric installed without its native client (rapid-client.node)");
    writeFileSync(join(tmp, "ready"), `${new Date().toISOString()}\n`);
    if (existsSync(join(dir, "ready"))) rmSync(tmp, { recursive: true, force: true });
    else {
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return at(dir);
}

export interface RicProcess {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when ended by a signal) once the process exited. */
  exited: Promise<number | null>;
  /** Ends the process (SIGKILL) and waits for its exit. */
  stop(): Promise<void>;
}

/**
 * Starts the runtime client serving `taskRoot`'s `index.handler` from the Runtime API at `runtimeApi`.
 * `cgroupProcs`: a cgroup's `cgroup.procs` file, which the process joins before it runs any JavaScript
 * (a shell writes its own pid there, then becomes Node), so a CPU quota applies to its whole life.
 */
export function startRic(ric: Ric, taskRoot: string, runtimeApi: string, env: Record<string, string>, cgroupProcs?: string): RicProcess {
  const [command, args] =
    cgroupProcs === undefined
      ? [ric.node, [ric.entry]]
      : ["/bin/sh", ["-c", 'echo $$ > "$0" && exec "$1" "$2"', cgroupProcs, ric.node, ric.entry]];
  const child = spawn(command, args, {
    cwd: taskRoot,
    env: {
      PATH: process.env.PATH ?? "",
      TZ: "UTC",
      AWS_LAMBDA_RUNTIME_API: runtimeApi,
      _HANDLER: "index.handler",
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_LAMBDA_FUNCTION_NAME: "identity-interceptor",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
      AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/identity-interceptor",
      AWS_LAMBDA_LOG_STREAM_NAME: "2026/01/01/[$LATEST]local",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
