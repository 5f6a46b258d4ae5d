import { readFileSync } from "node:fs";
import type { BedrockAgentCoreControlClient } from "@aws-sdk/client-bedrock-agentcore-control";

/**
 * `--from-file` for `attach --dry-run` and `sync-targets --dry-run`: a control-plane client that answers
 * from saved JSON instead of the network, so the exact request prints with no region, credentials or
 * network. The answers go through the real SDK's deserializer (as from the service), so the request is
 * the one a live run would send, and members this SDK does not model are found the same way.
 *
 * The file: GetGateway's answer (`aws bedrock-agentcore-control get-gateway` output) for `attach`; for
 * `sync-targets`, `{ "targets": [ <GetGatewayTarget answer>, ... ] }` (each with its `targetId` and `name`),
 * or a bare array of them.
 */
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export function readSaved(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`--from-file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function savedTargets(saved: unknown): Json[] {
  const list = Array.isArray(saved) ? saved : isObject(saved) ? saved.targets : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter(isObject);
}

/** A client answering GetGateway, ListGatewayTargets and GetGatewayTarget from `saved`; any write throws. */
export async function offlineClient(saved: unknown): Promise<BedrockAgentCoreControlClient> {
  const { BedrockAgentCoreControlClient } = await import("@aws-sdk/client-bedrock-agentcore-control");
  const targets = savedTargets(saved);
  const answer = (statusCode: number, body: unknown) => ({
    response: {
      statusCode,
      reason: "",
      headers: { "content-type": "application/json", ...(statusCode === 404 ? { "x-amzn-errortype": "ResourceNotFoundException" } : {}) },
      body: Buffer.from(JSON.stringify(body)),
    },
  });
  return new BedrockAgentCoreControlClient({
    region: "us-east-1",
    endpoint: "https://offline.invalid",
    credentials: { accessKeyId: "OFFLINE", secretAccessKey: "offline" },
    requestHandler: {
      handle: async (request: { method: string; path: string }) => {
        if (request.method !== "GET") throw new Error(`offline (--from-file): ${request.method} ${request.path} is not sent`);
        const target = /^\/gateways\/[^/]+\/targets\/([^/]+)\/$/.exec(request.path);
        if (target !== null) {
          const found = targets.find((t) => t.targetId === target[1]);
          return found !== undefined ? answer(200, found) : answer(404, { message: `target ${target[1]} is not in the file` });
        }
        if (/^\/gateways\/[^/]+\/targets\/$/.test(request.path)) {
          return answer(200, { items: targets.map((t) => ({ targetId: t.targetId, name: t.name, status: t.status })) });
        }
        if (/^\/gateways\/[^/]+\/$/.test(request.path) && isObject(saved) && !("targets" in saved)) return answer(200, saved);
        return answer(404, { message: `${request.path}: not in the file` });
      },
    },
  });
}
