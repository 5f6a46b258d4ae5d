import { JwtVerifier } from "aws-jwt-verify";
import { SimpleFetcher } from "aws-jwt-verify/https";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../src/handler.js";
import { parseConfig } from "../../src/config/load.js";
import { Idp } from "../e2e/stack/idp.js";
import { SecretsManagerServer } from "../support/secrets-manager-server.js";
import { registerToken } from "../support/secrets.js";
import { expectDeny, type Json, mcpEvent, mcpOf, run } from "../support/harness.js";
import { testCa } from "../support/tls.js";

/**
 * `obo` against a real OpenID Provider (oidc-provider) with a registered RFC 8693 grant: the exchanged
 * token verifies at the IdP's JWKS, keeps the user as `sub`, names the target in `aud`, and records the
 * interceptor as `act`. The client secret comes from a loopback Secrets Manager via the real SDK.
 */
const sm = new SecretsManagerServer();
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme-obo-AbCdEf";
const exchangeClient = { clientId: "gateway-interceptor", clientSecret: "acme-interceptor-secret-0123456789" };
let idp: Idp;

beforeAll(async () => {
  await sm.start();
  sm.put(SECRET_ARN, exchangeClient.clientSecret);
  idp = await new Idp({
    name: "acme",
    users: {
      alice: { email: "alice@acme.example", groups: ["eng"], org_id: "acme" },
      carol: { email: "carol@acme.example", groups: [], org_id: "acme" },
    },
    resource: "https://gateway.example/mcp",
    audiences: ["mcp-gateway"],
    scope: "mcp/invoke",
    clientId: "acme-agent",
    clientSecret: "acme-agent-secret-0123456789",
    exchange: { ...exchangeClient, audiences: { "erp-api": "erp.read erp.write" }, refuseUsers: ["carol"] },
  }).start();
});
afterAll(async () => {
  await idp.stop();
  await sm.stop();
});

function handler(audience = "erp-api") {
  const loaded = parseConfig({
    issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: ["mcp-gateway"], clientIds: ["acme-agent"], requireTyp: "at+jwt" }],
    targets: {
      erp: {
        mode: "obo",
        obo: {
          grant: "token-exchange",
          tokenEndpoint: `${idp.issuer}/token`,
          clientId: exchangeClient.clientId,
          clientSecretArn: SECRET_ARN,
          audience,
          scope: "erp.read",
        },
      },
    },
  });
  expect(loaded).toMatchObject({ ok: true });
  return createHandler({ config: loaded, ca: testCa, secretsClientConfig: sm.clientConfig() });
}

const userEvent = async (username: string) => {
  const token = await idp.userToken(username);
  registerToken(token);
  return mcpEvent({ name: "erp___post_invoice", token });
};

describe("obo against oidc-provider's token-exchange grant", () => {
  it("OBO-01 ALLOW(obo): the target's token verifies at the IdP, sub = the user, aud = the target, act = the interceptor", async () => {
    const o = await run(handler(), await userEvent("alice"));
    const exchanged = mcpOf(o).transformedGatewayRequest!.headers!.Authorization!.slice(7);
    registerToken(exchanged);
    const verifier = JwtVerifier.create(
      { issuer: idp.issuer, audience: "erp-api", jwksUri: idp.jwksUri },
      { jwksCache: new SimpleJwksCache({ fetcher: new SimpleFetcher({ defaultRequestOptions: { ca: testCa } }) }) },
    );
    const claims = (await verifier.verify(exchanged)) as Json;
    expect(claims).toMatchObject({
      iss: idp.issuer,
      sub: "alice",
      aud: "erp-api",
      act: { sub: "gateway-interceptor" },
      client_id: "gateway-interceptor",
      scope: "erp.read",
    });
  });

  it("OBO-08 the IdP refuses to exchange this user's token (invalid_grant) → DENY(401, obo.subject_rejected)", async () => {
    expectDeny(await run(handler(), await userEvent("carol")), 401, "obo.subject_rejected");
  });

  it("OBO-09 the IdP refuses the target audience (invalid_target) → DENY(403, obo.refused)", async () => {
    expectDeny(await run(handler("hr-api"), await userEvent("alice")), 403, "obo.refused");
  });
});
