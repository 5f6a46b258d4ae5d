import { join } from "node:path";
import { Arn, ArnFormat, CustomResource, Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as cr from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { gatewayIdOf } from "../cli/attach.js";
import { bundleFiles } from "../cli/bundle.js";
import { acknowledge, logicalIdOf, REASONS, regionAccount } from "./nag.js";

/**
 * The existing-gateway route of `IdentityInterceptor`: a custom resource (the CDK Provider framework,
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources-readme.html#provider-framework)
 * whose handler is the command line's read-then-put code, prebuilt into dist/custom-resource/index.mjs
 * (cdk/custom-resource/attach-existing.ts). Tooling only: nothing here enters the interceptor's bundle.
 */
export interface ExistingGatewayAttachmentProps {
  /** The gateway id, or its ARN. */
  readonly gatewayId: string;
  /** The alias (or version) the gateway invokes: never the unqualified function or `$LATEST`. */
  readonly target: lambda.IFunction;
  /** The logical id of `target`'s alias resource (cdk-nag names findings on it by it). */
  readonly targetLogicalId: string;
  readonly response: boolean;
  readonly force: boolean;
  /** The validated config, as JSON text. */
  readonly configText: string;
  /** The gateway's service role, when known: PassRole is scoped to it and it is granted invoke on `target`. */
  readonly gatewayRoleArn?: string;
  /** The package's dist/ (holding custom-resource/index.mjs). */
  readonly bundleDir: string;
  /** X-Ray active tracing of the handler. */
  readonly tracing: boolean;
}

export class ExistingGatewayAttachment extends Construct {
  readonly handler: lambda.Function;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ExistingGatewayAttachmentProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const gatewayId = gatewayIdOf(props.gatewayId);
    const gatewayArn = props.gatewayId.startsWith("arn:")
      ? props.gatewayId
      : Arn.format(
          { service: "bedrock-agentcore", resource: "gateway", resourceName: gatewayId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME },
          stack,
        );

    const dir = join(props.bundleDir, "custom-resource");
    if (bundleFiles(dir).length !== 1) throw new Error(`${dir} should hold index.mjs only`);
    const logGroup = new logs.LogGroup(this, "HandlerLogs", { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, "HandlerRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Attaches the identity interceptor to AgentCore gateway ${gatewayId}: that gateway and its targets only`,
    });
    logGroup.grantWrite(role);
    // Gateway and gateway-target actions are authorised on the gateway resource
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrockagentcore.html).
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadAndUpdateTheGateway",
        actions: [
          "bedrock-agentcore:GetGateway",
          "bedrock-agentcore:UpdateGateway",
          "bedrock-agentcore:ListGatewayTargets",
          "bedrock-agentcore:GetGatewayTarget",
          "bedrock-agentcore:UpdateGatewayTarget",
        ],
        resources: [gatewayArn, `${gatewayArn}/*`],
      }),
    );
    // UpdateGateway re-sends the gateway's roleArn, which needs iam:PassRole on it. The role of a gateway
    // made elsewhere is not known at synth unless given (`existingGatewayRoleArn`): then PassRole is on
    // that role only; otherwise on any role, but only to AgentCore (the iam:PassedToService condition,
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService).
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "PassTheGatewayRoleBackToAgentCore",
        actions: ["iam:PassRole"],
        resources: [props.gatewayRoleArn ?? "*"],
        conditions: { StringEquals: { "iam:PassedToService": "bedrock-agentcore.amazonaws.com" } },
      }),
    );

    this.handler = new lambda.Function(this, "Handler", {
      description: `Attaches the identity interceptor to AgentCore gateway ${gatewayId} (read-then-put, as the attach command)`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: "index.handler",
      code: lambda.Code.fromAsset(dir),
      role,
      logGroup,
      memorySize: 256,
      timeout: Duration.minutes(2),
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    });
    acknowledge(this.handler, "Serverless-LambdaDLQ", REASONS.synchronousDlq);
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock-agentcore:${regionAccount(this)}:gateway/${gatewayId}/*]`,
      "the gateway's own targets (ListGatewayTargets, GetGatewayTarget, UpdateGatewayTarget), under this one gateway's ARN",
    );
    if (props.gatewayRoleArn === undefined || props.tracing) {
      acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        `${props.gatewayRoleArn === undefined ? "iam:PassRole: the role of a gateway made outside the app is not known at synth (give existingGatewayRoleArn to scope it); the iam:PassedToService condition lets it be passed to AgentCore only. " : ""}${props.tracing ? REASONS.xrayWildcard : ""}`,
      );
    }
    const provider = new cr.Provider(this, "Provider", {
      onEventHandler: this.handler,
      logGroup: new logs.LogGroup(this, "ProviderLogs", { retention: logs.RetentionDays.ONE_MONTH }),
    });
    // The Provider framework's own function and role are aws-cdk-lib's: it forwards the CloudFormation
    // event to the handler above (which is traced and least-privilege) and is not configurable here.
    const framework =
      "aws-cdk-lib's custom-resource Provider framework function, which only forwards the CloudFormation event to the handler";
    acknowledge(provider, "Serverless-LambdaDLQ", REASONS.synchronousDlq);
    acknowledge(provider, "Serverless-LambdaTracing", `${framework}; the handler itself is traced`);
    acknowledge(provider, "Serverless-LambdaDefaultMemorySize", `${framework}: its memory is aws-cdk-lib's`);
    acknowledge(
      provider,
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      `${framework}: its role's logging policy is aws-cdk-lib's`,
    );
    acknowledge(
      provider,
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.handler)}.Arn>:*]`,
      `${framework}: aws-cdk-lib grants it invoke on the handler and its versions`,
    );
    if (props.gatewayRoleArn !== undefined) {
      const gatewayRole = iam.Role.fromRoleArn(this, "GatewayRole", props.gatewayRoleArn, { mutable: true });
      props.target.grantInvoke(gatewayRole);
      acknowledge(gatewayRole, `AwsSolutions-IAM5[Resource::<${props.targetLogicalId}>:*]`, REASONS.versionsOfTheAlias);
    }
    this.resource = new CustomResource(this, "Resource", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::AgentCoreInterceptorAttachment",
      properties: {
        GatewayId: gatewayId,
        FunctionArn: props.target.functionArn,
        ResponsePhase: String(props.response),
        Force: String(props.force),
        Config: props.configText,
      },
    });
  }
}
