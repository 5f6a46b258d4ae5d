import { Agent } from "node:https";
import { Logger } from "@aws-lambda-powertools/logger";
import jwt from "jsonwebtoken";
import jwksRsa from "jwks-rsa";

/**
 * The same job done the way many Lambda authors do it: jsonwebtoken + jwks-rsa, with the checks those
 * libraries offer (RS256 only, issuer, audience, expiry with leeway, scope) and the same audit line.
 */
export function alternativeHandler(opts: {
  issuer: string;
  audience: string;
  jwksUri: string;
  ca: string;
  scope: string;
  headers: Record<string, string>;
}) {
  const client = jwksRsa({
    jwksUri: opts.jwksUri,
    cache: true,
    cacheMaxEntries: 10,
    cacheMaxAge: 600_000,
    requestAgent: new Agent({ ca: opts.ca }),
  });
  const logger = new Logger({ serviceName: "alternative" });
  return async (event: {
    mcp: { gatewayRequest: { headers?: Record<string, string>; body: { id?: number; params?: { name?: string } } } };
  }) => {
    const { headers = {}, body } = event.mcp.gatewayRequest;
    const deny = (status: number, reason: string) => {
      logger.warn("audit", { decision: "deny", reason });
      return {
        interceptorOutputVersion: "1.0",
        mcp: {
          transformedGatewayResponse: {
            statusCode: status,
            body: { jsonrpc: "2.0", id: body.id ?? null, error: { code: -31001, message: "denied", data: { reason } } },
          },
        },
      };
    };
    const auth = headers.authorization ?? headers.Authorization;
    if (!auth?.startsWith("Bearer ")) return deny(401, "auth.missing");
    const token = auth.slice(7);
    try {
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.header.kid !== "string") return deny(401, "token.malformed");
      const key = await client.getSigningKey(decoded.header.kid);
      const claims = jwt.verify(token, key.getPublicKey(), {
        algorithms: ["RS256"],
        issuer: opts.issuer,
        audience: opts.audience,
        clockTolerance: 60,
      }) as jwt.JwtPayload;
      if (
        !String(claims.scope ?? "")
          .split(" ")
          .includes(opts.scope)
      )
        return deny(403, "scope.insufficient");
      const out: Record<string, string> = {};
      for (const [name, claim] of Object.entries(opts.headers)) if (claims[claim] !== undefined) out[name] = String(claims[claim]);
      const target = body.params?.name?.split("___")[0];
      logger.info("audit", {
        decision: "allow",
        reason: "mode.claims",
        target,
        iss: claims.iss,
        sub: claims.sub,
        client_id: claims.client_id,
        jti: claims.jti,
        headersSet: Object.keys(out),
      });
      return { interceptorOutputVersion: "1.0", mcp: { transformedGatewayRequest: { headers: out, body } } };
    } catch {
      return deny(401, "token.invalid");
    }
  };
}
