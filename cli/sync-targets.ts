import type {
  BedrockAgentCoreControlClient,
  GetGatewayTargetResponse,
  UpdateGatewayTargetRequest,
} from "@aws-sdk/client-bedrock-agentcore-control";
import { allowlistNeeds, planAllowlist } from "../src/config/deployment.js";
import type { Config } from "../src/config/schema.js";
import type { Io } from "./attach.js";
import { type ClassifiedFields, copyDefined } from "./read-then-put.js";

/**
 * `sync-targets`: every gateway target the policy sends headers to gets exactly those headers in its
 * `metadataConfiguration.allowedRequestHeaders` (AgentCore drops unlisted interceptor headers silently,
 * docs/agentcore-contract.md §4). UpdateGatewayTarget is a PUT: the request re-sends every field read.
 */

const UPDATABLE = [
  "name",
  "description",
  "targetConfiguration",
  "credentialProviderConfigurations",
  "metadataConfiguration",
  "privateEndpoint",
  "certificateConfigurations",
] as const satisfies readonly (keyof GetGatewayTargetResponse & keyof UpdateGatewayTargetRequest)[];
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- only its type is read: a compile-time guard below
const READ_ONLY = [
  "gatewayArn",
  "targetId",
  "createdAt",
  "updatedAt",
  "status",
  "statusReasons",
  "lastSynchronizedAt",
  "privateEndpointManagedResources",
  "authorizationData",
  "protocolType",
] as const satisfies readonly (keyof GetGatewayTargetResponse)[];
// Compile-time guard (see ./read-then-put.ts): every field read is sent back or service-set.
export const classifiedTargetFields: ClassifiedFields<
  GetGatewayTargetResponse,
  UpdateGatewayTargetRequest,
  (typeof UPDATABLE)[number],
  (typeof READ_ONLY)[number],
  "gatewayIdentifier" | "targetId"
> = true;

export interface TargetUpdate {
  name: string;
  request: UpdateGatewayTargetRequest;
  added: string[];
}

export interface TargetSyncPlan {
  updates: TargetUpdate[];
  /** Targets whose allowlist already holds what they need. */
  upToDate: string[];
  /** Allowlist entries the interceptor does not set, per target (kept unless pruned). */
  others: Map<string, string[]>;
  /** Targets whose allowlist cannot be set; nothing is sent while there are any. */
  problems: string[];
  missingFromPolicy: string[];
  missingFromGateway: string[];
}

export interface TargetSyncOptions {
  /** Drop allowlist entries the interceptor does not set. */
  prune?: boolean;
  /** Entries to take out of a target's allowlist first (by target name): what an earlier sync added and no longer needs. */
  remove?: ReadonlyMap<string, readonly string[]>;
  /** The headers each target needs; default: the config's (`allowlistNeeds`). An empty map removes only `remove`. */
  needs?: ReadonlyMap<string, readonly string[]>;
}

/** Pure: the UpdateGatewayTarget requests that give each policy target the allowlist it needs. */
export function planTargetSync(
  gatewayId: string,
  config: Config,
  gatewayTargets: readonly { name: string; targetId: string }[],
  details: ReadonlyMap<string, GetGatewayTargetResponse>,
  options: TargetSyncOptions = {},
): TargetSyncPlan {
  const prune = options.prune ?? false;
  const plan: TargetSyncPlan = {
    updates: [],
    upToDate: [],
    others: new Map(),
    problems: [],
    missingFromPolicy: [],
    missingFromGateway: [],
  };
  const onGateway = new Set(gatewayTargets.map((t) => t.name));
  plan.missingFromGateway = Object.keys(config.targets).filter((n) => !onGateway.has(n));
  plan.missingFromPolicy = gatewayTargets.map((t) => t.name).filter((n) => !Object.hasOwn(config.targets, n));
  const needs = options.needs ?? allowlistNeeds(config);
  for (const { name, targetId } of gatewayTargets) {
    const needed = needs.get(name);
    const removed = new Set((options.remove?.get(name) ?? []).map((h) => h.toLowerCase()));
    if (needed === undefined && removed.size === 0) continue;
    const target = details.get(targetId);
    if (target === undefined) {
      plan.problems.push(`${name}: GetGatewayTarget ${targetId} returned nothing`);
      continue;
    }
    const current = target.metadataConfiguration?.allowedRequestHeaders ?? [];
    const allow = planAllowlist(
      needed ?? [],
      current.filter((h) => !removed.has(h.toLowerCase())),
      prune,
    );
    if (allow.others.length > 0) plan.others.set(name, allow.others);
    if (allow.problems.length > 0) {
      plan.problems.push(...allow.problems.map((p) => `${name}: ${p}`));
      continue;
    }
    if (JSON.stringify(allow.headers) === JSON.stringify(current)) {
      plan.upToDate.push(name);
      continue;
    }
    const request: UpdateGatewayTargetRequest = { gatewayIdentifier: gatewayId, targetId, targetConfiguration: undefined };
    copyDefined(target, UPDATABLE, request);
    request.metadataConfiguration = { ...target.metadataConfiguration, allowedRequestHeaders: allow.headers };
    plan.updates.push({ name, request, added: allow.added });
  }
  return plan;
}

export interface SyncOptions {
  gatewayId: string;
  config: Config;
  dryRun: boolean;
  prune: boolean;
  /** Update targets even when the service returned members this SDK does not model (they are dropped). */
  force: boolean;
}

/** ListGatewayTargets (every page), then GetGatewayTarget for each target `wanted` names. */
export async function readTargets(
  client: BedrockAgentCoreControlClient,
  gatewayId: string,
  wanted: (name: string) => boolean,
): Promise<{
  targets: { name: string; targetId: string }[];
  details: Map<string, GetGatewayTargetResponse>;
  /** Target name -> members its GetGatewayTarget answer held that this SDK does not model. */
  unmodelled: Map<string, string[]>;
}> {
  const sdk = await import("@aws-sdk/client-bedrock-agentcore-control");
  const { getGatewayTargetChecked } = await import("./unmodelled.js");
  const targets: { name: string; targetId: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new sdk.ListGatewayTargetsCommand({ gatewayIdentifier: gatewayId, ...(nextToken ? { nextToken } : {}) }),
    );
    for (const t of page.items ?? [])
      if (t.name !== undefined && t.targetId !== undefined) targets.push({ name: t.name, targetId: t.targetId });
    nextToken = page.nextToken;
  } while (nextToken);

  const details = new Map<string, GetGatewayTargetResponse>();
  const unmodelled = new Map<string, string[]>();
  for (const t of targets) {
    if (!wanted(t.name)) continue;
    const read = await getGatewayTargetChecked(client, { gatewayIdentifier: gatewayId, targetId: t.targetId });
    details.set(t.targetId, read.output);
    if (read.unmodelled.length > 0) unmodelled.set(t.name, read.unmodelled);
  }
  return { targets, details, unmodelled };
}

/** Lists the gateway's targets, reads those the policy sends headers to, and updates their allowlists. */
export async function syncTargets(client: BedrockAgentCoreControlClient, o: SyncOptions, io: Io): Promise<number> {
  const sdk = await import("@aws-sdk/client-bedrock-agentcore-control");
  const needs = allowlistNeeds(o.config);
  const { targets, details, unmodelled } = await readTargets(client, o.gatewayId, (name) => needs.has(name));
  const plan = planTargetSync(o.gatewayId, o.config, targets, details, { prune: o.prune });
  const { unmodelledProblem } = await import("./unmodelled.js");
  for (const [name, members] of unmodelled) {
    const dropped = unmodelledProblem(`${name}: GetGatewayTarget`, members);
    if (dropped === undefined) continue;
    if (o.force) io.err(`warning: ${dropped} (--force)`);
    else plan.problems.push(dropped);
  }

  for (const name of plan.upToDate) io.out(`${name}: allowlist up to date`);
  for (const [name, others] of plan.others) {
    io.out(
      `${name}: ${o.prune ? "removing" : "keeping"} allowlist entries the interceptor does not set: ${others.join(", ")}` +
        (o.prune ? "" : " (clients can send these headers to the target directly; --prune removes them)"),
    );
  }
  for (const name of plan.missingFromPolicy)
    io.out(
      `${name}: on the gateway, not in the policy (${o.config.unlistedTargets === "deny" ? "403 policy.target_denied" : "gets no identity"})`,
    );
  for (const name of plan.missingFromGateway) io.out(`${name}: in the policy, not on the gateway`);
  if (plan.problems.length > 0) {
    for (const p of plan.problems) io.err(`error: ${p}`);
    io.err("nothing sent: fix the policy or the targets' allowlists first");
    return 1;
  }
  for (const u of plan.updates) {
    const headers = u.request.metadataConfiguration?.allowedRequestHeaders ?? [];
    if (o.dryRun) {
      io.out(`${u.name}: UpdateGatewayTarget request (dry run, nothing sent):`);
      io.out(JSON.stringify(u.request, null, 2));
      continue;
    }
    await client.send(new sdk.UpdateGatewayTargetCommand(u.request));
    io.out(`${u.name}: allowedRequestHeaders = ${headers.join(", ")}${u.added.length > 0 ? ` (added ${u.added.join(", ")})` : ""}`);
  }
  return 0;
}
