import { TOKEN_TYPE } from "../config/constants.js";
import type { OboSettings } from "../config/schema.js";
import type { VerifiedToken } from "../auth/verify.js";
import { deny, InvalidClient } from "../errors.js";
import { parseJsonObject } from "../plain-object.js";
import { checkIssuedFor, type IssuedFor } from "./issued-for.js";
import { audiencesOf } from "../auth/audience.js";

/**
 * Pure halves of a token-endpoint call: the form to send (RFC 8693 §2.1, or Cognito client_credentials
 * with `aws_client_metadata`) and the checks on the answer (RFC 8693 §2.2, docs/security.md group L).
 */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const MAX_TOKEN_RESPONSE_BYTES = 65_536;
const MAX_ISSUED_TOKEN_BYTES = 16_384;

export function exchangeForm(
  settings: OboSettings,
  subjectToken: string,
  actorToken: string | undefined,
  target: string,
): Record<string, string> {
  const form: Record<string, string> = {};
  if (settings.grant === "cognito-client-metadata") {
    form.grant_type = "client_credentials";
    form.aws_client_metadata = JSON.stringify({ ...settings.clientMetadata, target, onBehalfOfToken: subjectToken });
  } else {
    form.grant_type = TOKEN_EXCHANGE_GRANT;
    form.subject_token = subjectToken;
    form.subject_token_type = TOKEN_TYPE.accessToken;
    form.requested_token_type = settings.requestedTokenType;
    if (settings.audience !== undefined) form.audience = settings.audience;
    if (settings.resource !== undefined) form.resource = settings.resource;
    if (actorToken !== undefined) {
      form.actor_token = actorToken;
      form.actor_token_type = TOKEN_TYPE.accessToken;
    }
  }
  if (settings.scope !== undefined) form.scope = settings.scope;
  return form;
}

export interface IssuedToken {
  token: string;
  /** Seconds since the epoch, from `expires_in` or the token's own `exp`, when known. */
  expiresAt: number | undefined;
}

const REFUSED = new Set([
  "invalid_target",
  "invalid_scope",
  "unauthorized_client",
  "access_denied",
  "invalid_request",
  "unsupported_grant_type",
]);
const ISSUED_TYPES = new Set<string>([TOKEN_TYPE.accessToken, TOKEN_TYPE.jwt]);
/** RFC 6750 b64token: what an Authorization header value may carry. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The OAuth `error` code of a failed answer, for the log (never the body). */
export function oauthError(body: Buffer): string | undefined {
  const e = parseJsonObject(body.toString("utf8"))?.error;
  return typeof e === "string" ? e.slice(0, 64) : undefined;
}

/** What a good answer must look like for one request. */
export interface Expectation {
  /** RFC 8693 answers carry `issued_token_type`; client_credentials answers do not. */
  issuedTokenType: boolean;
  /** The target's identifier, checked against `aud` when the issued token is a readable JWT. */
  audience: string | undefined;
  /** The scopes asked for: the answer may not be broader. */
  scope: string | undefined;
  /** Whom the issued token must name (Cognito flavours); absent for a generic RFC 8693 answer. */
  issuedFor?: IssuedFor;
}

/** The caller and target an exchange is for: what the answer must carry. */
export interface ExchangeSubject {
  id: Pick<VerifiedToken, "sub" | "issuer">;
  target: string;
}

export function expectationFor(settings: OboSettings, subject?: ExchangeSubject): Expectation {
  const exchange = settings.grant === "token-exchange";
  const audience = exchange ? (settings.audience ?? settings.resource) : undefined;
  const expect: Expectation = { issuedTokenType: exchange, audience, scope: settings.scope };
  if (subject === undefined) return expect;
  const { id, target } = subject;
  if (settings.grant === "cognito-client-metadata") {
    expect.issuedFor = { userClaim: { name: settings.userClaim ?? "onBehalfOf", sub: id.sub, target } };
  } else if (settings.idp === "cognito") {
    const actor = settings.actorToken ? settings.clientId : undefined;
    expect.issuedFor = { cognitoUser: { iss: id.issuer.issuer, sub: id.sub, audience, actor } };
  }
  return expect;
}

export function readTokenResponse(
  status: number,
  body: Buffer,
  expect: Expectation,
  subjectToken: string,
  nowSeconds: number,
): IssuedToken {
  if (status >= 500) deny("obo.unavailable");
  const json = parseJsonObject(body.toString("utf8"));
  if (status !== 200) {
    const error = json?.error;
    if (error === "invalid_client") throw new InvalidClient();
    if (error === "invalid_grant") deny("obo.subject_rejected");
    if (typeof error === "string" && REFUSED.has(error)) deny("obo.refused");
    deny("obo.invalid_response");
  }
  if (json === undefined) deny("obo.invalid_response");
  const { access_token: token, token_type: tokenType, issued_token_type: issuedType, expires_in: expiresIn, scope } = json;
  if (typeof token !== "string" || token === "" || typeof tokenType !== "string") deny("obo.invalid_response");
  if (tokenType.toLowerCase() !== "bearer") deny("obo.invalid_response");
  if (expect.issuedTokenType && (typeof issuedType !== "string" || !ISSUED_TYPES.has(issuedType))) deny("obo.invalid_response");
  // Never the caller's own token back (that would be passthrough), never something a header cannot carry.
  if (token === subjectToken || token.length > MAX_ISSUED_TOKEN_BYTES || !B64TOKEN.test(token)) deny("obo.invalid_response");
  if (scope !== undefined) {
    if (typeof scope !== "string") deny("obo.invalid_response");
    const asked = new Set((expect.scope ?? "").split(" ").filter(Boolean));
    if (scope.split(" ").some((s) => s !== "" && !asked.has(s))) deny("obo.invalid_response");
  }
  let expiresAt = typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0 ? nowSeconds + expiresIn : undefined;
  const claims = readableJwtClaims(token);
  if (claims !== undefined) {
    if (expect.audience !== undefined && !audiencesOf(claims.aud).includes(expect.audience)) deny("obo.invalid_response");
    if (typeof claims.exp === "number") expiresAt = Math.min(expiresAt ?? claims.exp, claims.exp);
  }
  if (expect.issuedFor !== undefined) checkIssuedFor(claims, expect.issuedFor);
  return { token, expiresAt };
}

/** Claims of an issued token that is a JWT (it came over TLS from the token endpoint: read, not verified). */
function readableJwtClaims(token: string): Record<string, unknown> | undefined {
  const [, payload, signature, extra] = token.split(".");
  if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
  return parseJsonObject(Buffer.from(payload, "base64url").toString("utf8"));
}
