import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Annotations, AspectPriority, Aspects, Duration, type IAspect, Stack, Token } from "aws-cdk-lib";
import {
  CfnGatewayTarget,
  Gateway,
  GatewayAuthorizer,
  GatewayTarget,
  type IGatewayAuthorizerConfig,
  LambdaInterceptor,
  MCPProtocolVersion,
  type McpGatewaySearchType,
  GatewayProtocol,
} from "aws-cdk-lib/aws-bedrockagentcore";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct, type IConstruct } from "constructs";
import { allowlistNeeds, planAllowlist, secretArnsOf } from "../src/config/deployment.js";
import { type ConfigFile, parseConfig, readConfigFile } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";
import { defaultBundleDir, type FunctionFile, functionFiles } from "../cli/bundle.js";
import { InterceptorOperations, type InterceptorOperationsOptions } from "./operations.js";
import { ExistingGatewayAttachment } from "./existing-gateway.js";
import { acknowledge, logicalIdOf, REASONS, regionAccount } from "./nag.js";

/**
 * `IdentityInterceptor`: the interceptor Lambda built from this package's prebuilt bundle (its dist/)
 * with its config bundled as `interceptor.config.json` (validated at synth), least-privilege IAM, and the
 * gateway wiring: `LambdaInterceptor.forRequest(fn, { passRequestHeaders: true })` (and RESPONSE for the
 * listing filter), plus each target's `MetadataConfiguration.AllowedRequestHeaders` from the policy.
 * Tooling only: nothing here enters the Lambda bundle.
 */
export interface IdentityInterceptorProps {
  /** Path of the interceptor config (JSON). One of `configFile` and `config` is required. */
  readonly configFile?: string;
  /** The interceptor config itself (parsed JSON). */
  readonly config?: unknown;
  /** A gateway of this app to attach to; default: a new gateway. Not with `existingGatewayId`. */
  readonly gateway?: Gateway;
  /**
   * The id or ARN of a gateway made outside this app (console, CLI, another stack): a custom resource
   * reads it at deploy and writes it back whole with the interceptor added, sets its policy targets'
   * header allowlists, and on stack deletion removes only what it added (docs/deploy.md). Not with `gateway`.
   */
  readonly existingGatewayId?: string;
  /**
   * With `existingGatewayId`: the gateway's service role, when known. iam:PassRole is then scoped to it
   * (otherwise to any role passed to AgentCore), and it is granted lambda:InvokeFunction on the alias.
   */
  readonly existingGatewayRoleArn?: string;
  /** With `existingGatewayId`: replace another function's interceptor at the same point (as `attach --force`). Default false. */
  readonly force?: boolean;
  /** Name of the new gateway (when `gateway` is not given). */
  readonly gatewayName?: string;
  /**
   * Inbound authorizer of the new gateway. Default: with one issuer, CUSTOM_JWT on its OpenID discovery
   * document; with several, NONE (one discovery URL cannot trust them all; the interceptor then
   * authenticates every message).
   */
  readonly authorizer?: IGatewayAuthorizerConfig;
  /**
   * MCP protocol versions the new gateway accepts (when `gateway` and `existingGatewayId` are not given).
   * Default: every version this package knows, `2025-03-26` to `2026-07-28` (aws-cdk-lib's default is `2025-03-26` only).
   */
  readonly mcpSupportedVersions?: readonly string[];
  /** Instructions the new gateway gives MCP clients. Default: none (aws-cdk-lib's default is a generic sentence). */
  readonly mcpInstructions?: string;
  /** Tool search of the new gateway (`McpGatewaySearchType.SEMANTIC`). Default: none. */
  readonly mcpSearchType?: McpGatewaySearchType;
  /** Also attach the RESPONSE phase (the listing filter). Default false. */
  readonly responsePhase?: boolean;
  /**
   * A directory holding the Lambda bundle (index.mjs and its chunks), e.g. one you built yourself.
   * Default: the bundle this package ships (its dist/), found from this file, so no build step is needed.
   */
  readonly bundleDir?: string;
  readonly functionName?: string;
  /** Default 512 MB (signature checks are CPU-bound and Lambda CPU grows with memory). */
  readonly memorySize?: number;
  /** Default 10 s: above the interceptor's 5 s request deadline, so it always answers with a denial. */
  readonly timeout?: Duration;
  /** Reserved concurrency; default none (the gateway's rate is bounded by its own quotas). */
  readonly reservedConcurrentExecutions?: number;
  /** Default one month. */
  readonly logRetention?: logs.RetentionDays;
  /** X-Ray active tracing of the function (and of the existing-gateway custom resource's handler). Default true. */
  readonly tracing?: boolean;
  /** The KMS key that encrypts the on-behalf-of secrets (when not the AWS managed key). */
  readonly secretsKey?: kms.IKey;
  /** Run in a VPC: it must still reach the JWKS and token endpoints and Secrets Manager (NAT or endpoints). */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Alarms (with an optional SNS topic), a dashboard and saved Logs Insights queries (cdk/operations.ts,
   * docs/operations.md). Default: all of them, no topic; `false`: none.
   */
  readonly operations?: InterceptorOperationsOptions | false;
}

/** Reads and validates the config (src/config/load.ts); throws (failing synth) with every problem and its field path. */
export function loadInterceptorConfig(props: Pick<IdentityInterceptorProps, "configFile" | "config">): { config: Config; text: string } {
  let loaded: ConfigFile;
  let source: string;
  if (props.configFile !== undefined) {
    source = props.configFile;
    loaded = readConfigFile(props.configFile);
  } else if (props.config !== undefined) {
    source = "config";
    // The text first, then what it validates to: the function reads the text, and the record of its
    // validation must describe exactly that (a value JSON drops or changes never reaches the function).
    const text = `${JSON.stringify(props.config, null, 2)}\n`;
    const parsed = parseConfig(text);
    loaded = parsed.ok ? { ...parsed, text } : parsed;
  } else {
    throw new Error("IdentityInterceptor: configFile or config is required");
  }
  if (!loaded.ok) throw new Error(`IdentityInterceptor: invalid interceptor config (${source}):\n  ${loaded.problems.join("\n  ")}`);
  return { config: loaded.config, text: loaded.text };
}

/**
 * The function's files (the bundle, interceptor.config.json and its validation record: `functionFiles`)
 * in one content-addressed directory: the function's asset.
 */
function stageBundle(bundleDir: string, configured: { config: Config; text: string }): string {
  let files: FunctionFile[];
  try {
    files = functionFiles(bundleDir, configured);
  } catch (err) {
    throw new Error(`IdentityInterceptor: ${err instanceof Error ? err.message : String(err)}`);
  }
  const hash = createHash("sha256");
  for (const { name, data } of files) hash.update(name).update("\0").update(data).update("\0");
  const dir = join(tmpdir(), `agentcore-interceptor-asset-${hash.digest("hex").slice(0, 32)}`);
  // The last file written marks a complete directory.
  const last = files.at(-1);
  if (last === undefined || !existsSync(join(dir, last.name))) {
    mkdirSync(dir, { recursive: true });
    for (const { name, data } of files) writeFileSync(join(dir, name), data);
  }
  return dir;
}

/** MCP protocol versions a new gateway accepts by default (aws-cdk-lib's `MCPProtocolVersion`). */
export const DEFAULT_MCP_VERSIONS = ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"] as const;

/**
 * Why the default authorizer leaves the issuer's `clientIds` out of `AllowedClients`, or undefined when it
 * puts them in. AgentCore's CUSTOM_JWT authorizer checks `AllowedClients` against the token's `client_id`
 * claim (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-inbound-auth.html); an
 * issuer whose client id is another claim (`cid` at Okta custom servers, `appid` in Entra v1 tokens)
 * would have every caller refused there, so its clients are checked by the interceptor alone.
 */
export function allowedClientsNote(config: Config): string | undefined {
  const [only, ...more] = config.issuers;
  if (only === undefined || more.length > 0 || only.clientIds === undefined) return undefined;
  const claim = only.clientIdClaim ?? "client_id";
  if (claim === "client_id") return undefined;
  return `the issuer's client id is the "${claim}" claim, but the gateway's CUSTOM_JWT authorizer checks AllowedClients against "client_id": its AllowedClients are left out (the gateway checks the audience; the interceptor checks clientIds against "${claim}")`;
}

/** The default inbound authorizer for a new gateway (see `IdentityInterceptorProps.authorizer`). */
export function defaultAuthorizer(config: Config): IGatewayAuthorizerConfig {
  const [only, ...more] = config.issuers;
  if (only === undefined || more.length > 0) return GatewayAuthorizer.withNoAuth();
  return GatewayAuthorizer.usingCustomJwt({
    discoveryUrl: `${only.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
    ...(only.audience !== undefined ? { allowedAudience: only.audience } : {}),
    ...(only.clientIds !== undefined && allowedClientsNote(config) === undefined ? { allowedClients: only.clientIds } : {}),
  });
}

export class IdentityInterceptor extends Construct {
  readonly config: Config;
  readonly function: lambda.Function;
  /** The alias `live` on the version published for this code and config: what the gateway invokes. */
  readonly alias: lambda.Alias;
  /** The same alias as an `IFunction` (its ARN): what is attached and granted. */
  readonly live: lambda.IFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The gateway of this app (new or given); undefined with `existingGatewayId`. */
  readonly gateway: Gateway | undefined;
  /** With `existingGatewayId`: the custom resource that attaches the interceptor at deploy. */
  readonly attachment: ExistingGatewayAttachment | undefined;
  /** The alarms, dashboard and queries; undefined with `operations: false`. */
  readonly operations: InterceptorOperations | undefined;
  /** Gateway target name -> the allowlist set on it (filled while the app synthesises). */
  readonly allowlists = new Map<string, string[]>();

  constructor(scope: Construct, id: string, props: IdentityInterceptorProps) {
    super(scope, id);
    if (props.existingGatewayId !== undefined && props.gateway !== undefined) {
      throw new Error("IdentityInterceptor: gateway and existingGatewayId are mutually exclusive");
    }
    if (props.existingGatewayId === undefined && (props.force !== undefined || props.existingGatewayRoleArn !== undefined)) {
      throw new Error("IdentityInterceptor: force and existingGatewayRoleArn apply only with existingGatewayId");
    }
    const newGatewayProps = ["gatewayName", "authorizer", "mcpSupportedVersions", "mcpInstructions", "mcpSearchType"] as const;
    const misplaced = newGatewayProps.filter((k) => props[k] !== undefined);
    if ((props.gateway !== undefined || props.existingGatewayId !== undefined) && misplaced.length > 0) {
      throw new Error(`IdentityInterceptor: ${misplaced.join(", ")} apply only to a new gateway (without gateway or existingGatewayId)`);
    }
    const { config, text } = loadInterceptorConfig(props);
    this.config = config;

    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "AgentCore identity interceptor: its log group, its on-behalf-of secrets and assertion signing key, nothing else",
    });
    this.logGroup.grantWrite(this.role);
    const secrets = secretArnsOf(config);
    if (secrets.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({ sid: "ReadSecrets", actions: ["secretsmanager:GetSecretValue"], resources: secrets }),
      );
      if (props.secretsKey !== undefined) {
        this.role.addToPolicy(
          new iam.PolicyStatement({
            sid: "DecryptSecrets",
            actions: ["kms:Decrypt"],
            resources: [props.secretsKey.keyArn],
            conditions: { StringEquals: { "kms:ViaService": `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
          }),
        );
      }
    }
    if (props.vpc !== undefined) {
      this.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName("service-role/AWSLambdaVPCAccessExecutionRole"));
    }

    this.function = new lambda.Function(this, "Function", {
      description:
        props.responsePhase === true
          ? "AgentCore Gateway REQUEST and RESPONSE interceptor: verifies the caller's JWT, propagates identity per target, filters listings"
          : "AgentCore Gateway REQUEST interceptor: verifies the caller's JWT and propagates identity per target",
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: "index.handler",
      code: lambda.Code.fromAsset(stageBundle(props.bundleDir ?? defaultBundleDir(), { config, text })),
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing === false ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.functionName !== undefined ? { functionName: props.functionName } : {}),
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      ...(props.vpc !== undefined ? { vpc: props.vpc } : {}),
      ...(props.vpcSubnets !== undefined ? { vpcSubnets: props.vpcSubnets } : {}),
      ...(props.securityGroups !== undefined ? { securityGroups: props.securityGroups } : {}),
    });

    const ops = props.operations === false ? undefined : (props.operations ?? {});
    if (ops?.namespace !== undefined) this.function.addEnvironment("POWERTOOLS_METRICS_NAMESPACE", ops.namespace);
    this.operations =
      ops === undefined
        ? undefined
        : new InterceptorOperations(this, "Operations", {
            ...ops,
            function: this.function,
            logGroup: this.logGroup,
            timeout: props.timeout ?? Duration.seconds(10),
          });

    // The gateway invokes a published version through the alias, never $LATEST: `currentVersion` publishes
    // a new version whenever the code or config (the asset) or the function's settings change.
    acknowledge(this.function, "Serverless-LambdaDLQ", REASONS.synchronousDlq);
    if (props.tracing !== false) acknowledge(this.role, "AwsSolutions-IAM5[Resource::*]", REASONS.xrayWildcard);
    const published = this.function.currentVersion;
    // aws-cdk-lib's Alias and Version classes declare members `T | undefined` where its IFunction and
    // IVersion interfaces say `member?: T`, which TypeScript's exactOptionalPropertyTypes (on here)
    // rejects; so the version and the alias are handed on as those interfaces, by their attributes (the
    // same CloudFormation references: `version` is the Version resource's attribute, `functionArn` the
    // alias's Ref, so every dependency stays).
    this.alias = new lambda.Alias(this, "Live", {
      aliasName: "live",
      version: lambda.Version.fromVersionAttributes(this, "Published", { lambda: this.function, version: published.version }),
    });
    this.live = lambda.Function.fromFunctionAttributes(this, "LiveAlias", { functionArn: this.alias.functionArn, sameEnvironment: true });

    if (props.existingGatewayId !== undefined) {
      this.gateway = undefined;
      this.attachment = new ExistingGatewayAttachment(this, "ExistingGateway", {
        gatewayId: props.existingGatewayId,
        target: this.live,
        targetLogicalId: logicalIdOf(this.alias),
        response: props.responsePhase === true,
        force: props.force === true,
        configText: JSON.stringify(config === undefined ? {} : JSON.parse(text)),
        bundleDir: props.bundleDir ?? defaultBundleDir(),
        tracing: props.tracing !== false,
        ...(props.existingGatewayRoleArn !== undefined ? { gatewayRoleArn: props.existingGatewayRoleArn } : {}),
      });
      return;
    }
    this.attachment = undefined;
    const gateway = props.gateway ?? this.newGateway(props, config);
    this.gateway = gateway;
    gateway.addInterceptor(LambdaInterceptor.forRequest(this.live, { passRequestHeaders: true }));
    acknowledge(gateway.role, `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.alias)}>:*]`, REASONS.versionsOfTheAlias);
    if (props.responsePhase === true) gateway.addInterceptor(LambdaInterceptor.forResponse(this.live, { passRequestHeaders: true }));
    if (config.issuers.length > 1 && gateway.authorizerConfiguration.authorizerType === "CUSTOM_JWT") {
      Annotations.of(this).addWarningV2(
        "agentcore-interceptor:several-issuers",
        `the config trusts ${config.issuers.length} issuers but the gateway's CUSTOM_JWT authorizer accepts one discovery URL: use GatewayAuthorizer.withNoAuth()`,
      );
    }

    Aspects.of(Stack.of(this)).add(new TargetAllowlists(this, gateway), { priority: AspectPriority.MUTATING });
    this.node.addValidation({
      validate: () => {
        for (const name of allowlistNeeds(config).keys()) {
          if (!this.allowlists.has(name)) {
            Annotations.of(this).addWarningV2(
              `agentcore-interceptor:target-${name}`,
              `policy target "${name}" needs an allowlist but no GatewayTarget of this gateway is named "${name}" in this app: run agentcore-interceptor sync-targets for it`,
            );
          }
        }
        return [];
      },
    });
  }

  private newGateway(props: IdentityInterceptorProps, config: Config): Gateway {
    if (props.authorizer === undefined) {
      const note = allowedClientsNote(config);
      if (note !== undefined) Annotations.of(this).addInfo(`IdentityInterceptor: ${note}`);
    }
    const gateway = new Gateway(this, "Gateway", {
      authorizerConfiguration: props.authorizer ?? defaultAuthorizer(config),
      protocolConfiguration: GatewayProtocol.mcp({
        supportedVersions: (props.mcpSupportedVersions ?? DEFAULT_MCP_VERSIONS).map((v) => MCPProtocolVersion.of(v)),
        ...(props.mcpInstructions !== undefined ? { instructions: props.mcpInstructions } : {}),
        ...(props.mcpSearchType !== undefined ? { searchType: props.mcpSearchType } : {}),
      }),
      ...(props.gatewayName !== undefined ? { gatewayName: props.gatewayName } : {}),
    });
    acknowledge(
      gateway.role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock-agentcore:${regionAccount(this)}:workload-identity-directory/default/workload-identity/${gateway.gatewayName}-*]`,
      "aws-cdk-lib's Gateway role grant for its targets' OAuth credential providers: the gateway's own workload identities, by its name prefix",
    );
    if (gateway.authorizerConfiguration.authorizerType === "NONE") {
      // aws-cdk-lib warns that a gateway without inbound authorization is public; here the interceptor
      // verifies every message (initialize and notifications included) before AgentCore acts on it.
      Annotations.of(gateway).acknowledgeWarning(
        "aws-cdk-lib.aws-bedrockagentcore:noAuthGateway",
        "the identity interceptor authenticates every message at REQUEST: it verifies each caller's JWT against the config's issuers (docs/deploy.md)",
      );
    }
    return gateway;
  }
}

/**
 * Sets `MetadataConfiguration.AllowedRequestHeaders` on every gateway target of this gateway that the
 * policy sends headers to. The L2 MCP-target construct has no prop for it, so this uses the documented
 * escape hatch (https://docs.aws.amazon.com/cdk/v2/guide/cfn-layer.html): the L1 `CfnGatewayTarget` and
 * `addPropertyOverride`. Entries already on the target are kept; more than 10 fails synth.
 */
class TargetAllowlists implements IAspect {
  constructor(
    private readonly owner: IdentityInterceptor,
    private readonly gateway: Gateway,
  ) {}

  visit(node: IConstruct): void {
    if (!(node instanceof GatewayTarget) || node.gateway !== this.gateway) return;
    const name = node.gatewayTargetName;
    if (Token.isUnresolved(name)) return;
    const needed = allowlistNeeds(this.owner.config).get(name);
    const cfn = node.node.defaultChild;
    if (needed === undefined || !(cfn instanceof CfnGatewayTarget)) return;
    const existing = cfn.metadataConfiguration;
    const current =
      existing !== undefined && !Token.isUnresolved(existing) && "allowedRequestHeaders" in existing
        ? (existing.allowedRequestHeaders ?? [])
        : [];
    const plan = planAllowlist(needed, current);
    if (plan.problems.length > 0) {
      throw new Error(`IdentityInterceptor: gateway target "${name}": ${plan.problems.join("; ")}`);
    }
    cfn.addPropertyOverride("MetadataConfiguration.AllowedRequestHeaders", plan.headers);
    this.owner.allowlists.set(name, plan.headers);
  }
}
