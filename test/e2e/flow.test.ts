import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerToken } from "../support/secrets.js";
import { connect, reasonOf, type Stack, startStack, whoami, whoamiPrompt } from "./stack/stack.js";

/**
 * End to end on loopback: real OpenID Providers, real MCP targets, the local gateway and the built
 * interceptor in its own process. Every assertion about identity is made at the target.
 */
const bundlePath = new URL("../../dist/index.mjs", import.meta.url).pathname;
const caFile = new URL("../support/tls/ca.pem", import.meta.url).pathname;
let s: Stack;
const tokens: string[] = [];

async function tokenFor(idp: Stack["acme"], username: string, ttl?: number): Promise<string> {
  const token = await idp.userToken(username, ttl);
  registerToken(token);
  tokens.push(token);
  return token;
}

async function denialOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (err) {
    return reasonOf(err);
  }
  return "allowed";
}

beforeAll(async () => {
  s = await startStack({ bundlePath, caFile });
});
afterAll(async () => {
  const pid = s.lambda.pid;
  await s.stop();
  // No process left behind: the interceptor's process has exited.
  expect(() => process.kill(pid!, 0)).toThrow();
});

describe("identity at each target", () => {
  it("tools/list shows every target's tools with the <target>___ prefix", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual([
      "crm___echo",
      "crm___whoami",
      "erp___echo",
      "erp___whoami",
      "ledger___echo",
      "ledger___whoami",
      "orders___echo",
      "orders___whoami",
      "reports___echo",
      "reports___whoami",
      "weather___echo",
      "weather___whoami",
      "wiki___echo",
      "wiki___whoami",
    ]);
    await client.close();
  });

  it("forward: orders receives the caller's own token (verified there: iss, sub, aud), replacing its static credential", async () => {
    const token = await tokenFor(s.acme, "alice");
    const client = await connect(s.gateway.url, token);
    const seen = await whoami(client, "orders");
    expect(seen).toEqual({
      headers: { authorization: "(bearer token)" },
      token: { verified: true, iss: s.acme.issuer, sub: "alice", aud: ["mcp-gateway", "orders-api"] },
    });
    expect(s.targets.orders.seen.at(-1)?.authorization).toBe(`Bearer ${token}`);
    await client.close();
  });

  it("claims: crm receives exactly the issuer, the subject and the mapped claims, beside its API key", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    expect(await whoami(client, "crm")).toEqual({
      headers: {
        "x-api-key": "crm-static-api-key",
        "x-user-iss": s.acme.issuer,
        "x-user-sub": "alice",
        "x-user-email": "alice@acme.example",
        "x-user-groups": "eng,ops",
        "x-org-id": "acme",
      },
    });
    await client.close();
  });

  it("claims for a second organisation: bob's identity comes with his own issuer", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.globex, "bob"));
    expect(await whoami(client, "crm")).toMatchObject({
      headers: { "x-user-iss": s.globex.issuer, "x-user-sub": "bob", "x-org-id": "globex" },
    });
    await client.close();
  });

  it("obo: erp receives a token exchanged at the user's IdP: sub = the user, act = the interceptor, aud = erp-api; never the caller's token", async () => {
    const token = await tokenFor(s.acme, "alice");
    const client = await connect(s.gateway.url, token);
    const seen = await whoami(client, "erp");
    expect(seen).toEqual({
      headers: { authorization: "(bearer token)" },
      token: { verified: true, iss: s.acme.issuer, sub: "alice", aud: "erp-api", act: { sub: "gateway-interceptor" } },
    });
    const sent = String(s.targets.erp.seen.at(-1)?.authorization);
    expect(sent).not.toBe(`Bearer ${token}`);
    registerToken(sent.slice(7));
    expect(s.secretsManager.reads.length).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it("obo for another organisation's user: erp accepts Acme users only → 403 policy.target_denied, erp never called", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.globex, "bob"));
    const before = s.targets.erp.seen.length;
    expect(await denialOf(whoami(client, "erp"))).toBe("policy.target_denied");
    expect(s.targets.erp.seen.length).toBe(before);
    await client.close();
  });

  it("obo with Cognito's native token exchange: ledger receives a pool access token for the user (verified there), aud = ledger-api, act = the interceptor's client", async () => {
    const token = s.pool.userToken("dave", { sub: "d4e5-dave", groups: ["finance"] });
    registerToken(token);
    tokens.push(token);
    const client = await connect(s.gateway.url, token);
    expect(await whoami(client, "ledger")).toEqual({
      headers: { authorization: "(bearer token)" },
      token: { verified: true, iss: s.pool.issuer, sub: "d4e5-dave", aud: "ledger-api", act: { sub: "ledger-interceptor" } },
    });
    const sent = String(s.targets.ledger.seen.at(-1)?.authorization);
    expect(sent).not.toBe(`Bearer ${token}`);
    registerToken(sent.slice(7));
    expect(s.pool.requests.map((r) => r.form.grant_type)).toEqual([
      "client_credentials",
      "urn:ietf:params:oauth:grant-type:token-exchange",
    ]);
    expect(s.pool.requests[1]?.form).toMatchObject({ subject_token: token, audience: "ledger-api", scope: "ledger-api/read" });
    await client.close();
  });

  it("the pool's users are not Acme's: erp refuses dave, ledger refuses alice (403 policy.target_denied), neither target called", async () => {
    const dave = s.pool.userToken("dave", { sub: "d4e5-dave" });
    registerToken(dave);
    const client = await connect(s.gateway.url, dave);
    const [erpBefore, ledgerBefore] = [s.targets.erp.seen.length, s.targets.ledger.seen.length];
    expect(await denialOf(whoami(client, "erp"))).toBe("policy.target_denied");
    await client.close();
    const alice = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    expect(await denialOf(whoami(alice, "ledger"))).toBe("policy.target_denied");
    await alice.close();
    expect([s.targets.erp.seen.length, s.targets.ledger.seen.length]).toEqual([erpBefore, ledgerBefore]);
  });

  it("none and unlisted: reports keeps only its own credential; weather receives nothing", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "carol"));
    expect(await whoami(client, "reports")).toEqual({ headers: { "x-api-key": "reports-static-api-key" } });
    expect(await whoami(client, "weather")).toEqual({ headers: {} });
    await client.close();
  });

  it("forward refuses a token not issued for the target: bob's token has no orders-api audience → 403 forward.audience_not_bound", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.globex, "bob"));
    const before = s.targets.orders.seen.length;
    expect(await denialOf(whoami(client, "orders"))).toBe("forward.audience_not_bound");
    expect(s.targets.orders.seen.length).toBe(before);
    await client.close();
  });
});

describe("prompts/get addresses one target and gets exactly its decision", () => {
  it("claims: crm's prompt is rendered with alice's issuer-bound claims, as its tool is", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    expect(await whoamiPrompt(client, "crm")).toEqual(await whoami(client, "crm"));
    expect(await whoamiPrompt(client, "crm")).toMatchObject({
      headers: { "x-user-iss": s.acme.issuer, "x-user-sub": "alice", "x-org-id": "acme" },
    });
    await client.close();
  });

  it("forward: orders' prompt receives the caller's own token, verified at the target", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    expect(await whoamiPrompt(client, "orders")).toEqual({
      headers: { authorization: "(bearer token)" },
      token: { verified: true, iss: s.acme.issuer, sub: "alice", aud: ["mcp-gateway", "orders-api"] },
    });
    await client.close();
  });

  it("obo for another organisation's user: erp's prompt is refused like its tool → 403 policy.target_denied, erp never called", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.globex, "bob"));
    const before = s.targets.erp.seen.length;
    expect(await denialOf(whoamiPrompt(client, "erp"))).toBe("policy.target_denied");
    expect(s.targets.erp.seen.length).toBe(before);
    await client.close();
  });

  it("unlisted: weather's prompt receives nothing, even though weather allowlists identity headers", async () => {
    const client = await connect(s.gateway.url, await tokenFor(s.acme, "carol"));
    expect(await whoamiPrompt(client, "weather")).toEqual({ headers: {} });
    await client.close();
  });
});

describe("what never reaches a target", () => {
  it("a non-allowlisted target never saw a caller token or a claim header (checked at the target)", () => {
    for (const name of ["crm", "reports", "weather", "wiki"] as const) {
      for (const headers of s.targets[name].seen) {
        expect(tokens.some((t) => JSON.stringify(headers).includes(t.split(".")[2]!))).toBe(false);
        expect(headers.authorization).toBeUndefined();
      }
    }
    for (const name of ["reports", "weather", "orders", "erp", "ledger", "wiki"] as const) {
      for (const headers of s.targets[name].seen)
        expect(Object.keys(headers).filter((h) => h.startsWith("x-user-") || h === "x-org-id")).toEqual([]);
    }
  });

  it.each([
    ["x-user-sub", "admin"],
    ["X-User-Email", "ceo@acme.example"],
    ["x-remote-user", "root"],
  ])("a client-sent %s never reaches any target: the whole session is refused", async (name, value) => {
    const token = await tokenFor(s.acme, "alice");
    expect(await denialOf(connect(s.gateway.url, token, { [name]: value }))).toBe("policy.client_header_conflict");
    for (const target of Object.values(s.targets)) {
      for (const headers of target.seen) expect(JSON.stringify(headers)).not.toContain(value);
    }
  });
});

describe("denials at the client", () => {
  it("an expired token → 401 token.expired (the function's clock moved 61 s on, no sleep)", async () => {
    const token = await tokenFor(s.acme, "alice", 60);
    s.lambda.clockOffsetMs = 61_000;
    try {
      expect(await denialOf(connect(s.gateway.url, token))).toBe("token.expired");
    } finally {
      s.lambda.clockOffsetMs = 0;
    }
    // The same token, at the real time, is still accepted: the refusal came from the moved clock.
    const client = await connect(s.gateway.url, token);
    await client.close();
  });

  it("a token from a third, untrusted IdP → 401 token.issuer_untrusted", async () => {
    expect(await denialOf(connect(s.gateway.url, await tokenFor(s.initech, "mallory")))).toBe("token.issuer_untrusted");
  });

  it("a forged token (payload changed, signature kept) → 401 token.signature_invalid", async () => {
    const [h, p, sig] = (await tokenFor(s.acme, "alice")).split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: "admin" })).toString("base64url")}.${sig}`;
    registerToken(forged);
    expect(await denialOf(connect(s.gateway.url, forged))).toBe("token.signature_invalid");
  });

  it("an IdP that goes down mid-run: a warm interceptor keeps its cached keys; a cold one answers 503 jwks.unavailable; the other IdP is unaffected", async () => {
    const bobToken = await tokenFor(s.globex, "bob");
    const aliceToken = await tokenFor(s.acme, "alice");
    await s.globex.stop();
    const warm = await connect(s.gateway.url, bobToken);
    expect(await whoami(warm, "crm")).toMatchObject({ headers: { "x-user-iss": s.globex.issuer, "x-user-sub": "bob" } });
    await warm.close();
    await s.lambda.restart();
    expect(await denialOf(connect(s.gateway.url, bobToken))).toBe("jwks.unavailable");
    const alice = await connect(s.gateway.url, aliceToken);
    expect(await whoami(alice, "crm")).toMatchObject({ headers: { "x-user-iss": s.acme.issuer, "x-user-sub": "alice" } });
    await alice.close();
  });

  it("the interceptor's own log never contains a token", () => {
    const logs = s.lambda.logs.join("\n");
    expect(logs).toContain('"decision":"allow"');
    for (const t of tokens) for (const part of t.split(".").slice(1)) expect(logs).not.toContain(part);
  });
});
