import { describe, expect, it } from "vitest";
import { issuerBindingProblems } from "../../src/config/rules.js";
import { type Config, ConfigSchema } from "../../src/config/schema.js";
import { ISS, ISS_B, problemsOf } from "../support/pure-inputs.js";

/**
 * src/config/rules.ts: a claims (or assertion) target that accepts several issuers must send issuer-bound
 * identities. Configurations come from the zod schema alone (the loader would reject the ones with problems).
 */

const ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:s-AbCdEf";
const issuer = (iss: string) => ({ issuer: iss, jwksUri: "https://idp.example/jwks", audience: ["gw"] });

function schemaConfig(issuers: string[], targets: Record<string, unknown>): Config {
  return ConfigSchema.parse({
    issuers: issuers.map(issuer),
    targets,
    assertion: { issuer: "https://interceptor.example", signingKeySecretArn: ARN },
  });
}

const unbound = (target: string, count: number, headers: string) =>
  `targets.${target}.headers: this target accepts ${count} issuers, so its identity headers must be issuer-bound: ` +
  `map "iss" to a header, or set "qualify": true on ${headers}, or accept one issuer ("issuers")`;

describe("issuerBindingProblems", () => {
  it("one issuer: nothing to bind", () => {
    expect(issuerBindingProblems(schemaConfig([ISS], { hr: { mode: "claims", headers: { "x-sub": "sub" } } }))).toEqual([]);
  });

  it("two issuers, unbound claim headers → one problem naming every unqualified header", () => {
    const config = schemaConfig([ISS, ISS_B], {
      hr: { mode: "claims", headers: { "x-sub": "sub", "x-email": "email", "x-org": { claim: "org", qualify: true } } },
    });
    expect(issuerBindingProblems(config)).toEqual([unbound("hr", 2, "x-sub, x-email")]);
  });

  it("three issuers are counted", () => {
    const config = schemaConfig([ISS, ISS_B, "https://idp-c.example"], { hr: { mode: "claims", headers: { "x-sub": "sub" } } });
    expect(issuerBindingProblems(config)).toEqual([unbound("hr", 3, "x-sub")]);
  });

  it.each([
    ["a header mapped from iss", { "x-sub": "sub", "x-iss": "iss" }],
    ["a header mapped from {claim: iss}", { "x-sub": "sub", "x-iss": { claim: "iss" } }],
    ["a header mapped from {claimPath: [iss]}", { "x-sub": "sub", "x-iss": { claimPath: ["iss"] } }],
    ["every header qualified", { "x-sub": { claim: "sub", qualify: true }, "x-email": { claim: "email", qualify: true } }],
  ])("two issuers and %s → bound", (_name, headers) => {
    expect(issuerBindingProblems(schemaConfig([ISS, ISS_B], { hr: { mode: "claims", headers } }))).toEqual([]);
  });

  it.each([
    ["{claimPath: [iss, x]} (not the iss claim)", { "x-sub": "sub", "x-iss": { claimPath: ["iss", "x"] } }],
    ["a header named iss mapped from sub", { iss: "sub" }],
    ["{claimPath: [ISS]} (case)", { "x-sub": "sub", "x-iss": { claimPath: ["ISS"] } }],
  ])("two issuers and %s → not bound", (_name, headers) => {
    expect(issuerBindingProblems(schemaConfig([ISS, ISS_B], { hr: { mode: "claims", headers } }))).toHaveLength(1);
  });

  it("a target restricted to one issuer needs no binding; restricted to both it does", () => {
    expect(
      issuerBindingProblems(schemaConfig([ISS, ISS_B], { hr: { mode: "claims", issuers: [ISS], headers: { "x-sub": "sub" } } })),
    ).toEqual([]);
    expect(
      issuerBindingProblems(schemaConfig([ISS, ISS_B], { hr: { mode: "claims", issuers: [ISS, ISS_B], headers: { "x-sub": "sub" } } })),
    ).toEqual([unbound("hr", 2, "x-sub")]);
  });

  it("assertion targets' claim headers follow the same rule; without headers there is nothing to bind", () => {
    const config = schemaConfig([ISS, ISS_B], {
      signed: { mode: "assertion", headers: { "x-email": "email" } },
      bare: { mode: "assertion" },
    });
    expect(issuerBindingProblems(config)).toEqual([unbound("signed", 2, "x-email")]);
  });

  it("forward and none targets carry no claim headers", () => {
    const config = schemaConfig([ISS, ISS_B], { fw: { mode: "forward", allowPassthrough: true }, open: { mode: "none" } });
    expect(issuerBindingProblems(config)).toEqual([]);
  });

  it('qualify with an issuer that contains "|" → a problem (the value would be ambiguous), even with one issuer', () => {
    const config = schemaConfig(["https://idp.example|x"], {
      hr: { mode: "claims", headers: { "x-sub": { claim: "sub", qualify: true } } },
    });
    expect(issuerBindingProblems(config)).toEqual([
      'targets.hr.headers: "qualify" sends "<iss>|<value>", so issuer "https://idp.example|x" must not contain "|"',
    ]);
    // Without qualify a "|" in the issuer is harmless.
    expect(issuerBindingProblems(schemaConfig(["https://idp.example|x"], { hr: { mode: "claims", headers: { "x-sub": "sub" } } }))).toEqual(
      [],
    );
  });

  it("one problem per target, in target order", () => {
    const config = schemaConfig([ISS, ISS_B], {
      a: { mode: "claims", headers: { "x-a": "sub" } },
      ok: { mode: "claims", headers: { "x-ok": { claim: "sub", qualify: true } } },
      b: { mode: "claims", headers: { "x-b": "email" } },
    });
    expect(issuerBindingProblems(config)).toEqual([unbound("a", 2, "x-a"), unbound("b", 2, "x-b")]);
  });

  it("the loader reports these problems and refuses the configuration", () => {
    const problems = problemsOf({
      issuers: [issuer(ISS), issuer(ISS_B)],
      targets: { hr: { mode: "claims", headers: { "x-sub": "sub" } } },
    });
    expect(problems).toEqual([unbound("hr", 2, "x-sub")]);
  });
});
