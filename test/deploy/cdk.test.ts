import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, CfnResource, Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import {
  CfnGatewayTarget,
  Gateway,
  GatewayAuthorizer,
  GatewayCredentialProvider,
  GatewayTarget,
  McpGatewaySearchType,
} from "aws-cdk-lib/aws-bedrockagentcore";
import * as kms from "aws-cdk-lib/aws-kms";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { IdentityInterceptor } from "../../cdk/identity-interceptor.js";
import { parseConfig } from "../../src/config/load.js";
import { validatedConfig } from "../../src/config/validated.js";

/**
 * The CDK construct, synthesised offline (Template.fromStack needs no AWS account). The Lambda asset is
 * this repo's dist/ (built by the suite's global setup) plus the config.
 * CDK names: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_bedrockagentcore-readme.html
 */
// CDK's built-in CloudFormation schema validation (a wasm module) costs ~20 s here on a loaded machine;
// `npm run cdk:synth` keeps it on for the example app. Stubbed for this file only, and restored after it.
beforeAll(() => {
  vi.stubEnv("CDK_VALIDATION", "false");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:interceptor-obo-AbCdEf";
const SIGNING = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:interceptor-assertion-AbCdEf";
const acme = {
  issuer: "https://login.acme.example",
  jwksUri: "https://login.acme.example/jwks.json",
  audience: ["mcp-gateway"],
  clientIds: ["acme-agent"],
};
const globex = { issuer: "https://id.globex.example", jwksUri: "https://id.globex.example/keys", audience: ["gw"] };
const policy = {
  issuers: [acme],
  targets: {
    crm: { mode: "claims", headers: { "x-user-sub": { claim: "sub", qualify: true }, "x-user-email": { claim: "email", qualify: true } } },
    iam: { mode: "forward", audience: "iam-api", header: "X-Upstream-Authorization" },
    orders: { mode: "forward", audience: "orders-api" },
    erp: {
      mode: "obo",
      issuers: ["https://login.acme.example"],
      obo: {
        grant: "token-exchange",
        tokenEndpoint: "https://login.acme.example/oauth2/token",
        clientId: "gw",
        clientSecretArn: SECRET,
        audience: "erp-api",
      },
    },
    hr: { mode: "claims", headers: { "x-user-sub": { claim: "sub", qualify: true } } },
    ledger: { mode: "assertion" },
  },
  assertion: { issuer: "https://interceptor.acme.example", signingKeySecretArn: SIGNING },
};
const env = { account: "111122223333", region: "eu-west-1" };
const oauth = GatewayCredentialProvider.fromOauthIdentityArn({
  providerArn: "arn:aws:bedrock-agentcore:eu-west-1:111122223333:token-vault/default/oauth2credentialprovider/x",
  secretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf",
  scopes: ["x"],
});

/** The gateway the construct made (or was given): undefined only with existingGatewayId. */
function newGateway(interceptor: IdentityInterceptor): Gateway {
  if (interceptor.gateway === undefined) throw new Error("no gateway in the app");
  return interceptor.gateway;
}

describe("a new gateway with the interceptor at REQUEST and RESPONSE", () => {
  let template: Template;
  let stack: Stack;
  let assemblyDir: string;
  let fnId: string;
  let aliasId: string;
  beforeAll(() => {
    const app = new App();
    stack = new Stack(app, "New", { env });
    const key = new kms.Key(stack, "SecretsKey");
    const interceptor = new IdentityInterceptor(stack, "Identity", {
      config: policy,
      gatewayName: "gw",
      responsePhase: true,
      secretsKey: key,
    });
    const gateway = newGateway(interceptor);
    gateway.addMcpServerTarget("Crm", {
      gatewayTargetName: "crm",
      endpoint: "https://crm.example.com/mcp",
      credentialProviderConfigurations: [oauth],
    });
    gateway.addMcpServerTarget("Orders", {
      gatewayTargetName: "orders",
      endpoint: "https://orders.example.com/mcp",
      credentialProviderConfigurations: [oauth],
    });
    gateway.addMcpServerTarget("Ledger", {
      gatewayTargetName: "ledger",
      endpoint: "https://ledger.example.com/mcp",
      credentialProviderConfigurations: [oauth],
    });
    // A target made elsewhere in the app, for the same gateway.
    GatewayTarget.forMcpServer(stack, "Iam", {
      gateway,
      gatewayTargetName: "iam",
      endpoint: "https://iam.example.com/mcp",
      credentialProviderConfigurations: [oauth],
    });
    template = Template.fromStack(stack);
    assemblyDir = app.synth().directory;
    fnId = stack.getLogicalId(interceptor.function.node.defaultChild as never);
    aliasId = stack.getLogicalId(interceptor.alias.node.defaultChild as never);
  });

  it("attaches the function with passRequestHeaders at both interception points", () => {
    template.hasResourceProperties("AWS::BedrockAgentCore::Gateway", {
      Name: "gw",
      AuthorizerType: "CUSTOM_JWT",
      AuthorizerConfiguration: {
        CustomJWTAuthorizer: {
          DiscoveryUrl: "https://login.acme.example/.well-known/openid-configuration",
          AllowedAudience: ["mcp-gateway"],
          AllowedClients: ["acme-agent"],
        },
      },
      InterceptorConfigurations: [
        {
          InterceptionPoints: ["REQUEST"],
          Interceptor: { Lambda: { Arn: { Ref: aliasId } } },
          InputConfiguration: { PassRequestHeaders: true },
        },
        {
          InterceptionPoints: ["RESPONSE"],
          Interceptor: { Lambda: { Arn: { Ref: aliasId } } },
          InputConfiguration: { PassRequestHeaders: true },
        },
      ],
    });
  });

  it("attaches the alias live on a version published for this code and config, never $LATEST", () => {
    const versions = template.findResources("AWS::Lambda::Version");
    expect(Object.values(versions).map((v) => v.Properties)).toEqual([{ FunctionName: { Ref: fnId } }]);
    const [versionId] = Object.keys(versions);
    expect(template.findResources("AWS::Lambda::Alias")).toEqual({
      [aliasId]: {
        Type: "AWS::Lambda::Alias",
        Properties: { Name: "live", FunctionName: { Ref: fnId }, FunctionVersion: { "Fn::GetAtt": [versionId, "Version"] } },
      },
    });
  });

  it("builds the function on nodejs24.x arm64 with its own log group, and bundles the validated config", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description:
        "AgentCore Gateway REQUEST and RESPONSE interceptor: verifies the caller's JWT, propagates identity per target, filters listings",
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      MemorySize: 512,
      Timeout: 10,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp("IdentityLogs") } },
      TracingConfig: { Mode: "Active" },
      Environment: Match.absent(),
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    const fn = template.findResources("AWS::Lambda::Function")[fnId] as { Properties: { Code: { S3Key: string } } };
    const asset = join(assemblyDir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, "")}`);
    expect(JSON.parse(readFileSync(join(asset, "interceptor.config.json"), "utf8"))).toEqual(policy);
    // The record of its validation at synth beside it: cold starts use it instead of loading the schema.
    const text = readFileSync(join(asset, "interceptor.config.json"), "utf8");
    const parsed = parseConfig(text);
    if (!parsed.ok) throw new Error(`the asset's config is invalid: ${parsed.problems.join("; ")}`);
    expect(validatedConfig(readFileSync(join(asset, "interceptor.config.validated.json"), "utf8"), text)).toEqual(parsed.config);
    expect(existsSync(join(asset, "index.mjs"))).toBe(true);
    expect(readdirSync(asset).filter((f) => f.endsWith(".map") || f.endsWith("meta.json"))).toEqual([]);
  });

  it("sets each target's AllowedRequestHeaders from the policy, and nothing on targets that need none", () => {
    const targets = Object.values(template.findResources("AWS::BedrockAgentCore::GatewayTarget")) as {
      Properties: Record<string, unknown>;
    }[];
    const allowlists = Object.fromEntries(targets.map((t) => [t.Properties.Name, t.Properties.MetadataConfiguration]));
    expect(allowlists).toEqual({
      crm: { AllowedRequestHeaders: ["x-user-sub", "x-user-email"] },
      iam: { AllowedRequestHeaders: ["X-Upstream-Authorization"] },
      ledger: { AllowedRequestHeaders: ["x-identity-assertion"] },
      orders: undefined,
    });
    // hr needs an allowlist but is not in this app: a synth warning points at sync-targets.
    Annotations.fromStack(stack).hasWarning("*", Match.stringLikeRegexp('policy target "hr" needs an allowlist'));
  });

  it("grants the function exactly its log group, the obo secrets, the assertion signing key and decrypt through Secrets Manager", () => {
    const fnRole = (template.findResources("AWS::Lambda::Function")[fnId] as { Properties: { Role: { "Fn::GetAtt": [string, string] } } })
      .Properties.Role["Fn::GetAtt"][0];
    const policies = Object.values(template.findResources("AWS::IAM::Policy")) as {
      Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: unknown[] } };
    }[];
    const mine = policies.filter((p) => p.Properties.Roles.some((r) => r.Ref === fnRole));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Effect: "Allow",
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^IdentityLogs/), "Arn"] },
      },
      { Sid: "ReadSecrets", Action: "secretsmanager:GetSecretValue", Effect: "Allow", Resource: [SIGNING, SECRET] },
      {
        Sid: "DecryptSecrets",
        Action: "kms:Decrypt",
        Effect: "Allow",
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^SecretsKey/), "Arn"] },
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
      },
      // X-Ray active tracing (the `tracing` prop, on by default); X-Ray has no resource-level permissions.
      { Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Effect: "Allow", Resource: "*" },
    ]);
    const role = template.findResources("AWS::IAM::Role")[fnRole] as { Properties: Record<string, unknown> };
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    // The gateway's role may invoke this function (LambdaInterceptor binding), and only it.
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: "lambda:InvokeFunction",
            Effect: "Allow",
            Resource: [{ Ref: aliasId }, { "Fn::Join": ["", [{ Ref: aliasId }, ":*"]] }],
          },
        ]),
      },
    });
  });
});

it("publishes a new version when the config changes, and the alias follows it", () => {
  const versionOf = (audience: string) => {
    const stack = new Stack(new App(), "Versions", { env });
    new IdentityInterceptor(stack, "Identity", { config: { issuers: [{ ...acme, audience: [audience] }], targets: {} } });
    const template = Template.fromStack(stack);
    const [versionId] = Object.keys(template.findResources("AWS::Lambda::Version"));
    template.hasResourceProperties("AWS::Lambda::Alias", { FunctionVersion: { "Fn::GetAtt": [versionId, "Version"] } });
    return versionId;
  };
  expect(versionOf("a")).toBe(versionOf("a"));
  expect(versionOf("a")).not.toBe(versionOf("b"));
});

describe("an existing gateway of the app", () => {
  it("gets the REQUEST interceptor only, keeps the entries already allowlisted, and warns about one discovery URL for two issuers", () => {
    const stack = new Stack(new App(), "Existing", { env });
    const gateway = new Gateway(stack, "Gw", {
      gatewayName: "existing",
      authorizerConfiguration: GatewayAuthorizer.usingCustomJwt({
        discoveryUrl: "https://login.acme.example/.well-known/openid-configuration",
        allowedAudience: ["mcp-gateway"],
      }),
    });
    const crm = gateway.addMcpServerTarget("Crm", {
      gatewayTargetName: "crm",
      endpoint: "https://crm.example.com/mcp",
      credentialProviderConfigurations: [oauth],
    });
    (crm.node.defaultChild as CfnGatewayTarget).metadataConfiguration = {
      allowedRequestHeaders: ["x-trace-id"],
      allowedResponseHeaders: ["x-rate"],
    };
    const interceptor = new IdentityInterceptor(stack, "Identity", { config: { ...policy, issuers: [acme, globex] }, gateway });
    const template = Template.fromStack(stack);
    const aliasId = stack.getLogicalId(interceptor.alias.node.defaultChild as never);
    template.hasResourceProperties("AWS::BedrockAgentCore::Gateway", {
      Name: "existing",
      InterceptorConfigurations: [
        {
          InterceptionPoints: ["REQUEST"],
          Interceptor: { Lambda: { Arn: { Ref: aliasId } } },
          InputConfiguration: { PassRequestHeaders: true },
        },
      ],
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: "AgentCore Gateway REQUEST interceptor: verifies the caller's JWT and propagates identity per target",
    });
    template.hasResourceProperties("AWS::IAM::Role", {
      Description: "AgentCore identity interceptor: its log group, its on-behalf-of secrets and assertion signing key, nothing else",
    });
    template.hasResourceProperties("AWS::BedrockAgentCore::GatewayTarget", {
      Name: "crm",
      MetadataConfiguration: { AllowedRequestHeaders: ["x-user-sub", "x-user-email", "x-trace-id"], AllowedResponseHeaders: ["x-rate"] },
    });
    Annotations.fromStack(stack).hasWarning("*", Match.stringLikeRegexp("trusts 2 issuers but the gateway's CUSTOM_JWT authorizer"));
  });

  it("a new gateway for several issuers runs without its own authorizer (NONE), aws-cdk-lib's noAuthGateway warning acknowledged", () => {
    const stack = new Stack(new App(), "Multi", { env });
    new IdentityInterceptor(stack, "Identity", { config: { issuers: [acme, globex], targets: {} } });
    Template.fromStack(stack).hasResourceProperties("AWS::BedrockAgentCore::Gateway", {
      AuthorizerType: "NONE",
      AuthorizerConfiguration: Match.absent(),
    });
    expect(Annotations.fromStack(stack).findWarning("*", Match.anyValue())).toEqual([]);
  });

  it("feeds AllowedClients only from an issuer whose client id is client_id, and says why otherwise", () => {
    const synth = (clientIdClaim?: string) => {
      const stack = new Stack(new App(), "Clients", { env });
      const issuer = clientIdClaim === undefined ? acme : { ...acme, clientIdClaim };
      new IdentityInterceptor(stack, "Identity", { config: { issuers: [issuer], targets: {} } });
      return stack;
    };
    for (const claim of ["cid", "appid"]) {
      const stack = synth(claim);
      Template.fromStack(stack).hasResourceProperties("AWS::BedrockAgentCore::Gateway", {
        AuthorizerConfiguration: {
          CustomJWTAuthorizer: {
            DiscoveryUrl: "https://login.acme.example/.well-known/openid-configuration",
            AllowedAudience: ["mcp-gateway"],
          },
        },
      });
      expect(
        Annotations.fromStack(stack)
          .findInfo("*", Match.anyValue())
          .map((m) => m.entry.data),
      ).toEqual([
        `IdentityInterceptor: the issuer's client id is the "${claim}" claim, but the gateway's CUSTOM_JWT authorizer checks AllowedClients against "client_id": its AllowedClients are left out (the gateway checks the audience; the interceptor checks clientIds against "${claim}")`,
      ]);
    }
    for (const stack of [synth(), synth("client_id")]) {
      Template.fromStack(stack).hasResourceProperties("AWS::BedrockAgentCore::Gateway", {
        AuthorizerConfiguration: { CustomJWTAuthorizer: Match.objectLike({ AllowedClients: ["acme-agent"] }) },
      });
      expect(Annotations.fromStack(stack).findInfo("*", Match.anyValue())).toEqual([]);
    }
  });

  it("gives the new gateway every known MCP version by default, and takes versions, instructions and search type", () => {
    const synth = (extra: Record<string, unknown>) => {
      const stack = new Stack(new App(), "Mcp", { env });
      new IdentityInterceptor(stack, "Identity", { config: policy, ...extra });
      return Template.fromStack(stack);
    };
    synth({}).hasResourceProperties("AWS::BedrockAgentCore::Gateway", {
      ProtocolConfiguration: { Mcp: { SupportedVersions: ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"] } },
    });
    synth({
      mcpSupportedVersions: ["2026-07-28"],
      mcpInstructions: "CRM and orders tools",
      mcpSearchType: McpGatewaySearchType.SEMANTIC,
    }).hasResourceProperties("AWS::BedrockAgentCore::Gateway", {
      ProtocolConfiguration: { Mcp: { SupportedVersions: ["2026-07-28"], Instructions: "CRM and orders tools", SearchType: "SEMANTIC" } },
    });
    const stack = new Stack(new App(), "McpExisting", { env });
    expect(() => new IdentityInterceptor(stack, "Identity", { config: policy, existingGatewayId: "gw-1", mcpInstructions: "x" })).toThrow(
      "IdentityInterceptor: mcpInstructions apply only to a new gateway (without gateway or existingGatewayId)",
    );
  });
});

describe("a gateway made outside the app (existingGatewayId)", () => {
  const GW_ARN = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:gateway/team-gw-abcdefghij";
  const synth = (extra: Record<string, unknown> = {}) => {
    const stack = new Stack(new App(), "Outside", { env });
    const interceptor = new IdentityInterceptor(stack, "Identity", { config: policy, existingGatewayId: "team-gw-abcdefghij", ...extra });
    return { stack, interceptor, template: Template.fromStack(stack) };
  };

  it("makes no gateway; a custom resource attaches the alias with the validated config", () => {
    const { stack, interceptor, template } = synth({ responsePhase: true });
    expect(interceptor.gateway).toBeUndefined();
    template.resourceCountIs("AWS::BedrockAgentCore::Gateway", 0);
    const aliasId = stack.getLogicalId(interceptor.alias.node.defaultChild as never);
    const resources = Object.values(template.findResources("Custom::AgentCoreInterceptorAttachment")) as {
      Properties: Record<string, unknown>;
    }[];
    expect(resources.map((r) => ({ ...r.Properties, ServiceToken: undefined }))).toEqual([
      {
        ServiceToken: undefined,
        GatewayId: "team-gw-abcdefghij",
        FunctionArn: { Ref: aliasId },
        ResponsePhase: "true",
        Force: "false",
        Config: JSON.stringify(policy),
      },
    ]);
    // The handler is the bundle the package ships, on the same runtime as the interceptor.
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "index.handler",
      Runtime: "nodejs24.x",
      Description: "Attaches the identity interceptor to AgentCore gateway team-gw-abcdefghij (read-then-put, as the attach command)",
    });
  });

  it("grants the handler that gateway and its targets only, and PassRole only to AgentCore", () => {
    const { stack, interceptor, template } = synth();
    const handlerRole = stack.getLogicalId(interceptor.attachment?.handler.role?.node.defaultChild as never);
    const policies = Object.values(template.findResources("AWS::IAM::Policy")) as {
      Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: unknown[] } };
    }[];
    const mine = policies.filter((p) => p.Properties.Roles.some((r) => r.Ref === handlerRole));
    const arn = (suffix: string) => ({
      "Fn::Join": [
        "",
        ["arn:", { Ref: "AWS::Partition" }, `:bedrock-agentcore:eu-west-1:111122223333:gateway/team-gw-abcdefghij${suffix}`],
      ],
    });
    expect(mine.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      [
        {
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Effect: "Allow",
          Resource: { "Fn::GetAtt": [expect.stringMatching(/HandlerLogs/), "Arn"] },
        },
        {
          Sid: "ReadAndUpdateTheGateway",
          Action: [
            "bedrock-agentcore:GetGateway",
            "bedrock-agentcore:UpdateGateway",
            "bedrock-agentcore:ListGatewayTargets",
            "bedrock-agentcore:GetGatewayTarget",
            "bedrock-agentcore:UpdateGatewayTarget",
          ],
          Effect: "Allow",
          Resource: [arn(""), arn("/*")],
        },
        {
          Sid: "PassTheGatewayRoleBackToAgentCore",
          Action: "iam:PassRole",
          Effect: "Allow",
          Resource: "*",
          Condition: { StringEquals: { "iam:PassedToService": "bedrock-agentcore.amazonaws.com" } },
        },
        { Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Effect: "Allow", Resource: "*" },
      ],
    ]);
  });

  it("with the gateway's role: PassRole on it only, and it may invoke the alias", () => {
    const role = "arn:aws:iam::111122223333:role/team-gateway";
    const { stack, interceptor, template } = synth({ existingGatewayId: GW_ARN, existingGatewayRoleArn: role, force: true });
    const aliasId = stack.getLogicalId(interceptor.alias.node.defaultChild as never);
    template.hasResourceProperties("Custom::AgentCoreInterceptorAttachment", { GatewayId: "team-gw-abcdefghij", Force: "true" });
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: "iam:PassRole", Resource: role })]) },
    });
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: ["team-gateway"],
      PolicyDocument: {
        Statement: [
          {
            Action: "lambda:InvokeFunction",
            Effect: "Allow",
            Resource: [{ Ref: aliasId }, { "Fn::Join": ["", [{ Ref: aliasId }, ":*"]] }],
          },
        ],
      },
    });
  });

  it("is exclusive with gateway; force and the role apply only to it", () => {
    const stack = new Stack(new App(), "Both", { env });
    const gateway = new Gateway(stack, "Gw", { gatewayName: "gw" });
    expect(() => new IdentityInterceptor(stack, "A", { config: policy, gateway, existingGatewayId: "gw-1" })).toThrow(
      "IdentityInterceptor: gateway and existingGatewayId are mutually exclusive",
    );
    expect(() => new IdentityInterceptor(stack, "B", { config: policy, force: true })).toThrow(
      "IdentityInterceptor: force and existingGatewayRoleArn apply only with existingGatewayId",
    );
  });
});

describe("the example app (npm run cdk:synth)", () => {
  it("synthesises offline with the claims target's allowlist, and CDK's CloudFormation schema validation finds nothing", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "cdk-example-"));
    // The app reads CDK_OUTDIR once, at import. Left set, it would make every later `new App()` in this
    // worker synthesise itself at exit (CDK's auto-synth), so it is restored as soon as the app is in.
    // Validation (off for the rest of this file) runs here, as in `npm run cdk:synth`.
    vi.stubEnv("CDK_OUTDIR", outdir);
    vi.stubEnv("CDK_VALIDATION", "true");
    try {
      await import("../../cdk/example/app.js");
    } finally {
      vi.stubEnv("CDK_OUTDIR", undefined);
      vi.stubEnv("CDK_VALIDATION", "false");
    }
    expect(JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8"))).toMatchObject({
      title: "Validation Report",
      pluginReports: [],
    });
    onTestFinished(() => rmSync(outdir, { recursive: true, force: true }));
    const template = JSON.parse(readFileSync(join(outdir, "AgentCoreIdentityInterceptorExample.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const crm = Object.values(template.Resources).find(
      (r) => r.Type === "AWS::BedrockAgentCore::GatewayTarget" && r.Properties.Name === "crm",
    );
    expect(crm?.Properties.MetadataConfiguration).toEqual({ AllowedRequestHeaders: ["x-user-sub", "x-user-name", "x-user-groups"] });
  });
});

describe("synth fails", () => {
  it("on a CloudFormation schema violation, with the example app's context (a violation is an error, not a warning)", () => {
    vi.stubEnv("CDK_VALIDATION", "true");
    onTestFinished(() => {
      vi.stubEnv("CDK_VALIDATION", "false");
    });
    const context = (JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as { context: Record<string, unknown> })
      .context;
    const app = new App({ context });
    const stack = new Stack(app, "Violation", { env });
    new CfnResource(stack, "Logs", { type: "AWS::Logs::LogGroup", properties: { RetentionInDays: "banana" } });
    expect(() => app.synth()).toThrow(/^ERROR RetentionInDays: 'banana' is /);
  });

  it("on an invalid policy, naming every bad field", () => {
    const stack = new Stack(new App(), "Bad", { env });
    const bad = {
      issuers: [{ issuer: "https://a.example", jwksUri: "http://a.example/jwks", audience: ["x"] }],
      targets: { crm: { mode: "claims", headers: { Cookie: "sub" } } },
    };
    expect(() => new IdentityInterceptor(stack, "Identity", { config: bad })).toThrow(
      /issuers\[0\]\.jwksUri: must be an https:\/\/ URL\n {2}targets\.crm\.headers\.Cookie: "Cookie" is a restricted header/,
    );
  });

  it("when a target would need more than 10 allowed headers", () => {
    const stack = new Stack(new App(), "TooMany", { env });
    const interceptor = new IdentityInterceptor(stack, "Identity", { config: policy });
    const crm = newGateway(interceptor).addMcpServerTarget("Crm", {
      gatewayTargetName: "crm",
      endpoint: "https://crm.example.com/mcp",
      credentialProviderConfigurations: [oauth],
    });
    (crm.node.defaultChild as CfnGatewayTarget).metadataConfiguration = {
      allowedRequestHeaders: Array.from({ length: 9 }, (_, i) => `x-other-${i}`),
    };
    expect(() => Template.fromStack(stack)).toThrow(/gateway target "crm": needs 11 allowed request headers .* at most 10 per target/);
  });

  it("when the bundle was not built", () => {
    const stack = new Stack(new App(), "NoBundle", { env });
    expect(() => new IdentityInterceptor(stack, "Identity", { config: policy, bundleDir: "/nonexistent" })).toThrow(
      /index\.mjs is missing: run npm run build first/,
    );
  });
});
