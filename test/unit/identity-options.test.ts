import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { ecKey, jwksOf, rsaKey } from "../support/keys.js";
import { b64url, buildToken, signWith } from "../support/tokens.js";
import {
  baseClaims,
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  ISSUER_B,
  type Json,
  keyA,
  mcpEvent,
  qualified,
  run,
  tokenA,
  tokenB,
  withAuth,
} from "../support/harness.js";

/**
 * The identity options that make every mainstream IdP work (recipes in idp-recipes.test.ts): PS*,
 * JWK validation by aws-jwt-verify, literal claim paths and the paths that can never resolve,
 * explicit issuer binding, machine-token markers, the client-id claim, the subject fallback, `act`
 * without `sub`, scope claims.
 */
const h = new Harness();
const weak = rsaKey("weak", 1024);
const ec = ecKey("ec1");
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.resetKeys());

const issuerA = (patch: (i: Json) => void) => (c: Json) => patch((c.issuers as Json[])[0]!);
const both =
  (...patches: ((c: Json) => void)[]) =>
  (c: Json) =>
    patches.forEach((p) => p(c));
const target = (name: string, t: Json) => (c: Json) => ((c.targets as Json)[name] = t);
const call = (token: string, patch?: (c: Json) => void, tool = "orders___x") =>
  run(h.handler(patch), mcpEvent({ name: tool, headers: withAuth(token) }));
const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const problemsOf = (patch: (c: Json) => void) => {
  const loaded = parseConfig(h.config(patch));
  return loaded.ok ? [] : loaded.problems;
};

describe("One verification path: PS256/384/512 and every other algorithm on node:crypto", () => {
  it.each(["PS256", "PS384", "PS512"])("%s signed as RFC 7518 §3.5 says (salt = hash length) → ALLOW", async (alg) => {
    const token = buildToken({ header: { alg, typ: "at+jwt", kid: keyA.kid }, payload: baseClaims(), key: keyA });
    expectAllow(
      await call(
        token,
        issuerA((i) => (i.algorithms = [alg])),
      ),
      ALLOWED,
    );
  });

  it("a fresh token is decoded once, by the strict decoder: nothing parses its header or payload again", async () => {
    const header = { alg: "RS256", typ: "at+jwt", kid: keyA.kid };
    const payload = baseClaims({ scope: ["mcp:invoke"] });
    const token = buildToken({ header, payload, key: keyA });
    const [h64, p64] = token.split(".");
    const texts = new Set([Buffer.from(h64!, "base64url").toString(), Buffer.from(p64!, "base64url").toString()]);
    const handler = h.handler();
    const parse = vi.spyOn(JSON, "parse");
    try {
      expectAllow(await call(token, undefined), ALLOWED);
      const o = await run(handler, mcpEvent({ headers: withAuth(token) }));
      expectAllow(o, ALLOWED);
      expect(parse.mock.calls.filter(([text]) => texts.has(String(text)))).toEqual([]);
    } finally {
      parse.mockRestore();
    }
  });

  it("PS256 header over a PKCS#1 v1.5 (RS256) signature → DENY(401, token.signature_invalid)", async () => {
    const token = buildToken({ header: { alg: "PS256", kid: keyA.kid }, payload: baseClaims(), key: keyA, signAs: "RS256" });
    expectDeny(
      await call(
        token,
        issuerA((i) => (i.algorithms = ["PS256", "RS256"])),
      ),
      401,
      "token.signature_invalid",
    );
  });

  it("RS256 header over a PSS signature → DENY(401, token.signature_invalid)", async () => {
    const token = buildToken({ header: { alg: "RS256", kid: keyA.kid }, payload: baseClaims(), key: keyA, signAs: "PS256" });
    expectDeny(
      await call(
        token,
        issuerA((i) => (i.algorithms = ["PS256", "RS256"])),
      ),
      401,
      "token.signature_invalid",
    );
  });

  it("PS256 with a salt shorter than the hash → DENY(401, token.signature_invalid)", async () => {
    const { sign, constants } = await import("node:crypto");
    const header = b64url(JSON.stringify({ alg: "PS256", kid: keyA.kid }));
    const input = `${header}.${b64url(JSON.stringify(baseClaims()))}`;
    const sig = sign("sha256", Buffer.from(input), { key: keyA.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 });
    expectDeny(
      await call(
        buildToken({ header: { alg: "PS256", kid: keyA.kid }, payload: baseClaims(), signature: b64url(sig) }),
        issuerA((i) => (i.algorithms = ["PS256"])),
      ),
      401,
      "token.signature_invalid",
    );
  });

  it("PS256 on a 1024-bit RSA key → DENY(401, token.key_too_weak); on an EC key → DENY(401, token.alg_key_mismatch)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(weak, ec) });
    const ps = issuerA((i) => (i.algorithms = ["PS256"]));
    expectDeny(
      await call(buildToken({ header: { alg: "PS256", kid: weak.kid }, payload: baseClaims(), key: weak }), ps),
      401,
      "token.key_too_weak",
    );
    expectDeny(
      await call(buildToken({ header: { alg: "PS256", kid: ec.kid }, payload: baseClaims(), key: ec, signAs: "ES256" }), ps),
      401,
      "token.alg_key_mismatch",
    );
  });

  it("ES256 with a DER-encoded signature (not R ‖ S) → DENY(401, token.signature_invalid)", async () => {
    h.server.set("/a/jwks", { kind: "ok", body: jwksOf(ec) });
    const { sign } = await import("node:crypto");
    const payload = baseClaims();
    const input = `${b64url(JSON.stringify({ alg: "ES256", kid: ec.kid }))}.${b64url(JSON.stringify(payload))}`;
    const der = sign("sha256", Buffer.from(input), ec.privateKey);
    expect(signWith("ES256", ec.privateKey, input)).toHaveLength(64);
    const token = buildToken({ header: { alg: "ES256", kid: ec.kid }, payload, signature: b64url(der) });
    expectDeny(
      await call(
        token,
        issuerA((i) => (i.algorithms = ["ES256"])),
      ),
      401,
      "token.signature_invalid",
    );
  });

  it.each([
    ["an RSA JWK without e", "e", undefined],
    ["a JWK whose use is enc", "use", "enc"],
    ["an RSA JWK whose n is a number", "n", 7],
  ] as const)("%s is refused by aws-jwt-verify's JWK checks → DENY(401, token.signature_invalid)", async (_what, member, value) => {
    const jwk: Json = { ...keyA.publicJwk };
    if (value === undefined) delete jwk[member];
    else jwk[member] = value;
    h.server.set("/a/jwks", { kind: "ok", body: { keys: [jwk] } });
    expectDeny(await call(tokenA()), 401, "token.signature_invalid");
  });
});

describe("Claim references: literal paths, and dotted paths that can never resolve refused at load", () => {
  it("claimPath names Auth0 namespaced claims and Keycloak client ids with dots literally", async () => {
    const t = target("lit", {
      mode: "claims",
      issuers: [ISSUER_A],
      headers: {
        "x-email": { claimPath: ["https://acme.example/email"] },
        "x-roles": { claimPath: ["resource_access", "my.client", "roles"] },
      },
    });
    const token = tokenA({ "https://acme.example/email": "a@acme.example", resource_access: { "my.client": { roles: ["r1", "r2"] } } });
    expectAllow(await call(token, t, "lit___x"), { "x-email": "a@acme.example", "x-roles": "r1,r2" });
  });

  it.each([
    ["https://acme.example/email", /namespaced claim name.*"claimPath": \["https:\/\/acme.example\/email"\]/],
    ["urn:acme.example:email", /namespaced claim name/],
    ["sub.id", /"sub" is a string or number claim/],
    ["resource_access.my.client.roles", /"claimPath": \["resource_access","my.client","roles"\]/],
    ["realm_access.groups", /"realm_access" holds only "roles"/],
  ])("dotted path %j → config.invalid with a hint", (claim, message) => {
    const problems = problemsOf(target("bad", { mode: "claims", issuers: [ISSUER_A], headers: { "x-v": claim } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^targets\.bad\.headers\.x-v: /);
    expect(problems[0]).toMatch(message);
  });

  it.each(["org.id", "resource_access.app.roles", "realm_access.roles", "cognito:groups", "address.street_address"])(
    "a path that can resolve (%j) is accepted",
    (claim) => {
      expect(problemsOf(target("ok", { mode: "claims", issuers: [ISSUER_A], headers: { "x-v": claim } }))).toEqual([]);
    },
  );

  it.each([
    [{ claim: "email", claimPath: ["email"] }, 'exactly one of "claim" or "claimPath" is required'],
    [{ required: true }, 'exactly one of "claim" or "claimPath" is required'],
    [{ claimPath: ["a", "__proto__"] }, "must not be empty or a prototype member name"],
    [{ claimPath: [] }, ""],
  ])("mapping %j → config.invalid", (mapping, message) => {
    const problems = problemsOf(target("bad", { mode: "claims", issuers: [ISSUER_A], headers: { "x-v": mapping } }));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join("\n")).toContain(message);
  });
});

describe("Issuer binding is explicit: a target never confuses two issuers' identities", () => {
  it("a claims target reached by two issuers with an unbound header → config.invalid naming the target and the header", () => {
    const problems = problemsOf(
      target("crm2", { mode: "claims", headers: { "x-user-sub": "sub", "x-org": { claim: "org.id", qualify: true } } }),
    );
    expect(problems).toEqual([
      'targets.crm2.headers: this target accepts 2 issuers, so its identity headers must be issuer-bound: map "iss" to a header, or set "qualify": true on x-user-sub, or accept one issuer ("issuers")',
    ]);
  });

  it("an issuer header beside them binds every header: IdP B cannot pass for IdP A's org", async () => {
    const t = target("crm2", { mode: "claims", headers: { "x-user-iss": "iss", "x-user-sub": "sub", "x-org-id": "org.id" } });
    expectAllow(await call(tokenA({ org: { id: "acme" } }), t, "crm2___x"), {
      "x-user-iss": ISSUER_A,
      "x-user-sub": "u-1",
      "x-org-id": "acme",
    });
    expectAllow(await call(tokenB({ org: { id: "acme" } }), t, "crm2___x"), {
      "x-user-iss": ISSUER_B,
      "x-user-sub": "u-1",
      "x-org-id": "acme",
    });
  });

  it("qualify on every header: each value (each item of a list) is <iss>|<value>", async () => {
    const t = target("crm2", {
      mode: "claims",
      headers: { "x-user-sub": { claim: "sub", qualify: true }, "x-groups": { claim: "groups", qualify: true } },
    });
    expectAllow(await call(tokenB({ groups: ["admin", "eng"] }), t, "crm2___x"), {
      "x-user-sub": qualified(ISSUER_B, "u-1"),
      "x-groups": `${qualified(ISSUER_B, "admin")},${qualified(ISSUER_B, "eng")}`,
    });
  });

  it("qualification is never implied: one issuer or several, an unqualified sub is sent as it is", async () => {
    const t = target("crm2", { mode: "claims", issuers: [ISSUER_A], headers: { "x-user-sub": "sub" } });
    expectAllow(await call(tokenA(), t, "crm2___x"), { "x-user-sub": "u-1" });
    const single = both(
      (c) => (c.issuers = [(c.issuers as Json[])[0]]),
      (c) => ((c.targets as Json).orders = { mode: "claims", headers: { "x-user-sub": "sub" } }),
    );
    expectAllow(await call(tokenA(), single), { "x-user-sub": "u-1" });
  });

  describe("claim headers sent beside an assertion are bound the same way", () => {
    const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:interceptor/assertion-key";
    const assertionTarget = (t: Json) =>
      both(
        target("sign", { mode: "assertion", ...t }),
        (c) => (c.assertion = { issuer: "https://interceptor.example", signingKeySecretArn: ARN }),
      );

    it("an assertion target reached by two issuers with an unbound header → config.invalid at targets.<name>.headers", () => {
      expect(problemsOf(assertionTarget({ headers: { "x-email": "email" } }))).toEqual([
        'targets.sign.headers: this target accepts 2 issuers, so its identity headers must be issuer-bound: map "iss" to a header, or set "qualify": true on x-email, or accept one issuer ("issuers")',
      ]);
    });

    it.each([
      ["qualify", { headers: { "x-email": { claim: "email", qualify: true } } }],
      ["one issuer", { issuers: [ISSUER_A], headers: { "x-email": "email" } }],
    ])("with %s → ok", (_what, t) => {
      expect(problemsOf(assertionTarget(t))).toEqual([]);
    });
  });

  it("qualify with an accepted issuer that contains | → config.invalid", () => {
    const problems = problemsOf(
      both(
        issuerA((i) => (i.issuer = "https://idp-a.example/a|b")),
        (c) => delete (c.targets as Json).crm,
      ),
    );
    expect(problems).toEqual([
      'targets.orders.headers: "qualify" sends "<iss>|<value>", so issuer "https://idp-a.example/a|b" must not contain "|"',
    ]);
  });
});

describe("Machine tokens, client id claim, subject fallback, act, scope claims", () => {
  const userOnly = target("people", { mode: "claims", issuers: [ISSUER_A], requireUser: true, headers: { "x-user-sub": "sub" } });
  const people = (token: string, patch: (c: Json) => void = () => undefined) => call(token, both(userOnly, patch), "people___x");

  it.each([
    ["sub == client_id", { sub: "app-a" }],
    ["sub == azp (no client_id)", { client_id: undefined, azp: "app-a", sub: "app-a" }],
    ["Okta: sub == cid", { cid: "0oa-service", sub: "0oa-service" }],
    ["Entra v1: sub == appid", { appid: "2d4f-app", sub: "2d4f-app" }],
    ["Auth0: gty client-credentials", { gty: "client-credentials" }],
    ["Auth0: sub <client>@clients", { sub: "app-a@clients" }],
    ["Entra: idtyp app", { idtyp: "app" }],
    ["Keycloak: service-account- username", { preferred_username: "service-account-app-a" }],
  ])("%s on a requireUser target → DENY(403, policy.target_denied)", async (_what, claims) => {
    expectDeny(await people(tokenA(claims)), 403, "policy.target_denied");
  });

  it("a user token with none of the markers → ALLOW; with a user named like a client elsewhere → ALLOW", async () => {
    expectAllow(await people(tokenA({ preferred_username: "alice", gty: "password" })), { "x-user-sub": "u-1" });
    expectAllow(await people(tokenA({ sub: "other@clients" })), { "x-user-sub": "other@clients" });
  });

  it.each([
    [{ claim: "scp", absent: true }, { scp: undefined }, { scp: "read" }],
    [{ claim: "tokenKind", equals: "m2m" }, { tokenKind: "m2m" }, { tokenKind: "user" }],
    [{ claim: "sub", prefix: "svc-" }, { sub: "svc-batch" }, { sub: "user-svc-1" }],
  ])("issuer marker %j: a marked token is refused, an unmarked one allowed", async (marker, marked, unmarked) => {
    const markers = issuerA((i) => (i.machineTokens = [marker]));
    expectDeny(await people(tokenA(marked), markers), 403, "policy.target_denied");
    expectAllow(await people(tokenA(unmarked), markers), { "x-user-sub": String((unmarked as Json).sub ?? "u-1") });
  });

  it("a marker needs exactly one of equals, prefix, absent", () => {
    expect(problemsOf(issuerA((i) => (i.machineTokens = [{ claim: "gty", equals: "x", prefix: "y" }])))).toEqual([
      'issuers[0].machineTokens[0].claim: exactly one of "equals", "prefix" or "absent" is required',
    ]);
  });

  it("clientIdClaim cid restricts the calling app (clientIds); a non-string cid → DENY(401, token.claim_type)", async () => {
    const cid = issuerA((i) => (i.clientIdClaim = "cid"));
    expectAllow(await call(tokenA({ client_id: undefined, cid: "app-a" }), cid), ALLOWED);
    expectDeny(await call(tokenA({ client_id: "app-a", cid: "app-other" }), cid), 403, "token.client_not_allowed");
    expectDeny(await call(tokenA({ client_id: "app-a", cid: undefined }), cid), 403, "token.client_not_allowed");
    expectDeny(await call(tokenA({ cid: ["app-a"] }), cid), 401, "token.claim_type");
  });

  it("subjectFallback: only for a token without sub; an empty or non-string sub is still refused", async () => {
    const fallback = issuerA((i) => (i.subjectFallback = "clientId"));
    expectDeny(await call(tokenA({ sub: undefined })), 401, "token.subject_invalid");
    expectAllow(await call(tokenA({ sub: undefined }), fallback), { "X-User-Sub": qualified(ISSUER_A, "app-a") });
    expectDeny(await call(tokenA({ sub: "" }), fallback), 401, "token.subject_invalid");
    expectDeny(await call(tokenA({ sub: undefined, client_id: undefined, azp: undefined }), fallback), 401, "token.subject_invalid");
  });

  it.each([
    [{ client_id: "api1" }, "api1"],
    [{ sub: "svc", client_id: "api1" }, "svc"],
    [{ sub: "svc", act: { sub: "older" } }, "svc"],
  ])("act %j → ALLOW, actor %s", async (act, actor) => {
    const o = await call(tokenA({ act }));
    expectAllow(o, ALLOWED);
    expect(o.audit.actor).toBe(actor);
  });

  it.each([{}, { sub: 5 }, { sub: "" }, { client_id: 7 }, { iss: "https://x" }])("act %j → DENY(401, token.claim_type)", async (act) => {
    expectDeny(await call(tokenA({ act })), 401, "token.claim_type");
  });

  it("scopeClaim [scp, roles] pools both; roles alone satisfies a required scope (Entra app roles)", async () => {
    const pooled = issuerA((i) => ((i.scopeClaim = ["scp", "roles"]), (i.requiredScopes = ["mcp.invoke"])));
    expectAllow(await call(tokenA({ scope: undefined, roles: ["mcp.invoke"] }), pooled), ALLOWED);
    expectAllow(await call(tokenA({ scope: undefined, scp: "mcp.invoke other" }), pooled), ALLOWED);
    expectDeny(await call(tokenA({ scope: "mcp.invoke" }), pooled), 403, "scope.insufficient");
    expectDeny(
      await call(
        tokenA({ scope: undefined, roles: "mcp.invoke" }),
        issuerA((i) => ((i.scopeClaim = "roles"), (i.requiredScopes = ["x"]))),
      ),
      403,
      "scope.insufficient",
    );
    expectDeny(await call(tokenA({ roles: [1] }), pooled), 401, "token.claim_type");
  });

  it("acceptIdTokens is off by default: an OIDC ID token is refused token.kind_invalid; opted in it is allowed", async () => {
    const id = tokenA({ nonce: "n-1", at_hash: "h" });
    expectDeny(await call(id), 401, "token.kind_invalid");
    expectAllow(
      await call(
        id,
        issuerA((i) => (i.acceptIdTokens = true)),
      ),
      ALLOWED,
    );
  });
});
