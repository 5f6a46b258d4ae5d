import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ControlPlaneServer, type Json } from "../support/control-plane-server.js";

/**
 * The existing-gateway custom resource (cdk/custom-resource/attach-existing.ts), as the package ships it:
 * the bundle dist/custom-resource/index.mjs (built by the suite's global setup), invoked with the
 * CloudFormation events the CDK Provider framework hands its onEvent handler, its bundled AWS SDK
 * pointed at the loopback control plane (endpoint, test CA, fake credentials).
 */
type Handler = typeof import("../../cdk/custom-resource/attach-existing.js");
const plane = new ControlPlaneServer();
let mod: Handler;
beforeAll(async () => {
  await plane.start();
  const url = pathToFileURL(new URL("../../dist/custom-resource/index.mjs", import.meta.url).pathname).href;
  mod = (await import(/* @vite-ignore */ url)) as Handler;
});
afterAll(() => plane.stop());

const FN = "arn:aws:lambda:eu-west-1:111122223333:function:identity-interceptor:live";
const OTHER_FN = "arn:aws:lambda:eu-west-1:111122223333:function:someone-elses-interceptor";
const GATEWAY_ARN = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:gateway/gw-1";

function gateway(extra: Json = {}): Json {
  return {
    gatewayArn: GATEWAY_ARN,
    gatewayId: "gw-1",
    gatewayUrl: "https://gw-1.gateway.bedrock-agentcore.eu-west-1.amazonaws.com/mcp",
    createdAt: "2026-11-20T10:00:00Z",
    updatedAt: "2026-11-20T10:00:00Z",
    status: "READY",
    name: "team-gateway",
    description: "made in the console",
    roleArn: "arn:aws:iam::111122223333:role/gateway",
    protocolType: "MCP",
    protocolConfiguration: { mcp: { supportedVersions: ["2025-06-18"], searchType: "SEMANTIC" } },
    authorizerType: "CUSTOM_JWT",
    authorizerConfiguration: {
      customJWTAuthorizer: {
        discoveryUrl: "https://login.acme.example/.well-known/openid-configuration",
        allowedAudience: ["mcp-gateway"],
      },
    },
    kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    interceptorConfigurations: [
      { interceptor: { lambda: { arn: OTHER_FN } }, interceptionPoints: ["RESPONSE"], inputConfiguration: { passRequestHeaders: false } },
    ],
    exceptionLevel: "DEBUG",
    ...extra,
  };
}
/** What UpdateGateway must re-send: every updatable field read. */
const resent = (g: Json) =>
  Object.fromEntries(
    Object.entries(g).filter(([k]) => !["gatewayArn", "gatewayId", "gatewayUrl", "createdAt", "updatedAt", "status"].includes(k)),
  );

function target(id: string, name: string, allowed?: string[]): Json {
  return {
    gatewayArn: GATEWAY_ARN,
    targetId: id,
    createdAt: "2026-11-20T10:00:00Z",
    updatedAt: "2026-11-20T10:00:00Z",
    status: "READY",
    name,
    targetConfiguration: { mcp: { mcpServer: { endpoint: `https://${name}.internal.example/mcp` } } },
    credentialProviderConfigurations: [{ credentialProviderType: "GATEWAY_IAM_ROLE" }],
    ...(allowed ? { metadataConfiguration: { allowedRequestHeaders: allowed, allowedResponseHeaders: ["x-rate"] } } : {}),
  };
}

const acme = { issuer: "https://login.acme.example", jwksUri: "https://login.acme.example/jwks.json", audience: ["mcp-gateway"] };
const policy = (crmHeaders: Record<string, unknown>) => ({
  issuers: [acme],
  targets: {
    crm: { mode: "claims", headers: crmHeaders },
    hr: { mode: "claims", headers: { "x-user-sub": { claim: "sub", qualify: true } } },
  },
});
const both = { "x-user-sub": { claim: "sub", qualify: true }, "x-user-email": { claim: "email", qualify: true } };
const props = (o: { config?: unknown; response?: boolean; force?: boolean; gatewayId?: string } = {}) => ({
  ServiceToken: "arn:aws:lambda:eu-west-1:111122223333:function:provider",
  GatewayId: o.gatewayId ?? "gw-1",
  FunctionArn: FN,
  ResponsePhase: String(o.response ?? false),
  Force: String(o.force ?? false),
  Config: JSON.stringify(o.config ?? policy(both)),
});

const logs: string[] = [];
const onEvent = () => mod.onEventWith(plane.clientConfig(), (l) => logs.push(l));
const puts = () => plane.writes().map((w) => ({ path: w.path, body: w.body }));

beforeEach(() => {
  plane.requests.length = 0;
  logs.length = 0;
  plane.gateways.set("gw-1", gateway());
  plane.targets.set(
    "gw-1",
    new Map([
      ["T1", target("T1", "crm", ["X-User-Sub", "x-trace-id"])],
      ["T2", target("T2", "hr")],
      ["T3", target("T3", "weather")],
    ]),
  );
});

describe("create, update, delete", () => {
  it("create writes the gateway back whole with the interceptor added, and each policy target's allowlist", async () => {
    const created = await onEvent()({ RequestType: "Create", ResourceProperties: props() });
    // X-User-Sub was allowlisted before: recorded, so delete leaves it.
    const kept = Buffer.from(JSON.stringify({ crm: ["x-user-sub"] })).toString("base64url");
    expect(created).toEqual({ PhysicalResourceId: `agentcore-interceptor-attachment/gw-1/${kept}`, Data: { GatewayId: "gw-1" } });
    expect(puts()).toEqual([
      {
        path: "/gateways/gw-1/targets/T1/",
        body: {
          name: "crm",
          targetConfiguration: target("T1", "crm").targetConfiguration,
          credentialProviderConfigurations: [{ credentialProviderType: "GATEWAY_IAM_ROLE" }],
          metadataConfiguration: {
            allowedRequestHeaders: ["X-User-Sub", "x-user-email", "x-trace-id"],
            allowedResponseHeaders: ["x-rate"],
          },
        },
      },
      {
        path: "/gateways/gw-1/targets/T2/",
        body: {
          name: "hr",
          targetConfiguration: target("T2", "hr").targetConfiguration,
          credentialProviderConfigurations: [{ credentialProviderType: "GATEWAY_IAM_ROLE" }],
          metadataConfiguration: { allowedRequestHeaders: ["x-user-sub"] },
        },
      },
      {
        path: "/gateways/gw-1/",
        body: {
          ...resent(gateway()),
          interceptorConfigurations: [
            {
              interceptor: { lambda: { arn: OTHER_FN } },
              interceptionPoints: ["RESPONSE"],
              inputConfiguration: { passRequestHeaders: false },
            },
            { interceptor: { lambda: { arn: FN } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: true } },
          ],
        },
      },
    ]);
    expect(logs).toContain(`attached ${FN} to gateway gw-1`);

    // Update: the config no longer sends x-user-email to crm. What the resource added and no longer
    // needs goes; the interceptor entry is already right, so the gateway is not written.
    plane.requests.length = 0;
    const updated = await onEvent()({
      RequestType: "Update",
      PhysicalResourceId: created.PhysicalResourceId,
      ResourceProperties: props({ config: policy({ "x-user-sub": { claim: "sub", qualify: true } }) }),
      OldResourceProperties: props(),
    });
    expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(puts()).toEqual([
      {
        path: "/gateways/gw-1/targets/T1/",
        body: expect.objectContaining({
          metadataConfiguration: { allowedRequestHeaders: ["X-User-Sub", "x-trace-id"], allowedResponseHeaders: ["x-rate"] },
        }),
      },
    ]);

    // Update: the RESPONSE phase asked for while another function serves it: refused, nothing written.
    plane.requests.length = 0;
    await expect(
      onEvent()({
        RequestType: "Update",
        PhysicalResourceId: created.PhysicalResourceId,
        ResourceProperties: props({ config: policy({ "x-user-sub": { claim: "sub", qualify: true } }), response: true }),
        OldResourceProperties: props({ config: policy({ "x-user-sub": { claim: "sub", qualify: true } }) }),
      }),
    ).rejects.toThrow(
      `refused: the gateway already has another interceptor: RESPONSE is served by ${OTHER_FN}. Re-run with force: true to replace it`,
    );
    expect(plane.writes()).toEqual([]);

    // Delete: only this function's entry and the allowlist entries it added go; the other function's
    // interceptor, X-User-Sub (there before) and x-trace-id stay.
    plane.requests.length = 0;
    const deleted = await onEvent()({
      RequestType: "Delete",
      PhysicalResourceId: created.PhysicalResourceId,
      ResourceProperties: props({ config: policy({ "x-user-sub": { claim: "sub", qualify: true } }) }),
    });
    expect(deleted).toEqual({ PhysicalResourceId: created.PhysicalResourceId });
    expect(puts()).toEqual([
      {
        path: "/gateways/gw-1/",
        body: {
          ...resent(gateway()),
          interceptorConfigurations: [
            {
              interceptor: { lambda: { arn: OTHER_FN } },
              interceptionPoints: ["RESPONSE"],
              inputConfiguration: { passRequestHeaders: false },
            },
          ],
        },
      },
      {
        path: "/gateways/gw-1/targets/T2/",
        body: expect.objectContaining({ name: "hr", metadataConfiguration: { allowedRequestHeaders: [] } }),
      },
    ]);
    expect(plane.targets.get("gw-1")?.get("T1")?.metadataConfiguration).toEqual({
      allowedRequestHeaders: ["X-User-Sub", "x-trace-id"],
      allowedResponseHeaders: ["x-rate"],
    });
  });

  it("takes a gateway ARN as well as an id", async () => {
    const created = await onEvent()({ RequestType: "Create", ResourceProperties: props({ gatewayId: GATEWAY_ARN }) });
    expect(created.PhysicalResourceId.startsWith("agentcore-interceptor-attachment/gw-1/")).toBe(true);
    expect(plane.writes().map((w) => w.path)).toEqual(["/gateways/gw-1/targets/T1/", "/gateways/gw-1/targets/T2/", "/gateways/gw-1/"]);
  });

  it("a delete after a create that failed (no physical id of its own) touches nothing", async () => {
    const r = await onEvent()({ RequestType: "Delete", PhysicalResourceId: "2026/12/06/[$LATEST]abc", ResourceProperties: props() });
    expect(r).toEqual({ PhysicalResourceId: "2026/12/06/[$LATEST]abc" });
    expect(plane.requests).toEqual([]);
  });

  it("a delete of a gateway that is gone succeeds", async () => {
    plane.gateways.delete("gw-1");
    const r = await onEvent()({
      RequestType: "Delete",
      PhysicalResourceId: "agentcore-interceptor-attachment/gw-1",
      ResourceProperties: props(),
    });
    expect(r).toEqual({ PhysicalResourceId: "agentcore-interceptor-attachment/gw-1" });
    expect(plane.writes()).toEqual([]);
  });
});

describe("refusals fail the deployment with the reason and write nothing", () => {
  it("another function at REQUEST, unless force", async () => {
    const other = {
      interceptor: { lambda: { arn: OTHER_FN } },
      interceptionPoints: ["REQUEST"],
      inputConfiguration: { passRequestHeaders: true },
    };
    plane.gateways.set("gw-1", gateway({ interceptorConfigurations: [other] }));
    await expect(onEvent()({ RequestType: "Create", ResourceProperties: props() })).rejects.toThrow(
      `refused: the gateway already has another interceptor: REQUEST is served by ${OTHER_FN}. Re-run with force: true to replace it`,
    );
    expect(plane.writes()).toEqual([]);

    await onEvent()({ RequestType: "Create", ResourceProperties: props({ force: true }) });
    expect(plane.gateways.get("gw-1")?.interceptorConfigurations).toEqual([
      { interceptor: { lambda: { arn: FN } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: true } },
    ]);
    expect(logs).toContain(`warning: replacing another interceptor (--force): REQUEST is served by ${OTHER_FN}`);
  });

  it.each(["AWS_IAM", "AUTHENTICATE_ONLY"])("a %s gateway: no bearer token reaches the interceptor", async (type) => {
    plane.gateways.set("gw-1", gateway({ authorizerType: type, authorizerConfiguration: undefined }));
    await expect(onEvent()({ RequestType: "Create", ResourceProperties: props() })).rejects.toThrow(
      `refused: authorizerType ${type}: callers sign with SigV4, so no bearer token reaches the interceptor and it would deny every message (401 auth.missing). Use authorizerType CUSTOM_JWT or NONE, or re-run with force: true`,
    );
    expect(plane.writes()).toEqual([]);
  });

  it("a target that would need more than 10 headers", async () => {
    plane.targets.get("gw-1")?.set(
      "T1",
      target(
        "T1",
        "crm",
        Array.from({ length: 9 }, (_, i) => `x-extra-${i}`),
      ),
    );
    await expect(onEvent()({ RequestType: "Create", ResourceProperties: props() })).rejects.toThrow(
      /^refused: gateway targets: crm: needs 11 allowed request headers .*AgentCore allows at most 10 per target$/,
    );
    expect(plane.writes()).toEqual([]);
  });

  it("members the service returned that this SDK does not model, unless force", async () => {
    plane.gateways.set("gw-1", gateway({ futureSetting: "x" }));
    await expect(onEvent()({ RequestType: "Create", ResourceProperties: props() })).rejects.toThrow(
      "refused: GetGateway returned members this SDK does not model (futureSetting): the update would remove them. " +
        "Upgrade agentcore-identity-interceptor (its @aws-sdk/client-bedrock-agentcore-control), or re-run with force: true to drop them",
    );
    expect(plane.writes()).toEqual([]);
  });

  it("an invalid config", async () => {
    await expect(
      onEvent()({ RequestType: "Create", ResourceProperties: { ...props(), Config: JSON.stringify({ issuers: [], targets: {} }) } }),
    ).rejects.toThrow(/^invalid interceptor config: /);
    expect(plane.requests).toEqual([]);
  });
});
