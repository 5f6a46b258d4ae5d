import type { OboTargetConfig } from "../config/schema.js";
import type { VerifiedToken } from "../auth/verify.js";
import type { Deadline } from "../deadline.js";
import type { ExchangeResult, OboExchanger } from "../obo/exchanger.js";

/**
 * `obo`: a token issued to the target for the caller, from the IdP (RFC 8693 or the Cognito pattern).
 * Never the caller's own token, never a fallback to it: a failed exchange is a deny.
 */
export async function oboHeaders(
  target: string,
  config: OboTargetConfig,
  id: VerifiedToken,
  exchanger: OboExchanger,
  deadline: Deadline,
): Promise<{ headers: Record<string, string>; exchange: ExchangeResult }> {
  const exchange = await exchanger.tokenFor(target, config.obo, id, deadline);
  return { headers: { [config.header ?? "Authorization"]: `Bearer ${exchange.token}` }, exchange };
}
