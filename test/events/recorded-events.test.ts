import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InterceptorHandler } from "../../src/handler.js";
import { loadBundle } from "../support/dist.js";
import { JwksServer } from "../support/jwks-server.js";
import { jwksOf, rsaKey, type TestKey } from "../support/keys.js";
import { auditLinesSince, logMark } from "../support/log-capture.js";
import { registerToken } from "../support/secrets.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { StsServer } from "../support/sts-server.js";
import { b64url, buildToken } from "../support/tokens.js";
import { testCa } from "../support/tls.js";

/**
 * Every recorded gateway event in events/ goes through the built bundle (dist/index.mjs) and must
 * give the recorded output beside it. `{{token:name}}` placeholders are filled with tokens freshly
 * signed as events/_tokens.json describes; `{{jwks:issuer}}` with the loopback JWKS URL; `{{sts}}` with
 * a loopback token endpoint whose exchanged token is `{{exchanged}}` (client secret from a loopback
 * Secrets Manager through the real SDK).
 */
const dir = new URL("../../events/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), "utf8");
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json") && !f.startsWith("_"))
  .map((f) => f.slice(0, -".json".length))
  .sort();

interface TokenSpec {
  issuer: "acme" | "globex" | "initech";
  claims: Record<string, unknown>;
  expiresIn?: number;
  forge?: "payload";
  /** Signature algorithm, default RS256 (the issuer's RSA key). */
  alg?: "RS256" | "PS256";
}

const ISSUERS = { acme: "https://login.acme.example", globex: "https://id.globex.example/oauth2", initech: "https://login.initech.example" };
const keys: Record<TokenSpec["issuer"], TestKey> = { acme: rsaKey("acme-2026-11"), globex: rsaKey("globex-1"), initech: rsaKey("initech-1") };
const server = new JwksServer();
const sts = new StsServer();
const sm = new SecretsManagerServer();
const EXCHANGED = "obo-access-token-for-alice-at-erp";
const tokens = new Map<string, string>();
let handler: InterceptorHandler;

function mint(spec: TokenSpec): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: ISSUERS[spec.issuer], iat: now - 5, exp: now + (spec.expiresIn ?? 600), jti: `ev-${Math.random().toString(36).slice(2)}`, ...spec.claims };
  const token = buildToken({ header: { alg: spec.alg ?? "RS256", typ: "at+jwt", kid: keys[spec.issuer].kid }, payload, key: keys[spec.issuer] });
  if (spec.forge !== "payload") return token;
  const [h, , s] = token.split(".");
  const forged = `${h}.${b64url(JSON.stringify({ ...payload, sub: "admin" }))}.${s}`;
  registerToken(forged);
  return forged;
}

function fill(text: string): string {
  return text
    .replace(/\{\{token:([a-z-]+)\}\}/g, (_m, name: string) => tokens.get(name) ?? `missing-token-${name}`)
    .replace(/\{\{jwks:([a-z]+)\}\}/g, (_m, name: string) => server.url(`/${name}/jwks`))
    .replace(/\{\{sts\}\}/g, sts.url)
    .replace(/\{\{exchanged\}\}/g, EXCHANGED);
}

beforeAll(async () => {
  await Promise.all([server.start(), sts.start(), sm.start()]);
  sts.behaviour = { kind: "json", status: 200, body: { access_token: EXCHANGED, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: 300, scope: "erp.read" } };
  sm.put("arn:aws:secretsmanager:eu-west-1:111122223333:secret:gateway-interceptor-AbCdEf", sts.clientSecret);
  server.set("/acme/jwks", { kind: "ok", body: jwksOf(keys.acme) });
  server.set("/globex/jwks", { kind: "ok", body: jwksOf(keys.globex) });
  const specs = JSON.parse(read("_tokens.json")) as Record<string, TokenSpec>;
  for (const [name, spec] of Object.entries(specs)) tokens.set(name, mint(spec));
  const bundle = await loadBundle();
  const config = bundle.parseConfig(JSON.parse(fill(read("_config.json"))));
  expect(config).toMatchObject({ ok: true });
  handler = bundle.createHandler({ config, ca: testCa, secretsClientConfig: sm.clientConfig() });
});
afterAll(() => Promise.all([server.stop(), sts.stop(), sm.stop()]));

describe("recorded gateway events through dist/index.mjs", () => {
  it("covers the cases the issue names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)("%s gives its recorded output", async (name) => {
    const event = JSON.parse(fill(read(`${name}.json`))) as unknown;
    const expected = JSON.parse(fill(read(`${name}.expected.json`))) as unknown;
    const mark = logMark();
    const output = await handler(event, { awsRequestId: "events-test", getRemainingTimeInMillis: () => 30_000 });
    expect(output).toEqual(expected);
    expect(auditLinesSince(mark)).toHaveLength(1);
  });

  it("tools-call-obo exchanged alice's own verified token for an erp-api token at the token endpoint", () => {
    expect(sts.requests.map((r) => ({ subject: r.form.subject_token, audience: r.form.audience, client: r.clientId }))).toEqual([
      { subject: tokens.get("alice"), audience: "erp-api", client: "gateway-interceptor" },
    ]);
  });
});
