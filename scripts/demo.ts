/**
 * `npm run demo`: the whole flow on one machine, no AWS account. Two organisations' users call the
 * gateway; each target reports the identity it received; a forged token and a spoofed identity header
 * are refused before any target is called. Exits non-zero if any outcome differs from the expected one.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connect, reasonOf, type Stack, startStack, whoami } from "../test/e2e/stack/stack.js";
import { buildReport, renderReport } from "../cli/report.js";

const root = new URL("../", import.meta.url);
interface Row {
  user: string;
  target: string;
  mode: string;
  expected: string;
  decision: string;
  saw: string;
}

function describeSeen(stack: Stack, seen: Record<string, unknown>): string {
  const org = (iss: string) =>
    iss === stack.acme.issuer ? "acme" : iss === stack.globex.issuer ? "globex" : iss === stack.pool.issuer ? "cognito-pool" : iss;
  const headers = Object.entries(seen.headers as Record<string, string>)
    .filter(([k]) => k !== "authorization")
    .map(
      ([k, v]) =>
        `${k}=${v.replace(stack.acme.issuer, "<acme>").replace(stack.globex.issuer, "<globex>").replace(stack.pool.issuer, "<cognito-pool>")}`,
    );
  const token = seen.token as { verified: boolean; iss: string; sub: string; aud: string[] | string; act?: { sub: string } } | undefined;
  const act = token?.act ? ` act=${token.act.sub}` : "";
  const parts = token ? [`Bearer token verified: iss=${org(token.iss)} sub=${token.sub} aud=${[token.aud].flat().join(",")}${act}`] : [];
  parts.push(...headers);
  const assertion = seen.assertion as
    { verified: true; claims: Record<string, unknown>; lifetime: number } | { verified: false; error: string } | undefined;
  if (assertion !== undefined) {
    const c = assertion.verified ? assertion.claims : {};
    parts.push(
      assertion.verified
        ? `assertion verified: iss=interceptor sub=<${org(String(c.idp))}>|${String(c.sub).split("|").pop()} aud=${String(c.aud)}${c.email !== undefined ? ` email=${String(c.email)}` : ""} ttl=${assertion.lifetime}s`
        : `assertion refused: ${assertion.error}`,
    );
  }
  return parts.length > 0 ? parts.join("; ") : "(no identity, no credential)";
}

async function main(): Promise<number> {
  const stack = await startStack({
    bundlePath: new URL("dist/index.mjs", root).pathname,
    caFile: new URL("test/support/tls/ca.pem", root).pathname,
    // Attached at REQUEST and RESPONSE: each user's tools/list shows only the tools it may call.
    responsePhase: true,
    // crm's per-tool rules: search_* for whoever crm admits, update_* needs crm:write and crm-admins.
    crmToolRules: true,
  });
  const rows: Row[] = [];
  const modeOf = (target: string) => (stack.interceptorConfig.targets as Record<string, { mode: string }>)[target]?.mode ?? "unlisted";
  const calls = (target: string) => stack.targets[target as keyof Stack["targets"]]?.seen.length ?? 0;

  const everyTarget = ["orders", "crm", "erp", "reports", "weather", "ledger", "wiki"];
  async function session(
    user: string,
    token: string,
    expect: Record<string, string>,
    extraHeaders: Record<string, string> = {},
    targets = everyTarget,
  ) {
    let client: Client;
    try {
      client = await connect(stack.gateway.url, token, extraHeaders);
    } catch (err) {
      rows.push({
        user,
        target: "(initialize)",
        mode: "-",
        expected: expect["(initialize)"] ?? "allow",
        decision: `deny ${reasonOf(err)}`,
        saw: "(no target called)",
      });
      return;
    }
    const listed = (await client.listTools()).tools.map((t) => t.name);
    const listedTargets = [...new Set(listed.map((n) => n.split("___")[0]!))].sort();
    const listing: Row = {
      user,
      target: "(tools/list)",
      mode: "-",
      expected: "allow",
      decision: "allow",
      saw: `${listed.length} tools of ${listedTargets.join(", ")}; no identity to any target`,
    };
    rows.push(listing);
    const callable: string[] = [];
    for (const target of targets) {
      const before = calls(target);
      let decision = "allow";
      let saw: string;
      try {
        saw = describeSeen(stack, await whoami(client, target));
      } catch (err) {
        decision = `deny ${reasonOf(err)}`;
        saw = calls(target) === before ? "(target not called)" : "(target was called!)";
      }
      rows.push({ user, target, mode: modeOf(target), expected: expect[target] ?? "allow", decision, saw });
      if (decision === "allow") callable.push(target);
    }
    // The listing filter's promise: the tools a user sees are exactly the tools it may call.
    if (callable.sort().join() !== listedTargets.join())
      listing.decision = `listed ${listedTargets.join(",")} but may call ${callable.join(",")}`;
    await client.close();
  }

  try {
    const alice = await stack.acme.userToken("alice");
    const bob = await stack.globex.userToken("bob");
    await session("alice@acme", alice, { ledger: "deny policy.target_denied" });
    await session("bob@globex", bob, {
      orders: "deny forward.audience_not_bound",
      erp: "deny policy.target_denied",
      ledger: "deny policy.target_denied",
    });
    // A Cognito user pool's user: `ledger` gets a token from the pool's native RFC 8693 exchange.
    const dave = stack.pool.userToken("dave", { sub: "d4e5-dave", groups: ["finance"] });
    await session("dave@cognito-pool", dave, { orders: "deny forward.audience_not_bound", erp: "deny policy.target_denied" });
    // Per-tool rules: alice may search crm but not update it (a step-up challenge names the scope she
    // lacks); carol, in crm-admins with crm:write, may do both. The listing shows each exactly that.
    const carol = await stack.acme.userToken("carol");
    for (const [who, token, write] of [
      ["alice@acme", alice, "deny scope.insufficient"],
      ["carol@acme (crm-admins)", carol, "allow"],
    ] as const) {
      const client = await connect(stack.gateway.url, token);
      const listed = (await client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith("crm___") && n.includes("_contact"));
      for (const [tool, expected] of [
        ["search_contacts", "allow"],
        ["update_contact", write],
      ] as const) {
        let decision = "allow";
        let saw: string;
        try {
          const result = await client.callTool({ name: `crm___${tool}`, arguments: {} });
          saw = describeSeen(stack, JSON.parse((result.content as { text: string }[])[0]?.text ?? "{}") as Record<string, unknown>);
        } catch (err) {
          decision = `deny ${reasonOf(err)}`;
          saw = `(target not called) challenge: ${/Bearer error=\\?"insufficient_scope\\?", scope=\\?"([^"\\]*)/.exec(String(err))?.[1] ?? "none"}`;
        }
        if ((decision === "allow") !== listed.includes(`crm___${tool}`)) decision = `${decision}, but the listing says otherwise`;
        rows.push({ user: who, target: `crm___${tool}`, mode: "claims", expected, decision, saw });
      }
      await client.close();
    }
    const [h, p, sig] = alice.split(".");
    const forgedClaims = { ...(JSON.parse(Buffer.from(p!, "base64url").toString()) as object), sub: "admin" };
    const forged = `${h}.${Buffer.from(JSON.stringify(forgedClaims)).toString("base64url")}.${sig}`;
    await session("forged token (sub=admin)", forged, { "(initialize)": "deny token.signature_invalid" });
    await session("alice + spoofed x-user-sub", alice, { "(initialize)": "deny policy.client_header_conflict" }, { "x-user-sub": "admin" });
    const mallory = await stack.initech.userToken("mallory");
    await session("mallory@initech (untrusted IdP)", mallory, { "(initialize)": "deny token.issuer_untrusted" });

    print(rows);
    // What an operator sees of this run: the same report as `npx agentcore-interceptor report` over the function's log.
    console.log("\nthe interceptor's log, as `npx agentcore-interceptor report` summarises it:\n");
    for (const line of renderReport(buildReport(stack.lambda.logs), 10)) console.log(line);
    const audits = stack.lambda.logs.filter((l) => l.includes('"message":"audit"')).length;
    const leaked = [alice, bob, carol, dave, forged, mallory].some((t) => stack.lambda.logs.join("\n").includes(t.split(".")[2]!));
    const spoofed = Object.values(stack.targets).some((t) => t.seen.some((h) => h["x-user-sub"] === "admin"));
    console.log(`\ninterceptor: ${audits} audit log lines, ${leaked ? "A TOKEN WAS LOGGED" : "no token in any log line"}`);
    console.log(`targets: ${spoofed ? "A SPOOFED HEADER REACHED A TARGET" : "no client-sent identity header reached any target"}`);
    const mismatches = rows.filter((r) => r.decision !== r.expected);
    for (const r of mismatches) console.log(`MISMATCH ${r.user} → ${r.target}: expected ${r.expected}, got ${r.decision}`);
    return mismatches.length === 0 && !leaked && !spoofed ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

function print(rows: Row[]): void {
  const head: Row = { user: "user", target: "target", mode: "mode", expected: "", decision: "decision", saw: "what the target saw" };
  const cols = ["user", "target", "mode", "decision", "saw"] as const;
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...[head, ...rows].map((r) => r[c].length))]));
  const line = (r: Row) => cols.map((c) => (c === "saw" ? r[c] : r[c].padEnd(width[c]!))).join(" | ");
  console.log(line(head));
  console.log(cols.map((c) => "-".repeat(c === "saw" ? 19 : width[c]!)).join("-|-"));
  for (const r of rows) console.log(line(r));
}

process.exitCode = await main();
