import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { BedrockAgentCoreControlClient } from "@aws-sdk/client-bedrock-agentcore-control";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { planAttach } from "../../cli/attach.js";
import { main } from "../../cli/main.js";
import { parseConfig } from "../../src/config/load.js";
import { ControlPlaneServer, type Json } from "../support/control-plane-server.js";
import { fileTempDir } from "../support/temp.js";

/**
 * The command line against a loopback control plane, driven by the real
 * @aws-sdk/client-bedrock-agentcore-control client (endpoint override, test CA, fake static credentials).
 */
const plane = new ControlPlaneServer();
beforeAll(() => plane.start());
afterAll(() => plane.stop());

const FN = "arn:aws:lambda:eu-west-1:111122223333:function:identity-interceptor:live";
const OTHER_FN = "arn:aws:lambda:eu-west-1:111122223333:function:someone-elses-interceptor";

/** A GetGateway answer with every field the SDK models (API_GetGateway.html). */
function fullGateway(extra: Json = {}): Json {
  return {
    gatewayArn: "arn:aws:bedrock-agentcore:eu-west-1:111122223333:gateway/gw-1",
    gatewayId: "gw-1",
    gatewayUrl: "https://gw-1.gateway.bedrock-agentcore.eu-west-1.amazonaws.com/mcp",
    createdAt: "2026-11-20T10:00:00Z",
    updatedAt: "2026-11-20T10:00:00Z",
    status: "READY",
    statusReasons: ["ok"],
    name: "my-gateway",
    description: "team gateway",
    roleArn: "arn:aws:iam::111122223333:role/gateway",
    protocolType: "MCP",
    protocolConfiguration: { mcp: { supportedVersions: ["2025-06-18"], instructions: "Use the tools", searchType: "SEMANTIC" } },
    authorizerType: "CUSTOM_JWT",
    authorizerConfiguration: {
      customJWTAuthorizer: {
        discoveryUrl: "https://login.acme.example/.well-known/openid-configuration",
        allowedAudience: ["mcp-gateway"],
        allowedClients: ["acme-agent"],
        allowedScopes: ["mcp/invoke"],
      },
    },
    kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    customTransformConfiguration: { lambda: { arn: "arn:aws:lambda:eu-west-1:111122223333:function:transform" } },
    interceptorConfigurations: [],
    policyEngineConfiguration: { arn: "arn:aws:bedrock-agentcore:eu-west-1:111122223333:policy-engine/pe-1", mode: "ENFORCE" },
    workloadIdentityDetails: {
      workloadIdentityArn: "arn:aws:bedrock-agentcore:eu-west-1:111122223333:workload-identity-directory/default/workload-identity/gw-1",
    },
    exceptionLevel: "DEBUG",
    webAclArn: "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/gw/1",
    wafConfiguration: { failureMode: "FAIL_CLOSE" },
    ...extra,
  };
}
const READ_ONLY = [
  "gatewayArn",
  "gatewayId",
  "gatewayUrl",
  "createdAt",
  "updatedAt",
  "status",
  "statusReasons",
  "workloadIdentityDetails",
  "webAclArn",
];

const issuer = (n: string) => ({ issuer: `https://${n}.example`, jwksUri: `https://${n}.example/jwks.json`, audience: ["mcp-gateway"] });
const policy = {
  issuers: [issuer("login.acme")],
  targets: {
    crm: { mode: "claims", headers: { "x-user-sub": { claim: "sub", qualify: true }, "x-user-email": { claim: "email", qualify: true } } },
    orders: { mode: "forward", audience: "orders-api" },
    iam: { mode: "forward", audience: "iam-api", header: "X-Upstream-Authorization" },
    hr: { mode: "claims", headers: { "x-user-sub": { claim: "sub", qualify: true } } },
    erp: { mode: "none" },
  },
};
const dir = fileTempDir("cli-test");
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};
const policyFile = file("policy.json", policy);
const twoIssuersFile = file("two.json", { ...policy, issuers: [issuer("login.acme"), issuer("id.globex")] });

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    client: async () => new BedrockAgentCoreControlClient(plane.clientConfig()),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("attach", () => {
  beforeEach(() => {
    plane.requests.length = 0;
    plane.gateways.set("gw-1", fullGateway());
  });

  it("re-sends every field GetGateway returned and adds the REQUEST interceptor with passRequestHeaders", async () => {
    const r = await cli("attach", "--gateway", "gw-1", "--function-arn", FN);
    expect(r.code).toBe(0);
    expect(plane.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["GET /gateways/gw-1/", "PUT /gateways/gw-1/"]);
    const sent = plane.writes()[0]?.body ?? {};
    const read = fullGateway();
    for (const key of Object.keys(read).filter((k) => !READ_ONLY.includes(k) && k !== "interceptorConfigurations")) {
      expect(sent[key], key).toEqual(read[key]);
    }
    expect(Object.keys(sent).sort()).toEqual(
      Object.keys(read)
        .filter((k) => !READ_ONLY.includes(k))
        .sort(),
    );
    expect(sent.interceptorConfigurations).toEqual([
      { interceptor: { lambda: { arn: FN } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: true } },
    ]);
    expect(r.out).toContain("attached");
    expect(r.err).toContain(
      `note: the gateway's service role arn:aws:iam::111122223333:role/gateway must allow lambda:InvokeFunction on ${FN}`,
    );
  });

  it("--response attaches REQUEST and RESPONSE and keeps another function's unrelated phase", async () => {
    plane.gateways.set(
      "gw-1",
      fullGateway({
        interceptorConfigurations: [
          {
            interceptor: { lambda: { arn: OTHER_FN } },
            interceptionPoints: ["RESPONSE"],
            inputConfiguration: { passRequestHeaders: false },
          },
        ],
      }),
    );
    const keep = await cli("attach", "--gateway", "gw-1", "--function-arn", FN);
    expect(keep.code).toBe(0);
    expect(plane.writes()[0]?.body?.interceptorConfigurations).toEqual([
      { interceptor: { lambda: { arn: OTHER_FN } }, interceptionPoints: ["RESPONSE"], inputConfiguration: { passRequestHeaders: false } },
      { interceptor: { lambda: { arn: FN } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: true } },
    ]);
  });

  it("refuses to replace another function's interceptor without --force, and sends nothing", async () => {
    plane.gateways.set(
      "gw-1",
      fullGateway({
        interceptorConfigurations: [
          {
            interceptor: { lambda: { arn: OTHER_FN } },
            interceptionPoints: ["REQUEST", "RESPONSE"],
            inputConfiguration: { passRequestHeaders: true },
          },
        ],
      }),
    );
    const refused = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--response");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`refused: the gateway already has another interceptor: REQUEST+RESPONSE is served by ${OTHER_FN}`);
    expect(plane.writes()).toEqual([]);

    const forced = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--response", "--force");
    expect(forced.code).toBe(0);
    expect(forced.err).toContain("warning: replacing another interceptor (--force)");
    expect(plane.writes()[0]?.body?.interceptorConfigurations).toEqual([
      {
        interceptor: { lambda: { arn: FN } },
        interceptionPoints: ["REQUEST", "RESPONSE"],
        inputConfiguration: { passRequestHeaders: true },
      },
    ]);
  });

  it("refuses, unless --force, when GetGateway returns members this SDK does not model (the update would drop them)", async () => {
    plane.gateways.set(
      "gw-1",
      fullGateway({
        futureSetting: { on: true },
        protocolConfiguration: { mcp: { supportedVersions: ["2025-06-18"], futureOption: "x" } },
      }),
    );
    const refused = await cli("attach", "--gateway", "gw-1", "--function-arn", FN);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      "refused: GetGateway returned members this SDK does not model (protocolConfiguration.mcp.futureOption, futureSetting): the update would remove them. " +
        "Upgrade agentcore-identity-interceptor (its @aws-sdk/client-bedrock-agentcore-control), or re-run with --force to drop them",
    );
    expect(plane.writes()).toEqual([]);
    const forced = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--force");
    expect(forced.code).toBe(0);
    expect(forced.err).toContain("warning: GetGateway returned members this SDK does not model");
    expect(plane.writes()[0]?.body?.protocolConfiguration).toEqual({ mcp: { supportedVersions: ["2025-06-18"] } });
  });

  it("--dry-run prints the exact request and writes nothing", async () => {
    const r = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--dry-run");
    expect(r.code).toBe(0);
    expect(plane.writes()).toEqual([]);
    const printed = JSON.parse(r.out.slice(r.out.indexOf("{"))) as Json;
    const expected = planAttach(
      {
        ...Object.fromEntries(Object.entries(fullGateway()).filter(([k]) => !["createdAt", "updatedAt"].includes(k))),
        createdAt: new Date(0),
        updatedAt: new Date(0),
      } as never,
      { gatewayId: "gw-1", functionArn: FN, response: false, force: false },
    ).request;
    expect(printed).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(printed).toMatchObject({
      gatewayIdentifier: "gw-1",
      name: "my-gateway",
      interceptorConfigurations: [{ interceptionPoints: ["REQUEST"] }],
    });
  });

  it("turns passRequestHeaders on for its own function, with a warning, and re-points a new qualifier", async () => {
    plane.gateways.set(
      "gw-1",
      fullGateway({
        interceptorConfigurations: [
          {
            interceptor: { lambda: { arn: FN.replace(":live", ":3") } },
            interceptionPoints: ["REQUEST"],
            inputConfiguration: { passRequestHeaders: false },
          },
        ],
      }),
    );
    const r = await cli("attach", "--gateway", "gw-1", "--function-arn", FN);
    expect(r.code).toBe(0);
    expect(r.err).toContain("warning: passRequestHeaders was off");
    expect(r.err).toContain("note: re-pointing");
    expect(plane.writes()[0]?.body?.interceptorConfigurations).toEqual([
      { interceptor: { lambda: { arn: FN } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: true } },
    ]);
  });

  it("sends nothing when the gateway already has exactly this interceptor", async () => {
    plane.gateways.set(
      "gw-1",
      fullGateway({
        interceptorConfigurations: [
          { interceptor: { lambda: { arn: FN } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: true } },
        ],
      }),
    );
    const r = await cli("attach", "--gateway", "gw-1", "--function-arn", FN);
    expect(r.code).toBe(0);
    expect(r.err).toContain("nothing to change");
    expect(plane.writes()).toEqual([]);
  });

  it("warns when the config trusts several issuers but the gateway's CUSTOM_JWT has one discovery URL", async () => {
    const r = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--config", twoIssuersFile, "--dry-run");
    expect(r.err).toContain(
      "warning: the config trusts 2 issuers but the gateway's CUSTOM_JWT authorizer accepts tokens of one discovery URL",
    );
    const one = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--config", policyFile, "--dry-run");
    expect(one.err).not.toContain("warning");
  });

  it("refuses a malformed function ARN and reports usage errors", async () => {
    expect((await cli("attach", "--gateway", "gw-1", "--function-arn", "arn:aws:lambda:eu-west-1:1:function:x")).err).toContain(
      "not a Lambda function ARN",
    );
    expect((await cli("attach", "--gateway", "gw-1")).code).toBe(2);
    expect((await cli("attach", "--bogus")).code).toBe(2);
    expect(plane.writes()).toEqual([]);
  });
});

describe("planAttach (pure)", () => {
  const read = (interceptorConfigurations: unknown[]) =>
    ({ ...fullGateway({ interceptorConfigurations }), createdAt: new Date(0), updatedAt: new Date(0) }) as never;
  const opts = { gatewayId: "gw-1", functionArn: FN, response: false, force: false };

  it("keeps the RESPONSE phase its own function already serves, and its payload filter", () => {
    const plan = planAttach(
      read([
        {
          interceptor: { lambda: { arn: FN } },
          interceptionPoints: ["RESPONSE"],
          inputConfiguration: { passRequestHeaders: true, payloadFilter: { exclude: [{ field: "RESPONSE_BODY" }] } },
        },
      ]),
      opts,
    );
    expect(plan.request?.interceptorConfigurations).toEqual([
      {
        interceptor: { lambda: { arn: FN } },
        interceptionPoints: ["REQUEST", "RESPONSE"],
        inputConfiguration: { passRequestHeaders: true, payloadFilter: { exclude: [{ field: "RESPONSE_BODY" }] } },
      },
    ]);
    expect(plan.notes).toContain("keeping the RESPONSE phase this function already serves");
  });

  it("with --force keeps the phase of another function it does not take", () => {
    const plan = planAttach(
      read([
        {
          interceptor: { lambda: { arn: OTHER_FN } },
          interceptionPoints: ["REQUEST", "RESPONSE"],
          inputConfiguration: { passRequestHeaders: true },
        },
      ]),
      { ...opts, force: true },
    );
    expect(plan.request?.interceptorConfigurations).toEqual([
      { interceptor: { lambda: { arn: OTHER_FN } }, interceptionPoints: ["RESPONSE"], inputConfiguration: { passRequestHeaders: true } },
      { interceptor: { lambda: { arn: FN } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: true } },
    ]);
  });

  it.each(["AWS_IAM", "AUTHENTICATE_ONLY"])("refuses a %s gateway (SigV4 callers send no bearer token) unless --force", (type) => {
    const gateway = { ...fullGateway({ authorizerType: type, authorizerConfiguration: undefined }), createdAt: new Date(0) } as never;
    const refused = planAttach(gateway, opts);
    expect(refused.request).toBeUndefined();
    expect(refused.refusal).toBe(
      `authorizerType ${type}: callers sign with SigV4, so no bearer token reaches the interceptor and it would deny every message (401 auth.missing). Use authorizerType CUSTOM_JWT or NONE, or re-run with --force`,
    );
    const forced = planAttach(gateway, { ...opts, force: true });
    expect(forced.request?.authorizerType).toBe(type);
    expect(forced.warnings).toContain(
      `authorizerType ${type}: callers sign with SigV4, so no bearer token reaches the interceptor and it would deny every message (401 auth.missing) (--force)`,
    );
  });

  it("says the interceptor is the only authentication on a NONE gateway, and refuses without a role", () => {
    expect(
      planAttach({ ...fullGateway({ authorizerType: "NONE", authorizerConfiguration: undefined }), createdAt: new Date(0) } as never, opts)
        .warnings,
    ).toEqual(["authorizerType NONE: the interceptor is the only authentication of this gateway (it verifies every message)"]);
    expect(planAttach({ ...fullGateway({ roleArn: undefined }) } as never, opts).refusal).toContain("no name, roleArn or authorizerType");
  });
});

it("an AWS error ends the command with its name and message, not a stack trace", async () => {
  const r = await cli("attach", "--gateway", "missing-gw", "--function-arn", FN);
  expect(r.code).toBe(1);
  expect(r.err).toBe("error: ResourceNotFoundException: not found");
});

/** A GetGatewayTarget answer (API_GetGatewayTarget.html). */
function mcpTarget(id: string, name: string, allowed?: string[]): Json {
  return {
    gatewayArn: "arn:aws:bedrock-agentcore:eu-west-1:111122223333:gateway/gw-1",
    targetId: id,
    createdAt: "2026-11-20T10:00:00Z",
    updatedAt: "2026-11-20T10:00:00Z",
    status: "READY",
    name,
    description: `${name} server`,
    targetConfiguration: { mcp: { mcpServer: { endpoint: `https://${name}.internal.example/mcp` } } },
    credentialProviderConfigurations: [
      {
        credentialProviderType: "OAUTH",
        credentialProvider: {
          oauthCredentialProvider: {
            providerArn: `arn:aws:bedrock-agentcore:eu-west-1:111122223333:token-vault/default/oauth2credentialprovider/${name}`,
            scopes: ["api"],
          },
        },
      },
    ],
    lastSynchronizedAt: "2026-11-20T10:00:00Z",
    ...(allowed ? { metadataConfiguration: { allowedRequestHeaders: allowed, allowedResponseHeaders: ["x-rate-limit-remaining"] } } : {}),
  };
}

describe("sync-targets", () => {
  beforeEach(() => {
    plane.requests.length = 0;
    plane.gateways.set("gw-1", fullGateway());
    plane.targets.set(
      "gw-1",
      new Map([
        ["T1", mcpTarget("T1", "crm", ["x-trace-id"])],
        ["T2", mcpTarget("T2", "orders")],
        ["T3", mcpTarget("T3", "iam", ["X-UPSTREAM-AUTHORIZATION"])],
        ["T4", mcpTarget("T4", "weather")],
        ["T5", mcpTarget("T5", "hr")],
      ]),
    );
  });

  it("sends exactly the expected allowlists, re-sending every target field, and reports both gaps", async () => {
    const r = await cli("sync-targets", "--gateway", "gw-1", "--config", policyFile);
    expect(r.code).toBe(0);
    const puts = plane.writes();
    expect(puts.map((p) => p.path)).toEqual(["/gateways/gw-1/targets/T1/", "/gateways/gw-1/targets/T5/"]);
    expect(puts[0]?.body).toEqual({
      name: "crm",
      description: "crm server",
      targetConfiguration: { mcp: { mcpServer: { endpoint: "https://crm.internal.example/mcp" } } },
      credentialProviderConfigurations: mcpTarget("T1", "crm").credentialProviderConfigurations,
      metadataConfiguration: {
        allowedRequestHeaders: ["x-user-sub", "x-user-email", "x-trace-id"],
        allowedResponseHeaders: ["x-rate-limit-remaining"],
      },
    });
    expect(puts[1]?.body).toMatchObject({ name: "hr", metadataConfiguration: { allowedRequestHeaders: ["x-user-sub"] } });
    expect(r.out).toContain("iam: allowlist up to date");
    expect(r.out).toContain("crm: keeping allowlist entries the interceptor does not set: x-trace-id");
    expect(r.out).toContain("weather: on the gateway, not in the policy (gets no identity)");
    expect(r.out).toContain("erp: in the policy, not on the gateway");
    expect(r.out).toContain("crm: allowedRequestHeaders = x-user-sub, x-user-email, x-trace-id (added x-user-sub, x-user-email)");
    // ListGatewayTargets was paged (page size 2): every target was seen.
    expect(plane.requests.filter((q) => q.method === "GET" && q.path === "/gateways/gw-1/targets/").length).toBe(3);
  });

  it("re-sends a target's certificateConfigurations, and refuses unless --force a member this SDK does not model", async () => {
    const certificateConfigurations = [{ secretsManager: { secretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ca-AbCdEf" } }];
    plane.targets.get("gw-1")?.set("T5", { ...mcpTarget("T5", "hr"), certificateConfigurations });
    const r = await cli("sync-targets", "--gateway", "gw-1", "--config", policyFile);
    expect(r.code).toBe(0);
    expect(plane.writes().find((w) => w.path === "/gateways/gw-1/targets/T5/")?.body?.certificateConfigurations).toEqual(
      certificateConfigurations,
    );

    plane.requests.length = 0;
    plane.targets.get("gw-1")?.set("T5", { ...mcpTarget("T5", "hr"), futureTargetSetting: "x" });
    const refused = await cli("sync-targets", "--gateway", "gw-1", "--config", policyFile);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      "error: hr: GetGatewayTarget returned members this SDK does not model (futureTargetSetting): the update would remove them.",
    );
    expect(plane.writes()).toEqual([]);
    const forced = await cli("sync-targets", "--gateway", "gw-1", "--config", policyFile, "--force");
    expect(forced.code).toBe(0);
    expect(forced.err).toContain("warning: hr: GetGatewayTarget returned members this SDK does not model (futureTargetSetting)");
  });

  it("--prune drops entries the interceptor does not set; --dry-run writes nothing", async () => {
    const dry = await cli("sync-targets", "--gateway", "gw-1", "--config", policyFile, "--prune", "--dry-run");
    expect(dry.code).toBe(0);
    expect(plane.writes()).toEqual([]);
    expect(dry.out).toMatch(/"allowedRequestHeaders": \[\s*"x-user-sub",\s*"x-user-email"\s*\]/);
    await cli("sync-targets", "--gateway", "gw-1", "--config", policyFile, "--prune");
    expect(plane.writes()[0]?.body?.metadataConfiguration).toEqual({
      allowedRequestHeaders: ["x-user-sub", "x-user-email"],
      allowedResponseHeaders: ["x-rate-limit-remaining"],
    });
  });

  it("sends nothing when an allowlist would exceed 10 headers", async () => {
    plane.targets.get("gw-1")?.set(
      "T1",
      mcpTarget(
        "T1",
        "crm",
        Array.from({ length: 9 }, (_, i) => `x-extra-${i}`),
      ),
    );
    const r = await cli("sync-targets", "--gateway", "gw-1", "--config", policyFile);
    expect(r.code).toBe(1);
    expect(r.err).toContain("crm: needs 11 allowed request headers");
    expect(plane.writes()).toEqual([]);
  });

  it("refuses an invalid config with its field paths before calling AWS", async () => {
    const bad = file("bad.json", { issuers: [{ issuer: "x", jwksUri: "http://x" }] });
    const r = await cli("sync-targets", "--gateway", "gw-1", "--config", bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain("issuers[0].jwksUri: must be an https:// URL");
    expect(plane.requests).toEqual([]);
  });
});

describe("--dry-run --from-file: the exact request, offline", () => {
  beforeEach(() => {
    plane.requests.length = 0;
  });

  it("attach prints what the live dry run prints, from a saved GetGateway answer, with no request sent", async () => {
    plane.gateways.set("gw-1", fullGateway());
    const live = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--response", "--dry-run");
    plane.requests.length = 0;
    const saved = file("gateway.json", fullGateway());
    const offline = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--response", "--dry-run", "--from-file", saved);
    expect(offline).toEqual(live);
    expect(offline.code).toBe(0);
    expect(plane.requests).toEqual([]);
    // A member this SDK does not model is found offline too.
    const future = file("future.json", fullGateway({ futureSetting: 1 }));
    const refused = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--dry-run", "--from-file", future);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("refused: GetGateway returned members this SDK does not model (futureSetting)");
  });

  it("sync-targets prints what the live dry run prints, from saved GetGatewayTarget answers", async () => {
    const targets = [mcpTarget("T1", "crm", ["x-trace-id"]), mcpTarget("T2", "orders"), mcpTarget("T5", "hr")];
    plane.gateways.set("gw-1", fullGateway());
    plane.targets.set("gw-1", new Map(targets.map((t) => [String(t.targetId), t])));
    const live = await cli("sync-targets", "--gateway", "gw-1", "--config", policyFile, "--dry-run");
    plane.requests.length = 0;
    const offline = await cli(
      "sync-targets",
      "--gateway",
      "gw-1",
      "--config",
      policyFile,
      "--dry-run",
      "--from-file",
      file("targets.json", { targets }),
    );
    expect(offline).toEqual(live);
    expect(offline.out).toContain('"allowedRequestHeaders": [');
    expect(plane.requests).toEqual([]);
  });

  it("is for dry runs only", async () => {
    const saved = file("gateway.json", fullGateway());
    const r = await cli("attach", "--gateway", "gw-1", "--function-arn", FN, "--from-file", saved);
    expect(r.code).toBe(2);
    expect(r.err).toContain("attach: --from-file works with --dry-run only");
  });
});

describe("the bin, as npx runs it", () => {
  it("attaches through the real SDK's standard settings (endpoint and CA from the environment)", async () => {
    plane.requests.length = 0;
    plane.gateways.set("gw-1", fullGateway());
    const bin = new URL("../../bin/agentcore-interceptor.mjs", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, "attach", "--gateway", "gw-1", "--function-arn", FN, "--region", "eu-west-1"],
      {
        env: {
          PATH: process.env.PATH ?? "",
          AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL: plane.url,
          NODE_EXTRA_CA_CERTS: new URL("../support/tls/ca.pem", import.meta.url).pathname,
          AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
          AWS_SECRET_ACCESS_KEY: "local-test-secret-key",
        },
        timeout: 20_000,
      },
    );
    expect(stdout).toContain("attached");
    expect(plane.writes()[0]?.body?.interceptorConfigurations).toEqual([
      { interceptor: { lambda: { arn: FN } }, interceptionPoints: ["REQUEST"], inputConfiguration: { passRequestHeaders: true } },
    ]);
  });
});

it("the test policy is valid", () => {
  expect(parseConfig(policy).ok).toBe(true);
});
