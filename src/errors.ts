import type { Reason } from "./respond/reasons.js";

/**
 * The one error model (in the style of aws-jwt-verify's `error.ts`): every error the interceptor raises
 * itself is an `InterceptorError`, and code that handles one branches on its class with `instanceof`,
 * never on a message. Two families:
 *
 * - `Denial`: a decision to refuse the request, with a stable reason code from the denial table
 *   (`src/respond/reasons.ts`). The handler renders it; nothing else catches it except to add to the
 *   audit line or to map one reason to another.
 * - `Failure`s: an edge (HTTPS, Secrets Manager, a JWKS, a signing secret, a JSON text) did not give
 *   what was needed. The module that called the edge maps the failure to a `Denial`; `why` is a short
 *   phrase safe to log (never a body, a header value, a token or secret material).
 *
 * How a denial is raised (one way): `deny(reason)` as a statement. `deny` returns `never`, so TypeScript
 * narrows after it and treats the rest of the block as unreachable; inside an expression it reads
 * `value ?? deny(reason)`. Never `throw new Denial(...)` (except where a `Denial` value is built to be
 * rendered or compared, not raised).
 */
export abstract class InterceptorError extends Error {
  /** Spelled out per class: the bundle is minified, so `constructor.name` would not survive it. */
  abstract override readonly name: string;
}

/** A decision to refuse, with its public reason code (never a library error). */
export class Denial extends InterceptorError {
  override readonly name = "Denial";
  constructor(
    readonly reason: Reason,
    /**
     * Extra data: the full required scope set for `scope.insufficient` (the step-up challenge), and the
     * policy rule that decided (for the audit line; never a claim's value).
     */
    readonly detail: { scope?: readonly string[]; retryAfter?: number; jsonRpcCode?: number; rule?: string } = {},
  ) {
    super(reason);
  }
}

/** Raises a `Denial`. Called as a statement (`deny("auth.missing")`) or after `??` in an expression. */
export function deny(reason: Reason, detail?: Denial["detail"]): never {
  throw new Denial(reason, detail);
}

/** An edge did not deliver; `why` is safe to log. */
export abstract class Failure extends InterceptorError {
  constructor(readonly why: string) {
    super(why);
  }
}

/**
 * What went wrong in an HTTPS exchange. Callers branch on this (a body over the cap is the other
 * side's fault, an outage may pass), never on `why`, which is free to be reworded.
 */
export type HttpsFailureKind =
  /** The URL does not parse. */
  | "invalid-url"
  /** The URL's scheme is not `https:` (no request is sent). */
  | "not-https"
  /** The call's budget or the request deadline ran out. */
  | "timeout"
  /** The signal aborted for another reason. */
  | "aborted"
  /** Connect, TLS or socket error before the whole answer arrived. */
  | "network"
  /** The body passed the byte cap. */
  | "too-large"
  /** An answer with a status the caller does not accept. */
  | "status"
  /** An answer whose content type is not JSON. */
  | "content-type"
  /** An answer whose body does not parse as JSON. */
  | "not-json";

/** An HTTPS exchange failed: timeout, network, TLS, size cap, status or content type. */
export class HttpsFailure extends Failure {
  override readonly name = "HttpsFailure";
  constructor(
    readonly kind: HttpsFailureKind,
    why: string,
  ) {
    super(why);
  }
}

/** A fetched JWKS document is not a usable key set (not `{"keys":[…]}` of objects). */
export class JwksInvalid extends Failure {
  override readonly name = "JwksInvalid";
}

/**
 * Whether retrying can fix a secret that cannot be used: `permanent` needs the operator (the secret is
 * missing, unreadable or holds nothing usable), `transient` is an outage that may pass.
 */
export type SecretPermanence = "permanent" | "transient";

/**
 * A Secrets Manager read failed, or the secret holds no usable client credential. Its permanence is
 * decided where it is raised, from the SDK error's name or the finding about the content.
 */
export class SecretUnavailable extends Failure {
  override readonly name = "SecretUnavailable";
  constructor(
    readonly permanence: SecretPermanence,
    why: string,
  ) {
    super(why);
  }
}

/** The secret's credential does not fit the configured client authentication method. */
export class ClientAuthMismatch extends Failure {
  override readonly name = "ClientAuthMismatch";
}

/** The assertion signing secret holds no usable signing key. */
export class KeySetInvalid extends Failure {
  override readonly name = "KeySetInvalid";
}

/** The token endpoint refused the client itself (`invalid_client`): the secret may have rotated. */
export class InvalidClient extends InterceptorError {
  override readonly name = "InvalidClient";
}

export type StrictJsonFailure = "syntax" | "duplicate" | "depth";

/** A JSON text is not strict JSON (RFC 8259 syntax, a duplicate member, or nesting too deep). */
export class StrictJsonError extends InterceptorError {
  override readonly name = "StrictJsonError";
  constructor(readonly kind: StrictJsonFailure) {
    super(`invalid JSON (${kind})`);
  }
}

/** The Cognito trigger refused an on-behalf-of user token: `reason` is a stable code (safe to log). */
export class UserTokenRejected extends InterceptorError {
  override readonly name = "UserTokenRejected";
  constructor(readonly reason: Reason) {
    super("user token rejected");
  }
}

/**
 * The Cognito trigger fails the token request (Cognito then issues no token): the user token was
 * refused with `onInvalidToken: "fail"`, or the trigger's own configuration is invalid.
 */
export class TriggerRefusal extends InterceptorError {
  override readonly name = "TriggerRefusal";
}

/** The class name of anything thrown, for the audit line's `errorClass` (never its message). */
export function errorClass(err: unknown): string {
  if (err instanceof InterceptorError) return err.name;
  return err instanceof Error ? err.constructor.name : typeof err;
}
