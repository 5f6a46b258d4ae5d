import type { ClaimMapping, Config } from "./schema.js";

/**
 * A `claims` target must never confuse two issuers' identities (a subject, an email or an org id is
 * only unique per issuer, RFC 7519 §4.1.2): a target that accepts more than one issuer must send the
 * issuer beside them (a header mapped from `iss`) or qualify every header (`"qualify": true`). Never
 * implied by how many issuers are configured, so adding an issuer never changes what a target reads.
 */
const readsIss = (m: ClaimMapping) =>
  typeof m === "string" ? m === "iss" : m.claim === "iss" || (m.claimPath?.length === 1 && m.claimPath[0] === "iss");
const qualifies = (m: ClaimMapping) => typeof m !== "string" && m.qualify;

export function issuerBindingProblems(config: Config): string[] {
  const problems: string[] = [];
  const all = config.issuers.map((i) => i.issuer);
  // An assertion's `sub` is "<iss>|<sub>": with "|" in an issuer name, issuers "https://a" and "https://a|b"
  // would give users "b|c" and "c" the same sub.
  const assertionTarget = Object.entries(config.targets).find(([, t]) => t.mode === "assertion")?.[0];
  if (assertionTarget !== undefined) {
    config.issuers.forEach(({ issuer }, i) => {
      if (issuer.includes("|"))
        problems.push(
          `issuers[${i}].issuer: an assertion's "sub" is "<iss>|<sub>", so with an assertion target ` +
            `(targets.${assertionTarget}) issuer "${issuer}" must not contain "|"`,
        );
    });
  }
  for (const [name, target] of Object.entries(config.targets)) {
    // Claim headers sent beside an assertion are bound the same way (the assertion itself carries `idp`).
    const headers = target.mode === "claims" || target.mode === "assertion" ? target.headers : undefined;
    if (headers === undefined) continue;
    const accepted = target.issuers ?? all;
    const mappings = Object.values(headers);
    if (mappings.some(qualifies)) {
      const bad = accepted.find((iss) => iss.includes("|"));
      if (bad !== undefined)
        problems.push(`targets.${name}.headers: "qualify" sends "<iss>|<value>", so issuer "${bad}" must not contain "|"`);
    }
    if (accepted.length < 2 || mappings.some(readsIss) || mappings.every(qualifies)) continue;
    const unbound = Object.entries(headers)
      .filter(([, m]) => !qualifies(m))
      .map(([h]) => h);
    problems.push(
      `targets.${name}.headers: this target accepts ${accepted.length} issuers, so its identity headers must be issuer-bound: ` +
        `map "iss" to a header, or set "qualify": true on ${unbound.join(", ")}, or accept one issuer ("issuers")`,
    );
  }
  return problems;
}
