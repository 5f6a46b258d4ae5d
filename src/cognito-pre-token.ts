/**
 * Amazon Cognito pre token generation trigger (V3_0) for the on-behalf-of pattern: the interceptor asks
 * Cognito for a client_credentials token with `aws_client_metadata.onBehalfOfToken` = the caller's
 * verified access token. This trigger verifies that user token again, with the interceptor's own
 * verification code (strict decoding, signature, issuer, app client, `token_use: access`, time rules,
 * a JWKS cache whose keys expire), and adds the configured user claims to the machine token as one
 * claim (`onBehalfOf`). Without a valid user token it adds nothing, or fails the token request (config).
 * Skipping the verification would let any holder of the client secret mint tokens for any user.
 * Pools with the Essentials or Plus plan can use Cognito's native token exchange instead
 * (docs/on-behalf-of.md "Amazon Cognito native token exchange").
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { segmentProblem } from "./config/claim-paths.js";
import { clean, redact } from "./log.js";
import { TriggerRefusal, UserTokenRejected } from "./errors.js";
import { type UserTokenOptions, userTokenVerifier } from "./cognito-trigger-verifier.js";
import * as z from "zod/mini";
import "./config/english.js";

/** A claim or member name: never a prototype member (`__proto__`, `constructor`, ...), so copying cannot reach one. */
const claimName = z.string().check(
  z.regex(/^[A-Za-z0-9_:.-]{1,128}$/),
  z.refine((n) => segmentProblem(n) === undefined, "must not be a prototype member name"),
);

/** The interceptor's redaction applies to the trigger's log lines too (defence in depth). */
const triggerLogger = () => new Logger({ serviceName: "cognito-pre-token-obo", jsonReplacerFn: redact });

export const PreTokenConfigSchema = z.strictObject({
  /** The user pool issuer, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf. */
  issuer: z.url({ protocol: /^https$/ }),
  /** Default `<issuer>/.well-known/jwks.json`. */
  jwksUri: z.optional(z.url({ protocol: /^https$/ })),
  /** App clients whose user access tokens may be exchanged. */
  userClientIds: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** Machine clients allowed to ask for on-behalf-of tokens (the interceptor's client). */
  actorClientIds: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** Members of the added claim ← claims of the user token. */
  claims: z._default(z.record(claimName, claimName), { sub: "sub", username: "username", groups: "cognito:groups" }),
  /** Name of the claim added to the machine token. */
  claimName: z._default(claimName, "onBehalfOf"),
  /** `aws_client_metadata` keys copied into the claim beside the user's (e.g. `target`). */
  contextKeys: z._default(z.array(z.string().check(z.regex(/^[A-Za-z0-9_]{1,64}$/))), []),
  /** Without a valid user token: `fail` the token request (default) or `omit` the claim. */
  onInvalidToken: z._default(z.enum(["fail", "omit"]), "fail"),
});
export type PreTokenConfig = z.infer<typeof PreTokenConfigSchema>;

export interface PreTokenEvent {
  version?: string;
  triggerSource: string;
  userPoolId?: string;
  callerContext?: { clientId?: string };
  request: { clientMetadata?: Record<string, string> | null; scopes?: string[] };
  response: { claimsAndScopeOverrideDetails?: unknown };
}

export interface PreTokenOptions extends UserTokenOptions {
  logger?: Logger;
}

export function createPreTokenHandler(config: PreTokenConfig, options: PreTokenOptions = {}) {
  const logger = options.logger ?? triggerLogger();
  const verify = userTokenVerifier(
    { issuer: config.issuer, jwksUri: config.jwksUri ?? `${config.issuer}/.well-known/jwks.json`, userClientIds: config.userClientIds },
    options,
    {
      jwksFailed: (why, detail) => logger.warn("JWKS fetch failed", { ...detail, why }),
      weakKey: (kid, bits) => logger.error("user pool key below 2048 bits refused", { kid: clean(kid), bits }),
    },
  );

  return async function handler(event: PreTokenEvent): Promise<PreTokenEvent> {
    if (event.triggerSource !== "TokenGeneration_ClientCredentials") return event;
    const metadata = event.request.clientMetadata ?? {};
    const userToken = metadata.onBehalfOfToken;
    if (userToken === undefined) return event; // a plain machine token, not on behalf of anyone
    const actor = event.callerContext?.clientId;
    let claims: Record<string, unknown>;
    try {
      if (actor === undefined || !config.actorClientIds.includes(actor)) throw new UserTokenRejected("policy.target_denied");
      claims = (await verify(userToken)).claims;
    } catch (err) {
      const reason = err instanceof UserTokenRejected ? err.reason : "internal.error";
      logger.warn("on-behalf-of token rejected", {
        actor: actor === undefined ? undefined : clean(actor),
        reason,
        decision: config.onInvalidToken,
      });
      if (config.onInvalidToken === "fail") throw new TriggerRefusal("on-behalf-of token rejected");
      return event;
    }
    const onBehalfOf: Record<string, unknown> = {};
    for (const [member, claim] of Object.entries(config.claims)) if (Object.hasOwn(claims, claim)) onBehalfOf[member] = claims[claim];
    for (const key of config.contextKeys) if (typeof metadata[key] === "string") onBehalfOf[key] = metadata[key];
    event.response.claimsAndScopeOverrideDetails = {
      accessTokenGeneration: { claimsToAddOrOverride: { [config.claimName]: onBehalfOf } },
    };
    logger.info("on-behalf-of claim added", {
      actor: clean(actor),
      sub: clean(String(claims.sub)),
      client_id: clean(String(claims.client_id)),
    });
    return event;
  };
}

function fromEnvironment() {
  const parsed = (() => {
    try {
      return PreTokenConfigSchema.safeParse(JSON.parse(process.env.PRE_TOKEN_CONFIG ?? ""));
    } catch {
      return undefined;
    }
  })();
  if (parsed?.success) return createPreTokenHandler(parsed.data);
  const problems = parsed?.success === false ? z.prettifyError(parsed.error) : "PRE_TOKEN_CONFIG is missing or not JSON";
  triggerLogger().error("configuration is invalid: on-behalf-of requests will fail", { problems });
  return async (event: PreTokenEvent): Promise<PreTokenEvent> => {
    if (event.request.clientMetadata?.onBehalfOfToken !== undefined) throw new TriggerRefusal("trigger misconfigured");
    return event;
  };
}

/** Lambda entry (dist/cognito-pre-token.mjs, handler `cognito-pre-token.handler`); config in PRE_TOKEN_CONFIG. */
export const handler = fromEnvironment();
