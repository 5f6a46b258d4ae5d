import type { AssertionIssuer } from "../assertion/issuer.js";
import type { VerifiedToken } from "../auth/verify.js";
import type { Deadline } from "../deadline.js";
import type { AuditDetail } from "../log.js";
import type { OboExchanger } from "../obo/exchanger.js";

/** What a mode that does I/O needs: the request deadline and its lazily loaded machinery. */
export interface ModeIo {
  deadline: Deadline;
  /** Present when a target uses `obo`: its own chunk, started at init. */
  exchanger: Promise<Pick<OboExchanger, "tokenFor">> | undefined;
  /** Present when a target uses `assertion`: its own chunk, started at init. */
  assertions: Promise<Pick<AssertionIssuer, "headersNow" | "headers">> | undefined;
}

/** The identity material for one allowed call, and what the audit line should say about how it was made. */
export interface Issued {
  headers: Record<string, string>;
  detail?: Pick<AuditDetail, "oboCache" | "oboLatencyMs" | "assertionCache">;
}

/**
 * One identity mode, bound to one target's configuration (modes/registry.ts builds it). The REQUEST path
 * asks `issue`; the listing filter asks `admit`, so a listing keeps exactly the entries a call would get
 * past every check that depends on the verified token alone.
 */
export interface IdentityMode {
  /** The headers this target gets for an allowed call; I/O (an exchange, a signing key) inside `io.deadline`. A Denial when refused. */
  issue(target: string, identity: VerifiedToken, io: ModeIo): Issued | Promise<Issued>;
  /** Returns when a call would be allowed as far as the verified token can tell; a Denial when not. Never I/O. */
  admit(identity: VerifiedToken): void;
}
