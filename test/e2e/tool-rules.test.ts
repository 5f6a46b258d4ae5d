import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerToken } from "../support/secrets.js";
import { connect, reasonOf, type Stack, startStack } from "./stack/stack.js";

/**
 * Per-tool rules end to end (docs/configuration.md "Per-tool and per-prompt rules"): real IdPs, a real
 * MCP server for crm with a read tool and a write tool, the local gateway at REQUEST and RESPONSE, the
 * built interceptor in its own process. crm's rules: `search_*` open to whoever crm admits,
 * `update_*` needs the `crm:write` scope and the `crm-admins` group. alice (acme) has neither, carol
 * (acme) both, bob (globex) neither.
 */
const bundlePath = new URL("../../dist/index.mjs", import.meta.url).pathname;
const caFile = new URL("../support/tls/ca.pem", import.meta.url).pathname;
let s: Stack;

beforeAll(async () => {
  s = await startStack({ bundlePath, caFile, responsePhase: true, crmToolRules: true });
});
afterAll(() => s.stop());

async function session(idp: Stack["acme"], user: string): Promise<Client> {
  const token = await idp.userToken(user);
  registerToken(token);
  return connect(s.gateway.url, token);
}
const crmTools = async (client: Client) =>
  (await client.listTools()).tools
    .map((t) => t.name)
    .filter((n) => n.startsWith("crm___"))
    .sort();
const call = (client: Client, name: string) => client.callTool({ name, arguments: {} });
const failure = (work: Promise<unknown>) =>
  work.then(
    () => undefined,
    (err: unknown) => err,
  );

describe("per-tool rules end to end", () => {
  it("alice sees and calls the read tool; the write tool is neither listed nor callable, with a step-up challenge", async () => {
    const alice = await session(s.acme, "alice");
    expect(await crmTools(alice)).toEqual(["crm___echo", "crm___search_contacts", "crm___whoami"]);
    const read = await call(alice, "crm___search_contacts");
    const seen = JSON.parse((read.content as { text: string }[])[0]?.text ?? "null") as { headers: Record<string, string> };
    expect(seen.headers["x-user-sub"]).toBe("alice");
    const calls = s.targets.crm.seen.length;
    const err = await failure(call(alice, "crm___update_contact"));
    expect(reasonOf(err)).toBe("scope.insufficient");
    // The challenge names every scope the rule needs (the issuer's and the tool's), for one step-up.
    expect(String(err)).toContain('Bearer error=\\"insufficient_scope\\", scope=\\"mcp/invoke crm:write\\"');
    expect(s.targets.crm.seen.length).toBe(calls);
    await alice.close();
  });

  it("carol (crm:write, crm-admins) sees and calls both", async () => {
    const carol = await session(s.acme, "carol");
    expect(await crmTools(carol)).toEqual(["crm___echo", "crm___search_contacts", "crm___update_contact", "crm___whoami"]);
    const write = await call(carol, "crm___update_contact");
    const seen = JSON.parse((write.content as { text: string }[])[0]?.text ?? "null") as { headers: Record<string, string> };
    expect(seen.headers["x-user-sub"]).toBe("carol");
    await carol.close();
  });

  it("the audit lines name the deciding rule, never a group or scope value of the caller", async () => {
    const refused = s.lambda.logs.filter((l) => l.includes('"reason":"scope.insufficient"'));
    expect(refused.length).toBeGreaterThan(0);
    for (const line of refused) expect(line).toContain('"rule":"tools[\\"update_*\\"]"');
    const allowed = s.lambda.logs.filter((l) => l.includes('"tool":"update_contact"') && l.includes('"decision":"allow"'));
    expect(allowed.length).toBe(1);
    expect(s.lambda.logs.join("\n")).not.toContain("crm-admins");
  });
});
