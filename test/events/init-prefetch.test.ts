import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JwksServer } from "../support/jwks-server.js";
import { baseConfig, Harness, mcpEvent, tokenA } from "../support/harness.js";

/**
 * The Lambda entry finishes its JWKS loads inside init (a bounded top-level await in src/index.ts):
 * Lambda freezes the environment when init ends, so a load still under way would otherwise finish
 * only inside the first request. A fresh Node process imports dist/index.mjs, says so on stdout, and
 * answers one event only when this test tells it to, so the JWKS server's hits can be read in between.
 */
const h = new Harness();
const caFile = new URL("../support/tls/ca.pem", import.meta.url).pathname;
const bundle = new URL("../../dist/index.mjs", import.meta.url).pathname;
beforeAll(() => h.start());
afterAll(() => h.stop());

const script = `const { handler } = await import(${JSON.stringify(bundle)});
process.stdout.write("IMPORTED\\n");
if (process.env.THEN_EXIT === "1") process.exit(0);
process.stdin.once("data", async () => {
  const out = await handler(JSON.parse(process.env.EVENT), { awsRequestId: "init-prefetch", getRemainingTimeInMillis: () => 30000 });
  process.stdout.write("OUTPUT " + JSON.stringify(out) + "\\n");
  process.exit(0);
});`;

interface Entry {
  /** Resolves with the JWKS hits counted when the child said it had imported the bundle. */
  imported: Promise<void>;
  /** Sends the one event; resolves with the handler's output. */
  invoke(): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function startEntry(config: unknown, env: Record<string, string> = {}): Entry {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      PATH: process.env.PATH ?? "",
      NODE_EXTRA_CA_CERTS: caFile,
      INTERCEPTOR_CONFIG: JSON.stringify(config),
      EVENT: JSON.stringify(mcpEvent({ token: tokenA() })),
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    for (const w of [...waiters]) {
      const line = out.split("\n").find((l) => l.startsWith(w.prefix));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const line = (prefix: string) => new Promise<string>((resolve) => waiters.push({ prefix, resolve }));
  const imported = line("IMPORTED").then(() => undefined);
  return {
    imported,
    invoke: async () => {
      const output = line("OUTPUT ");
      child.stdin.write("go\n");
      return JSON.parse((await output).slice(7)) as Record<string, unknown>;
    },
    exited,
  };
}

describe("dist/index.mjs finishes its JWKS loads inside init", () => {
  it("has fetched every issuer's JWKS when the import resolves; the first invocation fetches none", async () => {
    const before = { a: h.server.count("/a/jwks"), b: h.server.count("/b/jwks") };
    const entry = startEntry(baseConfig(h.server));
    await entry.imported;
    expect({ a: h.server.count("/a/jwks") - before.a, b: h.server.count("/b/jwks") - before.b }).toEqual({ a: 1, b: 1 });
    const out = await entry.invoke();
    expect(out).toMatchObject({ mcp: { transformedGatewayRequest: { headers: { "X-User-Sub": "https://idp-a.example|u-1" } } } });
    expect({ a: h.server.count("/a/jwks") - before.a, b: h.server.count("/b/jwks") - before.b }).toEqual({ a: 1, b: 1 });
    expect(await entry.exited).toBe(0);
  });

  // The bound is 2 s; the JWKS fetch's own timeout here is 10 s: an init that waited for the fetch would
  // miss this test's timeout, an init that failed would not say IMPORTED or exit 0.
  it("never fails and never waits past its bound when the JWKS endpoint hangs", async () => {
    const hanging = await new JwksServer().start();
    try {
      hanging.set("/a/jwks", { kind: "hang" });
      hanging.set("/b/jwks", { kind: "hang" });
      const config = baseConfig(hanging, (c) => (c.jwks = { timeoutMs: 10_000 }));
      const entry = startEntry(config, { THEN_EXIT: "1" });
      await entry.imported;
      expect(await entry.exited).toBe(0);
      expect({ a: hanging.count("/a/jwks"), b: hanging.count("/b/jwks") }).toEqual({ a: 1, b: 1 });
    } finally {
      await hanging.stop();
    }
  }, 8_000);
});
