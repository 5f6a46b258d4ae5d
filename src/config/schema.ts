import * as z from "zod/mini";
import { dottedPathProblem, segmentProblem } from "./claim-paths.js";
import { DEFAULT_ASSERTION_HEADER, TARGET_NAME, TOKEN_TYPE } from "./constants.js";
import { canonicalHeaderName, headerNameProblem, MAX_HEADERS_PER_TARGET } from "./header-rules.js";

/**
 * The configuration schema: the single source of truth for the config types (docs/design.md
 * "Configuration"). Field names are part of the public contract.
 */
export const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export { DEFAULT_ASSERTION_HEADER, TARGET_NAME, TOKEN_TYPE };

const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/;
const text = () => z.string().check(z.minLength(1), z.maxLength(2048), z.regex(NO_CONTROL, "must not contain control characters"));
const httpsUrl = () => z.url({ protocol: /^https$/, error: "must be an https:// URL" });
/** A Secrets Manager secret ARN (obo client credentials, the assertion signing key). */
const secretArn = () =>
  z
    .string()
    .check(z.regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, "must be a Secrets Manager secret ARN"));
const nonEmptyList = <T extends z.core.SomeType>(item: T) => z.array(item).check(z.minLength(1));

/** A claim name or dotted path into nested claims (`org.id`). Prototype names and paths that can never resolve are refused. */
const claimPath = () =>
  text().check(
    z.refine((p) => dottedPathProblem(p) === undefined, {
      error: (issue) => dottedPathProblem(String(issue.input)) ?? "invalid claim path",
    }),
  );
/** Member names taken literally, outermost first: claim names that contain dots (`https://acme.example/email`). */
const literalClaimPath = () =>
  nonEmptyList(text().check(z.refine((s) => segmentProblem(s) === undefined, "must not be empty or a prototype member name"))).check(
    z.maxLength(32),
  );
/** A top-level claim name, taken literally. */
const claimName = () => text().check(z.refine((s) => segmentProblem(s) === undefined, "must not be empty or a prototype member name"));

/** Claims that carry scopes or permissions: `scope` (RFC 8693/9068), `scp` (Entra, Okta), `roles` (Entra app roles). */
const SCOPE_CLAIMS = ["scope", "scp", "roles"] as const;

/** One extra marker of a machine (client-credentials) token, beside the built-in conventions. */
const MachineMarker = z
  .strictObject({
    /** A top-level claim name, taken literally. */
    claim: claimName(),
    equals: z.optional(text()),
    prefix: z.optional(text()),
    absent: z.optional(z.literal(true)),
  })
  .check(
    z.refine((m) => [m.equals, m.prefix, m.absent].filter((v) => v !== undefined).length === 1, {
      error: 'exactly one of "equals", "prefix" or "absent" is required',
      path: ["claim"],
    }),
  );

const headerName = () =>
  z.string().check(
    z.refine((n) => headerNameProblem(n) === undefined, {
      error: (issue) => headerNameProblem(String(issue.input)) ?? "invalid header name",
    }),
  );

const Issuer = z
  .strictObject({
    issuer: text(),
    jwksUri: httpsUrl(),
    audience: z.optional(nonEmptyList(text())),
    clientIds: z.optional(nonEmptyList(text())),
    tokenUse: z.optional(z.literal("access")),
    requireTyp: z.optional(text()),
    requiredScopes: z.optional(z.array(text())),
    algorithms: z._default(nonEmptyList(z.enum(ALGORITHMS)), ["RS256"]),
    /**
     * Where scopes live: `scope`, `scp` (Entra, Okta) or `roles` (Entra app roles), or a list whose
     * values are pooled (`["scp", "roles"]`). Each is a space-separated string or an array of strings.
     */
    scopeClaim: z._default(z.union([z.enum(SCOPE_CLAIMS), nonEmptyList(z.enum(SCOPE_CLAIMS))]), "scope"),
    /** The claim naming the calling app: default `client_id`, else `azp`; `cid` (Okta), `appid` (Entra v1). */
    clientIdClaim: z.optional(claimName()),
    /** Tokens without `sub` (client-credentials at PingOne, Duende) take the client id as subject. Off by default. */
    subjectFallback: z.optional(z.literal("clientId")),
    /** Accept OpenID Connect ID tokens from this issuer as well (Google has no JWT access tokens). Off by default. */
    acceptIdTokens: z.optional(z.boolean()),
    /** Extra markers of machine tokens for `requireUser`, beside the built-in conventions. */
    machineTokens: z.optional(nonEmptyList(MachineMarker)),
    /** Reject tokens issued longer ago than this (`now - iat`). */
    maxTokenAgeSeconds: z.optional(z.int().check(z.gte(1))),
    /** Payload `typ` claim a token must carry (Keycloak marks access tokens `"Bearer"`, ID tokens `"ID"`). */
    requirePayloadTyp: z.optional(text()),
    /** A claim that must equal a value for this issuer, e.g. Entra's `tid` on a shared-key tenant. */
    tenantClaim: z.optional(z.strictObject({ claim: claimPath(), value: text() })),
  })
  .check(
    z.refine((i) => i.audience !== undefined || i.clientIds !== undefined, {
      error: "at least one of audience or clientIds is required",
      path: ["audience"],
    }),
  );

/**
 * A claim condition of a rule (per target, or per tool and prompt): the claim, by dotted path or by
 * literal member names, must contain one of `anyOf` (a string claim equal to one, or an array of
 * strings holding one: `groups`, `roles`, Keycloak's `realm_access.roles`, `cognito:groups`) or
 * equal `equals` (`org_id`, Entra's `tid`).
 */
const ClaimCondition = z
  .strictObject({
    claim: z.optional(claimPath()),
    claimPath: z.optional(literalClaimPath()),
    anyOf: z.optional(nonEmptyList(text()).check(z.maxLength(100))),
    equals: z.optional(text()),
  })
  .check(
    z.refine((c) => (c.claim === undefined) !== (c.claimPath === undefined), {
      error: 'exactly one of "claim" or "claimPath" is required',
      path: ["claim"],
    }),
    z.refine((c) => (c.anyOf === undefined) !== (c.equals === undefined), {
      error: 'exactly one of "anyOf" or "equals" is required',
      path: ["anyOf"],
    }),
  );
export type ClaimConditionConfig = z.infer<typeof ClaimCondition>;

/** The longest tool or prompt name a rule can match: AgentCore's 256 characters less the shortest `<target>___`. */
export const MAX_RULE_NAME = 252;

/** Why a tool or prompt rule key can never match a name, if it cannot. */
export function namePatternProblem(key: string): string | undefined {
  if (key === "") return "an empty name matches nothing: name the tool or prompt, or end a prefix with *";
  const star = key.indexOf("*");
  if (star >= 0 && star !== key.length - 1) return '"*" may only end a pattern (a prefix): it matches no name elsewhere';
  if (key.length - (star >= 0 ? 1 : 0) > MAX_RULE_NAME) return `longer than any name the gateway routes (${MAX_RULE_NAME} characters)`;
  if (!NO_CONTROL.test(key)) return "must not contain control characters";
  return undefined;
}

/** A rule for the tools or prompts its key names: further scopes and claim conditions, on top of the target's. */
const NameRule = z.strictObject({
  requiredScopes: z.optional(z.array(text())),
  requireClaims: z.optional(nonEmptyList(ClaimCondition).check(z.maxLength(20))),
});
const NameRules = z.record(
  z.string().check(
    z.refine((k) => namePatternProblem(k) === undefined, {
      error: (issue) => namePatternProblem(String(issue.input)) ?? "invalid name pattern",
    }),
  ),
  NameRule,
);
export type NameRuleConfig = z.infer<typeof NameRule>;

const targetCommon = {
  /** Claim conditions every caller of this target must meet. */
  requireClaims: z.optional(nonEmptyList(ClaimCondition).check(z.maxLength(20))),
  /** Rules per tool (the name after `<target>___`): exact names and prefixes ending in `*`. */
  tools: z.optional(NameRules),
  /** Tools no rule covers: allowed (default) or denied. */
  otherTools: z._default(z.enum(["allow", "deny"]), "allow"),
  /** Rules per prompt, as for tools. */
  prompts: z.optional(NameRules),
  /** Prompts no rule covers: allowed (default) or denied. */
  otherPrompts: z._default(z.enum(["allow", "deny"]), "allow"),
  /** Accept only tokens from these issuers for this target. */
  issuers: z.optional(nonEmptyList(text())),
  /** All of these scopes are required for this target. */
  requiredScopes: z.optional(z.array(text())),
  /** Refuse machine (client-credentials) tokens on this target: see the issuer's `machineTokens`. */
  requireUser: z.optional(z.boolean()),
  /** What to do with a caller this target's `issuers` excludes: deny (default) or strip identity. */
  onDenied: z._default(z.enum(["deny", "strip"]), "deny"),
};

const ClaimSpec = z.union([
  claimPath(),
  z
    .strictObject({
      /** A claim name or dotted path (`org.id`) ... */
      claim: z.optional(claimPath()),
      /** ... or member names taken literally (`["https://acme.example/email"]`): exactly one of the two. */
      claimPath: z.optional(literalClaimPath()),
      required: z._default(z.boolean(), false),
      /** `mcp-base64` (default) sends non-ASCII as `=?base64?…?=`; `reject` denies such values. */
      encode: z._default(z.enum(["mcp-base64", "reject"]), "mcp-base64"),
      /** Send `<iss>|<value>` (each item of a list): the value is bound to its issuer. */
      qualify: z._default(z.boolean(), false),
    })
    .check(
      z.refine((m) => (m.claim === undefined) !== (m.claimPath === undefined), {
        error: 'exactly one of "claim" or "claimPath" is required',
        path: ["claim"],
      }),
    ),
]);

const ForwardTarget = z
  .strictObject({
    mode: z.literal("forward"),
    ...targetCommon,
    /** The token's `aud` must contain this value (MCP: a token may only reach a target it was issued for). */
    audience: z.optional(text()),
    /** Explicit opt-in to forwarding a token that was not issued for this target. */
    allowPassthrough: z.optional(z.boolean()),
    /** Header that carries the token; default Authorization. Use a custom header for IAM (SigV4) targets. */
    header: z.optional(z.union([z.literal("Authorization"), headerName()])),
  })
  .check(
    z.refine((t) => t.audience !== undefined || t.allowPassthrough === true, {
      error: 'forward mode needs "audience" (the token must be issued for this target) or "allowPassthrough": true',
      path: ["audience"],
    }),
  );

const ClaimsTarget = z.strictObject({
  mode: z.literal("claims"),
  ...targetCommon,
  headers: z.record(headerName(), ClaimSpec).check(
    z.refine((h) => Object.keys(h).length >= 1, "at least one header is required"),
    z.refine(
      (h) => Object.keys(h).length <= MAX_HEADERS_PER_TARGET,
      `at most ${MAX_HEADERS_PER_TARGET} headers per target (AgentCore limit)`,
    ),
    z.refine(
      (h) => new Set(Object.keys(h).map((n) => n.toLowerCase())).size === Object.keys(h).length,
      "header names must differ by more than letter case",
    ),
  ),
});

const NoneTarget = z.strictObject({ mode: z.literal("none"), ...targetCommon });

/** The instance metadata service is never a token endpoint (SSRF, docs/security.md OBO-19). */
const notMetadataHost = (u: string) => {
  const host = new URL(u).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return !/^169\.254\./.test(host) && host !== "fd00:ec2::254" && host !== "metadata.google.internal";
};

/**
 * Cognito's native token exchange (grant token-exchange, idp cognito): its token endpoint authenticates
 * clients with client_secret_basic or client_secret_post only, and the interceptor sends what it
 * receives as a Bearer access token.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 * https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-token-exchange.html
 */
type OboDraft = { grant: string; idp?: "cognito" | undefined; clientAuth: string; requestedTokenType: string };
const cognitoExchangeRules = [
  z.refine<OboDraft>((o) => o.idp === undefined || o.grant === "token-exchange", {
    error: 'idp "cognito" applies to token-exchange only (cognito-client-metadata is always Cognito)',
    path: ["idp"],
  }),
  z.refine<OboDraft>((o) => o.idp === undefined || o.clientAuth !== "private_key_jwt", {
    error: "Cognito's token endpoint accepts client_secret_basic or client_secret_post only",
    path: ["clientAuth"],
  }),
  z.refine<OboDraft>((o) => o.idp === undefined || o.requestedTokenType === TOKEN_TYPE.accessToken, {
    error: "with Cognito, ask for an access token (the target receives it as a Bearer token)",
    path: ["requestedTokenType"],
  }),
];

const OboSettings = z
  .strictObject({
    /** RFC 8693 token exchange, or Cognito client_credentials carrying the user token in aws_client_metadata. */
    grant: z.enum(["token-exchange", "cognito-client-metadata"]),
    tokenEndpoint: httpsUrl().check(z.refine(notMetadataHost, "must not point at an instance metadata address")),
    clientId: text(),
    clientAuth: z._default(z.enum(["client_secret_basic", "client_secret_post", "private_key_jwt"]), "client_secret_basic"),
    /** Secrets Manager secret: the client secret itself, or JSON with `client_secret` or `private_key` (PEM or JWK). */
    clientSecretArn: secretArn(),
    /** RFC 8693 `audience` (logical name of the target). */
    audience: z.optional(text()),
    /** RFC 8693 / RFC 8707 `resource` (absolute URI of the target). */
    resource: z.optional(z.url({ error: "must be an absolute URI" })),
    /** Space-separated scopes to request; the answer may not be broader. */
    scope: z.optional(text()),
    requestedTokenType: z._default(z.enum([TOKEN_TYPE.accessToken, TOKEN_TYPE.jwt]), TOKEN_TYPE.accessToken),
    /** Send the interceptor's own client_credentials token as `actor_token` (delegation, RFC 8693 §1.1). */
    actorToken: z.optional(z.strictObject({ scope: z.optional(text()) })),
    /** Cognito only: extra string context beside `onBehalfOfToken` in `aws_client_metadata`. */
    clientMetadata: z.optional(z.record(z.string().check(z.regex(/^[A-Za-z0-9_]{1,64}$/)), text())),
    /** Budget for one token endpoint call, inside the per-request deadline. */
    timeoutMs: z._default(z.int().check(z.gte(100), z.lte(10_000)), 3_000),
    /**
     * `cognito`: the token endpoint is an Amazon Cognito user pool answering RFC 8693 natively; the
     * answer must then be a Cognito access token for the caller (same pool and `sub`, one audience,
     * `act` naming this client when `actorToken` is set). See docs/on-behalf-of.md "Amazon Cognito native token exchange".
     */
    idp: z.optional(z.literal("cognito")),
    /** cognito-client-metadata only: the claim the pre token generation trigger adds (its `claimName`). */
    userClaim: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_:.-]{1,128}$/))),
  })
  .check(
    z.refine((o) => o.grant !== "token-exchange" || o.audience !== undefined || o.resource !== undefined, {
      error: 'token-exchange needs "audience" or "resource" naming the target',
      path: ["audience"],
    }),
    z.refine((o) => o.grant === "token-exchange" || o.actorToken === undefined, {
      error: "actorToken applies to token-exchange only",
      path: ["actorToken"],
    }),
    z.refine((o) => o.grant === "cognito-client-metadata" || o.clientMetadata === undefined, {
      error: "clientMetadata applies to cognito-client-metadata only",
      path: ["clientMetadata"],
    }),
    z.refine((o) => o.grant === "cognito-client-metadata" || o.userClaim === undefined, {
      error: "userClaim applies to cognito-client-metadata only",
      path: ["userClaim"],
    }),
    ...cognitoExchangeRules,
  );

const OboTarget = z.strictObject({
  mode: z.literal("obo"),
  ...targetCommon,
  /** Header that carries the exchanged token; default Authorization. */
  header: z.optional(z.union([z.literal("Authorization"), headerName()])),
  obo: OboSettings,
});

/** Claims the assertion itself sets: a configured claim may never replace one of them. */
const ASSERTION_RESERVED_CLAIMS = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "idp", "act"] as const;

const AssertionTarget = z
  .strictObject({
    mode: z.literal("assertion"),
    ...targetCommon,
    /** Header that carries the signed assertion (the target allowlists it); default x-identity-assertion. */
    header: z.optional(headerName()),
    /** The assertion's `aud`; default the target name. */
    audience: z.optional(text()),
    /** Top-level claims of the caller's verified token copied into the assertion (names as in the token). */
    claims: z.optional(
      z
        .array(
          text().check(
            z.refine((c) => segmentProblem(c) === undefined, "must not be a prototype name"),
            z.refine(
              (c) => !(ASSERTION_RESERVED_CLAIMS as readonly string[]).includes(c),
              `is set by the assertion itself (${ASSERTION_RESERVED_CLAIMS.join(", ")})`,
            ),
          ),
        )
        .check(z.maxLength(50)),
    ),
    /** Claim headers sent beside the assertion, exactly as in `claims` mode. */
    headers: z.optional(ClaimsTarget.shape.headers),
  })
  .check(
    z.refine((t) => Object.keys(t.headers ?? {}).length + 1 <= MAX_HEADERS_PER_TARGET, {
      error: `at most ${MAX_HEADERS_PER_TARGET} headers per target, the assertion header included (AgentCore limit)`,
      path: ["headers"],
    }),
    z.refine(
      (t) =>
        !Object.keys(t.headers ?? {}).some((h) => canonicalHeaderName(h) === canonicalHeaderName(t.header ?? DEFAULT_ASSERTION_HEADER)),
      { error: "a claim header must not use the assertion header's name", path: ["headers"] },
    ),
  );

/** The interceptor's own signing identity for `assertion` targets. */
const AssertionSettings = z.strictObject({
  /** The assertion's `iss`: an identifier of this interceptor that targets are configured to trust. */
  issuer: text(),
  /** Secrets Manager secret holding the private signing key(s): a PEM or JWK, or `{ "keys": [...] }` for rotation. */
  signingKeySecretArn: secretArn(),
  /** Seconds an assertion is valid (`exp - iat`); never beyond the caller's token. */
  lifetimeSeconds: z._default(z.int().check(z.gte(5), z.lte(900)), 60),
  algorithm: z._default(z.enum(["ES256", "RS256", "EdDSA"]), "ES256"),
  /** Seconds the signing keys read from Secrets Manager are used before they are read again. */
  keyMaxAgeSeconds: z._default(z.int().check(z.gte(1), z.lte(3_600)), 300),
});

const Target = z.discriminatedUnion("mode", [ForwardTarget, ClaimsTarget, NoneTarget, OboTarget, AssertionTarget]);

const JwksSettings = z.strictObject({
  maxAgeSeconds: z._default(z.int().check(z.gte(1), z.lte(86_400)), 600),
  staleIfErrorSeconds: z._default(z.int().check(z.gte(0), z.lte(86_400)), 3_600),
  negativeCacheSeconds: z._default(z.int().check(z.gte(0), z.lte(3_600)), 10),
  refetchIntervalSeconds: z._default(z.int().check(z.gte(0), z.lte(3_600)), 10),
  timeoutMs: z._default(z.int().check(z.gte(100), z.lte(10_000)), 1_500),
  maxBytes: z._default(z.int().check(z.gte(1_024), z.lte(4_194_304)), 131_072),
});

/** On-behalf-of caches: exchanged tokens (per user and target) and client secrets. */
const OboCacheSettings = z.strictObject({
  maxEntries: z._default(z.int().check(z.gte(1), z.lte(100_000)), 5_000),
  secretMaxAgeSeconds: z._default(z.int().check(z.gte(1), z.lte(3_600)), 300),
});

// A section left out takes each member's own default: the defaults are written once, on the members.
export const ConfigSchema = z.strictObject({
  /** Editors' JSON Schema reference (schema/interceptor.config.schema.json); ignored by the interceptor. */
  $schema: z.optional(z.string()),
  issuers: nonEmptyList(Issuer),
  clockSkewSeconds: z._default(z.int().check(z.gte(0), z.lte(300)), 60),
  targets: z._default(
    z.record(z.string().check(z.regex(TARGET_NAME, "target names must match ^([0-9a-zA-Z][-]?){1,100}$ (AgentCore target name)")), Target),
    {},
  ),
  unlistedTargets: z._default(z.enum(["strip", "deny"]), "strip"),
  /** RESPONSE phase: list only the tools and prompts the caller may use ("on"), or pass listings through ("off"). */
  listingFilter: z._default(z.enum(["on", "off"]), "on"),
  /**
   * The form of every RESPONSE-phase reply that carries a body: `{statusCode, body}` as AWS's
   * documentation and its fine-grained access control sample answer ("status-and-body"), or `{body}`
   * alone, as one field report says the gateway requires ("body-only"). docs/response-phase.md.
   */
  responseOutput: z._default(z.enum(["status-and-body", "body-only"]), "status-and-body"),
  /**
   * The gateway's MCP endpoint path. Accepted, but no decision depends on it: the gateway routes MCP
   * messages by their body, so the policy does too, on every path variant.
   */
  mcpPath: z._default(z.string().check(z.regex(/^\/[\x21-\x7e]*$/, "must be an absolute path")), "/mcp"),
  /** RFC 9728 protected-resource-metadata URL, advertised in `WWW-Authenticate` challenges. */
  resourceMetadataUrl: z.optional(httpsUrl()),
  /** On-behalf-of caches: exchanged tokens (per user and target) and client secrets. */
  oboCache: z._default(OboCacheSettings, () => OboCacheSettings.parse({})),
  /** The interceptor's signing identity; required when a target uses `assertion`. */
  assertion: z.optional(AssertionSettings),
  /** Largest accepted Authorization header value, in bytes. */
  maxAuthorizationBytes: z._default(z.int().check(z.gte(1_024), z.lte(65_536)), 16_384),
  jwks: z._default(JwksSettings, () => JwksSettings.parse({})),
});

export type Config = z.infer<typeof ConfigSchema>;
export type IssuerConfig = Config["issuers"][number];
export type TargetConfig = Config["targets"][string];
export type ClaimsTargetConfig = Extract<TargetConfig, { mode: "claims" }>;
export type ForwardTargetConfig = Extract<TargetConfig, { mode: "forward" }>;
export type OboTargetConfig = Extract<TargetConfig, { mode: "obo" }>;
export type OboSettings = OboTargetConfig["obo"];
export type AssertionTargetConfig = Extract<TargetConfig, { mode: "assertion" }>;
export type AssertionSettings = NonNullable<Config["assertion"]>;
export type ClaimMapping = z.infer<typeof ClaimSpec>;
