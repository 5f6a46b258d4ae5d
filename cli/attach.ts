import type {
  BedrockAgentCoreControlClient,
  GatewayInterceptionPoint,
  GatewayInterceptorConfiguration,
  GetGatewayResponse,
  UpdateGatewayRequest,
} from "@aws-sdk/client-bedrock-agentcore-control";
import type { Config } from "../src/config/schema.js";
import { type ClassifiedFields, copyDefined } from "./read-then-put.js";

/**
 * `attach`: put this interceptor on a gateway made without CDK. UpdateGateway is a full replace (a PUT,
 * docs/agentcore-contract.md §0), so the request re-sends every updatable field GetGateway returned and
 * changes only `interceptorConfigurations`.
 */

/** GetGateway fields UpdateGateway takes back. */
const UPDATABLE = [
  "name",
  "description",
  "roleArn",
  "protocolType",
  "protocolConfiguration",
  "authorizerType",
  "authorizerConfiguration",
  "kmsKeyArn",
  "customTransformConfiguration",
  "interceptorConfigurations",
  "policyEngineConfiguration",
  "exceptionLevel",
  "wafConfiguration",
] as const satisfies readonly (keyof GetGatewayResponse & keyof UpdateGatewayRequest)[];
/** GetGateway fields the service sets (UpdateGateway has no such field). */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- only its type is read: a compile-time guard below
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
] as const satisfies readonly (keyof GetGatewayResponse)[];
// Compile-time guards: a field added to the SDK's GetGateway or UpdateGateway shapes fails the type
// check until it is classified above, so no field read can be silently dropped from the update.
export const classifiedGatewayFields: ClassifiedFields<
  GetGatewayResponse,
  UpdateGatewayRequest,
  (typeof UPDATABLE)[number],
  (typeof READ_ONLY)[number],
  "gatewayIdentifier"
> = true;

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::(?:\$LATEST|[A-Za-z0-9_-]+))?$/;
/** A gateway id, or the id at the end of a gateway ARN (arn:aws:bedrock-agentcore:REGION:ACCOUNT:gateway/ID). */
export function gatewayIdOf(idOrArn: string): string {
  const m = /^arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:gateway\/([^/]+)$/.exec(idOrArn);
  return m?.[1] ?? idOrArn;
}

/** The function an ARN names, without its version or alias qualifier. */
export const unqualified = (arn: string) => arn.split(":").slice(0, 7).join(":");

export interface AttachOptions {
  gatewayId: string;
  functionArn: string;
  /** Also attach the RESPONSE phase (the listing filter). */
  response: boolean;
  /** Replace another function's interceptor at the same point. */
  force: boolean;
  /** The policy, when given: checks the gateway's authorizer against its issuers. */
  config?: Config | undefined;
}

export interface AttachPlan {
  /** The UpdateGateway input; undefined when the gateway already has exactly this interceptor. */
  request?: UpdateGatewayRequest;
  /** Why nothing may be sent (another interceptor without --force, a bad ARN, a field missing). */
  refusal?: string;
  warnings: string[];
  notes: string[];
}

const arnOf = (c: GatewayInterceptorConfiguration) => c.interceptor?.lambda?.arn;

/** Pure: the UpdateGateway request that attaches the interceptor to the gateway GetGateway described. */
export function planAttach(gateway: GetGatewayResponse, o: AttachOptions): AttachPlan {
  const warnings: string[] = [];
  const notes: string[] = [];
  if (!LAMBDA_ARN.test(o.functionArn)) return { refusal: `--function-arn: not a Lambda function ARN: ${o.functionArn}`, warnings, notes };
  if (gateway.name === undefined || gateway.roleArn === undefined || gateway.authorizerType === undefined) {
    return {
      refusal: "GetGateway returned no name, roleArn or authorizerType: cannot build a complete UpdateGateway request",
      warnings,
      notes,
    };
  }
  const sigv4 = sigv4Authorizer(gateway.authorizerType);
  if (sigv4 !== undefined) {
    if (!o.force) return { refusal: `${sigv4}. Use authorizerType CUSTOM_JWT or NONE, or re-run with --force`, warnings, notes };
    warnings.push(`${sigv4} (--force)`);
  }
  const ours = unqualified(o.functionArn);
  const existing = gateway.interceptorConfigurations ?? [];
  const wanted = new Set<GatewayInterceptionPoint>(o.response ? ["REQUEST", "RESPONSE"] : ["REQUEST"]);

  const kept: GatewayInterceptorConfiguration[] = [];
  const conflicts: string[] = [];
  let previous: GatewayInterceptorConfiguration | undefined;
  for (const entry of existing) {
    const arn = arnOf(entry);
    const points = entry.interceptionPoints ?? [];
    if (arn !== undefined && unqualified(arn) === ours) {
      previous = entry;
      for (const p of points) wanted.add(p); // keep a phase this function already serves
      continue;
    }
    const taken = points.filter((p) => wanted.has(p));
    if (taken.length > 0) conflicts.push(`${taken.join("+")} is served by ${arn ?? "a non-Lambda interceptor"}`);
    const rest = points.filter((p) => !wanted.has(p));
    if (rest.length > 0) kept.push({ ...entry, interceptionPoints: rest });
  }
  if (conflicts.length > 0) {
    if (!o.force)
      return {
        refusal: `the gateway already has another interceptor: ${conflicts.join("; ")}. Re-run with --force to replace it`,
        warnings,
        notes,
      };
    warnings.push(`replacing another interceptor (--force): ${conflicts.join("; ")}`);
  }

  const points = (["REQUEST", "RESPONSE"] as const).filter((p) => wanted.has(p));
  const mine: GatewayInterceptorConfiguration = {
    interceptor: { lambda: { arn: o.functionArn } },
    interceptionPoints: points,
    inputConfiguration: { ...previous?.inputConfiguration, passRequestHeaders: true },
  };
  if (previous !== undefined) {
    if (previous.inputConfiguration?.passRequestHeaders !== true) {
      warnings.push(
        "passRequestHeaders was off: the interceptor saw no Authorization header and denied every request (401 auth.missing); this update turns it on",
      );
    }
    const previousArn = arnOf(previous);
    if (previousArn !== o.functionArn) notes.push(`re-pointing ${previousArn ?? "?"} to ${o.functionArn}`);
    if (!o.response && previous.interceptionPoints?.includes("RESPONSE"))
      notes.push("keeping the RESPONSE phase this function already serves");
  }
  warnings.push(...authorizerWarnings(gateway, o.config));
  notes.push(`the gateway's service role ${gateway.roleArn} must allow lambda:InvokeFunction on ${o.functionArn}`);

  const interceptorConfigurations = [...kept, mine];
  const request: UpdateGatewayRequest = {
    gatewayIdentifier: o.gatewayId,
    name: gateway.name,
    roleArn: gateway.roleArn,
    authorizerType: gateway.authorizerType,
  };
  copyDefined(gateway, UPDATABLE, request);
  request.interceptorConfigurations = interceptorConfigurations;
  if (JSON.stringify(existing) === JSON.stringify(interceptorConfigurations)) {
    notes.push("the gateway already has this interceptor with passRequestHeaders on: nothing to change");
    return { warnings, notes };
  }
  return { request, warnings, notes };
}

/**
 * AWS_IAM and AUTHENTICATE_ONLY gateways authenticate callers by their SigV4 signature (the second makes
 * no authorization decision of its own): the caller's `Authorization` header then carries that
 * signature, so no bearer token ever reaches the interceptor and it would deny every message.
 * https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-inbound-auth.html
 */
export function sigv4Authorizer(type: string | undefined): string | undefined {
  if (type !== "AWS_IAM" && type !== "AUTHENTICATE_ONLY") return undefined;
  return `authorizerType ${type}: callers sign with SigV4, so no bearer token reaches the interceptor and it would deny every message (401 auth.missing)`;
}

/** The gateway's own authorizer must let every trusted issuer's callers reach the interceptor. */
export function authorizerWarnings(gateway: GetGatewayResponse, config: Config | undefined): string[] {
  const warnings: string[] = [];
  if (gateway.authorizerType === "NONE") {
    warnings.push("authorizerType NONE: the interceptor is the only authentication of this gateway (it verifies every message)");
  }
  if (config === undefined || gateway.authorizerType !== "CUSTOM_JWT") return warnings;
  const discoveryUrl = gateway.authorizerConfiguration?.customJWTAuthorizer?.discoveryUrl;
  if (config.issuers.length > 1) {
    warnings.push(
      `the config trusts ${config.issuers.length} issuers but the gateway's CUSTOM_JWT authorizer accepts tokens of one discovery URL (${discoveryUrl ?? "?"}): ` +
        "the other issuers' callers are refused before the interceptor runs. Use authorizerType NONE (the interceptor then authenticates every message)",
    );
  } else if (
    discoveryUrl !== undefined &&
    config.issuers[0] !== undefined &&
    !discoveryUrl.startsWith(config.issuers[0].issuer.replace(/\/$/, ""))
  ) {
    warnings.push(`the gateway's discovery URL ${discoveryUrl} is not under the config's issuer ${config.issuers[0].issuer}`);
  }
  return warnings;
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** GetGateway, plan, then UpdateGateway (or print the request with dryRun). Returns the exit code. */
export async function attach(client: BedrockAgentCoreControlClient, o: AttachOptions & { dryRun: boolean }, io: Io): Promise<number> {
  const { UpdateGatewayCommand } = await import("@aws-sdk/client-bedrock-agentcore-control");
  const { getGatewayChecked, unmodelledProblem } = await import("./unmodelled.js");
  const { output: gateway, unmodelled } = await getGatewayChecked(client, { gatewayIdentifier: o.gatewayId });
  const dropped = unmodelledProblem("GetGateway", unmodelled);
  if (dropped !== undefined) {
    if (!o.force) {
      io.err(`refused: ${dropped}`);
      return 1;
    }
    io.err(`warning: ${dropped} (--force)`);
  }
  const plan = planAttach(gateway, o);
  for (const w of plan.warnings) io.err(`warning: ${w}`);
  for (const n of plan.notes) io.err(`note: ${n}`);
  if (plan.refusal !== undefined) {
    io.err(`refused: ${plan.refusal}`);
    return 1;
  }
  if (plan.request === undefined) return 0;
  if (o.dryRun) {
    io.out(`UpdateGateway request (dry run, nothing sent):`);
    io.out(JSON.stringify(plan.request, null, 2));
    return 0;
  }
  const updated = await client.send(new UpdateGatewayCommand(plan.request));
  io.out(
    `attached ${o.functionArn} to gateway ${updated.gatewayId ?? o.gatewayId} at ${plan.request.interceptorConfigurations?.at(-1)?.interceptionPoints?.join("+") ?? "REQUEST"} (status ${updated.status ?? "?"})`,
  );
  return 0;
}

/** The gateway as GetGateway described it, less every interceptor entry of `functionArn`'s function (any qualifier). */
export function withoutFunction(gateway: GetGatewayResponse, functionArn: string): GetGatewayResponse {
  const ours = unqualified(functionArn);
  const kept = (gateway.interceptorConfigurations ?? []).filter((c) => {
    const arn = arnOf(c);
    return arn === undefined || unqualified(arn) !== ours;
  });
  return { ...gateway, interceptorConfigurations: kept };
}

/**
 * Pure: the UpdateGateway request that removes `functionArn`'s interceptor entries, re-sending every
 * other field read (the same read-then-put rule as `planAttach`); undefined when the gateway has none.
 * Nothing else is restored: an interceptor another function had before `--force` stays replaced.
 */
export function planDetach(gateway: GetGatewayResponse, gatewayId: string, functionArn: string): UpdateGatewayRequest | undefined {
  const rest = withoutFunction(gateway, functionArn).interceptorConfigurations ?? [];
  if (rest.length === (gateway.interceptorConfigurations ?? []).length) return undefined;
  if (gateway.name === undefined || gateway.roleArn === undefined || gateway.authorizerType === undefined) {
    throw new Error("GetGateway returned no name, roleArn or authorizerType: cannot build a complete UpdateGateway request");
  }
  const request: UpdateGatewayRequest = {
    gatewayIdentifier: gatewayId,
    name: gateway.name,
    roleArn: gateway.roleArn,
    authorizerType: gateway.authorizerType,
  };
  copyDefined(gateway, UPDATABLE, request);
  request.interceptorConfigurations = rest;
  return request;
}
