import { createHash } from "node:crypto";
import type { OboSettings } from "../config/schema.js";
import type { VerifiedToken } from "../auth/verify.js";
import { HttpsFailure, httpsRequest } from "../http/https-request.js";
import { Denial, deny } from "../respond/reasons.js";
import { ClientAuthMismatch, clientAuth } from "./client-auth.js";
import { type SecretCache, SecretUnavailable } from "./secrets.js";
import { TokenCache } from "./token-cache.js";
import {
  type Expectation,
  exchangeForm,
  expectationFor,
  InvalidClient,
  type IssuedToken,
  MAX_TOKEN_RESPONSE_BYTES,
  oauthError,
  readTokenResponse,
} from "./token-endpoint.js";

export interface ExchangeEvents {
  tokenEndpointFailed(host: string, detail: { status?: number; error?: string; why?: string }): void;
  secretFailed(why: string): void;
}

export interface ExchangeResult {
  token: string;
  cache: "hit" | "miss";
  latencyMs: number;
}

/**
 * Obtains on-behalf-of tokens for targets: the I/O edge of `obo` mode. Every failure is a Denial from
 * the group-L mapping; there is no path that returns the caller's own token.
 */
export class OboExchanger {
  private readonly tokens: TokenCache;
  private readonly actors: TokenCache;

  constructor(
    private readonly secrets: SecretCache,
    private readonly events: ExchangeEvents,
    private readonly leewaySeconds: number,
    maxEntries: number,
    private readonly ca?: string,
  ) {
    this.tokens = new TokenCache(maxEntries);
    this.actors = new TokenCache(64);
  }

  async tokenFor(target: string, settings: OboSettings, id: VerifiedToken, remainingMs: () => number): Promise<ExchangeResult> {
    const started = performance.now();
    const now = Date.now() / 1000;
    const subject = id.jti ?? createHash("sha256").update(id.token).digest("base64url");
    const key = JSON.stringify([id.issuer.issuer, id.sub, id.clientId ?? "", target, settings.scope ?? "", subject]);
    const { token, hit } = await this.tokens.get(key, now, async () => {
      const actor = settings.actorToken ? await this.actorToken(settings, remainingMs) : undefined;
      const form = exchangeForm(settings, id.token, actor, target);
      const issued = await this.call(settings, form, expectationFor(settings, { id, target }), id.token, remainingMs);
      // Never cached beyond the caller's own token, nor beyond the issued one, minus the leeway.
      const expiresAt = Math.min(issued.expiresAt ?? now + 300, id.exp) - this.leewaySeconds;
      return { token: issued.token, expiresAt };
    });
    return { token, cache: hit ? "hit" : "miss", latencyMs: Math.round((performance.now() - started) * 1000) / 1000 };
  }

  /** The interceptor's own token (client_credentials), sent as `actor_token` for delegation. */
  private async actorToken(settings: OboSettings, remainingMs: () => number): Promise<string> {
    const key = JSON.stringify([settings.tokenEndpoint, settings.clientId, settings.actorToken?.scope ?? ""]);
    const now = Date.now() / 1000;
    const { token } = await this.actors.get(key, now, async () => {
      const form: Record<string, string> = { grant_type: "client_credentials" };
      if (settings.actorToken?.scope !== undefined) form.scope = settings.actorToken.scope;
      const expect = { issuedTokenType: false, audience: undefined, scope: settings.actorToken?.scope };
      const issued = await this.call(settings, form, expect, "", remainingMs);
      return { token: issued.token, expiresAt: (issued.expiresAt ?? now + 300) - this.leewaySeconds };
    });
    return token;
  }

  /** One token-endpoint request, retried once with a freshly read secret on `invalid_client`. */
  private async call(
    settings: OboSettings,
    form: Record<string, string>,
    expect: Expectation,
    subjectToken: string,
    remainingMs: () => number,
  ): Promise<IssuedToken> {
    for (const refresh of [false, true]) {
      const budget = Math.min(settings.timeoutMs, remainingMs());
      if (budget <= 0) deny("obo.unavailable");
      let credential;
      try {
        credential = await this.secrets.get(settings.clientSecretArn, budget, refresh);
      } catch (err) {
        this.events.secretFailed(err instanceof SecretUnavailable ? err.why : "unavailable");
        return deny("obo.unavailable");
      }
      let auth;
      try {
        auth = clientAuth(settings, credential);
      } catch (err) {
        if (err instanceof ClientAuthMismatch) {
          this.events.secretFailed(err.message);
          return deny("obo.client_auth_failed");
        }
        throw err;
      }
      const host = new URL(settings.tokenEndpoint).host;
      let res;
      try {
        res = await httpsRequest({
          url: settings.tokenEndpoint,
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...auth.headers },
          body: new URLSearchParams({ ...form, ...auth.form }).toString(),
          timeoutMs: Math.min(settings.timeoutMs, remainingMs()),
          maxBytes: MAX_TOKEN_RESPONSE_BYTES,
          ca: this.ca,
        });
      } catch (err) {
        const why = err instanceof HttpsFailure ? err.why : "network error";
        this.events.tokenEndpointFailed(host, { why });
        return deny(why === "body too large" ? "obo.invalid_response" : "obo.unavailable");
      }
      try {
        return readTokenResponse(res.status, res.body, expect, subjectToken, Date.now() / 1000);
      } catch (err) {
        const error = oauthError(res.body);
        // The reason names what was wrong with a 200 answer too (e.g. a token for another user).
        const why = err instanceof Denial ? err.reason : undefined;
        this.events.tokenEndpointFailed(host, { status: res.status, ...(error !== undefined ? { error } : {}), ...(why !== undefined ? { why } : {}) });
        if (!(err instanceof InvalidClient)) throw err;
        if (refresh) deny("obo.client_auth_failed");
      }
    }
    throw new Denial("obo.client_auth_failed");
  }
}
