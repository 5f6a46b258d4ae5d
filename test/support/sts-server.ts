import { createPublicKey, verify as verifySignature, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:https";
import { closeServer, listenOnLoopback } from "./loopback.js";
import { rsaKey, type TestKey } from "./keys.js";
import { registerSecret, registerToken } from "./secrets.js";
import { buildToken } from "./tokens.js";
import { localhostCert } from "./tls.js";

/**
 * A loopback RFC 8693 token endpoint (HTTPS, test CA) with switchable failure modes (docs/security.md §0).
 * By default it authenticates the client (basic, post or private_key_jwt), checks the subject token's
 * `may_act`, and mints a JWT for the requested audience with the subject's `sub` and `act` = the client.
 */
export type StsBehaviour =
  | { kind: "exchange"; expiresIn?: number; tokenType?: string; extra?: Record<string, unknown>; aud?: string }
  | { kind: "json"; status: number; body: unknown }
  | { kind: "raw"; status: number; body: string; contentType: string }
  | { kind: "delay"; ms: number; then: StsBehaviour }
  | { kind: "hang" };

export interface StsRequest {
  form: Record<string, string>;
  authorization: string | undefined;
  clientId: string | undefined;
}

export class StsServer {
  readonly requests: StsRequest[] = [];
  readonly signingKey: TestKey = rsaKey("sts-1");
  behaviour: StsBehaviour = { kind: "exchange" };
  /** Accepted client secrets (rotation: swap the value). */
  clientSecret = "sts-client-secret-0123456789";
  /** Public key for private_key_jwt clients. */
  clientPublicKey: KeyObject | undefined;
  /** Requests whose client closed the connection before an answer was sent (a cancelled call). */
  abandoned = 0;
  private server: Server | undefined;
  private port = 0;

  constructor(readonly clientId = "gateway-interceptor") {
    registerSecret(this.clientSecret);
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}/oauth2/token`;
  }

  async start(tls = localhostCert): Promise<this> {
    this.server = createServer(tls, (req, res) => {
      res.on("close", () => {
        if (!res.writableEnded) this.abandoned++;
      });
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
        const clientId = this.authenticate(req.headers.authorization, form);
        this.requests.push({ form, authorization: req.headers.authorization, clientId });
        const answer = (b: StsBehaviour): void => {
          if (b.kind === "hang") return;
          if (b.kind === "delay") {
            setTimeout(() => answer(b.then), b.ms);
            return;
          }
          if (b.kind === "raw") {
            res.writeHead(b.status, { "content-type": b.contentType }).end(b.body);
            return;
          }
          const { status, body } = b.kind === "json" ? b : this.exchange(clientId, form, b);
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        };
        answer(this.behaviour);
      });
    });
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private authenticate(authorization: string | undefined, form: Record<string, string>): string | undefined {
    if (authorization?.startsWith("Basic ")) {
      const [id, secret] = Buffer.from(authorization.slice(6), "base64")
        .toString()
        .split(":")
        .map((s) => decodeURIComponent(s.replace(/\+/g, " ")));
      return id === this.clientId && secret === this.clientSecret ? id : undefined;
    }
    if (form.client_secret !== undefined)
      return form.client_id === this.clientId && form.client_secret === this.clientSecret ? form.client_id : undefined;
    if (form.client_assertion !== undefined && this.clientPublicKey) {
      const [h, p, s] = form.client_assertion.split(".");
      const claims = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
      const alg = (JSON.parse(Buffer.from(h!, "base64url").toString()) as { alg: string }).alg;
      const ok = verifySignature(
        alg === "EdDSA" ? null : "sha256",
        Buffer.from(`${h}.${p}`),
        alg.startsWith("ES") ? { key: this.clientPublicKey, dsaEncoding: "ieee-p1363" } : this.clientPublicKey,
        Buffer.from(s!, "base64url"),
      );
      const fresh = typeof claims.exp === "number" && claims.exp > Date.now() / 1000;
      return ok && fresh && claims.iss === this.clientId && claims.sub === this.clientId && claims.aud === this.url
        ? this.clientId
        : undefined;
    }
    return undefined;
  }

  private exchange(
    clientId: string | undefined,
    form: Record<string, string>,
    b: Extract<StsBehaviour, { kind: "exchange" }>,
  ): { status: number; body: unknown } {
    if (clientId === undefined) return { status: 401, body: { error: "invalid_client" } };
    const now = Math.floor(Date.now() / 1000);
    if (form.grant_type === "client_credentials") {
      const token = buildToken({
        header: { alg: "RS256", typ: "at+jwt", kid: this.signingKey.kid },
        payload: {
          iss: "https://sts.example",
          sub: clientId,
          client_id: clientId,
          aud: "sts",
          iat: now,
          exp: now + 600,
          jti: `cc-${now}-${Math.random()}`,
        },
        key: this.signingKey,
      });
      return { status: 200, body: { access_token: token, token_type: "Bearer", expires_in: 600 } };
    }
    if (form.grant_type !== "urn:ietf:params:oauth:grant-type:token-exchange" || form.subject_token === undefined) {
      return { status: 400, body: { error: "unsupported_grant_type" } };
    }
    let subject: Record<string, unknown>;
    try {
      subject = JSON.parse(Buffer.from(form.subject_token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    } catch {
      return { status: 400, body: { error: "invalid_grant" } };
    }
    const mayAct = subject.may_act as { sub?: string } | undefined;
    if (mayAct !== undefined && mayAct.sub !== clientId) return { status: 400, body: { error: "invalid_grant" } };
    const token = buildToken({
      header: { alg: "RS256", typ: "at+jwt", kid: this.signingKey.kid },
      payload: {
        iss: "https://sts.example",
        sub: subject.sub,
        aud: b.aud ?? form.audience ?? form.resource,
        client_id: clientId,
        act: { sub: clientId },
        scope: form.scope,
        iat: now,
        exp: now + (b.expiresIn ?? 300),
        jti: `obo-${now}-${Math.random().toString(36).slice(2)}`,
        ...b.extra,
      },
      key: this.signingKey,
    });
    registerToken(token);
    return {
      status: 200,
      body: {
        access_token: token,
        issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
        token_type: b.tokenType ?? "Bearer",
        expires_in: b.expiresIn ?? 300,
        ...(form.scope ? { scope: form.scope } : {}),
      },
    };
  }
}

export const publicKeyOf = (key: TestKey) => createPublicKey(key.privateKey);
