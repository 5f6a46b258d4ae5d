import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { configFingerprint } from "../../src/config/fingerprint.js";
import { VALIDATED_FILE, validatedConfig, validatedRecord } from "../../src/config/validated.js";
import { VERSION } from "../../src/version.js";

/** src/config/validated.ts: the record `package` and the construct write beside the bundle, and when a cold start trusts it. */
const text = `${JSON.stringify(
  {
    issuers: [{ issuer: "https://idp.example", jwksUri: "https://idp.example/jwks", audience: ["gw"] }],
    targets: { crm: { mode: "claims", headers: { "x-user-sub": "sub" } } },
  },
  null,
  2,
)}\n`;
const loaded = parseConfig(text);
if (!loaded.ok) throw new Error(loaded.problems.join("; "));
const config: Config = loaded.config;
const record = validatedRecord(config, text);
const edited = (change: (r: Record<string, unknown>) => void) => {
  const r = JSON.parse(record) as Record<string, unknown>;
  change(r);
  return JSON.stringify(r);
};

describe("the validated-config record", () => {
  it("is named interceptor.config.validated.json and holds this release and build, the text's SHA-256 and parseConfig's result", () => {
    expect(VALIDATED_FILE).toBe("interceptor.config.validated.json");
    expect(configFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(record)).toEqual({
      validatedBy: `agentcore-identity-interceptor ${VERSION} (config ${configFingerprint().slice(0, 16)})`,
      sourceSha256: createHash("sha256").update(text, "utf8").digest("hex"),
      config,
    });
    expect(record.endsWith("}\n")).toBe(true);
  });

  it("gives back the validated configuration, defaults included, for exactly the text it was made for", () => {
    expect(validatedConfig(record, text)).toEqual(config);
    expect(validatedConfig(record, text)).toMatchObject({ clockSkewSeconds: 60, jwks: { timeoutMs: 1500 } });
  });

  it("is trusted as it is: its configuration is not validated again (that is its purpose)", () => {
    const other = edited((r) => ((r.config as Record<string, unknown>).clockSkewSeconds = 5));
    expect(validatedConfig(other, text)).toMatchObject({ clockSkewSeconds: 5 });
  });

  it.each<[string, string, string]>([
    ["the config text was edited after packaging (one byte)", record, text.replace('"gw"', '"gx"')],
    ["the config text differs only in white space", record, text.trimEnd()],
    [
      "another release made the record",
      edited((r) => (r.validatedBy = `agentcore-identity-interceptor 0.0.9 (config ${configFingerprint().slice(0, 16)})`)),
      text,
    ],
    [
      "another build of this release made the record (its validation differs)",
      edited((r) => (r.validatedBy = `agentcore-identity-interceptor ${VERSION} (config 0000000000000000)`)),
      text,
    ],
    ["another tool made the record", edited((r) => (r.validatedBy = "someone-else 0.1.0")), text],
    ["the hash is missing", edited((r) => delete r.sourceSha256), text],
    ["the hash is not a string", edited((r) => (r.sourceSha256 = 7)), text],
    ["the configuration is not an object", edited((r) => (r.config = [config])), text],
    ["the configuration is missing", edited((r) => delete r.config), text],
    ["the record has a member it does not define", edited((r) => (r.extra = true)), text],
    ["the record is not JSON", record.slice(0, -5), text],
    ["the record is not an object", "[]", text],
    ["the record is empty", "", text],
  ])("does not apply when %s: the cold start validates the text", (_why, recordText, configText) => {
    expect(validatedConfig(recordText, configText)).toBeUndefined();
  });
});
