import { createHash, generateKeyPairSync, verify as verifySignature, type KeyObject } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InterceptorHandler } from "../../src/handler.js";
import { loadBundle } from "../support/dist.js";
import { JwksServer } from "../support/jwks-server.js";
import { jwksOf, rsaKey, type TestKey } from "../support/keys.js";
import { CognitoEndpoint } from "../support/cognito-endpoint.js";
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
 * Secrets Manager through the real SDK); `{{cognito-token-endpoint}}` / `{{cognito-jwks}}` with a
 * loopback Cognito user pool answering RFC 8693 natively (test/support/cognito-endpoint.ts), whose
 * issued token is `{{cognito-exchanged}}` in an expected output.
 *
 * An expected header value `{{jws:<aud>}}` stands for a signed identity assertion (mode `assertion`):
 * the value must be a compact JWS that verifies with the signing key this test stored in the loopback
 * Secrets Manager, whose header is `{alg: ES256, typ: JWT, kid: <RFC 7638 thumbprint>}` and whose claims
 * are exactly the ones docs/assertion.md lists, computed here from the event's own
 * caller token and the target's `claims` in events/_config.json.
 */
const dir = new URL("../../events/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), "utf8");
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json") && !f.startsWith("_"))
  .map((f) => f.slice(0, -".json".length))
  .sort();

interface TokenSpec {
  issuer: "acme" | "globex" | "initech" | "pool";
  claims: Record<string, unknown>;
  expiresIn?: number;
  forge?: "payload";
  /** Signature algorithm, default RS256 (the issuer's RSA key). */
  alg?: "RS256" | "PS256";
}

const ISSUERS = {
  acme: "https://login.acme.example",
  globex: "https://id.globex.example/oauth2",
  initech: "https://login.initech.example",
  pool: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EvEnTs001",
};
const keys: Record<TokenSpec["issuer"], TestKey> = {
  acme: rsaKey("acme-2026-11"),
  globex: rsaKey("globex-1"),
  initech: rsaKey("initech-1"),
  pool: rsaKey("events-pool-1"),
};
const server = new JwksServer();
const sts = new StsServer();
const sm = new SecretsManagerServer();
const EXCHANGED = "obo-access-token-for-alice-at-erp";
const poolClient = { id: "billing-interceptor", secret: "pool-billing-interceptor-secret-7" };
const pool = new CognitoEndpoint(ISSUERS.pool, keys.pool, poolClient);
/** The assertion signing key, stored as PEM in the loopback Secrets Manager (docs/assertion.md, "The signing key"). */
const signing = generateKeyPairSync("ec", { namedCurve: "P-256" });
const tokens = new Map<string, string>();
let handler: InterceptorHandler;

function mint(spec: TokenSpec): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ISSUERS[spec.issuer],
    iat: now - 5,
    exp: now + (spec.expiresIn ?? 600),
    jti: `ev-${Math.random().toString(36).slice(2)}`,
    ...spec.claims,
  };
  const token = buildToken({
    header: { alg: spec.alg ?? "RS256", typ: "at+jwt", kid: keys[spec.issuer].kid },
    payload,
    key: keys[spec.issuer],
  });
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
    .replace(/\{\{cognito-token-endpoint\}\}/g, pool.url)
    .replace(/\{\{cognito-jwks\}\}/g, pool.jwksUri)
    .replace(/\{\{exchanged\}\}/g, EXCHANGED);
}

beforeAll(async () => {
  await Promise.all([server.start(), sts.start(), sm.start(), pool.start()]);
  sts.behaviour = {
    kind: "json",
    status: 200,
    body: {
      access_token: EXCHANGED,
      issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
      token_type: "Bearer",
      expires_in: 300,
      scope: "erp.read",
    },
  };
  sm.put("arn:aws:secretsmanager:eu-west-1:111122223333:secret:gateway-interceptor-AbCdEf", sts.clientSecret);
  sm.put(
    "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pool-billing-interceptor-AbCdEf",
    JSON.stringify({ client_secret: poolClient.secret }),
  );
  sm.put(
    "arn:aws:secretsmanager:eu-west-1:111122223333:secret:interceptor-signing-AbCdEf",
    signing.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  );
  server.set("/acme/jwks", { kind: "ok", body: jwksOf(keys.acme) });
  server.set("/globex/jwks", { kind: "ok", body: jwksOf(keys.globex) });
  const specs = JSON.parse(read("_tokens.json")) as Record<string, TokenSpec>;
  for (const [name, spec] of Object.entries(specs)) tokens.set(name, mint(spec));
  const bundle = await loadBundle();
  const config = bundle.parseConfig(JSON.parse(fill(read("_config.json"))));
  expect(config).toMatchObject({ ok: true });
  handler = bundle.createHandler({ config, ca: testCa, secretsClientConfig: sm.clientConfig() });
});
afterAll(() => Promise.all([server.stop(), sts.stop(), sm.stop(), pool.stop()]));

const json = (segment: string) => JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as Record<string, unknown>;

/** RFC 7638 thumbprint of a P-256 public key. */
function thumbprint(key: KeyObject): string {
  const { crv, kty, x, y } = key.export({ format: "jwk" });
  return createHash("sha256").update(JSON.stringify({ crv, kty, x, y })).digest("base64url");
}

/**
 * Checks one `{{jws:<aud>}}` value against the assertion the handler sent, for the caller token of
 * `event`, and returns the value to put in its place (the actual one, once it passed).
 */
function checkAssertion(actual: unknown, aud: string, event: unknown): string {
  expect(typeof actual, "an assertion header value").toBe("string");
  const jws = String(actual);
  const [h = "", p = "", sig = ""] = jws.split(".");
  expect(jws.split(".")).toHaveLength(3);
  expect(
    verifySignature(
      "sha256",
      Buffer.from(`${h}.${p}`),
      { key: signing.publicKey, dsaEncoding: "ieee-p1363" },
      Buffer.from(sig, "base64url"),
    ),
    "the assertion verifies with the stored key",
  ).toBe(true);
  expect(json(h)).toEqual({ alg: "ES256", typ: "JWT", kid: thumbprint(signing.publicKey) });
  const bearer = String(
    (event as { mcp: { gatewayRequest: { headers: Record<string, string> } } }).mcp.gatewayRequest.headers.Authorization,
  ).slice("Bearer ".length);
  const caller = json(bearer.split(".")[1] ?? "");
  const config = JSON.parse(read("_config.json")) as {
    assertion: { issuer: string; lifetimeSeconds?: number };
    targets: Record<string, { audience?: string; claims?: string[] }>;
  };
  const target = Object.entries(config.targets).find(([name, t]) => (t.audience ?? name) === aud)?.[1] ?? {};
  const claims = json(p);
  const now = Math.floor(Date.now() / 1000);
  const lifetime = Math.min(config.assertion.lifetimeSeconds ?? 60, Number(caller.exp) - Number(claims.iat));
  const copied = Object.fromEntries((target.claims ?? []).filter((c) => caller[c] !== undefined).map((c) => [c, caller[c]]));
  expect(claims).toEqual({
    iss: config.assertion.issuer,
    aud,
    sub: `${String(caller.iss)}|${String(caller.sub)}`,
    idp: caller.iss,
    iat: claims.iat,
    exp: Number(claims.iat) + lifetime,
    jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    ...(caller.act !== undefined ? { act: caller.act } : {}),
    ...copied,
  });
  expect(Number(claims.iat)).toBeGreaterThanOrEqual(now - 30);
  expect(Number(claims.iat)).toBeLessThanOrEqual(now + 1);
  return jws;
}

/** Replaces each `{{jws:<aud>}}` of `expected` with the checked actual value at the same place. */
function resolveAssertions(expected: unknown, actual: unknown, event: unknown): unknown {
  if (typeof expected === "string") {
    const m = /^\{\{jws:([^}]+)\}\}$/.exec(expected);
    return m === null ? expected : checkAssertion(actual, m[1] ?? "", event);
  }
  if (Array.isArray(expected)) return expected.map((e, i) => resolveAssertions(e, Array.isArray(actual) ? actual[i] : undefined, event));
  if (typeof expected === "object" && expected !== null) {
    const a = (typeof actual === "object" && actual !== null ? actual : {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, resolveAssertions(v, a[k], event)]));
  }
  return expected;
}

describe("recorded gateway events through dist/index.mjs", () => {
  it("covers the cases the issue names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)("%s gives its recorded output", async (name) => {
    const event = JSON.parse(fill(read(`${name}.json`))) as unknown;
    const mark = logMark();
    const output = await handler(event, { awsRequestId: "events-test", getRemainingTimeInMillis: () => 30_000 });
    // Filled after the call: `{{cognito-exchanged}}` is the token the pool issued for this request.
    const expectedText = fill(read(`${name}.expected.json`)).replace(
      /\{\{cognito-exchanged\}\}/g,
      pool.exchanged.at(-1) ?? "no-cognito-exchange",
    );
    const expected = resolveAssertions(JSON.parse(expectedText) as unknown, output, event);
    expect(output).toEqual(expected);
    expect(auditLinesSince(mark)).toHaveLength(1);
  });

  it("tools-call-obo-cognito exchanged dave's own pool token at the pool, with the interceptor's own token as actor", () => {
    const exchanges = pool.requests.filter((r) => r.form.grant_type === "urn:ietf:params:oauth:grant-type:token-exchange");
    expect(
      exchanges.map((r) => ({
        subject: r.form.subject_token,
        audience: r.form.audience,
        scope: r.form.scope,
        actor: r.form.actor_token !== undefined,
        client: r.clientId,
      })),
    ).toEqual([
      { subject: tokens.get("dave"), audience: "ledger-api", scope: "ledger-api/read", actor: true, client: "billing-interceptor" },
    ]);
    expect(json(pool.exchanged[0]?.split(".")[1] ?? "")).toMatchObject({
      iss: ISSUERS.pool,
      sub: "d4e5-dave",
      aud: "ledger-api",
      token_use: "access",
      act: { sub: "billing-interceptor" },
    });
  });

  it("tools-call-obo exchanged alice's own verified token for an erp-api token at the token endpoint", () => {
    expect(sts.requests.map((r) => ({ subject: r.form.subject_token, audience: r.form.audience, client: r.clientId }))).toEqual([
      { subject: tokens.get("alice"), audience: "erp-api", client: "gateway-interceptor" },
    ]);
  });
});
