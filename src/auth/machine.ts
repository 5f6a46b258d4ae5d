import type { IssuerConfig } from "../config/schema.js";

/**
 * Is this a machine token (a client acting for itself, client credentials)? Published conventions,
 * always applied, since a false "machine" only refuses a `requireUser` target (fail closed):
 * - `sub` equals the client id, or any of `client_id`, `azp`, `cid` (Okta), `appid` (Entra v1)
 *   (Cognito, Okta service apps, Spring, and every subject taken from the client id);
 * - Auth0: `gty: "client-credentials"`, or `sub` is `<client id>@clients`
 *   (https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow);
 * - Entra: `idtyp: "app"` (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference);
 * - Keycloak: `preferred_username` starts `service-account-` (service-account users).
 * Plus the issuer's own `machineTokens` markers, for what no convention can know (Entra app-only
 * tokens without the optional `idtyp` claim: `{"claim": "scp", "absent": true}`).
 */
const CLIENT_CLAIMS = ["client_id", "azp", "cid", "appid"] as const;
const AUTH0_MACHINE_SUFFIX = "@clients";

export function isMachineToken(payload: Record<string, unknown>, sub: string, clientId: string | undefined, issuer: IssuerConfig): boolean {
  if (sub === clientId || payload.gty === "client-credentials" || payload.idtyp === "app") return true;
  for (const name of CLIENT_CLAIMS) {
    const client = payload[name];
    if (typeof client !== "string") continue;
    if (sub === client) return true;
    if (sub.length === client.length + AUTH0_MACHINE_SUFFIX.length && sub.startsWith(client) && sub.endsWith(AUTH0_MACHINE_SUFFIX))
      return true;
  }
  const username = payload.preferred_username;
  if (typeof username === "string" && username.startsWith("service-account-")) return true;
  if (issuer.machineTokens !== undefined) {
    for (const m of issuer.machineTokens) {
      const v = Object.hasOwn(payload, m.claim) ? payload[m.claim] : undefined;
      if (
        m.absent === true
          ? v === undefined
          : typeof v === "string" && (m.equals !== undefined ? v === m.equals : m.prefix !== undefined && v.startsWith(m.prefix))
      ) {
        return true;
      }
    }
  }
  return false;
}
