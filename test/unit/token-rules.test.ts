import { describe, expect, it } from "vitest";
import {
  checkClaimTypes,
  checkIdentity,
  checkTime,
  checkTokenKind,
  claimAt,
  missingScopes,
  rejectForeignType,
  rejectSenderConstrained,
} from "../../src/auth/token-rules.js";
import { denialOf, issuerOf, reasonOf } from "../support/pure-inputs.js";

/** src/auth/token-rules.ts: the claim rules as pure functions of the decoded token, the issuer's rules and the clock. */

const NOW = 1_800_000_000;

describe("checkClaimTypes: registered claim types before the signature", () => {
  it.each([
    ["nothing", {}],
    ["numeric exp/nbf/iat (fractions allowed)", { exp: NOW + 0.5, nbf: 0, iat: -1 }],
    ["string sub and jti (empty too: the subject rule is later)", { sub: "", jti: "j" }],
    ["scope string", { scope: "a b" }],
    ["scope array of strings", { scope: ["a", "b"] }],
    ["empty scope array", { scope: [] }],
    ["aud string", { aud: "gw" }],
    ["aud array of strings", { aud: ["gw", "api"] }],
    ["empty aud array", { aud: [] }],
    ["other claims of any type", { groups: 5, act: "x", cnf: null }],
  ])("%s → passes", (_name, payload) => {
    expect(reasonOf(() => checkClaimTypes(payload))).toBeUndefined();
  });

  it.each([
    ["exp string", { exp: "1800000000" }],
    ["exp null", { exp: null }],
    ["exp Infinity", { exp: Infinity }],
    ["exp NaN", { exp: NaN }],
    ["nbf boolean", { nbf: true }],
    ["iat array", { iat: [1] }],
    ["sub number", { sub: 5 }],
    ["sub null", { sub: null }],
    ["jti object", { jti: {} }],
    ["scope number", { scope: 1 }],
    ["scope null", { scope: null }],
    ["scope object", { scope: { a: true } }],
    ["scope array with a number", { scope: ["a", 1] }],
    ["aud number", { aud: 1 }],
    ["aud null", { aud: null }],
    ["aud array with a number", { aud: ["gw", 1] }],
    ["aud array of arrays", { aud: [["gw"]] }],
  ])("%s → token.malformed", (_name, payload) => {
    expect(reasonOf(() => checkClaimTypes(payload))).toBe("token.malformed");
  });
});

describe("rejectForeignType: JWTs of another kind", () => {
  it.each(["dpop+jwt", "DPoP+JWT", "application/dpop+jwt", "logout+jwt", "secevent+jwt", "id_token+jwt", "client-authentication+jwt"])(
    "typ %j → token.kind_invalid",
    (typ) => {
      expect(reasonOf(() => rejectForeignType({ alg: "RS256", typ }))).toBe("token.kind_invalid");
    },
  );

  it.each([{ alg: "RS256" }, { typ: "JWT" }, { typ: "at+jwt" }, { typ: "application/at+jwt" }, { typ: "example+jwt" }, { typ: 7 }])(
    "%j → passes (only known foreign kinds are refused here)",
    (header) => {
      expect(reasonOf(() => rejectForeignType(header))).toBeUndefined();
    },
  );
});

describe("checkTokenKind", () => {
  const plain = issuerOf();

  it.each([undefined, "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "application/JWT"])(
    "no requireTyp: typ %j → passes",
    (typ) => {
      expect(reasonOf(() => checkTokenKind(typ === undefined ? {} : { typ }, {}, plain))).toBeUndefined();
    },
  );

  it.each(["JOSE", "example+jwt", "at+jwt ", "", "application/"])("no requireTyp: typ %j → token.kind_invalid", (typ) => {
    expect(reasonOf(() => checkTokenKind({ typ }, {}, plain))).toBe("token.kind_invalid");
  });

  it("requireTyp at+jwt: only that media type (case-insensitive, application/ optional) → else token.typ_invalid", () => {
    const strict = issuerOf({ requireTyp: "at+jwt" });
    expect(reasonOf(() => checkTokenKind({ typ: "at+jwt" }, {}, strict))).toBeUndefined();
    expect(reasonOf(() => checkTokenKind({ typ: "application/AT+JWT" }, {}, strict))).toBeUndefined();
    expect(reasonOf(() => checkTokenKind({}, {}, strict))).toBe("token.typ_invalid");
    expect(reasonOf(() => checkTokenKind({ typ: "JWT" }, {}, strict))).toBe("token.typ_invalid");
    expect(reasonOf(() => checkTokenKind({ typ: 1 }, {}, strict))).toBe("token.typ_invalid");
  });

  it.each([
    ["nonce", { nonce: "n" }],
    ["at_hash", { at_hash: "h" }],
    ["Cognito token_use id", { token_use: "id" }],
    ["nonce even when null", { nonce: null }],
  ])("ID token marker %s → token.kind_invalid unless the issuer accepts ID tokens", (_name, payload) => {
    expect(reasonOf(() => checkTokenKind({}, payload, plain))).toBe("token.kind_invalid");
    expect(reasonOf(() => checkTokenKind({}, payload, issuerOf({ acceptIdTokens: true })))).toBeUndefined();
  });

  it("a __proto__ member holding nonce is not an ID-token marker (own members only)", () => {
    const payload: Record<string, unknown> = JSON.parse('{"__proto__": {"nonce": "n"}}');
    expect(reasonOf(() => checkTokenKind({}, payload, plain))).toBeUndefined();
  });

  it("tokenUse access: token_use must be exactly access", () => {
    const cognito = issuerOf({ tokenUse: "access" });
    expect(reasonOf(() => checkTokenKind({}, { token_use: "access" }, cognito))).toBeUndefined();
    expect(reasonOf(() => checkTokenKind({}, {}, cognito))).toBe("token.kind_invalid");
    expect(reasonOf(() => checkTokenKind({}, { token_use: "Access" }, cognito))).toBe("token.kind_invalid");
    expect(reasonOf(() => checkTokenKind({}, { token_use: ["access"] }, cognito))).toBe("token.kind_invalid");
  });

  it("requirePayloadTyp Bearer (Keycloak): payload typ must be exactly Bearer", () => {
    const keycloak = issuerOf({ requirePayloadTyp: "Bearer" });
    expect(reasonOf(() => checkTokenKind({}, { typ: "Bearer" }, keycloak))).toBeUndefined();
    expect(reasonOf(() => checkTokenKind({}, { typ: "ID" }, keycloak))).toBe("token.kind_invalid");
    expect(reasonOf(() => checkTokenKind({}, { typ: "bearer" }, keycloak))).toBe("token.kind_invalid");
    expect(reasonOf(() => checkTokenKind({}, {}, keycloak))).toBe("token.kind_invalid");
  });

  it("a confirmation claim (cnf) → token.sender_constrained, whatever its value", () => {
    for (const cnf of [{ jkt: "x" }, { "x5t#S256": "y" }, {}, null, "", 0]) {
      expect(reasonOf(() => checkTokenKind({}, { cnf }, plain))).toBe("token.sender_constrained");
      expect(reasonOf(() => rejectSenderConstrained({ cnf }))).toBe("token.sender_constrained");
    }
    expect(reasonOf(() => rejectSenderConstrained({}))).toBeUndefined();
  });
});

describe("checkTime: boundaries at the exact second", () => {
  it("exp missing → token.exp_missing", () => {
    expect(reasonOf(() => checkTime({}, 60, undefined, NOW))).toBe("token.exp_missing");
  });

  it("exp: now must be before exp + leeway (RFC 7519 §4.1.4)", () => {
    expect(checkTime({ exp: NOW + 1 }, 0, undefined, NOW)).toBe(NOW + 1);
    expect(reasonOf(() => checkTime({ exp: NOW }, 0, undefined, NOW))).toBe("token.expired");
    expect(checkTime({ exp: NOW - 59 }, 60, undefined, NOW)).toBe(NOW - 59);
    expect(reasonOf(() => checkTime({ exp: NOW - 60 }, 60, undefined, NOW))).toBe("token.expired");
    expect(reasonOf(() => checkTime({ exp: -Number.MAX_VALUE }, 300, undefined, NOW))).toBe("token.expired");
    expect(checkTime({ exp: Number.MAX_VALUE }, 0, undefined, NOW)).toBe(Number.MAX_VALUE);
  });

  it("nbf: accepted up to now + leeway", () => {
    expect(checkTime({ exp: NOW + 600, nbf: NOW + 60 }, 60, undefined, NOW)).toBe(NOW + 600);
    expect(reasonOf(() => checkTime({ exp: NOW + 600, nbf: NOW + 61 }, 60, undefined, NOW))).toBe("token.not_yet_valid");
    expect(reasonOf(() => checkTime({ exp: NOW + 600, nbf: NOW + 1 }, 0, undefined, NOW))).toBe("token.not_yet_valid");
  });

  it("iat: accepted up to now + leeway", () => {
    expect(checkTime({ exp: NOW + 600, iat: NOW + 60 }, 60, undefined, NOW)).toBe(NOW + 600);
    expect(reasonOf(() => checkTime({ exp: NOW + 600, iat: NOW + 61 }, 60, undefined, NOW))).toBe("token.iat_in_future");
  });

  it("maxAge: now - iat may equal it, not exceed it; without iat the age is unknown → token.claim_type", () => {
    expect(checkTime({ exp: NOW + 600, iat: NOW - 300 }, 0, 300, NOW)).toBe(NOW + 600);
    expect(reasonOf(() => checkTime({ exp: NOW + 600, iat: NOW - 301 }, 0, 300, NOW))).toBe("token.too_old");
    expect(reasonOf(() => checkTime({ exp: NOW + 600 }, 0, 300, NOW))).toBe("token.claim_type");
    // Without maxAge an old iat is fine.
    expect(checkTime({ exp: NOW + 600, iat: 0 }, 0, undefined, NOW)).toBe(NOW + 600);
  });

  it("an expired token is reported as expired before any other time rule", () => {
    expect(reasonOf(() => checkTime({ exp: NOW - 1, nbf: NOW + 100, iat: NOW + 100 }, 0, 10, NOW))).toBe("token.expired");
  });
});

describe("claimAt: own members only, never the prototype", () => {
  const claims: Record<string, unknown> = {
    sub: "alice",
    org: { id: "o-1", "a.b": "literal" },
    "https://acme.example/email": "a@acme.example",
    resource_access: { "my.client": { roles: ["admin"] } },
    nul: null,
  };

  it.each([
    ["sub", "alice"],
    ["org.id", "o-1"],
    [["org", "a.b"], "literal"],
    [["https://acme.example/email"], "a@acme.example"],
    [["resource_access", "my.client", "roles"], ["admin"]],
    ["nul", null],
  ])("%j → %j", (path, value) => {
    expect(claimAt(claims, path)).toEqual(value);
  });

  it.each([
    "missing",
    "org.missing",
    "sub.length",
    "nul.x",
    "org.a.b",
    "https://acme.example/email",
    "__proto__",
    "constructor",
    "toString",
    "org.__proto__",
    "org.constructor.name",
    "org.hasOwnProperty",
    "",
    "org.",
  ])("%j → undefined", (path) => {
    expect(claimAt(claims, path)).toBeUndefined();
  });

  it("literal paths never split on dots and never reach the prototype", () => {
    expect(claimAt(claims, ["org.id"])).toBeUndefined();
    expect(claimAt(claims, ["__proto__"])).toBeUndefined();
    expect(claimAt(claims, ["org", "constructor"])).toBeUndefined();
    expect(claimAt(claims, [])).toBe(claims);
  });
});

describe("missingScopes", () => {
  it("lists the required scopes the token lacks, in the required order", () => {
    expect(missingScopes(new Set(["a", "c"]), ["a", "b", "c", "d"])).toEqual(["b", "d"]);
    expect(missingScopes(new Set(["a"]), ["a"])).toEqual([]);
    expect(missingScopes(new Set(), undefined)).toEqual([]);
    expect(missingScopes(new Set(), [])).toEqual([]);
    expect(missingScopes(new Set(["A"]), ["a"])).toEqual(["a"]);
  });
});

describe("checkIdentity", () => {
  const base = issuerOf();
  const user = { sub: "alice", aud: "gw", client_id: "agent", exp: NOW + 60 };

  it("a user token: the facts everything else reads", () => {
    expect(checkIdentity({ ...user, jti: "j-1", scope: "read write" }, base)).toEqual({
      sub: "alice",
      clientId: "agent",
      actor: undefined,
      scopes: new Set(["read", "write"]),
      jti: "j-1",
      exp: NOW + 60,
      machine: false,
    });
  });

  describe("subject", () => {
    it.each([
      ["missing", { aud: "gw" }],
      ["empty", { sub: "", aud: "gw" }],
      ["a number", { sub: 1, aud: "gw" }],
    ])("sub %s → token.subject_invalid", (_name, payload) => {
      expect(reasonOf(() => checkIdentity(payload, base))).toBe("token.subject_invalid");
    });

    it("subjectFallback clientId: a token without sub takes the client id (and is a machine token)", () => {
      const fallback = issuerOf({ subjectFallback: "clientId" });
      expect(checkIdentity({ aud: "gw", client_id: "svc" }, fallback)).toMatchObject({ sub: "svc", clientId: "svc", machine: true });
      expect(reasonOf(() => checkIdentity({ aud: "gw" }, fallback))).toBe("token.subject_invalid");
      // An empty sub is not a missing sub: no fallback.
      expect(reasonOf(() => checkIdentity({ sub: "", aud: "gw", client_id: "svc" }, fallback))).toBe("token.subject_invalid");
    });
  });

  it("requireTyp at+jwt: RFC 9068 requires iat, jti and client_id → else token.claim_type", () => {
    const rfc9068 = issuerOf({ requireTyp: "application/at+jwt" });
    const full = { ...user, iat: NOW, jti: "j" };
    expect(reasonOf(() => checkIdentity(full, rfc9068))).toBeUndefined();
    for (const drop of ["iat", "jti", "client_id"]) {
      const payload: Record<string, unknown> = { ...full };
      delete payload[drop];
      expect(reasonOf(() => checkIdentity(payload, rfc9068))).toBe("token.claim_type");
    }
    // azp does not stand in for client_id here.
    expect(reasonOf(() => checkIdentity({ sub: "alice", aud: "gw", azp: "agent", iat: NOW, jti: "j" }, rfc9068))).toBe("token.claim_type");
  });

  it("tenantClaim: the claim must equal the value exactly → else token.issuer_untrusted", () => {
    const tenant = issuerOf({ tenantClaim: { claim: "tid", value: "t-1" } });
    expect(reasonOf(() => checkIdentity({ ...user, tid: "t-1" }, tenant))).toBeUndefined();
    expect(reasonOf(() => checkIdentity({ ...user, tid: "t-2" }, tenant))).toBe("token.issuer_untrusted");
    expect(reasonOf(() => checkIdentity({ ...user, tid: ["t-1"] }, tenant))).toBe("token.issuer_untrusted");
    expect(reasonOf(() => checkIdentity(user, tenant))).toBe("token.issuer_untrusted");
    const nested = issuerOf({ tenantClaim: { claim: "org.tenant", value: "t-1" } });
    expect(reasonOf(() => checkIdentity({ ...user, org: { tenant: "t-1" } }, nested))).toBeUndefined();
    expect(reasonOf(() => checkIdentity({ ...user, "org.tenant": "t-1" }, nested))).toBe("token.issuer_untrusted");
  });

  describe("audience and client", () => {
    it.each([
      ["a string", "gw"],
      ["an array naming it", ["api", "gw"]],
    ])("aud %s → passes", (_name, aud) => {
      expect(reasonOf(() => checkIdentity({ ...user, aud }, base))).toBeUndefined();
    });

    it.each([
      ["missing", undefined],
      ["another audience", "api"],
      ["an empty array", []],
      ["a different case", "GW"],
      ["a prefix", "g"],
      ["an object", { gw: true }],
      ["a nested array", [["gw"]]],
    ])("aud %s → token.audience_mismatch", (_name, aud) => {
      expect(reasonOf(() => checkIdentity({ ...user, aud }, base))).toBe("token.audience_mismatch");
    });

    it("any of several configured audiences is enough", () => {
      expect(reasonOf(() => checkIdentity({ ...user, aud: "b" }, issuerOf({ audience: ["a", "b"] })))).toBeUndefined();
    });

    it("audience and clientIds: the client must be listed too → else token.client_not_allowed", () => {
      const both = issuerOf({ clientIds: ["agent"] });
      expect(reasonOf(() => checkIdentity(user, both))).toBeUndefined();
      expect(reasonOf(() => checkIdentity({ ...user, client_id: "other" }, both))).toBe("token.client_not_allowed");
      expect(reasonOf(() => checkIdentity({ sub: "alice", aud: "gw" }, both))).toBe("token.client_not_allowed");
      // The audience is checked first.
      expect(reasonOf(() => checkIdentity({ ...user, aud: "api", client_id: "other" }, both))).toBe("token.audience_mismatch");
    });

    it("clientIds only (Cognito access tokens have no aud): the client id stands in → else token.audience_mismatch", () => {
      const cognito = issuerOf({ audience: undefined, clientIds: ["agent"] });
      expect(reasonOf(() => checkIdentity({ sub: "alice", client_id: "agent" }, cognito))).toBeUndefined();
      expect(reasonOf(() => checkIdentity({ sub: "alice", azp: "agent" }, cognito))).toBeUndefined();
      expect(reasonOf(() => checkIdentity({ sub: "alice", client_id: "other" }, cognito))).toBe("token.audience_mismatch");
      expect(reasonOf(() => checkIdentity({ sub: "alice", aud: "agent" }, cognito))).toBe("token.audience_mismatch");
      expect(reasonOf(() => checkIdentity({ sub: "alice", client_id: "__proto__" }, cognito))).toBe("token.audience_mismatch");
    });

    it("client_id wins over azp; either of the wrong type → token.claim_type", () => {
      expect(checkIdentity({ ...user, client_id: "c", azp: "z" }, base).clientId).toBe("c");
      expect(checkIdentity({ sub: "alice", aud: "gw", azp: "z" }, base).clientId).toBe("z");
      expect(checkIdentity({ sub: "alice", aud: "gw" }, base).clientId).toBeUndefined();
      expect(reasonOf(() => checkIdentity({ ...user, client_id: 5 }, base))).toBe("token.claim_type");
      expect(reasonOf(() => checkIdentity({ sub: "alice", aud: "gw", azp: ["z"] }, base))).toBe("token.claim_type");
      expect(reasonOf(() => checkIdentity({ ...user, client_id: "c", azp: 1 }, base))).toBe("token.claim_type");
    });

    it("clientIdClaim cid (Okta): only that claim names the client", () => {
      const okta = issuerOf({ clientIdClaim: "cid" });
      expect(checkIdentity({ sub: "alice", aud: "gw", cid: "okta-app", client_id: "ignored" }, okta).clientId).toBe("okta-app");
      expect(checkIdentity({ sub: "alice", aud: "gw", client_id: "ignored" }, okta).clientId).toBeUndefined();
      expect(reasonOf(() => checkIdentity({ sub: "alice", aud: "gw", cid: 1 }, okta))).toBe("token.claim_type");
    });
  });

  describe("actor (RFC 8693 act)", () => {
    it.each([
      [{ sub: "svc" }, "svc"],
      [{ client_id: "c" }, "c"],
      [{ sub: "svc", client_id: "c" }, "svc"],
      [{ sub: "svc", act: { sub: "older" } }, "svc"],
    ])("act %j → actor %j", (act, actor) => {
      expect(checkIdentity({ ...user, act }, base).actor).toBe(actor);
    });

    it.each([
      ["empty object", {}],
      ["a string", "svc"],
      ["an array", [{ sub: "svc" }]],
      ["null", null],
      ["empty sub", { sub: "" }],
      ["numeric sub", { sub: 1 }],
      ["empty client_id", { client_id: "" }],
      ["sub ok but client_id a number", { sub: "svc", client_id: 2 }],
    ])("act %s → token.claim_type", (_name, act) => {
      expect(reasonOf(() => checkIdentity({ ...user, act }, base))).toBe("token.claim_type");
    });
  });

  describe("scopes", () => {
    it("only SP separates scope tokens; repeated spaces are no token; TAB stays inside one", () => {
      expect(checkIdentity({ ...user, scope: "  a  b\tc " }, base).scopes).toEqual(new Set(["a", "b\tc"]));
      expect(checkIdentity({ ...user, scope: "" }, base).scopes).toEqual(new Set());
      expect(checkIdentity({ ...user, scope: ["a b", "c"] }, base).scopes).toEqual(new Set(["a b", "c"]));
    });

    it("scopeClaim [scp, roles] pools both claims and ignores scope", () => {
      const entra = issuerOf({ scopeClaim: ["scp", "roles"] });
      expect(checkIdentity({ ...user, scope: "x", scp: "read", roles: ["Admin"] }, entra).scopes).toEqual(new Set(["read", "Admin"]));
    });

    it.each([5, null, { a: 1 }, ["a", 1], true])("scope %j → token.claim_type", (scope) => {
      expect(reasonOf(() => checkIdentity({ ...user, scope }, base))).toBe("token.claim_type");
    });

    it("issuer requiredScopes: all of them → else scope.insufficient with the full required set", () => {
      const scoped = issuerOf({ requiredScopes: ["read", "write"] });
      expect(reasonOf(() => checkIdentity({ ...user, scope: "write read extra" }, scoped))).toBeUndefined();
      const denial = denialOf(() => checkIdentity({ ...user, scope: "read" }, scoped));
      expect(denial?.reason).toBe("scope.insufficient");
      expect(denial?.detail).toEqual({ scope: ["read", "write"] });
      expect(reasonOf(() => checkIdentity({ ...user, scope: "READ WRITE" }, scoped))).toBe("scope.insufficient");
    });
  });

  describe("machine tokens", () => {
    it.each([
      ["sub equals client_id", { sub: "svc", aud: "gw", client_id: "svc" }],
      ["sub equals azp", { sub: "svc", aud: "gw", azp: "svc" }],
      ["Okta cid", { sub: "svc", aud: "gw", cid: "svc" }],
      ["Auth0 gty", { sub: "alice", aud: "gw", gty: "client-credentials" }],
      ["Auth0 <client>@clients", { sub: "svc@clients", aud: "gw", azp: "svc" }],
      ["Entra idtyp app", { sub: "alice", aud: "gw", idtyp: "app" }],
      ["Keycloak service account", { sub: "alice", aud: "gw", preferred_username: "service-account-svc" }],
    ])("%s → machine", (_name, payload) => {
      expect(checkIdentity(payload, base).machine).toBe(true);
    });

    it.each([
      ["a user", { sub: "alice", aud: "gw", client_id: "agent" }],
      ["@clients of another client", { sub: "other@clients", aud: "gw", azp: "svc" }],
      ["gty password", { sub: "alice", aud: "gw", gty: "password" }],
      ["service-account not at the start", { sub: "alice", aud: "gw", preferred_username: "x-service-account-svc" }],
    ])("%s → not a machine", (_name, payload) => {
      expect(checkIdentity(payload, base).machine).toBe(false);
    });

    it("issuer machineTokens markers: equals, prefix, absent (own claims only)", () => {
      const marked = issuerOf({
        machineTokens: [
          { claim: "kind", equals: "bot" },
          { claim: "sub_type", prefix: "svc:" },
          { claim: "scp", absent: true },
        ],
      });
      const userToken = { ...user, scp: "read" };
      expect(checkIdentity(userToken, marked).machine).toBe(false);
      expect(checkIdentity({ ...userToken, kind: "bot" }, marked).machine).toBe(true);
      expect(checkIdentity({ ...userToken, kind: "Bot" }, marked).machine).toBe(false);
      expect(checkIdentity({ ...userToken, sub_type: "svc:x" }, marked).machine).toBe(true);
      expect(checkIdentity(user, marked).machine).toBe(true);
      // Markers compare strings only: an object that prints as "bot" is not "bot".
      expect(checkIdentity({ ...userToken, kind: { toString: () => "bot" } }, marked).machine).toBe(false);
    });
  });
});
