import type { VerifiedToken } from "../../src/auth/verify.js";
import { parseConfig } from "../../src/config/load.js";
import type { Config, IssuerConfig } from "../../src/config/schema.js";
import { Denial } from "../../src/errors.js";
import type { Reason } from "../../src/respond/reasons.js";

/**
 * Inputs for the direct unit tests of the pure decision modules: configurations through the real loader
 * (schema and cross-field rules), verified identities as typed object literals, and the outcome of a
 * call as the `Denial` it raised (its `reason`, never its message).
 */

export const ISS = "https://idp.example";
export const ISS_B = "https://idp-b.example";

/** A configuration through `parseConfig` (the zod schema plus the loader's cross-field rules); throws on problems. */
export function configOf(input: Record<string, unknown>): Config {
  const loaded = parseConfig({
    issuers: [{ issuer: ISS, jwksUri: "https://idp.example/jwks", audience: ["gw"] }],
    ...input,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.config;
}

/** The problems `parseConfig` reports for an input (an empty list when it loads). */
export function problemsOf(input: Record<string, unknown>): string[] {
  const loaded = parseConfig({
    issuers: [{ issuer: ISS, jwksUri: "https://idp.example/jwks", audience: ["gw"] }],
    ...input,
  });
  return loaded.ok ? [] : loaded.problems;
}

/** One issuer as the schema parses it (defaults applied): `audience: ["gw"]` unless the patch says otherwise. */
export function issuerOf(patch: Record<string, unknown> = {}): IssuerConfig {
  const [issuer] = configOf({ issuers: [{ issuer: ISS, jwksUri: "https://idp.example/jwks", audience: ["gw"], ...patch }] }).issuers;
  if (issuer === undefined) throw new Error("no issuer");
  return issuer;
}

/** A verified identity, as the verifier would hand it on. */
export function verified(issuer: IssuerConfig, patch: Partial<VerifiedToken> = {}): VerifiedToken {
  return {
    token: "header.payload.signature",
    issuer,
    claims: { iss: issuer.issuer, sub: "alice", aud: ["gw"] },
    kid: "k1",
    alg: "RS256",
    sub: "alice",
    clientId: "agent",
    actor: undefined,
    scopes: new Set<string>(),
    jti: undefined,
    exp: 2_000_000_000,
    machine: false,
    ...patch,
  };
}

/** The `Denial` a call raised, or undefined when it returned. Anything else thrown is rethrown. */
export function denialOf(fn: () => unknown): Denial | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof Denial) return err;
    throw err;
  }
  return undefined;
}

/** The reason code of the `Denial` a call raised, or undefined when it returned. */
export const reasonOf = (fn: () => unknown): Reason | undefined => denialOf(fn)?.reason;
