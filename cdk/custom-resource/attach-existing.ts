import {
  BedrockAgentCoreControlClient,
  type BedrockAgentCoreControlClientConfig,
  type GetGatewayResponse,
  UpdateGatewayCommand,
  UpdateGatewayTargetCommand,
} from "@aws-sdk/client-bedrock-agentcore-control";
import { gatewayIdOf, planAttach, planDetach, withoutFunction } from "../../cli/attach.js";
import { planTargetSync, readTargets, type TargetSyncPlan } from "../../cli/sync-targets.js";
import { getGatewayChecked, unmodelledProblem } from "../../cli/unmodelled.js";
import { allowlistNeeds } from "../../src/config/deployment.js";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";

/**
 * The `onEvent` handler of the custom resource that attaches the interceptor to a gateway made outside
 * the app (`IdentityInterceptor` with `existingGatewayId`). It runs under the CDK Provider framework
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources-readme.html#provider-framework):
 * it returns the physical id, and a thrown error fails the deployment with its message.
 * It is the command line's read-then-put code (cli/attach.ts planAttach/planDetach, cli/sync-targets.ts
 * planTargetSync), bundled with the AWS SDK into dist/custom-resource/index.mjs by esbuild.config.mjs.
 *
 * Create/Update: GetGateway and the policy targets are read, both plans made, and nothing is written
 * while either refuses (another function's interceptor without Force, a SigV4 authorizer, a target
 * needing more than 10 headers). Then each target's allowedRequestHeaders, then UpdateGateway.
 * Delete: this function's interceptor entries and the allowlist entries this resource added go; what it
 * did not own stays, and nothing it replaced is restored.
 */
export interface AttachmentProperties {
  gatewayId: string;
  functionArn: string;
  response: boolean;
  force: boolean;
  config: Config;
}

/** The CloudFormation custom-resource event, as the Provider framework hands it on (properties are strings). */
export interface CustomResourceEvent {
  RequestType: "Create" | "Update" | "Delete";
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
  PhysicalResourceId?: string;
}

export interface CustomResourceResult {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

const PREFIX = "agentcore-interceptor-attachment";

/** Reads the resource properties the construct sets (all strings, as CloudFormation passes them). */
export function attachmentProperties(p: Record<string, unknown>): AttachmentProperties {
  const str = (k: string) => {
    const v = p[k];
    if (typeof v !== "string" || v === "") throw new Error(`property ${k} is missing`);
    return v;
  };
  const parsed = parseConfig(JSON.parse(str("Config")));
  if (!parsed.ok) throw new Error(`invalid interceptor config: ${parsed.problems.join("; ")}`);
  return {
    gatewayId: gatewayIdOf(str("GatewayId")),
    functionArn: str("FunctionArn"),
    response: str("ResponsePhase") === "true",
    force: str("Force") === "true",
    config: parsed.config,
  };
}

/**
 * The physical id names the gateway and, per target, the needed headers that were already allowlisted
 * when the resource was created (so Delete leaves them): `PREFIX/GATEWAY_ID` or `PREFIX/GATEWAY_ID/BASE64URL(JSON)`.
 * It stays the same across updates of one gateway (a new id would make CloudFormation delete the old one).
 */
function physicalId(gatewayId: string, kept: Record<string, string[]>): string {
  const id =
    Object.keys(kept).length === 0
      ? `${PREFIX}/${gatewayId}`
      : `${PREFIX}/${gatewayId}/${Buffer.from(JSON.stringify(kept)).toString("base64url")}`;
  if (id.length > 1024) throw new Error("too many pre-existing allowlist entries to record in the physical id (1024 characters)");
  return id;
}

function parsePhysicalId(id: string | undefined): { gatewayId: string; kept: Record<string, string[]> } | undefined {
  const m = id === undefined ? null : new RegExp(`^${PREFIX}/([^/]+)(?:/([A-Za-z0-9_-]+))?$`).exec(id);
  const gatewayId = m?.[1];
  if (m === null || gatewayId === undefined) return undefined;
  const kept: unknown = m[2] !== undefined ? JSON.parse(Buffer.from(m[2], "base64url").toString()) : {};
  const record: Record<string, string[]> = {};
  if (typeof kept === "object" && kept !== null)
    for (const [k, v] of Object.entries(kept)) if (Array.isArray(v)) record[k] = v.filter((h): h is string => typeof h === "string");
  return { gatewayId, kept: record };
}

/** What this resource owns on each target: the headers the config needs less those that were there before. */
function owned(config: Config, kept: Record<string, string[]>): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const [name, headers] of allowlistNeeds(config)) {
    const before = new Set((kept[name] ?? []).map((h) => h.toLowerCase()));
    const mine = headers.filter((h) => !before.has(h.toLowerCase()));
    if (mine.length > 0) result.set(name, mine);
  }
  return result;
}

const problemsOf = (plan: TargetSyncPlan) => (plan.problems.length > 0 ? `gateway targets: ${plan.problems.join("; ")}` : undefined);

export type Log = (line: string) => void;

/** The handler, with the SDK client's settings (tests point it at a loopback endpoint). */
export function onEventWith(clientConfig: BedrockAgentCoreControlClientConfig = {}, log: Log = (l) => console.log(l)) {
  return async (event: CustomResourceEvent): Promise<CustomResourceResult> => {
    const client = new BedrockAgentCoreControlClient(clientConfig);
    try {
      if (event.RequestType === "Delete") return await onDelete(client, event, log);
      return await onCreateOrUpdate(client, event, log);
    } finally {
      client.destroy();
    }
  };
}

export const handler = onEventWith();

/** GetGateway; refuses (or, with force, logs) members this SDK does not model, which the update would drop. */
async function readGateway(
  client: BedrockAgentCoreControlClient,
  gatewayId: string,
  force: boolean,
  log: Log,
): Promise<GetGatewayResponse> {
  const { output, unmodelled } = await getGatewayChecked(client, { gatewayIdentifier: gatewayId });
  refuseUnmodelled(unmodelledProblem("GetGateway", unmodelled), force, log);
  return output;
}

function refuseUnmodelled(problem: string | undefined, force: boolean, log: Log): void {
  if (problem === undefined) return;
  const text = problem.replaceAll("--force", "force: true");
  if (!force) throw new Error(`refused: ${text}`);
  log(`warning: ${text}`);
}

async function onCreateOrUpdate(
  client: BedrockAgentCoreControlClient,
  event: CustomResourceEvent,
  log: Log,
): Promise<CustomResourceResult> {
  const p = attachmentProperties(event.ResourceProperties);
  const previous =
    event.RequestType === "Update" && event.OldResourceProperties !== undefined
      ? attachmentProperties(event.OldResourceProperties)
      : undefined;
  const recorded = parsePhysicalId(event.PhysicalResourceId);
  const sameGateway = previous !== undefined && recorded !== undefined && recorded.gatewayId === p.gatewayId;

  const read = await readGateway(client, p.gatewayId, p.force, log);
  // On an update of the same gateway this resource's own entries are planned afresh (the phases follow
  // the props); any other function's entries go through planAttach's refusal rules as on create.
  const gateway = sameGateway ? withoutFunction(read, previous.functionArn) : read;
  const attach = planAttach(gateway, {
    gatewayId: p.gatewayId,
    functionArn: p.functionArn,
    response: p.response,
    force: p.force,
    config: p.config,
  });
  // The command line's words, with the construct's prop for its flag.
  if (attach.refusal !== undefined) throw new Error(`refused: ${attach.refusal.replaceAll("--force", "force: true")}`);
  for (const w of attach.warnings) log(`warning: ${w}`);

  const needs = allowlistNeeds(p.config);
  const remove = sameGateway ? owned(previous.config, recorded.kept) : new Map<string, string[]>();
  for (const [name, headers] of remove)
    remove.set(
      name,
      headers.filter((h) => !(needs.get(name) ?? []).some((n) => n.toLowerCase() === h.toLowerCase())),
    );
  const { targets, details, unmodelled } = await readTargets(client, p.gatewayId, (name) => needs.has(name) || remove.has(name));
  for (const [name, members] of unmodelled) refuseUnmodelled(unmodelledProblem(`${name}: GetGatewayTarget`, members), p.force, log);
  const sync = planTargetSync(p.gatewayId, p.config, targets, details, { remove });
  const problem = problemsOf(sync);
  if (problem !== undefined) throw new Error(`refused: ${problem}`);

  // The headers each policy target already allowed before this resource existed (kept on delete).
  let kept = recorded?.kept ?? {};
  if (!sameGateway) {
    kept = {};
    for (const { name, targetId } of targets) {
      const current = new Set((details.get(targetId)?.metadataConfiguration?.allowedRequestHeaders ?? []).map((h) => h.toLowerCase()));
      const before = (needs.get(name) ?? []).filter((h) => current.has(h.toLowerCase()));
      if (before.length > 0) kept[name] = before;
    }
  }
  const id = physicalId(p.gatewayId, kept);

  for (const u of sync.updates) {
    await client.send(new UpdateGatewayTargetCommand(u.request));
    log(`${u.name}: allowedRequestHeaders = ${(u.request.metadataConfiguration?.allowedRequestHeaders ?? []).join(", ")}`);
  }
  const request = attach.request;
  if (request !== undefined && JSON.stringify(request.interceptorConfigurations) !== JSON.stringify(read.interceptorConfigurations ?? [])) {
    await client.send(new UpdateGatewayCommand(request));
    log(`attached ${p.functionArn} to gateway ${p.gatewayId}`);
  }
  for (const name of sync.missingFromGateway)
    if (needs.has(name)) log(`warning: policy target ${name} needs an allowlist but is not on the gateway`);
  return { PhysicalResourceId: id, Data: { GatewayId: p.gatewayId } };
}

async function onDelete(client: BedrockAgentCoreControlClient, event: CustomResourceEvent, log: Log): Promise<CustomResourceResult> {
  const physical = event.PhysicalResourceId ?? "";
  const recorded = parsePhysicalId(event.PhysicalResourceId);
  // A create that failed (a refusal) left no id of ours: it wrote nothing, so there is nothing to remove.
  if (recorded === undefined) return { PhysicalResourceId: physical };
  const p = attachmentProperties(event.ResourceProperties);
  let read: GetGatewayResponse;
  try {
    read = await readGateway(client, recorded.gatewayId, p.force, log);
  } catch (err) {
    if (err instanceof Error && err.name === "ResourceNotFoundException") return { PhysicalResourceId: physical };
    throw err;
  }
  const remove = owned(p.config, recorded.kept);
  const { targets, details, unmodelled } = await readTargets(client, recorded.gatewayId, (name) => remove.has(name));
  for (const [name, members] of unmodelled) refuseUnmodelled(unmodelledProblem(`${name}: GetGatewayTarget`, members), p.force, log);
  const sync = planTargetSync(recorded.gatewayId, p.config, targets, details, { remove, needs: new Map() });
  const detach = planDetach(read, recorded.gatewayId, p.functionArn);
  if (detach !== undefined) {
    await client.send(new UpdateGatewayCommand(detach));
    log(`detached ${p.functionArn} from gateway ${recorded.gatewayId}`);
  }
  for (const u of sync.updates) {
    await client.send(new UpdateGatewayTargetCommand(u.request));
    log(`${u.name}: allowedRequestHeaders = ${(u.request.metadataConfiguration?.allowedRequestHeaders ?? []).join(", ")}`);
  }
  return { PhysicalResourceId: physical };
}
