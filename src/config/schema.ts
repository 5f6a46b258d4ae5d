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

const OboTarget = z.looseObject({ mode: z.literal("obo") }).check(
  z.refine(() => false, {
    error: 'mode "obo" (token exchange) is not available in this version; use "forward", "claims" or "none"',
    path: ["mode"],
  }),
);

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
export type TargetConfig = Exclude<Config["targets"][string], { mode: "obo" }>;
export type ClaimsTargetConfig = Extract<TargetConfig, { mode: "claims" }>;
export type ForwardTargetConfig = Extract<TargetConfig, { mode: "forward" }>;
export type ClaimMapping = z.infer<typeof ClaimSpec>;
