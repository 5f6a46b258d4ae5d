import * as z from "zod/mini";
import { headerNameProblem, MAX_HEADERS_PER_TARGET } from "./header-rules.js";

/**
 * The configuration schema: the single source of truth for the config types (design.md
 * "Configuration"). Field names are part of the public contract.
 */
export const ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** AgentCore target names (agentcore-contract.md §5): no underscores, so `___` splits unambiguously. */
export const TARGET_NAME = /^(?:[0-9a-zA-Z]-?){1,100}$/;

const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/;
const text = () => z.string().check(z.minLength(1), z.maxLength(2048), z.regex(NO_CONTROL, "must not contain control characters"));
const httpsUrl = () => z.url({ protocol: /^https$/, error: "must be an https:// URL" });
const nonEmptyList = <T extends z.core.SomeType>(item: T) => z.array(item).check(z.minLength(1));

const unsafeSegment = (segment: string) =>
  segment === "" || segment === "__proto__" || segment === "prototype" || segment in Object.prototype;
/** A claim name or dotted path into nested claims (`org.id`). Prototype names are refused. */
const claimPath = () =>
  text().check(
    z.refine((p) => !p.split(".").some(unsafeSegment), "must be a claim name or dotted path without empty or prototype segments"),
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
    /** Where scopes live: `scope` (space-separated string) or `scp` (string or array: Entra, Okta). */
    scopeClaim: z._default(z.enum(["scope", "scp"]), "scope"),
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

const targetCommon = {
  /** Accept only tokens from these issuers for this target. */
  issuers: z.optional(nonEmptyList(text())),
  /** All of these scopes are required for this target. */
  requiredScopes: z.optional(z.array(text())),
  /** Refuse machine tokens (`sub` equal to the client id) on this target. */
  requireUser: z.optional(z.boolean()),
  /** What to do with a caller this target's `issuers` excludes: deny (default) or strip identity. */
  onDenied: z._default(z.enum(["deny", "strip"]), "deny"),
};

const ClaimSpec = z.union([
  claimPath(),
  z.strictObject({
    claim: claimPath(),
    required: z._default(z.boolean(), false),
    /** `mcp-base64` (default) sends non-ASCII as `=?base64?…?=`; `reject` denies such values. */
    encode: z._default(z.enum(["mcp-base64", "reject"]), "mcp-base64"),
  }),
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
  headers: z
    .record(headerName(), ClaimSpec)
    .check(
      z.refine((h) => Object.keys(h).length >= 1, "at least one header is required"),
      z.refine((h) => Object.keys(h).length <= MAX_HEADERS_PER_TARGET, `at most ${MAX_HEADERS_PER_TARGET} headers per target (AgentCore limit)`),
      z.refine(
        (h) => new Set(Object.keys(h).map((n) => n.toLowerCase())).size === Object.keys(h).length,
        "header names must differ by more than letter case",
      ),
    ),
});

const NoneTarget = z.strictObject({ mode: z.literal("none"), ...targetCommon });

export const TOKEN_TYPE = {
  accessToken: "urn:ietf:params:oauth:token-type:access_token",
  jwt: "urn:ietf:params:oauth:token-type:jwt",
} as const;

/** The instance metadata service is never a token endpoint (SSRF, security.md OBO-19). */
const notMetadataHost = (u: string) => {
  const host = new URL(u).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return !/^169\.254\./.test(host) && host !== "fd00:ec2::254" && host !== "metadata.google.internal";
};

const OboSettings = z
  .strictObject({
    /** RFC 8693 token exchange, or Cognito client_credentials carrying the user token in aws_client_metadata. */
    grant: z.enum(["token-exchange", "cognito-client-metadata"]),
    tokenEndpoint: httpsUrl().check(z.refine(notMetadataHost, "must not point at an instance metadata address")),
    clientId: text(),
    clientAuth: z._default(z.enum(["client_secret_basic", "client_secret_post", "private_key_jwt"]), "client_secret_basic"),
    /** Secrets Manager secret: the client secret itself, or JSON with `client_secret` or `private_key` (PEM or JWK). */
    clientSecretArn: z.string().check(z.regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, "must be a Secrets Manager secret ARN")),
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
  );

const OboTarget = z.strictObject({
  mode: z.literal("obo"),
  ...targetCommon,
  /** Header that carries the exchanged token; default Authorization. */
  header: z.optional(z.union([z.literal("Authorization"), headerName()])),
  obo: OboSettings,
});

const Target = z.discriminatedUnion("mode", [ForwardTarget, ClaimsTarget, NoneTarget, OboTarget]);

const JwksSettings = z.strictObject({
  maxAgeSeconds: z._default(z.int().check(z.gte(1), z.lte(86_400)), 600),
  staleIfErrorSeconds: z._default(z.int().check(z.gte(0), z.lte(86_400)), 3_600),
  negativeCacheSeconds: z._default(z.int().check(z.gte(0), z.lte(3_600)), 10),
  refetchIntervalSeconds: z._default(z.int().check(z.gte(0), z.lte(3_600)), 10),
  timeoutMs: z._default(z.int().check(z.gte(100), z.lte(10_000)), 1_500),
  maxBytes: z._default(z.int().check(z.gte(1_024), z.lte(4_194_304)), 131_072),
});

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
  /** The gateway's MCP endpoint path; a request to any other path addresses no target. */
  mcpPath: z._default(z.string().check(z.regex(/^\/[\x21-\x7e]*$/, "must be an absolute path")), "/mcp"),
  /** RFC 9728 protected-resource-metadata URL, advertised in `WWW-Authenticate` challenges. */
  resourceMetadataUrl: z.optional(httpsUrl()),
  /** On-behalf-of caches: exchanged tokens (per user and target) and client secrets. */
  oboCache: z._default(
    z.strictObject({
      maxEntries: z._default(z.int().check(z.gte(1), z.lte(100_000)), 5_000),
      secretMaxAgeSeconds: z._default(z.int().check(z.gte(1), z.lte(3_600)), 300),
    }),
    { maxEntries: 5_000, secretMaxAgeSeconds: 300 },
  ),
  /** Largest accepted Authorization header value, in bytes. */
  maxAuthorizationBytes: z._default(z.int().check(z.gte(1_024), z.lte(65_536)), 16_384),
  jwks: z._default(JwksSettings, {
    maxAgeSeconds: 600,
    staleIfErrorSeconds: 3_600,
    negativeCacheSeconds: 10,
    refetchIntervalSeconds: 10,
    timeoutMs: 1_500,
    maxBytes: 131_072,
  }),
});

export type Config = z.infer<typeof ConfigSchema>;
export type IssuerConfig = Config["issuers"][number];
export type TargetConfig = Config["targets"][string];
export type ClaimsTargetConfig = Extract<TargetConfig, { mode: "claims" }>;
export type ForwardTargetConfig = Extract<TargetConfig, { mode: "forward" }>;
export type OboTargetConfig = Extract<TargetConfig, { mode: "obo" }>;
export type OboSettings = OboTargetConfig["obo"];
export type ClaimMapping = z.infer<typeof ClaimSpec>;
