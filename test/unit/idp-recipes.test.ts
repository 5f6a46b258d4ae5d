import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type InterceptorHandler } from "../../src/handler.js";
import { parseConfig } from "../../src/config/load.js";
import { JwksServer } from "../support/jwks-server.js";
import { jwksOf, rsaKey } from "../support/keys.js";
import { buildToken } from "../support/tokens.js";
import { testCa } from "../support/tls.js";
import { expectAllow, expectDeny, type Json, mcpEvent, nowSeconds, run, withAuth } from "../support/harness.js";

/**
 * One recipe per identity provider (`recipes/<idp>.json`, shown verbatim in docs/identity-providers.md): each is
 * loaded as a user would paste it, and tokens in the IdP's published default shape (the page cited
 * beside each) must be allowed on the recipe's claims target `profile` and forward target `orders`
 * with the right headers; the negatives that matter for that IdP are denied with the documented reason.
 */
const RECIPES = new URL("../../recipes/", import.meta.url);
const RECIPES_DOC = readFileSync(new URL("../../docs/identity-providers.md", import.meta.url), "utf8");
const CONFIG_DOC = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
const idp = rsaKey("idp-2026");
const server = new JwksServer();
beforeAll(async () => {
  await server.start();
  server.set("/jwks", { kind: "ok", body: jwksOf(idp) });
});
afterAll(() => server.stop());

const recipeText = (name: string) => readFileSync(new URL(`${name}.json`, RECIPES), "utf8");
const recipe = (name: string): Json => JSON.parse(recipeText(name)) as Json;

/** The recipe as pasted, with every key set served from the loopback JWKS. */
function handlerFor(name: string, patch: (c: Json) => void = () => undefined): InterceptorHandler {
  const config = recipe(name);
  for (const issuer of config.issuers as Json[]) issuer.jwksUri = server.url("/jwks");
  patch(config);
  const loaded = parseConfig(config);
  if (!loaded.ok) throw new Error(`recipe ${name} invalid: ${loaded.problems.join("; ")}`);
  return createHandler({ config: loaded, ca: testCa });
}

const sign = (header: Json, payload: Json) => buildToken({ header: { kid: idp.kid, ...header }, payload, key: idp });
const call = (handler: InterceptorHandler, token: string, target: string) =>
  run(handler, mcpEvent({ name: `${target}___whoami`, headers: withAuth(token) }));

interface Negative {
  what: string;
  token: () => string;
  target?: string;
  status: number;
  reason: string;
}

interface Case {
  recipe: string;
  /** The public page the token shapes follow. */
  source: string;
  user: () => string;
  /** The headers the claims target `profile` must receive for `user`. */
  profile: (token: string) => Record<string, string>;
  /** A machine (client-credentials) token: allowed on `orders`, refused on `profile` (requireUser). */
  machine?: () => string;
  negatives: Negative[];
}

const t = () => {
  const now = nowSeconds();
  return { iat: now - 5, nbf: now - 5, exp: now + 3600, auth_time: now - 60 };
};

const COGNITO_ISS = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf012";
const ENTRA_TID = "9188040d-6c67-4c5b-b112-36a304b66dad";
const ENTRA_TID_B = "3c5e8f2a-1b4d-4e6f-8a9b-0c1d2e3f4a5b";
const ENTRA_API = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
const ENTRA_CLIENT = "2d4f6a8c-0e1b-4c3d-8e5f-7a9b1c3d5e7f";
const GOOGLE_CLIENT = "1234567890-abcdefghijklmnop.apps.googleusercontent.com";
const PING_ENV = "4b2c6d8e-0f1a-4b3c-9d5e-7f9a1b3c5d7e";

// https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
const cognitoAccess = (extra: Json = {}) => ({
  sub: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
  "cognito:groups": ["admin", "eng"],
  iss: COGNITO_ISS,
  version: 2,
  client_id: "5kq3e9f1h2j4l6n8p0r2t4v6x8",
  origin_jti: "aaaaaaaa-1111",
  event_id: "cccccccc-2222",
  token_use: "access",
  scope: "openid email",
  ...t(),
  jti: "aaaaaaaa-3333",
  username: "alice",
  ...extra,
});
// https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference (v2.0, delegated)
const entraV2 = (tid: string, extra: Json = {}) => ({
  aud: ENTRA_API,
  iss: `https://login.microsoftonline.com/${tid}/v2.0`,
  ...t(),
  aio: "AXQAi/8TAAAA",
  azp: ENTRA_CLIENT,
  azpacr: "0",
  name: "Alice Doe",
  oid: "690222be-ff1a-4d56-abd1-7e4f7d38e474",
  preferred_username: "alice@acme.example",
  rh: "0.ARoAv4j5",
  scp: "mcp.invoke",
  sid: "00000000-0000-0000-0000-000000000001",
  sub: "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
  tid,
  uti: "fqiBqXLPj0eQa82S-IYFAA",
  ver: "2.0",
  ...extra,
});
// App-only v2.0 token as Entra issues it by default: roles, no scp, no idtyp (optional claim not configured).
const entraV2App = (tid: string) => {
  const {
    name: _n,
    preferred_username: _p,
    scp: _s,
    sid: _i,
    ...rest
  } = entraV2(tid, { azpacr: "1", roles: ["mcp.invoke"], sub: "9f7e5d3c-app-sp", oid: "9f7e5d3c-app-sp" });
  return rest;
};
// v1.0 delegated (same reference page, v1.0 columns): appid, upn, unique_name, ver 1.0.
const entraV1 = (extra: Json = {}) => ({
  aud: "api://mcp-gateway",
  iss: `https://sts.windows.net/${ENTRA_TID}/`,
  ...t(),
  acr: "1",
  aio: "AVQAq/8TAAAA",
  amr: ["pwd"],
  appid: ENTRA_CLIENT,
  appidacr: "0",
  family_name: "Doe",
  given_name: "Alice",
  ipaddr: "203.0.113.7",
  name: "Alice Doe",
  oid: "690222be-ff1a-4d56-abd1-7e4f7d38e474",
  rh: "0.ARoAv4j5",
  scp: "mcp.invoke",
  sub: "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
  tid: ENTRA_TID,
  unique_name: "alice@acme.example",
  upn: "alice@acme.example",
  uti: "fqiBqXLPj0eQa82S-IYFAA",
  ver: "1.0",
  ...extra,
});
// https://developer.okta.com/docs/api/openapi/okta-oauth/guides/overview/#access-token-payload (custom AS)
const oktaAccess = (extra: Json = {}) => ({
  ver: 1,
  jti: "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
  iss: "https://acme.okta.com/oauth2/default",
  aud: "api://default",
  ...t(),
  cid: "0oa1b2c3d4e5f6g7h8i9",
  uid: "00uid4BxXw6I6TV4m0g3",
  scp: ["openid", "mcp.invoke"],
  sub: "alice@acme.example",
  ...extra,
});
// https://developer.okta.com/docs/api/openapi/okta-oauth/guides/overview/#id-token-payload (org AS)
const oktaId = (extra: Json = {}) => ({
  sub: "00uid4BxXw6I6TV4m0g3",
  name: "Alice Doe",
  email: "alice@acme.example",
  ver: 1,
  iss: "https://acme.okta.com",
  aud: "0oa1b2c3d4e5f6g7h8i9",
  ...t(),
  jti: "ID.4eAWJOCMB3SX8XewDfVR",
  amr: ["pwd"],
  idp: "00ok1u7AsAkrwdZL3z0g",
  nonce: "n-0S6_WzA2Mj",
  preferred_username: "alice@acme.example",
  at_hash: "preK1Ze8-9Yu5Qe4WnxGBg",
  ...extra,
});
// https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles (Auth0 token profile)
const auth0Access = (extra: Json = {}) => ({
  iss: "https://acme.eu.auth0.com/",
  sub: "auth0|64b7f0c2d1e2f3a4b5c6d7e8",
  aud: ["https://mcp.acme.example", "https://acme.eu.auth0.com/userinfo"],
  ...t(),
  azp: "Xk4b7Z9q2W5e8R1t3Y6u9I0o",
  scope: "openid profile email mcp:invoke",
  "https://acme.example/email": "alice@acme.example",
  ...extra,
});
// https://www.keycloak.org/docs/latest/server_admin/#_oidc_token_and_user_info_endpoints (access token as Keycloak issues it)
const keycloakAccess = (extra: Json = {}) => ({
  ...t(),
  jti: "onrtac:5c1b2e6f",
  iss: "https://sso.acme.example/realms/acme",
  aud: ["mcp-gateway", "account"],
  sub: "f5a1d3c2-7b9e-4d8f-a6c4-2e1b3d5f7a9c",
  typ: "Bearer",
  azp: "agent-app",
  sid: "0b7e2d4c",
  acr: "1",
  "allowed-origins": ["https://agent.acme.example"],
  realm_access: { roles: ["default-roles-acme", "offline_access"] },
  resource_access: { "mcp.gateway": { roles: ["invoke", "read"] }, account: { roles: ["manage-account"] } },
  scope: "openid email profile",
  email_verified: true,
  name: "Alice Doe",
  preferred_username: "alice",
  email: "alice@acme.example",
  ...extra,
});
// https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload
const googleId = (extra: Json = {}) => ({
  iss: "https://accounts.google.com",
  azp: GOOGLE_CLIENT,
  aud: GOOGLE_CLIENT,
  sub: "110169484474386276334",
  hd: "acme.example",
  email: "alice@acme.example",
  email_verified: true,
  at_hash: "HK6E_P6Dh8Y93mRNtsDB1Q",
  name: "Alice Doe",
  ...t(),
  ...extra,
});
// https://apidocs.pingidentity.com/pingone/main/v1/api/src/authentication-concepts/access-tokens-and-id-tokens/token-claims/
const pingOneAccess = (extra: Json = {}) => ({
  client_id: "a1b2c3d4-agent",
  iss: `https://auth.pingone.com/${PING_ENV}/as`,
  jti: "q1w2e3r4",
  ...t(),
  aud: ["https://mcp.acme.example"],
  scope: "mcp:invoke",
  sub: "5e7f9a1b-user",
  sid: "7c9d1e3f-sess",
  acr: "Single_Factor",
  env: PING_ENV,
  org: "6d8e0f2a-org",
  ...extra,
});
// https://docs.pingidentity.com/pingfederate/latest/administrators_reference_guide/pf_configuring_json_token_management.html
const pingFedAccess = (extra: Json = {}) => ({
  scope: ["openid", "mcp:invoke"],
  client_id: "agent-app",
  iss: "https://sso.acme.example",
  aud: "https://mcp.acme.example",
  jti: "Zb9XmPq2",
  sub: "alice",
  Username: "alice",
  ...t(),
  ...extra,
});
// https://docs.duendesoftware.com/identityserver/tokens/jwt/ (at+jwt, scope as a JSON array by default)
const duendeAccess = (extra: Json = {}) => ({
  iss: "https://identity.acme.example",
  ...t(),
  aud: "mcp-gateway",
  scope: ["openid", "profile", "mcp.invoke"],
  amr: ["pwd"],
  client_id: "agent-app",
  sub: "88421113",
  idp: "local",
  sid: "3F1AC6C1A8D6C6F0",
  jti: "8E1A2C7B3F4D5E6A",
  ...extra,
});
// https://docs.spring.io/spring-authorization-server/reference/core-model-components.html (JwtGenerator defaults)
const springAccess = (extra: Json = {}) => ({
  sub: "alice",
  aud: "agent-app",
  ...t(),
  scope: ["mcp.invoke"],
  iss: "https://auth.acme.example",
  jti: "d7c1a2b3-e4f5",
  ...extra,
});
// https://www.rfc-editor.org/rfc/rfc9068#section-2.2
const rfc9068Access = (extra: Json = {}) => ({
  iss: "https://as.acme.example",
  ...t(),
  aud: "https://mcp.acme.example",
  sub: "5ba552d67",
  client_id: "s6BhdRkqt3",
  jti: "dbe39bf3a3ba4238a513f51d6e1691c4",
  scope: "mcp:invoke",
  acr: "urn:mace:incommon:iap:silver",
  ...extra,
});

const omit = (o: Json, ...names: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !names.includes(k)));
const RS = { alg: "RS256" };
const JWT = { alg: "RS256", typ: "JWT" };
const AT = { alg: "RS256", typ: "at+jwt" };

const CASES: Case[] = [
  {
    recipe: "cognito",
    source: "https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html",
    user: () => sign(RS, cognitoAccess()),
    profile: () => ({ "x-user-sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "x-user-name": "alice", "x-user-groups": "admin,eng" }),
    // Client credentials: sub is the app client id, a resource-server scope, no username.
    machine: () =>
      sign(
        RS,
        omit(
          cognitoAccess({ sub: "7m2o4q6s8u0w2y4a6c8e0g2i4k", client_id: "7m2o4q6s8u0w2y4a6c8e0g2i4k", scope: "mcp/invoke" }),
          "username",
          "cognito:groups",
        ),
      ),
    negatives: [
      {
        what: "ID token (token_use id, aud = client)",
        token: () =>
          sign(RS, {
            ...omit(cognitoAccess(), "client_id", "scope", "username"),
            token_use: "id",
            aud: "5kq3e9f1h2j4l6n8p0r2t4v6x8",
            at_hash: "x1",
            "cognito:username": "alice",
            email: "alice@acme.example",
          }),
        status: 401,
        reason: "token.kind_invalid",
      },
      {
        what: "another app client",
        token: () => sign(RS, cognitoAccess({ client_id: "9z9z9z9z9z9z9z9z9z9z9z9z9z" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "another user pool",
        token: () => sign(RS, cognitoAccess({ iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
    ],
  },
  {
    recipe: "entra-v2",
    source: "https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference",
    user: () => sign({ ...JWT, x5t: "nOo3ZDrODXEK1jKWhXslHR_KXEg" }, entraV2(ENTRA_TID)),
    profile: () => ({ "x-user-oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "x-user-name": "alice@acme.example" }),
    machine: () => sign(JWT, entraV2App(ENTRA_TID)),
    negatives: [
      {
        what: "ID token (aud = client, nonce)",
        token: () => sign(JWT, { ...omit(entraV2(ENTRA_TID), "scp", "azp", "azpacr"), aud: ENTRA_CLIENT, nonce: "n-1" }),
        status: 401,
        reason: "token.kind_invalid",
      },
      { what: "other tenant", token: () => sign(JWT, entraV2(ENTRA_TID_B)), status: 401, reason: "token.issuer_untrusted" },
      {
        what: "trusted iss with another tenant's tid",
        token: () => sign(JWT, entraV2(ENTRA_TID, { tid: ENTRA_TID_B })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "other audience (Microsoft Graph)",
        token: () => sign(JWT, entraV2(ENTRA_TID, { aud: "00000003-0000-0000-c000-000000000000" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "app-only token with idtyp app",
        token: () => sign(JWT, { ...entraV2App(ENTRA_TID), idtyp: "app" }),
        target: "profile",
        status: 403,
        reason: "policy.target_denied",
      },
      {
        what: "no mcp.invoke in scp or roles",
        token: () => sign(JWT, entraV2(ENTRA_TID, { scp: "User.Read" })),
        target: "orders",
        status: 403,
        reason: "scope.insufficient",
      },
    ],
  },
  {
    recipe: "entra-v2-multitenant",
    source: "https://learn.microsoft.com/entra/identity-platform/howto-convert-app-to-be-multi-tenant",
    user: () => sign(JWT, entraV2(ENTRA_TID_B)),
    profile: () => ({
      "x-user-iss": `https://login.microsoftonline.com/${ENTRA_TID_B}/v2.0`,
      "x-user-oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
      "x-user-name": "alice@acme.example",
    }),
    machine: () => sign(JWT, entraV2App(ENTRA_TID)),
    negatives: [
      {
        what: "a tenant not listed",
        token: () => sign(JWT, entraV2("0f0f0f0f-1111-2222-3333-444455556666")),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "listed iss with another tenant's tid",
        token: () => sign(JWT, entraV2(ENTRA_TID_B, { tid: ENTRA_TID })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "other audience",
        token: () => sign(JWT, entraV2(ENTRA_TID, { aud: "api://other" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "ID token",
        token: () => sign(JWT, { ...omit(entraV2(ENTRA_TID), "scp"), aud: ENTRA_CLIENT, nonce: "n-1" }),
        status: 401,
        reason: "token.kind_invalid",
      },
    ],
  },
  {
    recipe: "entra-v1",
    source: "https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference",
    user: () => sign({ ...JWT, x5t: "nOo3ZDrODXEK1jKWhXslHR_KXEg" }, entraV1()),
    profile: () => ({ "x-user-oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "x-user-upn": "alice@acme.example" }),
    // v1.0 app-only: appidacr 1, roles, no scp, no upn.
    machine: () =>
      sign(JWT, {
        ...omit(entraV1(), "scp", "upn", "unique_name", "name", "given_name", "family_name", "amr", "acr"),
        appidacr: "1",
        roles: ["mcp.invoke"],
        idp: `https://sts.windows.net/${ENTRA_TID}/`,
      }),
    negatives: [
      {
        what: "another calling app (appid)",
        token: () => sign(JWT, entraV1({ appid: "ffffffff-0000-4000-8000-000000000000" })),
        status: 403,
        reason: "token.client_not_allowed",
      },
      {
        what: "other tenant",
        token: () => sign(JWT, entraV1({ iss: `https://sts.windows.net/${ENTRA_TID_B}/`, tid: ENTRA_TID_B })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "other audience",
        token: () => sign(JWT, entraV1({ aud: "https://graph.microsoft.com" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "ID token",
        token: () => sign(JWT, { ...omit(entraV1(), "scp"), aud: ENTRA_CLIENT, nonce: "n-1" }),
        status: 401,
        reason: "token.kind_invalid",
      },
    ],
  },
  {
    recipe: "entra-v1-multitenant",
    source: "https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference",
    user: () => sign(JWT, entraV1({ iss: `https://sts.windows.net/${ENTRA_TID_B}/`, tid: ENTRA_TID_B })),
    // The other way to bind identities to their issuer: every header qualified.
    profile: () => ({
      "x-user-oid": `https://sts.windows.net/${ENTRA_TID_B}/|690222be-ff1a-4d56-abd1-7e4f7d38e474`,
      "x-user-upn": `https://sts.windows.net/${ENTRA_TID_B}/|alice@acme.example`,
    }),
    machine: () =>
      sign(JWT, {
        ...omit(entraV1(), "scp", "upn", "unique_name", "name", "given_name", "family_name", "amr", "acr"),
        appidacr: "1",
        roles: ["mcp.invoke"],
      }),
    negatives: [
      {
        what: "a tenant not listed",
        token: () =>
          sign(
            JWT,
            entraV1({ iss: "https://sts.windows.net/0f0f0f0f-1111-2222-3333-444455556666/", tid: "0f0f0f0f-1111-2222-3333-444455556666" }),
          ),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "listed iss with another tenant's tid",
        token: () => sign(JWT, entraV1({ tid: ENTRA_TID_B })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "other audience",
        token: () => sign(JWT, entraV1({ aud: "https://graph.microsoft.com" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "ID token",
        token: () => sign(JWT, { ...omit(entraV1(), "scp"), aud: ENTRA_CLIENT, nonce: "n-1" }),
        status: 401,
        reason: "token.kind_invalid",
      },
    ],
  },
  {
    recipe: "okta-custom",
    source: "https://developer.okta.com/docs/api/openapi/okta-oauth/guides/overview/",
    user: () => sign(RS, oktaAccess()),
    profile: () => ({ "x-user-sub": "alice@acme.example", "x-user-uid": "00uid4BxXw6I6TV4m0g3" }),
    // A service app: sub = cid, no uid, no client_id claim.
    machine: () => sign(RS, omit(oktaAccess({ sub: "0oa1b2c3d4e5f6g7h8i9", scp: ["mcp.invoke"] }), "uid")),
    negatives: [
      {
        what: "another client (cid)",
        token: () => sign(RS, oktaAccess({ cid: "0oaOTHERCLIENT0000000" })),
        status: 403,
        reason: "token.client_not_allowed",
      },
      {
        what: "other audience",
        token: () => sign(RS, oktaAccess({ aud: "api://payments" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "ID token",
        token: () => sign(RS, oktaId({ iss: "https://acme.okta.com/oauth2/default" })),
        status: 401,
        reason: "token.kind_invalid",
      },
      {
        what: "another authorization server",
        token: () => sign(RS, oktaAccess({ iss: "https://acme.okta.com/oauth2/aus9other" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
    ],
  },
  {
    recipe: "okta-org",
    source: "https://developer.okta.com/docs/concepts/auth-servers/",
    user: () => sign(RS, oktaId()),
    profile: () => ({ "x-user-sub": "00uid4BxXw6I6TV4m0g3", "x-user-email": "alice@acme.example" }),
    negatives: [
      {
        what: "an ID token for another app",
        token: () => sign(RS, oktaId({ aud: "0oaOTHERCLIENT0000000" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "an org access token (for Okta APIs only)",
        token: () => sign(RS, { ...oktaAccess({ iss: "https://acme.okta.com", aud: "https://acme.okta.com" }) }),
        status: 401,
        reason: "token.audience_mismatch",
      },
      { what: "the same ID token without acceptIdTokens", token: () => sign(RS, oktaId()), status: 401, reason: "token.kind_invalid" },
    ],
  },
  {
    recipe: "auth0",
    source: "https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles",
    user: () => sign(JWT, auth0Access()),
    profile: () => ({ "x-user-sub": "auth0|64b7f0c2d1e2f3a4b5c6d7e8", "x-user-email": "alice@acme.example" }),
    // https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow
    machine: () =>
      sign(
        JWT,
        omit(
          auth0Access({
            sub: "Xk4b7Z9q2W5e8R1t3Y6u9I0o@clients",
            aud: "https://mcp.acme.example",
            scope: "mcp:invoke",
            gty: "client-credentials",
          }),
          "https://acme.example/email",
        ),
      ),
    negatives: [
      {
        what: "ID token",
        token: () =>
          sign(JWT, {
            ...omit(auth0Access(), "scope", "https://acme.example/email"),
            aud: "Xk4b7Z9q2W5e8R1t3Y6u9I0o",
            nonce: "n-1",
            sid: "s-1",
          }),
        status: 401,
        reason: "token.kind_invalid",
      },
      {
        what: "other API (audience)",
        token: () => sign(JWT, auth0Access({ aud: "https://billing.acme.example" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "other tenant",
        token: () => sign(JWT, auth0Access({ iss: "https://evil.eu.auth0.com/" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "<client>@clients without gty",
        token: () => sign(JWT, omit(auth0Access({ sub: "Xk4b7Z9q2W5e8R1t3Y6u9I0o@clients" }), "https://acme.example/email")),
        target: "profile",
        status: 403,
        reason: "policy.target_denied",
      },
    ],
  },
  {
    recipe: "keycloak",
    source: "https://www.keycloak.org/docs/latest/server_admin/#_oidc_token_and_user_info_endpoints",
    user: () => sign(JWT, keycloakAccess()),
    profile: () => ({ "x-user-sub": "f5a1d3c2-7b9e-4d8f-a6c4-2e1b3d5f7a9c", "x-user-name": "alice", "x-user-roles": "invoke,read" }),
    // A service-account user: preferred_username service-account-<client>, client_id beside azp.
    machine: () =>
      sign(
        JWT,
        omit(
          keycloakAccess({ sub: "2c4e6a8b-sa", preferred_username: "service-account-agent-app", client_id: "agent-app" }),
          "email",
          "name",
          "sid",
        ),
      ),
    negatives: [
      {
        what: "ID token (typ ID)",
        token: () => sign(JWT, { ...omit(keycloakAccess(), "scope"), typ: "ID", aud: "agent-app", nonce: "n-1", at_hash: "h" }),
        status: 401,
        reason: "token.kind_invalid",
      },
      {
        what: "other realm",
        token: () => sign(JWT, keycloakAccess({ iss: "https://sso.acme.example/realms/master" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "other audience (account only)",
        token: () => sign(JWT, keycloakAccess({ aud: "account" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "a refresh token (typ Refresh)",
        token: () => sign(JWT, keycloakAccess({ typ: "Refresh" })),
        status: 401,
        reason: "token.kind_invalid",
      },
      {
        what: "PS384 (not in the recipe's algorithms)",
        token: () => sign({ alg: "PS384", typ: "JWT" }, keycloakAccess()),
        status: 401,
        reason: "token.alg_not_allowed",
      },
    ],
  },
  {
    recipe: "google",
    source: "https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload",
    user: () => sign(JWT, googleId()),
    profile: () => ({ "x-user-sub": "110169484474386276334", "x-user-email": "alice@acme.example" }),
    negatives: [
      {
        what: "ID token for another client",
        token: () => sign(JWT, googleId({ aud: "999-other.apps.googleusercontent.com" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "another Workspace domain (hd)",
        token: () => sign(JWT, googleId({ hd: "evil.example" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      { what: "a consumer account (no hd)", token: () => sign(JWT, omit(googleId(), "hd")), status: 401, reason: "token.issuer_untrusted" },
      {
        what: "the iss form without https://",
        token: () => sign(JWT, googleId({ iss: "accounts.google.com" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      // https://cloud.google.com/docs/authentication/token-types#identity-tokens: a service account's ID token (sub = azp, no hd).
      {
        what: "a service account's ID token",
        token: () =>
          sign(
            JWT,
            omit(
              googleId({ sub: "117281972633201212471", azp: "117281972633201212471", email: "agent@acme-prod.iam.gserviceaccount.com" }),
              "hd",
              "at_hash",
              "name",
            ),
          ),
        status: 401,
        reason: "token.issuer_untrusted",
      },
    ],
  },
  {
    recipe: "pingone",
    source: "https://apidocs.pingidentity.com/pingone/main/v1/api/src/authentication-concepts/access-tokens-and-id-tokens/token-claims/",
    user: () => sign(RS, pingOneAccess()),
    profile: () => ({ "x-user-sub": "5e7f9a1b-user", "x-client-id": "a1b2c3d4-agent" }),
    // client_credentials: no sub, no sid (the page says so): the subject falls back to client_id.
    machine: () => sign(RS, omit(pingOneAccess(), "sub", "sid", "acr")),
    negatives: [
      {
        what: "ID token",
        token: () => sign(RS, { ...omit(pingOneAccess(), "scope", "client_id"), aud: "a1b2c3d4-agent", at_hash: "h", nonce: "n" }),
        status: 401,
        reason: "token.kind_invalid",
      },
      {
        what: "another environment",
        token: () => sign(RS, pingOneAccess({ iss: "https://auth.pingone.com/00000000-0000-0000-0000-000000000000/as" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
      {
        what: "other resource (audience)",
        token: () => sign(RS, pingOneAccess({ aud: ["https://api.pingone.com"] })),
        status: 401,
        reason: "token.audience_mismatch",
      },
    ],
  },
  {
    recipe: "pingfederate",
    source: "https://docs.pingidentity.com/pingfederate/latest/administrators_reference_guide/pf_configuring_json_token_management.html",
    user: () => sign(RS, pingFedAccess()),
    profile: () => ({ "x-user-sub": "alice", "x-user-name": "alice" }),
    machine: () => sign(RS, omit(pingFedAccess({ scope: ["mcp:invoke"] }), "sub", "Username")),
    negatives: [
      {
        what: "other audience",
        token: () => sign(RS, pingFedAccess({ aud: "https://other.acme.example" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "ID token",
        token: () => sign(RS, { ...omit(pingFedAccess(), "scope"), aud: "agent-app", nonce: "n", at_hash: "h" }),
        status: 401,
        reason: "token.kind_invalid",
      },
      {
        what: "scope array without mcp:invoke",
        token: () => sign(RS, pingFedAccess({ scope: ["openid"] })),
        target: "orders",
        status: 403,
        reason: "scope.insufficient",
      },
    ],
  },
  {
    recipe: "duende",
    source: "https://docs.duendesoftware.com/identityserver/tokens/jwt/",
    user: () => sign(AT, duendeAccess()),
    profile: () => ({ "x-user-sub": "88421113", "x-user-idp": "local" }),
    // client_credentials: no sub, no idp/sid/amr/auth_time.
    machine: () => sign(AT, omit(duendeAccess({ scope: ["mcp.invoke"] }), "sub", "idp", "sid", "amr", "auth_time")),
    negatives: [
      {
        what: "ID token (typ JWT)",
        token: () => sign(JWT, { ...omit(duendeAccess(), "scope"), aud: "agent-app", nonce: "n", at_hash: "h" }),
        status: 401,
        reason: "token.typ_invalid",
      },
      { what: "other audience", token: () => sign(AT, duendeAccess({ aud: "api2" })), status: 401, reason: "token.audience_mismatch" },
      {
        what: "another IdentityServer",
        token: () => sign(AT, duendeAccess({ iss: "https://demo.duendesoftware.com" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
    ],
  },
  {
    recipe: "spring",
    source: "https://docs.spring.io/spring-authorization-server/reference/core-model-components.html",
    user: () => sign(RS, springAccess()),
    profile: () => ({ "x-user-sub": "alice" }),
    // client_credentials: sub = aud = the client id.
    machine: () => sign(RS, springAccess({ sub: "agent-app" })),
    negatives: [
      {
        what: "ID token (nonce, azp)",
        token: () => sign(RS, { ...omit(springAccess(), "scope"), azp: "agent-app", nonce: "n", sid: "s" }),
        status: 401,
        reason: "token.kind_invalid",
      },
      {
        what: "issued to another client",
        token: () => sign(RS, springAccess({ aud: "other-app" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "another server",
        token: () => sign(RS, springAccess({ iss: "https://auth.other.example" })),
        status: 401,
        reason: "token.issuer_untrusted",
      },
    ],
  },
  {
    recipe: "rfc9068",
    source: "https://www.rfc-editor.org/rfc/rfc9068#section-2.2",
    user: () => sign(AT, rfc9068Access()),
    profile: () => ({ "x-user-sub": "5ba552d67", "x-client-id": "s6BhdRkqt3" }),
    machine: () => sign(AT, rfc9068Access({ sub: "s6BhdRkqt3" })),
    negatives: [
      {
        what: "ID token (typ JWT)",
        token: () => sign(JWT, { ...omit(rfc9068Access(), "scope", "client_id"), aud: "s6BhdRkqt3", nonce: "n" }),
        status: 401,
        reason: "token.typ_invalid",
      },
      {
        what: "other audience",
        token: () => sign(AT, rfc9068Access({ aud: "https://other.acme.example" })),
        status: 401,
        reason: "token.audience_mismatch",
      },
      {
        what: "no client_id (RFC 9068 §2.2)",
        token: () => sign(AT, omit(rfc9068Access(), "client_id")),
        status: 401,
        reason: "token.claim_type",
      },
    ],
  },
];

describe("Identity provider recipes (recipes/*.json)", () => {
  it("every recipe file has a test case and is shown verbatim in docs/identity-providers.md", () => {
    const files = readdirSync(RECIPES)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5))
      .sort();
    expect(files).toEqual(CASES.map((c) => c.recipe).sort());
    for (const name of files)
      expect(RECIPES_DOC, `docs/identity-providers.md shows recipes/${name}.json`).toContain(recipeText(name).trim());
  });

  it("the configuration reference's example loads as it is (comments removed)", () => {
    const section = CONFIG_DOC.slice(CONFIG_DOC.indexOf("# Configuration reference"));
    const jsonc = section.slice(section.indexOf("```jsonc") + 8, section.indexOf("```", section.indexOf("```jsonc") + 8));
    const json = jsonc.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*/g, (_m, str: string | undefined) => str ?? "");
    const loaded = parseConfig(JSON.parse(json));
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
  });

  it.each(CASES.map((c) => [c.recipe, c] as const))("%s: the recipe loads as pasted", (_name, c) => {
    const loaded = parseConfig(recipe(c.recipe));
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
  });

  it("keycloak: a realm whose key is set to PS256 (FAPI profiles) signs tokens the recipe accepts", async () => {
    const token = sign({ alg: "PS256", typ: "JWT" }, keycloakAccess());
    expectAllow(await call(handlerFor("keycloak"), token, "profile"), {
      "x-user-sub": "f5a1d3c2-7b9e-4d8f-a6c4-2e1b3d5f7a9c",
      "x-user-name": "alice",
      "x-user-roles": "invoke,read",
    });
  });

  it("duende: a delegation token whose act names only a client (RFC 8693 §4.1) is allowed, the actor is audited", async () => {
    const o = await call(handlerFor("duende"), sign(AT, duendeAccess({ act: { client_id: "api1" } })), "profile");
    expectAllow(o, { "x-user-sub": "88421113", "x-user-idp": "local" });
    expect(o.audit).toMatchObject({ sub: "88421113", client_id: "agent-app", actor: "api1" });
  });

  it("pingone: without subjectFallback a client-credentials token (no sub) is denied token.subject_invalid on every target", async () => {
    const handler = handlerFor("pingone", (cfg) => delete (cfg.issuers as Json[])[0]!.subjectFallback);
    const token = sign(RS, omit(pingOneAccess(), "sub", "sid", "acr"));
    for (const target of ["orders", "profile", "unlisted"]) expectDeny(await call(handler, token, target), 401, "token.subject_invalid");
  });

  describe.each(CASES.map((c) => [c.recipe, c] as const))("%s", (name, c) => {
    it(`a user token of the published shape is allowed on the claims and forward targets (${c.source})`, async () => {
      const handler = handlerFor(name);
      const token = c.user();
      expectAllow(await call(handler, token, "profile"), c.profile(token));
      expectAllow(await call(handler, token, "orders"), { Authorization: `Bearer ${token}` });
    });

    if (c.machine !== undefined) {
      const machine = c.machine;
      it("a machine token verifies (forward target) but is refused where a user is required", async () => {
        const handler = handlerFor(name);
        const token = machine();
        expectAllow(await call(handler, token, "orders"), { Authorization: `Bearer ${token}` });
        expectDeny(await call(handler, token, "profile"), 403, "policy.target_denied");
      });
    }

    it.each(c.negatives.map((n) => [n.what, n] as const))("denied: %s", async (what, n) => {
      const handler =
        what === "the same ID token without acceptIdTokens"
          ? handlerFor(name, (cfg) => delete (cfg.issuers as Json[])[0]!.acceptIdTokens)
          : handlerFor(name);
      expectDeny(await call(handler, n.token(), n.target ?? "profile"), n.status, n.reason);
    });
  });
});
