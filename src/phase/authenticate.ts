import { bearerToken } from "../auth/bearer.js";
import type { UnverifiedNote, VerifiedToken } from "../auth/verify.js";
import type { Config } from "../config/schema.js";
import type { Deadline } from "../deadline.js";
import type { HeaderBag } from "../event/headers.js";
import type { AuditRecord } from "../log.js";
import type { Runtime } from "../runtime.js";

/**
 * The one authentication step of both phases: the bearer token of the request's headers, verified
 * (from the verified-token cache, or against the issuer's key set fetched inside the deadline). The
 * audit line learns who is calling as far as it can be told, also when the token is refused (the
 * unverified `iss`, `kid` and `alg`, never a claim the signature did not vouch for). A Denial when refused.
 */
export async function authenticate(
  runtime: Pick<Runtime, "verifier"> & { config: Pick<Config, "maxAuthorizationBytes"> },
  headers: HeaderBag,
  path: string | undefined,
  deadline: Deadline,
  audit: AuditRecord,
): Promise<VerifiedToken> {
  let note: UnverifiedNote = {};
  try {
    const token = bearerToken(headers, path, runtime.config.maxAuthorizationBytes);
    const verification = runtime.verifier.verify(token);
    note = verification.note;
    (audit.detail ??= {}).verifiedCache = verification.cache;
    // Without I/O (a cached verification, or the key set loaded and fresh) a value: no promise, no
    // timer. Otherwise the key set is fetched inside the request deadline.
    const result = verification.identity;
    const identity = result instanceof Promise ? await deadline.race(result, "jwks.unavailable") : result;
    describeIdentity(audit, identity);
    return identity;
  } finally {
    if (audit.iss === undefined && note.iss !== undefined) audit.iss = note.iss;
    if (audit.jwt === undefined && (note.kid !== undefined || note.alg !== undefined)) audit.jwt = { kid: note.kid, alg: note.alg };
  }
}

function describeIdentity(audit: AuditRecord, id: VerifiedToken): void {
  audit.iss = id.issuer.issuer;
  audit.sub = id.sub;
  if (id.clientId !== undefined) audit.client_id = id.clientId;
  if (id.actor !== undefined) audit.actor = id.actor;
  audit.jwt = { kid: id.kid, alg: id.alg, jti: id.jti, exp: id.exp };
}
