import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { closeServer, listenOnLoopback } from "../../support/loopback.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import { SimpleFetcher } from "aws-jwt-verify/https";
import { testCa } from "../../support/tls.js";

/**
 * A real MCP server (@modelcontextprotocol/sdk, Streamable HTTP, stateless) standing in for one
 * gateway target. Its `whoami` tool and `whoami` prompt report the identity they received; every
 * request's headers are recorded so tests can assert on what actually reached the target.
 */
export interface TokenCheck {
  issuers: { issuer: string; jwksUri: string }[];
  audience: string;
}

/** A target that trusts the interceptor's signed assertion (verified with aws-jwt-verify against its JWKS). */
export interface AssertionCheck {
  header: string;
  issuer: string;
  audience: string;
  jwksUri: string;
}

export interface Identity {
  /** Identity headers as received (the Authorization value is reported as verified claims, never echoed). */
  headers: Record<string, string>;
  token?: { verified: true; iss: string; sub: string; aud: string | string[]; act?: unknown } | { verified: false; error: string };
  /** The verified assertion's claims (iss, sub, aud, idp, configured claims; never iat/exp/jti), or why it was refused. */
  assertion?: { verified: true; claims: Record<string, unknown>; lifetime: number } | { verified: false; error: string };
}

const IDENTITY_HEADER = /^(authorization|x-user-|x-org-|x-forwarded-user|x-remote-user|x-api-key)/i;

export class McpTarget {
  /** Headers of every HTTP request this target received, in order. */
  readonly seen: IncomingHttpHeaders[] = [];
  private server: Server | undefined;
  private readonly verifier;
  private readonly assertionVerifier;
  url = "";

  constructor(
    readonly name: string,
    tokenCheck?: TokenCheck,
    private readonly assertionCheck?: AssertionCheck,
    /** More tools that, like `whoami`, report the identity they received (per-tool rules at work). */
    private readonly moreTools: readonly string[] = [],
  ) {
    this.verifier = tokenCheck
      ? JwtVerifier.create(
          tokenCheck.issuers.map((i) => ({ ...i, audience: tokenCheck.audience })),
          { jwksCache: new SimpleJwksCache({ fetcher: new SimpleFetcher({ defaultRequestOptions: { ca: testCa } }) }) },
        )
      : undefined;
    // What docs/assertion.md tells a target to do: aws-jwt-verify against the interceptor's published JWKS.
    this.assertionVerifier = assertionCheck
      ? JwtVerifier.create(
          { issuer: assertionCheck.issuer, audience: assertionCheck.audience, jwksUri: assertionCheck.jwksUri },
          { jwksCache: new SimpleJwksCache({ fetcher: new SimpleFetcher({ defaultRequestOptions: { ca: testCa } }) }) },
        )
      : undefined;
  }

  /** Verifies an assertion as this target would (also used to replay one directly at the target). */
  async checkAssertion(value: string): Promise<NonNullable<Identity["assertion"]>> {
    if (this.assertionVerifier === undefined) return { verified: false, error: "no assertion check" };
    try {
      const { iat, exp, jti: _jti, ...claims } = (await this.assertionVerifier.verify(value)) as Record<string, unknown>;
      return { verified: true, claims, lifetime: Number(exp) - Number(iat) };
    } catch (err) {
      return { verified: false, error: (err as Error).constructor.name };
    }
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.seen.push(req.headers);
      const mcp = new McpServer({ name: `${this.name}-target`, version: "1.0.0" });
      mcp.registerTool("whoami", { description: `Reports the caller identity the ${this.name} target received` }, async () => {
        const identity = await this.identity(req.headers);
        return { content: [{ type: "text", text: JSON.stringify(identity) }] };
      });
      mcp.registerPrompt(
        "whoami",
        { description: `A prompt rendered with the caller identity the ${this.name} target received` },
        async () => {
          const identity = await this.identity(req.headers);
          return { messages: [{ role: "user", content: { type: "text", text: JSON.stringify(identity) } }] };
        },
      );
      mcp.registerTool("echo", { description: "Answers pong" }, async () => ({ content: [{ type: "text", text: "pong" }] }));
      for (const tool of this.moreTools) {
        mcp.registerTool(tool, { description: `${tool}: reports the caller identity the ${this.name} target received` }, async () => {
          const identity = await this.identity(req.headers);
          return { content: [{ type: "text", text: JSON.stringify(identity) }] };
        });
      }
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true }); // no sessionIdGenerator: stateless;
      res.on("close", () => {
        void transport.close();
        void mcp.close();
      });
      void mcp.connect(transport).then(() => transport.handleRequest(req, res));
    });
    this.url = `http://127.0.0.1:${await listenOnLoopback(this.server)}/mcp`;
    return this;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async identity(headers: IncomingHttpHeaders): Promise<Identity> {
    const out: Identity = { headers: {} };
    for (const [name, value] of Object.entries(headers)) {
      if (!IDENTITY_HEADER.test(name) || value === undefined) continue;
      out.headers[name] = name === "authorization" ? "(bearer token)" : String(value);
    }
    const auth = headers.authorization;
    if (this.verifier && typeof auth === "string" && auth.startsWith("Bearer ")) {
      try {
        const claims = (await this.verifier.verify(auth.slice(7))) as Record<string, unknown>;
        out.token = { verified: true, iss: String(claims.iss), sub: String(claims.sub), aud: claims.aud as string | string[] };
        if (claims.act !== undefined) out.token.act = claims.act;
      } catch (err) {
        out.token = { verified: false, error: (err as Error).constructor.name };
      }
    }
    const assertion = this.assertionCheck ? headers[this.assertionCheck.header] : undefined;
    if (typeof assertion === "string") out.assertion = await this.checkAssertion(assertion);
    return out;
  }
}
