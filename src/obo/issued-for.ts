import { deny } from "../errors.js";
import { isPlainObject } from "../plain-object.js";
import { audiencesOf } from "../auth/audience.js";

/**
 * Who an on-behalf-of answer must name, beyond what RFC 8693 §2.2 asks of any answer: without these
 * checks a token endpoint that drops the user (or names another one) would hand the target the
 * interceptor's own identity, or someone else's (docs/security.md group L).
 */
export interface IssuedFor {
  /**
   * Cognito's native token exchange: the issued token is "a standard Amazon Cognito access token"
   * for the subject, bound to one audience, with an `act` claim only when an actor token was sent.
   * https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-token-exchange.html
   * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetDerivedToken.html
   */
  cognitoUser?: {
    /** The caller's pool: the subject token came from it, so the issued token does too. */
    iss: string;
    sub: string;
    audience: string | undefined;
    /** The interceptor's client id when it sent an actor token (delegation), else undefined (impersonation). */
    actor: string | undefined;
  };
  /** Cognito `aws_client_metadata` + pre token generation trigger: the claim the trigger adds. */
  userClaim?: { name: string; sub: string; target: string };
}

/** `claims` is the issued token's payload, or undefined when it is not a readable JWT. */
export function checkIssuedFor(claims: Record<string, unknown> | undefined, expect: IssuedFor): void {
  const { cognitoUser, userClaim } = expect;
  if (cognitoUser === undefined && userClaim === undefined) return;
  // Cognito issues JWTs; an opaque answer cannot show whom it was issued for.
  if (claims === undefined) deny("obo.invalid_response");
  if (cognitoUser !== undefined) {
    if (claims.iss !== cognitoUser.iss || claims.sub !== cognitoUser.sub || claims.token_use !== "access") deny("obo.invalid_response");
    const audiences = audiencesOf(claims.aud);
    if (audiences.length !== 1 || (cognitoUser.audience !== undefined && audiences[0] !== cognitoUser.audience))
      deny("obo.invalid_response");
    // The shape of Cognito's `act` is not spelled out: RFC 8693 §4.1 puts the actor in `act.sub`;
    // a Cognito-style `act.client_id` is accepted too. Without an actor token there must be no `act`.
    const act = claims.act;
    if (cognitoUser.actor === undefined) {
      if (act !== undefined) deny("obo.invalid_response");
    } else if (!isPlainObject(act) || (act.sub !== cognitoUser.actor && act.client_id !== cognitoUser.actor)) {
      deny("obo.invalid_response");
    }
  }
  if (userClaim !== undefined) {
    const user = claims[userClaim.name];
    // No user claim: the trigger refused the user (`onInvalidToken: "omit"`) and Cognito issued a plain
    // machine token. Sending it would give the target the interceptor's own identity instead.
    if (user === undefined) deny("obo.refused");
    if (!isPlainObject(user) || user.sub !== userClaim.sub) deny("obo.invalid_response");
    if (user.target !== undefined && user.target !== userClaim.target) deny("obo.invalid_response");
  }
}
