import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logMark, logRecordsSince } from "../support/log-capture.js";
import { expectAllow, expectDeny, Harness, ISSUER_A, mcpEvent, mcpOf, PRM, qualified, run, tokenA } from "../support/harness.js";

/** docs/security.md §3 group A: Authorization header extraction. */
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const ALLOWED = { "X-User-Sub": qualified(ISSUER_A, "u-1") };
const withHeader = (headers: Record<string, string | string[]>) =>
  mcpEvent({ headers: { "content-type": "application/json", ...headers } });

describe("A. Authorization header extraction (AH)", () => {
  it("AH-01 baseline Bearer token → ALLOW(claims)", async () => {
    expectAllow(await run(h.handler(), withHeader({ Authorization: `Bearer ${tokenA()}` })), ALLOWED);
  });

  it.each(["bearer", "BEARER", "BeArEr"])("AH-02 scheme %s is case-insensitive → ALLOW(claims)", async (scheme) => {
    expectAllow(await run(h.handler(), withHeader({ Authorization: `${scheme} ${tokenA()}` })), ALLOWED);
  });

  it("AH-03 two spaces between scheme and token → ALLOW(claims)", async () => {
    expectAllow(await run(h.handler(), withHeader({ Authorization: `Bearer  ${tokenA()}` })), ALLOWED);
  });

  it("AH-04 leading and trailing spaces around the value → ALLOW(claims)", async () => {
    expectAllow(await run(h.handler(), withHeader({ Authorization: `  Bearer ${tokenA()}  ` })), ALLOWED);
  });

  it.each([
    ["TAB", "\t"],
    ["NBSP", "\u00a0"],
    ["ideographic space", "\u3000"],
  ])("AH-05 %s between scheme and token → DENY(400, auth.malformed)", async (_n, sep) => {
    expectDeny(await run(h.handler(), withHeader({ Authorization: `Bearer${sep}${tokenA()}` })), 400, "auth.malformed");
  });

  it.each(["Bearer", "Bearer    "])("AH-06 %j without a token → DENY(400, auth.malformed)", async (value) => {
    expectDeny(await run(h.handler(), withHeader({ Authorization: value })), 400, "auth.malformed");
  });

  it("AH-07 extra word after the token → DENY(400, auth.malformed)", async () => {
    expectDeny(await run(h.handler(), withHeader({ Authorization: `Bearer ${tokenA()} extra` })), 400, "auth.malformed");
  });

  it.each([
    ["trailing comma", (t: string) => `Bearer ${t},`],
    ["two credentials", (t: string) => `Bearer ${t}, Bearer ${t}`],
  ])("AH-07 %s → DENY(400, auth.multiple_credentials)", async (_n, value) => {
    expectDeny(await run(h.handler(), withHeader({ Authorization: value(tokenA()) })), 400, "auth.multiple_credentials");
  });

  it("AH-08 no Authorization header → DENY(401, auth.missing) with a challenge without error=", async () => {
    const o = await run(h.handler(), withHeader({}));
    expectDeny(o, 401, "auth.missing");
    expect(mcpOf(o).transformedGatewayResponse?.body.error.data.wwwAuthenticate).toBe(`Bearer resource_metadata="${PRM}"`);
  });

  it.each([
    ["absent", undefined],
    ["empty map", {}],
    ["null", null],
  ])("AH-09 headers %s → DENY(401, auth.missing) and an ERROR hinting at passRequestHeaders", async (_n, headers) => {
    const event = mcpEvent();
    const gr = (event.mcp as { gatewayRequest: Record<string, unknown> }).gatewayRequest;
    if (headers === undefined) delete gr.headers;
    else gr.headers = headers;
    const mark = logMark();
    const o = await run(h.handler(), event);
    expectDeny(o, 401, "auth.missing");
    const hint = logRecordsSince(mark).find((r) => r.level === "ERROR" && String(r.message).includes("passRequestHeaders"));
    expect(hint).toBeDefined();
  });

  it("AH-10 Basic credentials → DENY(401, auth.unsupported_scheme), Bearer challenge without error=", async () => {
    const o = await run(h.handler(), withHeader({ Authorization: "Basic dXNlcjpwYXNz" }));
    expectDeny(o, 401, "auth.unsupported_scheme");
    expect(mcpOf(o).transformedGatewayResponse?.body.error.data.wwwAuthenticate).not.toContain("error=");
  });

  it("AH-11 DPoP scheme → DENY(401, auth.unsupported_scheme)", async () => {
    expectDeny(await run(h.handler(), withHeader({ Authorization: `DPoP ${tokenA()}` })), 401, "auth.unsupported_scheme");
  });

  it.each(["authorization", "AUTHORIZATION", "Authorization"])("AH-12 header name %s → ALLOW(claims)", async (name) => {
    expectAllow(await run(h.handler(), withHeader({ [name]: `Bearer ${tokenA()}` })), ALLOWED);
  });

  it.each([
    ["same value", (t: string) => t],
    ["different value", () => tokenA({ sub: "u-2" })],
  ])("AH-13 Authorization and authorization both present (%s) → DENY(400, auth.multiple_credentials)", async (_n, second) => {
    const t = tokenA();
    const o = await run(h.handler(), withHeader({ Authorization: `Bearer ${t}`, authorization: `Bearer ${second(t)}` }));
    expectDeny(o, 400, "auth.multiple_credentials");
  });

  it("AH-14 header value given as an array of two → DENY(400, auth.multiple_credentials)", async () => {
    const o = await run(h.handler(), withHeader({ Authorization: [`Bearer ${tokenA()}`, `Bearer ${tokenA()}`] }));
    expectDeny(o, 400, "auth.multiple_credentials");
  });

  it.each([
    ["query string", (t: string) => ({ path: `/mcp?access_token=${t}`, params: undefined })],
    ["tool arguments", (t: string) => ({ path: "/mcp", params: { name: "orders___get_order", arguments: { access_token: t } } })],
    ["params._meta", (t: string) => ({ path: "/mcp", params: { name: "orders___get_order", _meta: { access_token: t } } })],
  ])("AH-15 token only in the %s → DENY(401, auth.missing)", async (_n, where) => {
    const { path, params } = where(tokenA());
    const event = mcpEvent({ headers: { "content-type": "application/json" }, ...(params ? { params } : {}) });
    (event.mcp as { gatewayRequest: Record<string, unknown> }).gatewayRequest.path = path;
    expectDeny(await run(h.handler(), event), 401, "auth.missing");
  });

  it("AH-16 valid Authorization and a token in the query → DENY(400, auth.multiple_credentials)", async () => {
    const event = mcpEvent();
    (event.mcp as { gatewayRequest: Record<string, unknown> }).gatewayRequest.path = `/mcp?access_token=${tokenA()}`;
    expectDeny(await run(h.handler(), event), 400, "auth.multiple_credentials");
  });

  it.each(["X-Authorization", "Proxy-Authorization", "X-Amzn-Oidc-Data"])(
    "AH-17 token only in %s → DENY(401, auth.missing)",
    async (name) => {
      expectDeny(await run(h.handler(), withHeader({ [name]: `Bearer ${tokenA()}` })), 401, "auth.missing");
    },
  );

  it("AH-18 Authorization value of 16 385 bytes → DENY(401, token.too_large)", async () => {
    const value = `Bearer ${"a".repeat(16_385 - 7)}`;
    expect(Buffer.byteLength(value)).toBe(16_385);
    expectDeny(await run(h.handler(), withHeader({ Authorization: value })), 401, "token.too_large");
  });

  it("AH-19 Authorization value of 2 MB → DENY(401, token.too_large)", async () => {
    const value = `Bearer eyJ${"A".repeat(2 * 1024 * 1024)}`;
    expectDeny(await run(h.handler(), withHeader({ Authorization: value })), 401, "token.too_large");
  });

  it.each(["Authorization ", "Authorization_x"])("AH-20 header named %j is not a credential → DENY(401, auth.missing)", async (name) => {
    expectDeny(await run(h.handler(), withHeader({ [name]: `Bearer ${tokenA()}` })), 401, "auth.missing");
  });
});
