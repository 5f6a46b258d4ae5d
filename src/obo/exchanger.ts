import type { OboSettings } from "../config/schema.js";
import { tokenIdentity, type VerifiedToken } from "../auth/verify.js";
import { type Clock, nowSeconds, systemClock } from "../clock.js";
import type { Deadline } from "../deadline.js";
import { ClientAuthMismatch, Denial, deny, HttpsFailure, InvalidClient, SecretUnavailable } from "../errors.js";
import { httpsRequest } from "../http/https-request.js";
import { clientAuth } from "./client-auth.js";
import { secretFailureReason } from "../secrets-manager.js";
import type { SecretCache } from "./secrets.js";
import { TokenCache } from "./token-cache.js";
import {
  type Expectation,
  exchangeForm,
  expectationFor,
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
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = new TokenCache(maxEntries);
    this.actors = new TokenCache(64);
  }

  async tokenFor(target: string, settings: OboSettings, id: VerifiedToken, deadline: Deadline): Promise<ExchangeResult> {
    const started = performance.now();
    const now = nowSeconds(this.clock);
    const key = JSON.stringify([id.issuer.issuer, id.sub, id.clientId ?? "", target, settings.scope ?? "", tokenIdentity(id)]);
    const { token, hit } = await this.tokens.get(key, now, async () => {
      const actor = settings.actorToken ? await this.actorToken(settings, deadline) : undefined;
      const form = exchangeForm(settings, id.token, actor, target);
      const issued = await this.call(settings, form, expectationFor(settings, { id, target }), id.token, deadline);
      // Never cached beyond the caller's own token, nor beyond the issued one, minus the leeway.
      const expiresAt = Math.min(issued.expiresAt ?? now + 300, id.exp) - this.leewaySeconds;
      return { token: issued.token, expiresAt };
    });
    return { token, cache: hit ? "hit" : "miss", latencyMs: Math.round((performance.now() - started) * 1000) / 1000 };
  }

  /** The interceptor's own token (client_credentials), sent as `actor_token` for delegation. */
  private async actorToken(settings: OboSettings, deadline: Deadline): Promise<string> {
    const key = JSON.stringify([settings.tokenEndpoint, settings.clientId, settings.actorToken?.scope ?? ""]);
    const now = nowSeconds(this.clock);
    const { token } = await this.actors.get(key, now, async () => {
      const form: Record<string, string> = { grant_type: "client_credentials" };
      if (settings.actorToken?.scope !== undefined) form.scope = settings.actorToken.scope;
      const expect = { issuedTokenType: false, audience: undefined, scope: settings.actorToken?.scope };
      const issued = await this.call(settings, form, expect, "", deadline);
      return { token: issued.token, expiresAt: (issued.expiresAt ?? now + 300) - this.leewaySeconds };
    });
    return token;
  }

  /**
   * One token-endpoint request. On `invalid_client` the secret may have rotated: it is read again and
   * the request retried once; a second `invalid_client` is a fault on our side.
   */
  private async call(
    settings: OboSettings,
    form: Record<string, string>,
    expect: Expectation,
    subjectToken: string,
    deadline: Deadline,
  ): Promise<IssuedToken> {
    try {
      return await this.attempt(settings, form, expect, subjectToken, deadline, false);
    } catch (err) {
      if (!(err instanceof InvalidClient)) throw err;
    }
    try {
      return await this.attempt(settings, form, expect, subjectToken, deadline, true);
    } catch (err) {
      if (err instanceof InvalidClient) deny("obo.client_auth_failed");
      throw err;
    }
  }

  /** Reads the client credential (again, when `refreshSecret`) and posts the form, inside the deadline. */
  private async attempt(
    settings: OboSettings,
    form: Record<string, string>,
    expect: Expectation,
    subjectToken: string,
    deadline: Deadline,
    refreshSecret: boolean,
  ): Promise<IssuedToken> {
    if (deadline.remainingMs() <= 0) deny("obo.unavailable");
    let credential;
    try {
      credential = await this.secrets.get(settings.clientSecretArn, deadline.within(settings.timeoutMs), refreshSecret);
    } catch (err) {
      const failure = err instanceof SecretUnavailable ? err : undefined;
      this.events.secretFailed(failure?.why ?? "unavailable");
      deny(secretFailureReason(failure?.permanence ?? "transient", "obo"));
    }
    let auth;
    try {
      auth = clientAuth(settings, credential, nowSeconds(this.clock));
    } catch (err) {
      if (!(err instanceof ClientAuthMismatch)) throw err;
      this.events.secretFailed(err.why);
      deny("obo.client_auth_failed");
    }
    const host = new URL(settings.tokenEndpoint).host;
    let res;
    try {
      res = await httpsRequest({
        url: settings.tokenEndpoint,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...auth.headers },
        body: new URLSearchParams({ ...form, ...auth.form }).toString(),
        signal: deadline.within(settings.timeoutMs),
        maxBytes: MAX_TOKEN_RESPONSE_BYTES,
        ca: this.ca,
      });
    } catch (err) {
      const failure = err instanceof HttpsFailure ? err : undefined;
      this.events.tokenEndpointFailed(host, { why: failure?.why ?? "network error" });
      // An answer over the cap is the endpoint's fault, not an outage that may pass.
      deny(failure?.kind === "too-large" ? "obo.invalid_response" : "obo.unavailable");
    }
    try {
      return readTokenResponse(res.status, res.body, expect, subjectToken, nowSeconds(this.clock));
    } catch (err) {
      const error = oauthError(res.body);
      // The reason names what was wrong with a 200 answer too (e.g. a token for another user).
      const why = err instanceof Denial ? err.reason : undefined;
      this.events.tokenEndpointFailed(host, {
        status: res.status,
        ...(error !== undefined ? { error } : {}),
        ...(why !== undefined ? { why } : {}),
      });
      throw err;
    }
  }
}
