import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/clock.js";
import { Deadline } from "../../src/deadline.js";
import type { ModeIo } from "../../src/modes/mode.js";
import { modeOf, prepareModes } from "../../src/modes/registry.js";
import { configOf, issuerOf, reasonOf, verified } from "../support/pure-inputs.js";

/**
 * The one mode registry (src/modes/registry.ts): each mode's `issue` (the REQUEST path) and `admit`
 * (the listing filter) for a target's settings. The I/O modes get their machinery through `ModeIo`;
 * here it is absent, which a configuration fault would cause: they deny `config.invalid`.
 */
const config = configOf({
  targets: {
    orders: { mode: "forward", audience: "orders-api" },
    crm: { mode: "claims", headers: { "x-user-email": { claim: "email", required: true } } },
    erp: {
      mode: "obo",
      obo: {
        grant: "token-exchange",
        tokenEndpoint: "https://idp.example/token",
        clientId: "gw",
        clientSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:obo-AbCdEf",
        audience: "erp-api",
      },
    },
    wiki: { mode: "assertion", headers: { "x-user-email": { claim: "email", required: true } } },
    reports: { mode: "none" },
  },
  assertion: {
    issuer: "https://interceptor.example",
    signingKeySecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:sig-AbCdEf",
  },
});
const modes = prepareModes(config.targets);
const mode = (name: string) => {
  const m = modes.get(name);
  if (m === undefined) throw new Error(`no mode for ${name}`);
  return m;
};
const issuer = issuerOf();
const withEmail = verified(issuer, { token: "tok", claims: { aud: ["gw", "orders-api"], email: "a@example.com" } });
const bare = verified(issuer, { token: "tok", claims: { aud: ["gw"] } });
const io: ModeIo = { deadline: Deadline.after(systemClock, 1_000), exchanger: undefined, assertions: undefined };

describe("mode registry", () => {
  it("binds every configured target, and only those", () => {
    expect([...modes.keys()].sort()).toEqual(["crm", "erp", "orders", "reports", "wiki"]);
  });

  it("forward: the token when its audience names the target; admit and issue agree", async () => {
    expect(await mode("orders").issue("orders", withEmail, io)).toEqual({ headers: { Authorization: "Bearer tok" } });
    expect(reasonOf(() => mode("orders").admit(withEmail))).toBeUndefined();
    expect(reasonOf(() => mode("orders").admit(bare))).toBe("forward.audience_not_bound");
  });

  it("claims: headers from claims; a missing required claim refuses both the call and the listing", async () => {
    expect(await mode("crm").issue("crm", withEmail, io)).toEqual({ headers: { "x-user-email": "a@example.com" } });
    expect(reasonOf(() => mode("crm").admit(bare))).toBe("claims.missing_required");
  });

  it("none: nothing, and always admitted", async () => {
    expect(await mode("reports").issue("reports", bare, io)).toEqual({ headers: {} });
    expect(reasonOf(() => mode("reports").admit(bare))).toBeUndefined();
  });

  it("obo: admitted by policy alone; without its machinery a call is config.invalid", async () => {
    expect(reasonOf(() => mode("erp").admit(bare))).toBeUndefined();
    await expect(Promise.resolve(mode("erp").issue("erp", withEmail, io))).rejects.toMatchObject({ reason: "config.invalid" });
  });

  it("obo: the exchanged token in the target's header, with the exchange's cache and latency for the audit line", async () => {
    const exchanger = { tokenFor: async () => ({ token: "exchanged", cache: "miss" as const, latencyMs: 3 }) };
    const issued = await mode("erp").issue("erp", withEmail, { ...io, exchanger: Promise.resolve(exchanger) });
    expect(issued).toEqual({ headers: { Authorization: "Bearer exchanged" }, detail: { oboCache: "miss", oboLatencyMs: 3 } });
  });

  it("assertion: the listing admits what its claim headers admit; without its signer a call is config.invalid", async () => {
    expect(reasonOf(() => mode("wiki").admit(withEmail))).toBeUndefined();
    expect(reasonOf(() => mode("wiki").admit(bare))).toBe("claims.missing_required");
    await expect(Promise.resolve(mode("wiki").issue("wiki", withEmail, io))).rejects.toMatchObject({ reason: "config.invalid" });
    const made = { headers: { "x-identity-assertion": "jws" }, cache: "hit" as const };
    const signer = { headersNow: () => made, headers: async () => made };
    const issued = await mode("wiki").issue("wiki", withEmail, { ...io, assertions: Promise.resolve(signer) });
    expect(issued).toEqual({ headers: { "x-identity-assertion": "jws" }, detail: { assertionCache: "hit" } });
  });

  it("modeOf binds a target's settings fresh (the listing filter's entry point)", async () => {
    const orders = config.targets.orders;
    if (orders === undefined) throw new Error("orders missing");
    expect(await modeOf(orders).issue("orders", withEmail, io)).toEqual({ headers: { Authorization: "Bearer tok" } });
  });
});
