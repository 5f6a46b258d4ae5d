import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectAllow,
  expectDeny,
  Harness,
  ISSUER_A,
  type Json,
  mcpEvent,
  mcpOf,
  qualified,
  run,
  tokenA,
  withAuth,
} from "../support/harness.js";

/** docs/security.md §3 group J: header rewriting and spoofed identity headers (docs/design.md: a client copy is refused). */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const call = (name: string, extra: Record<string, string>, token = tokenA(), patch?: (c: Json) => void) =>
  run(h.handler(patch), mcpEvent({ name, headers: withAuth(token, extra) }));

describe("J. Header rewriting and spoofed identity headers (HR)", () => {
  it("HR-01 client sends X-User-Sub: admin to a claims target → DENY(403, policy.client_header_conflict); admin nowhere in the output", async () => {
    const o = await call("orders___get_order", { "X-User-Sub": "admin" });
    expectDeny(o, 403, "policy.client_header_conflict");
    expect(JSON.stringify(o.output)).not.toContain("admin");
  });

  it.each(["x-user-sub", "X-USER-SUB", "X_User_Sub"])("HR-02 client sends %s → DENY(403, policy.client_header_conflict)", async (name) => {
    expectDeny(await call("orders___get_order", { [name]: "admin" }), 403, "policy.client_header_conflict");
  });

  it.each(["unknown___x", "reports___x"])(
    "HR-03 client sends X-User-Sub to %s → DENY(403, policy.client_header_conflict)",
    async (tool) => {
      expectDeny(await call(tool, { "X-User-Sub": "admin" }), 403, "policy.client_header_conflict");
    },
  );

  it.each(["X-Amzn-Oidc-Identity", "X-Forwarded-User", "X-Remote-User", "X-Auth-Request-Email", "X-Ms-Client-Principal-Name"])(
    "HR-04 client sends denylisted %s → DENY(403, policy.client_header_conflict)",
    async (name) => {
      expectDeny(await call("unknown___x", { [name]: "admin" }), 403, "policy.client_header_conflict");
    },
  );

  it("HR-05 claims target: no Authorization from the caller, the token appears nowhere in the output", async () => {
    const token = tokenA();
    const o = await call("orders___get_order", {}, token);
    expectAllow(o, { "X-User-Sub": qualified(ISSUER_A, "u-1") });
    expect(JSON.stringify(o.output)).not.toContain(token.split(".")[2]);
  });

  it("HR-06 none-mode target: the caller's Authorization is not set on the output", async () => {
    const o = await call("reports___daily", {});
    expectAllow(o, {});
    expect(o.audit).toMatchObject({ target: "reports", mode: "none", reason: "mode.none" });
  });

  it("HR-07 client copy of a forward target's custom token header (X-Upstream-Authorization) → DENY(403, policy.client_header_conflict)", async () => {
    const patch = (c: Json) => ((c.targets as Json).iam = { mode: "forward", allowPassthrough: true, header: "X-Upstream-Authorization" });
    expectDeny(
      await call("iam___x", { "X-Upstream-Authorization": "Bearer forged" }, tokenA(), patch),
      403,
      "policy.client_header_conflict",
    );
  });

  it("HR-08 the same Mcp-Session-Id for user A then user B: identity comes only from the current token", async () => {
    const handler = h.handler();
    const a = await run(handler, mcpEvent({ headers: withAuth(tokenA({ sub: "alice" }), { "Mcp-Session-Id": "shared" }) }));
    const b = await run(handler, mcpEvent({ headers: withAuth(tokenA({ sub: "bob" }), { "Mcp-Session-Id": "shared" }) }));
    expectAllow(a, { "X-User-Sub": qualified(ISSUER_A, "alice") });
    expectAllow(b, { "X-User-Sub": qualified(ISSUER_A, "bob") });
  });

  it("HR-09 claim header values are printable ASCII without leading/trailing space and ≤ 1 024 bytes", async () => {
    const o = await call("crm___x", {}, tokenA({ email: "José@example.com", org: { id: " org 1 " }, tenant_no: 42 }));
    const headers = mcpOf(o).transformedGatewayRequest?.headers ?? {};
    expect(Object.keys(headers).sort()).toEqual(["x-org-id", "x-tenant-no", "x-user-email"]);
    for (const v of Object.values(headers)) {
      expect(v).toMatch(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/);
      expect(Buffer.byteLength(v)).toBeLessThanOrEqual(1024);
    }
  });

  it("HR-10 the output body deep-equals the input body; params.name is never rewritten", async () => {
    const event = mcpEvent({ name: "orders___get_order" });
    const o = await run(h.handler(), event);
    const input = ((event.mcp as Json).gatewayRequest as Json).body;
    expect(mcpOf(o).transformedGatewayRequest?.body).toEqual(input);
  });

  it("HR-11 an allow has no transformedGatewayResponse; a deny has no transformedGatewayRequest", async () => {
    const allow = await call("orders___get_order", {});
    expect(Object.keys(mcpOf(allow))).toEqual(["transformedGatewayRequest"]);
    const deny = await call("orders___get_order", { "x-forwarded-user": "x" });
    expect(Object.keys(mcpOf(deny))).toEqual(["transformedGatewayResponse"]);
  });
});
