import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAllow, expectDeny, Harness, ISSUER_A, mcpEvent, qualified, run, tokenA } from "../support/harness.js";

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

describe("smoke", () => {
  it("AH-01 baseline allows claims", async () => {
    const o = await run(h.handler(), mcpEvent({ token: tokenA({ groups: ["eng", "ops"] }) }));
    expectAllow(o, { "X-User-Sub": qualified(ISSUER_A, "u-1"), "X-User-Groups": "eng,ops" });
    expect(o.audit).toMatchObject({ iss: ISSUER_A, sub: "u-1", target: "orders", tool: "get_order", mode: "claims" });
  });
  it("AH-08 no Authorization", async () => {
    const o = await run(h.handler(), mcpEvent({ headers: { "content-type": "application/json" } }));
    expectDeny(o, 401, "auth.missing");
  });
});
