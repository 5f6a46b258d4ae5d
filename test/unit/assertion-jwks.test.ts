import { execFile } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { publicJwks } from "../../src/assertion/jwks.js";
import { KeySetInvalid } from "../../src/errors.js";
import { registerSecret } from "../support/secrets.js";
import { testTempDir } from "../support/temp.js";

/** The public JWKS of the signing secret: the exported function and `agentcore-interceptor jwks` (`npm run jwks`). */
const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const ec = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const pem = (k: ReturnType<typeof ec>) => {
  const text = k.export({ format: "pem", type: "pkcs8" }).toString();
  registerSecret(text);
  return text;
};
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi"];

describe("publicJwks", () => {
  it("publishes every key of a rotation secret (active, pending, retired) with kid, alg, use and no private member", () => {
    const secret = JSON.stringify({
      keys: [
        { kid: "old", privateKey: pem(ec()), status: "retired" },
        { kid: "now", privateKey: pem(ec()) },
        { kid: "next", jwk: ec().export({ format: "jwk" }), notBefore: 4_000_000_000 },
      ],
    });
    const { keys } = publicJwks(secret);
    expect(keys.map((k) => [k.kid, k.alg, k.use, k.kty, k.crv])).toEqual([
      ["old", "ES256", "sig", "EC", "P-256"],
      ["now", "ES256", "sig", "EC", "P-256"],
      ["next", "ES256", "sig", "EC", "P-256"],
    ]);
    for (const k of keys) for (const m of PRIVATE_MEMBERS) expect(k).not.toHaveProperty(m);
  });

  it("a single PEM key gets its RFC 7638 thumbprint as kid (stable across runs)", () => {
    const key = ec();
    const [jwk] = publicJwks(pem(key)).keys;
    const pub = key.export({ format: "jwk" });
    const canonical = JSON.stringify({ crv: pub.crv, kty: pub.kty, x: pub.x, y: pub.y });
    expect(jwk?.kid).toBe(createHash("sha256").update(canonical).digest("base64url"));
    expect(publicJwks(pem(key)).keys[0]?.kid).toBe(jwk?.kid);
  });

  it("a single JWK keeps its own kid", () => {
    const jwk = { ...ec().export({ format: "jwk" }), kid: "mine-1" };
    registerSecret(String(jwk.d));
    expect(publicJwks(JSON.stringify(jwk)).keys[0]?.kid).toBe("mine-1");
  });

  it("an unusable secret throws KeySetInvalid whose text never quotes the secret", () => {
    const secret = JSON.stringify({
      keys: [{ kid: "k", privateKey: "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----" }],
    });
    let err: unknown;
    try {
      publicJwks(secret);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeySetInvalid);
    expect((err as KeySetInvalid).why).toBe("keys[0]: not a usable PEM or JWK private key");
  });
});

describe("agentcore-interceptor jwks", () => {
  const cli = (...args: string[]) =>
    run(process.execPath, ["bin/agentcore-interceptor.mjs", "jwks", ...args], { cwd: root, timeout: 20_000 });

  it("--secret-file prints the public JWKS; a bad secret exits 1 naming the problem, not the secret", async () => {
    const dir = testTempDir("jwks");
    const good = join(dir, "key.json");
    const secret = JSON.stringify({ keys: [{ kid: "cli-1", privateKey: pem(ec()) }] });
    writeFileSync(good, secret);
    const { stdout } = await cli("--secret-file", good);
    expect(JSON.parse(stdout)).toEqual(publicJwks(secret));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "definitely-not-a-key-but-secret");
    const failed = await cli("--secret-file", bad).then(
      () => undefined,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1, stdout: "" });
    expect(failed?.stderr).toContain("jwks: secret is neither a PEM private key nor JSON");
    expect(failed?.stderr).not.toContain("definitely-not");
  });
});
