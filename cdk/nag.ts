import { CfnElement, Stack, Token, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * Acknowledgements of cdk-nag findings (its AwsSolutions and Serverless packs, https://github.com/cdklabs/cdk-nag)
 * that are not defects, each with its reason, through aws-cdk-lib's own `Validations.of(…).acknowledge`
 * (so the construct needs no cdk-nag at run time). A test keeps the example app and the existing-gateway
 * route at zero unacknowledged findings.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

export const REASONS = {
  synchronousDlq:
    "invoked synchronously (by the gateway for each message, or by CloudFormation through the Provider framework): a dead-letter queue applies to asynchronous invocations only",
  xrayWildcard:
    "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions (aws-cdk-lib adds them for active tracing)",
  versionsOfTheAlias:
    "aws-cdk-lib's LambdaInterceptor grant (IFunction.grantInvoke) adds `:*` to the alias ARN; an alias has no qualifiers below it, so it allows the alias only",
} as const;

/** The logical id of a construct's CloudFormation resource, as cdk-nag names it in a finding (`<LogicalId>`). */
export function logicalIdOf(construct: IConstruct): string {
  const cfn = construct.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(cfn);
}

/** `region:account` as cdk-nag writes them in a finding: the values, or `<AWS::Region>:<AWS::AccountId>` for an environment-agnostic stack. */
export function regionAccount(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? "<AWS::Region>" : stack.region;
  const account = Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account;
  return `${region}:${account}`;
}
