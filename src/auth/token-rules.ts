import type { IssuerConfig } from "../config/schema.js";
import { deny } from "../errors.js";
import { normaliseMediaType } from "./jws.js";
import { isMachineToken } from "./machine.js";
import { audiencesOf } from "./audience.js";
import { isPlainObject } from "../plain-object.js";

/**
 * The checks aws-jwt-verify does not make (docs/security.md §2 L10–L16, §3 groups D–F), as a pure
 * function of the decoded token, the issuer's rules and the clock.
 */
export interface TokenFacts {
  sub: string;
  clientId: string | undefined;
  actor: string | undefined;
  scopes: ReadonlySet<string>;
  jti: string | undefined;
  exp: number;
  /** A client acting for itself (client credentials), by the issuer's conventions: `requireUser` refuses it. */
  machine: boolean;
}

/** JWT types that are never access tokens (RFC 8725 §3.12 explicit typing). */
const OTHER_KINDS = new Set([
  "dpop+jwt",
  "logout+jwt",
  "secevent+jwt",
  "id_token+jwt",
  "id+jwt",
  "jwt-bearer",
  "client-authentication+jwt",
  "token-introspection+jwt",
]);
const ACCEPTED_UNTYPED = new Set(["jwt", "at+jwt"]);

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Types of the registered claims, checked before the signature so no routine sees a wrong type. */
export function checkClaimTypes(payload: Record<string, unknown>): void {
  for (const name of ["exp", "nbf", "iat"] as const) {
    if (name in payload && !isFiniteNumber(payload[name])) deny("token.malformed");
  }
  for (const name of ["sub", "jti"] as const) {
    if (name in payload && typeof payload[name] !== "string") deny("token.malformed");
  }
  // `scope` is a string (RFC 8693 §4.2) or, at Duende, PingFederate and Spring, an array of strings.
  const { scope } = payload;
  if (scope !== undefined && typeof scope !== "string" && !isStringArray(scope)) deny("token.malformed");
  const { aud } = payload;
  if (aud !== undefined && typeof aud !== "string" && !(Array.isArray(aud) && aud.every((a) => typeof a === "string"))) {
    deny("token.malformed");
  }
}

/** Typed JWTs of another kind (a DPoP proof, a logout token, …) are refused before anything else. */
export function rejectForeignType(header: Record<string, unknown>): void {
  if (typeof header.typ === "string" && OTHER_KINDS.has(normaliseMediaType(header.typ))) deny("token.kind_invalid");
}

export function checkTokenKind(header: Record<string, unknown>, payload: Record<string, unknown>, issuer: IssuerConfig): void {
  const typ = typeof header.typ === "string" ? normaliseMediaType(header.typ) : undefined;
  if (issuer.requireTyp !== undefined) {
    if (typ !== normaliseMediaType(issuer.requireTyp)) deny("token.typ_invalid");
  } else if (typ !== undefined && !ACCEPTED_UNTYPED.has(typ)) {
    deny("token.kind_invalid");
  }
  // ID tokens: OIDC markers, Cognito token_use, Keycloak payload typ; unless the issuer opts in.
  if (issuer.acceptIdTokens !== true && ("nonce" in payload || "at_hash" in payload || payload.token_use === "id"))
    deny("token.kind_invalid");
  if (issuer.tokenUse !== undefined && payload.token_use !== issuer.tokenUse) deny("token.kind_invalid");
  if (issuer.requirePayloadTyp !== undefined && payload.typ !== issuer.requirePayloadTyp) deny("token.kind_invalid");
  rejectSenderConstrained(payload);
}

/**
 * A token with a confirmation claim (RFC 7800 §3.1) is bound to a key its presenter must prove, by a
 * DPoP proof (`cnf.jkt`, RFC 9449 §6.1) or the TLS client certificate (`cnf.x5t#S256`, RFC 8705 §3.1).
 * The interceptor sees neither, so it cannot check the binding: such a token is refused, never used
 * (or forwarded) as a plain bearer token.
 */
export function rejectSenderConstrained(payload: Record<string, unknown>): void {
  if (payload.cnf !== undefined) deny("token.sender_constrained");
}

export function checkTime(payload: Record<string, unknown>, leeway: number, maxAge: number | undefined, nowSeconds: number): number {
  const { exp, nbf, iat } = payload as { exp?: number; nbf?: number; iat?: number };
  if (exp === undefined) deny("token.exp_missing");
  // RFC 7519 §4.1.4: now must be *before* exp; the library still accepts at the exact second.
  if (exp + leeway <= nowSeconds) deny("token.expired");
  if (nbf !== undefined && nbf - leeway > nowSeconds) deny("token.not_yet_valid");
  if (iat !== undefined && iat - leeway > nowSeconds) deny("token.iat_in_future");
  if (maxAge !== undefined && iat !== undefined && nowSeconds - iat > maxAge) deny("token.too_old");
  // Without iat the age cannot be known: fail closed.
  if (maxAge !== undefined && iat === undefined) deny("token.claim_type");
  return exp;
}

/** The claim at a dotted path (`org.id`) or at a list of member names taken literally. */
export function claimAt(claims: Record<string, unknown>, path: string | readonly string[]): unknown {
  let v: unknown = claims;
  for (const segment of typeof path === "string" ? path.split(".") : path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, segment)) return undefined;
    v = Reflect.get(v, segment);
  }
  return v;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

type ScopeClaim = IssuerConfig["scopeClaim"];

/** The scopes of one claim, added to `into`: a space-separated string or an array of strings. */
function addScopes(payload: Record<string, unknown>, claim: string, into: Set<string>): void {
  const raw = payload[claim];
  if (raw === undefined) return;
  // Only SP separates scope tokens (RFC 6749 §3.3); TAB and others stay part of a token.
  if (typeof raw === "string") {
    for (const s of raw.split(" ")) if (s !== "") into.add(s);
  } else if (isStringArray(raw)) {
    for (const s of raw) into.add(s);
  } else {
    deny("token.claim_type");
  }
}

function scopesOf(payload: Record<string, unknown>, claim: ScopeClaim): Set<string> {
  const scopes = new Set<string>();
  if (typeof claim === "string") addScopes(payload, claim, scopes);
  else for (const c of claim) addScopes(payload, c, scopes);
  return scopes;
}

/** The calling app: the issuer's `clientIdClaim`, else `client_id`, else `azp`. */
function clientIdOf(payload: Record<string, unknown>, issuer: IssuerConfig): string | undefined {
  if (issuer.clientIdClaim !== undefined) {
    const v = payload[issuer.clientIdClaim];
    if (v !== undefined && typeof v !== "string") deny("token.claim_type");
    return v;
  }
  const { client_id: clientIdClaim, azp } = payload;
  if (clientIdClaim !== undefined && typeof clientIdClaim !== "string") deny("token.claim_type");
  if (azp !== undefined && typeof azp !== "string") deny("token.claim_type");
  return clientIdClaim ?? azp;
}

/** RFC 8693 §4.1: only the current actor counts (nested prior actors are informational); `sub` is not required. */
function actorOf(act: unknown): string | undefined {
  if (act === undefined) return undefined;
  if (!isPlainObject(act)) deny("token.claim_type");
  const { sub, client_id: clientId } = act;
  if (sub !== undefined && (typeof sub !== "string" || sub === "")) deny("token.claim_type");
  if (clientId !== undefined && (typeof clientId !== "string" || clientId === "")) deny("token.claim_type");
  return sub ?? clientId ?? deny("token.claim_type");
}

export function missingScopes(have: ReadonlySet<string>, required: readonly string[] | undefined): string[] {
  return (required ?? []).filter((s) => !have.has(s));
}

/** Subject, client, audience, tenant, actor and issuer scopes: everything identity and policy read. */
export function checkIdentity(payload: Record<string, unknown>, issuer: IssuerConfig): TokenFacts {
  const { client_id: clientIdClaim, act, jti, aud } = payload;
  const clientId = clientIdOf(payload, issuer);
  // `sub` is required; an issuer may let client-credentials tokens without one use the client id.
  const sub = payload.sub === undefined && issuer.subjectFallback === "clientId" ? clientId : payload.sub;
  if (typeof sub !== "string" || sub === "") deny("token.subject_invalid");

  if (issuer.requireTyp !== undefined && normaliseMediaType(issuer.requireTyp) === "at+jwt") {
    // RFC 9068 §2.2 required claims.
    if (!isFiniteNumber(payload.iat) || typeof jti !== "string" || typeof clientIdClaim !== "string") deny("token.claim_type");
  }
  if (issuer.tenantClaim && claimAt(payload, issuer.tenantClaim.claim) !== issuer.tenantClaim.value) {
    deny("token.issuer_untrusted");
  }

  const audiences = audiencesOf(aud);
  if (issuer.audience !== undefined) {
    if (!issuer.audience.some((a) => audiences.includes(a))) deny("token.audience_mismatch");
    if (issuer.clientIds !== undefined && (clientId === undefined || !issuer.clientIds.includes(clientId))) {
      deny("token.client_not_allowed");
    }
  } else if (clientId === undefined || !issuer.clientIds?.includes(clientId)) {
    // No audience configured (Cognito access tokens have none): the client id stands in for it.
    deny("token.audience_mismatch");
  }

  const actor = actorOf(act);

  const scopes = scopesOf(payload, issuer.scopeClaim);
  const missing = missingScopes(scopes, issuer.requiredScopes);
  if (missing.length > 0) deny("scope.insufficient", { scope: issuer.requiredScopes ?? [] });
  const machine = isMachineToken(payload, sub, clientId, issuer);
  return { sub, clientId, actor, scopes, jti: typeof jti === "string" ? jti : undefined, exp: payload.exp as number, machine };
}
