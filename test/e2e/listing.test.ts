import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emfDocuments, emfProblems, sumBy } from "../support/emf.js";
import { registerToken } from "../support/secrets.js";
import { connect, reasonOf, type Stack, startStack, whoami } from "./stack/stack.js";

/**
 * End to end with the interceptor attached at REQUEST and RESPONSE (docs/agentcore-contract.md §0, §3):
 * real IdPs, real MCP targets, the local gateway with its search tool, the built interceptor in its own
 * process. Each caller sees exactly the tools it may call; calls and denials are what they were.
 */
const bundlePath = new URL("../../dist/index.mjs", import.meta.url).pathname;
const caFile = new URL("../support/tls/ca.pem", import.meta.url).pathname;
const TARGETS = ["orders", "crm", "erp", "reports", "weather", "ledger", "wiki"] as const;
let s: Stack;

async function tokenFor(idp: Stack["acme"], username: string): Promise<string> {
  const token = await idp.userToken(username);
  registerToken(token);
  return token;
}

beforeAll(async () => {
  s = await startStack({ bundlePath, caFile, responsePhase: true, semanticSearch: true });
});
afterAll(async () => {
  const pid = s.lambda.pid;
  await s.stop();
  expect(() => process.kill(pid!, 0)).toThrow();
});

const toolNames = (tools: { name: string }[]) => tools.map((t) => t.name).sort();

describe("listing filter (RESPONSE phase) end to end", () => {
  it("two users of different organisations see different tool lists: bob (globex) sees neither orders nor erp", async () => {
    const alice = await connect(s.gateway.url, await tokenFor(s.acme, "alice"));
    const bob = await connect(s.gateway.url, await tokenFor(s.globex, "bob"));
    const all = TARGETS.flatMap((t) => [`${t}___echo`, `${t}___whoami`]);
    // `ledger` accepts only the Cognito pool's users: neither alice nor bob sees it.
    const without = (...targets: string[]) => all.filter((n) => !targets.some((t) => n.startsWith(`${t}___`)));
    expect(toolNames((await alice.listTools()).tools)).toEqual(["x_amz_bedrock_agentcore_search", ...without("ledger")].sort());
    expect(toolNames((await bob.listTools()).tools)).toEqual(
      ["x_amz_bedrock_agentcore_search", ...without("orders", "erp", "ledger")].sort(),
    );
    await alice.close();
    await bob.close();
  });

  it("each caller sees exactly the tools it may call", async () => {
    for (const [idp, user] of [
      [s.acme, "alice"],
      [s.acme, "carol"],
      [s.globex, "bob"],
    ] as const) {
      const client = await connect(s.gateway.url, await tokenFor(idp, user));
      const listed = new Set(toolNames((await client.listTools()).tools));
      for (const target of TARGETS) {
        let callable = true;
        try {
          await whoami(client, target);
        } catch (err) {
          callable = false;
          expect(reasonOf(err)).toMatch(/^(policy|forward)\./);
        }
        expect({ user, target, listed: listed.has(`${target}___whoami`) }).toEqual({ user, target, listed: callable });
      }
      await client.close();
    }
  });

  it("the gateway's search results are filtered the same way", async () => {
    const bob = await connect(s.gateway.url, await tokenFor(s.globex, "bob"));
    const result = await bob.callTool({ name: "x_amz_bedrock_agentcore_search", arguments: { query: "identity" } });
    const found = (result.structuredContent as { tools: { name: string }[] }).tools;
    expect(toolNames(found)).toEqual(["crm___whoami", "reports___whoami", "weather___whoami", "wiki___whoami"]);
    const text = JSON.parse((result.content as { text: string }[])[0]!.text) as { tools: { name: string }[] };
    expect(toolNames(text.tools)).toEqual(toolNames(found));
    await bob.close();
  });

  it("everything else passes through: a call's result and a REQUEST denial reach the client unchanged", async () => {
    const bob = await connect(s.gateway.url, await tokenFor(s.globex, "bob"));
    expect(await whoami(bob, "reports")).toEqual({ headers: { "x-api-key": "reports-static-api-key" } });
    await expect(whoami(bob, "erp")).rejects.toThrow();
    try {
      await whoami(bob, "erp");
    } catch (err) {
      expect(reasonOf(err)).toBe("policy.target_denied");
    }
    await bob.close();
  });

  it("one RESPONSE audit line per reply, counting what was removed; no tool name in any log line", async () => {
    const logs = s.lambda.logs.join("\n");
    const filtered = s.lambda.logs.filter((l) => l.includes('"phase":"response"') && l.includes('"reason":"listing.filtered"'));
    expect(filtered.some((l) => l.includes('"removed":6') && l.includes('"removedTargets":["erp","ledger","orders"]'))).toBe(true);
    expect(logs).not.toContain("___");
  });

  it("metrics: one valid EMF document per invocation, counting every decision of both phases and the entries removed", () => {
    const records = s.lambda.logs.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    const audits = records.filter((r) => r.message === "audit");
    const docs = emfDocuments(records);
    expect(audits.length).toBeGreaterThan(10);
    // One metrics line per audit line: every decision counted once.
    expect(docs).toHaveLength(audits.length);
    for (const doc of docs) expect(emfProblems(doc)).toEqual([]);
    const count = (pred: (r: Record<string, unknown>) => boolean) => audits.filter(pred).length;
    expect(sumBy(docs, "Decisions", ["Phase", "Decision"])).toEqual(
      Object.fromEntries(
        (["request", "response"] as const).flatMap((phase) =>
          (["allow", "deny"] as const).flatMap((d) => {
            const n = count(
              (r) =>
                (r.detail as { phase?: string } | undefined)?.phase === (phase === "response" ? "response" : undefined) && r.decision === d,
            );
            return n > 0 ? [[`${phase}|${d}`, n]] : [];
          }),
        ),
      ),
    );
    const removed = audits.reduce((n, r) => n + ((r.detail as { removed?: number } | undefined)?.removed ?? 0), 0);
    expect(removed).toBeGreaterThan(0);
    expect(Object.values(sumBy(docs, "ListingEntriesRemoved", ["Service"])).reduce((a, b) => a + b, 0)).toBe(removed);
    // One cold start for the one environment.
    expect(sumBy(docs, "ColdStart", ["Service"])).toEqual({ "agentcore-identity-interceptor": 1 });
  });
});

describe('responseOutput "body-only": a gateway that accepts only {body} in RESPONSE replies', () => {
  let b: Stack;
  beforeAll(async () => {
    b = await startStack({
      bundlePath,
      caFile,
      responsePhase: true,
      semanticSearch: true,
      patchConfig: (c) => void (c.responseOutput = "body-only"),
    });
  });
  afterAll(() => b.stop());

  it("the handshake, a filtered listing, a pass-through call and a REQUEST denial all reach the client", async () => {
    const bob = await connect(b.gateway.url, await tokenFor(b.globex, "bob"));
    expect(toolNames((await bob.listTools()).tools)).toEqual(
      [
        "x_amz_bedrock_agentcore_search",
        ...TARGETS.filter((t) => !["orders", "erp", "ledger"].includes(t)).flatMap((t) => [`${t}___echo`, `${t}___whoami`]),
      ].sort(),
    );
    expect(await whoami(bob, "reports")).toEqual({ headers: { "x-api-key": "reports-static-api-key" } });
    await expect(whoami(bob, "erp")).rejects.toThrow(/target_denied|denied/i);
    await bob.close();
    // Every RESPONSE reply the interceptor sent had the body-only form (the gateway double refuses any other).
    const replies = b.gateway.interceptions.filter((i) => (i.event.mcp as { gatewayResponse: unknown }).gatewayResponse !== null);
    expect(replies.length).toBeGreaterThan(3);
    for (const { output } of replies) {
      const response = (output as { mcp?: { transformedGatewayResponse?: Record<string, unknown> } }).mcp?.transformedGatewayResponse;
      if (response !== undefined) expect(Object.keys(response)).toEqual(["body"]);
      else expect(output).toEqual({ interceptorOutputVersion: "1.0" });
    }
  });
});
