import { join } from "node:path";
import { Arn, ArnFormat, CustomResource, Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as cr from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { gatewayIdOf } from "../cli/attach.js";
import { bundleFiles } from "../cli/bundle.js";

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
  readonly response: boolean;
  readonly force: boolean;
  /** The validated config, as JSON text. */
  readonly configText: string;
  /** The gateway's service role, when known: PassRole is scoped to it and it is granted invoke on `target`. */
  readonly gatewayRoleArn?: string;
  /** The package's dist/ (holding custom-resource/index.mjs). */
  readonly bundleDir: string;
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
    });
    const provider = new cr.Provider(this, "Provider", {
      onEventHandler: this.handler,
      logGroup: new logs.LogGroup(this, "ProviderLogs", { retention: logs.RetentionDays.ONE_MONTH }),
    });
    if (props.gatewayRoleArn !== undefined) {
      props.target.grantInvoke(iam.Role.fromRoleArn(this, "GatewayRole", props.gatewayRoleArn, { mutable: true }));
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
