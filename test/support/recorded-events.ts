import { createHash, generateKeyPairSync, verify as verifySignature, type KeyObject } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { expect } from "vitest";
import { CognitoEndpoint } from "./cognito-endpoint.js";
import { JwksServer } from "./jwks-server.js";
import { jwksOf, rsaKey, type TestKey } from "./keys.js";
import { registerToken } from "./secrets.js";
import { SecretsManagerServer } from "./secrets-manager-server.js";
import { StsServer } from "./sts-server.js";
import { b64url, buildToken } from "./tokens.js";

/**
 * The recorded gateway events of events/ and everything they need, for any host of the bundle (the
 * handler imported in process, the zip under the Lambda runtime client). `{{token:name}}` placeholders
 * are filled with tokens freshly signed as events/_tokens.json describes; `{{jwks:issuer}}` with the
 * loopback JWKS URL; `{{sts}}` with a loopback token endpoint whose exchanged token is `{{exchanged}}`
 * (client secret from a loopback Secrets Manager through the real SDK); `{{cognito-token-endpoint}}` /
 * `{{cognito-jwks}}` with a loopback Cognito user pool answering RFC 8693 natively
 * (test/support/cognito-endpoint.ts), whose issued token is `{{cognito-exchanged}}` in an expected output.
 *
 * An expected header value `{{jws:<aud>}}` stands for a signed identity assertion (mode `assertion`):
 * the value must be a compact JWS that verifies with the signing key stored in the loopback Secrets
 * Manager, whose header is `{alg: ES256, typ: JWT, kid: <RFC 7638 thumbprint>}` and whose claims are
 * exactly the ones docs/assertion.md lists, computed here from the event's own caller
 * token and the target's `claims` in events/_config.json.
 */
const dir = new URL("../../events/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), "utf8");

/** The names of the recorded events (each `<name>.json` with its `<name>.expected.json`). */
export const recordedCases = readdirSync(dir)
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
const EXCHANGED = "obo-access-token-for-alice-at-erp";
/** The Lambda request id the expected outputs were recorded with (`context.awsRequestId`). */
export const RECORDED_REQUEST_ID = "events-test";
const json = (segment: string) => JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as Record<string, unknown>;

/**
 * `value` with the recorded request id replaced by `requestId`, also inside base64 bodies (an `http`
 * envelope's reply body is base64 of its JSON text).
 */
function withRequestId(value: unknown, requestId: string): unknown {
  if (requestId === RECORDED_REQUEST_ID) return value;
  const [from, to] = [JSON.stringify(RECORDED_REQUEST_ID), JSON.stringify(requestId)];
  if (typeof value === "string") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const isBase64 = value.length > 0 && Buffer.from(decoded, "utf8").toString("base64") === value;
    return isBase64 && decoded.includes(from) ? Buffer.from(decoded.replaceAll(from, to), "utf8").toString("base64") : value;
  }
  if (Array.isArray(value)) return value.map((v) => withRequestId(v, requestId));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === "requestId" && v === RECORDED_REQUEST_ID ? requestId : withRequestId(v, requestId)]),
    );
  }
  return value;
}

/** RFC 7638 thumbprint of a P-256 public key. */
function thumbprint(key: KeyObject): string {
  const { crv, kty, x, y } = key.export({ format: "jwk" });
  return createHash("sha256").update(JSON.stringify({ crv, kty, x, y })).digest("base64url");
}

export class RecordedEvents {
  readonly ISSUERS = ISSUERS;
  readonly keys: Record<TokenSpec["issuer"], TestKey> = {
    acme: rsaKey("acme-2026-11"),
    globex: rsaKey("globex-1"),
    initech: rsaKey("initech-1"),
    pool: rsaKey("events-pool-1"),
  };
  readonly jwks = new JwksServer();
  readonly sts = new StsServer();
  readonly sm = new SecretsManagerServer();
  readonly poolClient = { id: "billing-interceptor", secret: "pool-billing-interceptor-secret-7" };
  readonly pool = new CognitoEndpoint(ISSUERS.pool, this.keys.pool, this.poolClient);
  /** The assertion signing key, stored as PEM in the loopback Secrets Manager (docs/assertion.md, "The signing key"). */
  readonly signing = generateKeyPairSync("ec", { namedCurve: "P-256" });
  readonly tokens = new Map<string, string>();

  async start(): Promise<void> {
    await Promise.all([this.jwks.start(), this.sts.start(), this.sm.start(), this.pool.start()]);
    this.sts.behaviour = {
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
    this.sm.put("arn:aws:secretsmanager:eu-west-1:111122223333:secret:gateway-interceptor-AbCdEf", this.sts.clientSecret);
    this.sm.put(
      "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pool-billing-interceptor-AbCdEf",
      JSON.stringify({ client_secret: this.poolClient.secret }),
    );
    this.sm.put(
      "arn:aws:secretsmanager:eu-west-1:111122223333:secret:interceptor-signing-AbCdEf",
      this.signing.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    );
    this.jwks.set("/acme/jwks", { kind: "ok", body: jwksOf(this.keys.acme) });
    this.jwks.set("/globex/jwks", { kind: "ok", body: jwksOf(this.keys.globex) });
    const specs = JSON.parse(read("_tokens.json")) as Record<string, TokenSpec>;
    for (const [name, spec] of Object.entries(specs)) this.tokens.set(name, this.mint(spec));
  }

  async stop(): Promise<void> {
    await Promise.all([this.jwks.stop(), this.sts.stop(), this.sm.stop(), this.pool.stop()]);
  }

  /** events/_config.json with the loopback URLs filled in (JSON text). */
  configText(): string {
    return this.fill(read("_config.json"));
  }

  /** A recorded event, filled. */
  event(name: string): unknown {
    return JSON.parse(this.fill(read(`${name}.json`))) as unknown;
  }

  /**
   * The recorded output of `name`, filled, with each `{{jws:<aud>}}` checked against `output` and replaced
   * by it. Call it after the handler answered: `{{cognito-exchanged}}` is the token the pool issued last.
   * The outputs were recorded with the Lambda request id `events-test`; `requestId` is the invocation's own.
   */
  expected(name: string, output: unknown, event: unknown, requestId = RECORDED_REQUEST_ID): unknown {
    const text = this.fill(read(`${name}.expected.json`)).replace(
      /\{\{cognito-exchanged\}\}/g,
      this.pool.exchanged.at(-1) ?? "no-cognito-exchange",
    );
    const expected = withRequestId(JSON.parse(text) as unknown, requestId);
    return this.resolveAssertions(expected, output, event);
  }

  private mint(spec: TokenSpec): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: ISSUERS[spec.issuer],
      iat: now - 5,
      exp: now + (spec.expiresIn ?? 600),
      jti: `ev-${Math.random().toString(36).slice(2)}`,
      ...spec.claims,
    };
    const token = buildToken({
      header: { alg: spec.alg ?? "RS256", typ: "at+jwt", kid: this.keys[spec.issuer].kid },
      payload,
      key: this.keys[spec.issuer],
    });
    if (spec.forge !== "payload") return token;
    const [h, , s] = token.split(".");
    const forged = `${h}.${b64url(JSON.stringify({ ...payload, sub: "admin" }))}.${s}`;
    registerToken(forged);
    return forged;
  }

  private fill(text: string): string {
    return text
      .replace(/\{\{token:([a-z-]+)\}\}/g, (_m, name: string) => this.tokens.get(name) ?? `missing-token-${name}`)
      .replace(/\{\{jwks:([a-z]+)\}\}/g, (_m, name: string) => this.jwks.url(`/${name}/jwks`))
      .replace(/\{\{sts\}\}/g, this.sts.url)
      .replace(/\{\{cognito-token-endpoint\}\}/g, this.pool.url)
      .replace(/\{\{cognito-jwks\}\}/g, this.pool.jwksUri)
      .replace(/\{\{exchanged\}\}/g, EXCHANGED);
  }

  /**
   * Checks one `{{jws:<aud>}}` value against the assertion the handler sent, for the caller token of
   * `event`, and returns the value to put in its place (the actual one, once it passed).
   */
  private checkAssertion(actual: unknown, aud: string, event: unknown): string {
    expect(typeof actual, "an assertion header value").toBe("string");
    const jws = String(actual);
    const [h = "", p = "", sig = ""] = jws.split(".");
    expect(jws.split(".")).toHaveLength(3);
    expect(
      verifySignature(
        "sha256",
        Buffer.from(`${h}.${p}`),
        { key: this.signing.publicKey, dsaEncoding: "ieee-p1363" },
        Buffer.from(sig, "base64url"),
      ),
      "the assertion verifies with the stored key",
    ).toBe(true);
    expect(json(h)).toEqual({ alg: "ES256", typ: "JWT", kid: thumbprint(this.signing.publicKey) });
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
  private resolveAssertions(expected: unknown, actual: unknown, event: unknown): unknown {
    if (typeof expected === "string") {
      const m = /^\{\{jws:([^}]+)\}\}$/.exec(expected);
      return m === null ? expected : this.checkAssertion(actual, m[1] ?? "", event);
    }
    if (Array.isArray(expected))
      return expected.map((e, i) => this.resolveAssertions(e, Array.isArray(actual) ? actual[i] : undefined, event));
    if (typeof expected === "object" && expected !== null) {
      const a = (typeof actual === "object" && actual !== null ? actual : {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, this.resolveAssertions(v, a[k], event)]));
    }
    return expected;
  }
}
