import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registerToken } from "../support/secrets.js";
import { McpTarget } from "./stack/mcp-target.js";
import { connect, INTERCEPTOR_ISSUER, reasonOf, type Stack, startStack, whoami } from "./stack/stack.js";

/**
 * `assertion` end to end: the built interceptor (its own process) reads its signing key from the
 * Secrets Manager stand-in through the real AWS SDK and signs; the `wiki` target verifies the
 * header with aws-jwt-verify's JwtVerifier against the JWKS published as a static file over HTTPS.
 * A copy replayed at another target, or after its lifetime, is refused there.
 */
const bundlePath = new URL("../../dist/index.mjs", import.meta.url).pathname;
const caFile = new URL("../support/tls/ca.pem", import.meta.url).pathname;
const HEADER = "x-identity-assertion";
let s: Stack;
const tokens: string[] = [];

async function tokenFor(idp: Stack["acme"], username: string): Promise<string> {
  const token = await idp.userToken(username);
  registerToken(token);
  tokens.push(token);
  return token;
}

/** The last assertion the wiki target received, as it arrived. */
function lastAssertion(): string {
  const value = String(s.targets.wiki.seen.at(-1)?.[HEADER] ?? "");
  registerToken(value);
  return value;
}

beforeAll(async () => {
  s = await startStack({ bundlePath, caFile });
});
afterAll(() => s.stop());
afterEach(() => vi.useRealTimers());

describe("assertion: the target verifies who is calling", () => {
  it("wiki verifies the assertion against the published JWKS: iss = the interceptor, sub qualified by the user's IdP, aud = wiki, 60 s, the configured claims", async () => {
    const token = await tokenFor(s.acme, "alice");
    const client = await connect(s.gateway.url, token);
    expect(await whoami(client, "wiki")).toEqual({
      headers: {},
      assertion: {
        verified: true,
        lifetime: 60,
        claims: {
          iss: INTERCEPTOR_ISSUER,
          sub: `${s.acme.issuer}|alice`,
          aud: "wiki",
          idp: s.acme.issuer,
          email: "alice@acme.example",
          groups: ["eng", "ops"],
        },
      },
    });
    const sent = lastAssertion();
    expect(sent.split(".")).toHaveLength(3);
    for (const part of token.split(".")) expect(sent).not.toContain(part);
    expect(s.targets.wiki.seen.at(-1)?.authorization).toBeUndefined();
    await client.close();
  });

  it("another organisation's user is qualified by that organisation's issuer", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.globex, "bob"));
    expect(await whoami(client, "wiki")).toMatchObject({
      assertion: { verified: true, claims: { sub: `${s.globex.issuer}|bob`, idp: s.globex.issuer } },
    });
    await client.close();
  });

  it("calls in one session reuse one assertion while most of its lifetime is left", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "carol"));
    await whoami(client, "wiki");
    const first = lastAssertion();
    await whoami(client, "wiki");
    expect(lastAssertion()).toBe(first);
    expect(s.lambda.logs.filter((l) => l.includes('"assertionCache":"hit"')).length).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it("a copy replayed at another target of the same interceptor is refused there (aud)", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    await whoami(client, "wiki");
    const stolen = lastAssertion();
    await client.close();
    const vault = new McpTarget("vault", undefined, {
      header: HEADER,
      issuer: INTERCEPTOR_ISSUER,
      audience: "vault",
      jwksUri: s.assertionJwksUri,
    });
    expect(await vault.checkAssertion(stolen)).toEqual({ verified: false, error: "JwtInvalidAudienceError" });
    expect(await s.targets.wiki.checkAssertion(stolen)).toMatchObject({ verified: true });
  });

  it("a copy replayed after its lifetime is refused (the target's clock moved 61 s on, no sleep)", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    await whoami(client, "wiki");
    const stolen = lastAssertion();
    await client.close();
    const issuedAt = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(issuedAt + 61_000);
    expect(await s.targets.wiki.checkAssertion(stolen)).toEqual({ verified: false, error: "JwtExpiredError" });
  });

  it("a client-sent x-identity-assertion never reaches wiki: the session is refused", async () => {
    const before = s.targets.wiki.seen.length;
    const forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.";
    let reason: string | undefined;
    try {
      await connect(s.gateway.url, await tokenFor(s.acme, "alice"), { [HEADER]: forged });
    } catch (err) {
      reason = reasonOf(err);
    }
    expect(reason).toBe("policy.client_header_conflict");
    expect(s.targets.wiki.seen.length).toBe(before);
  });

  it("targets outside the policy never see an assertion, and the interceptor never logs one", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    for (const name of ["orders", "crm", "erp", "reports", "weather"] as const) {
      await whoami(client, name);
      expect(s.targets[name].seen.length).toBeGreaterThan(0);
      for (const headers of s.targets[name].seen) expect(headers[HEADER]).toBeUndefined();
    }
    await client.close();
    const logs = s.lambda.logs.join("\n");
    expect(logs).toContain('"mode":"assertion"');
    for (const h of s.targets.wiki.seen) if (typeof h[HEADER] === "string") expect(logs).not.toContain(h[HEADER].split(".")[2]);
    for (const t of tokens) for (const part of t.split(".").slice(1)) expect(logs).not.toContain(part);
  });
});
