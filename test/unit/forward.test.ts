import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { createHandler } from "../../src/handler.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { expectAllow, expectDeny, GATEWAY_AUD, Harness, type Json, mcpEvent, nowSeconds, run, tokenA } from "../support/harness.js";

/** docs/security.md §3 group M: forward mode and the passthrough guard (target `legacy`, audience legacy-resource). */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

describe("M. Forward mode and the passthrough guard (FW)", () => {
  it("FW-01 token aud = [gateway, legacy-resource] → ALLOW(forward)", async () => {
    const token = tokenA({ aud: [GATEWAY_AUD, "legacy-resource"] });
    expectAllow(await run(h.handler(), mcpEvent({ name: "legacy___x", token })), { Authorization: `Bearer ${token}` });
  });

  it("FW-02 token aud = gateway only → DENY(403, forward.audience_not_bound)", async () => {
    expectDeny(await run(h.handler(), mcpEvent({ name: "legacy___x" })), 403, "forward.audience_not_bound");
  });

  it("FW-03 forward without audience or allowPassthrough → config.invalid naming the target", () => {
    const loaded = parseConfig(h.config((c) => ((c.targets as Json).legacy = { mode: "forward" })));
    expect(loaded.ok ? [] : loaded.problems).toEqual([
      'targets.legacy.audience: forward mode needs "audience" (the token must be issued for this target) or "allowPassthrough": true',
    ]);
  });

  it("FW-03 allowPassthrough → a cold-start WARN naming the target", () => {
    const mark = logMark();
    createHandler({ config: parseConfig(h.config()) });
    const warn = logRecordsSince(mark).find((r) => r.level === "WARN" && r.target === "passthru");
    expect(warn?.message).toContain("passthrough");
  });

  it("FW-04 forward target, token expired beyond the leeway → DENY(401, token.expired)", async () => {
    const token = tokenA({ aud: [GATEWAY_AUD, "legacy-resource"], exp: nowSeconds() - 61 });
    expectDeny(await run(h.handler(), mcpEvent({ name: "legacy___x", token })), 401, "token.expired");
  });

  it("FW-05 output Authorization is the exact inbound token; a custom header carries it for IAM targets", async () => {
    const token = tokenA();
    expectAllow(await run(h.handler(), mcpEvent({ name: "passthru___x", token })), { Authorization: `Bearer ${token}` });
    const iam = (c: Json) => ((c.targets as Json).iam = { mode: "forward", allowPassthrough: true, header: "X-Upstream-Authorization" });
    expectAllow(await run(h.handler(iam), mcpEvent({ name: "iam___x", token })), { "X-Upstream-Authorization": `Bearer ${token}` });
  });
});
