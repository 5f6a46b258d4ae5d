import type { ClaimMapping, Config, TargetConfig } from "./schema.js";

/**
 * The rules that span several fields of a configuration, all in one place (the schema checks each field
 * and object on its own): issuers named once and only as configured, an on-behalf-of target bound to one
 * issuer, the signing settings an assertion target needs, and identities that stay bound to their issuer.
 * Each problem names the exact field path.
 */
export function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  const known = new Set<string>();
  config.issuers.forEach((issuer, i) => {
    if (known.has(issuer.issuer)) problems.push(`issuers[${i}].issuer: duplicate issuer "${issuer.issuer}"`);
    known.add(issuer.issuer);
  });
  for (const [name, target] of Object.entries(config.targets)) {
    target.issuers?.forEach((iss, i) => {
      if (!known.has(iss)) problems.push(`targets.${name}.issuers[${i}]: "${iss}" is not one of the configured issuers`);
    });
    const oboProblem = oboIssuerProblem(target, config.issuers.length);
    if (oboProblem !== undefined) problems.push(`targets.${name}.issuers: ${oboProblem}`);
  }
  if (config.assertion === undefined && Object.values(config.targets).some((t) => t.mode === "assertion"))
    problems.push('assertion: required when a target uses mode "assertion": { "issuer", "signingKeySecretArn" }');
  problems.push(...issuerBindingProblems(config));
  return problems;
}

/**
 * An on-behalf-of target posts the caller's token to one token endpoint, which belongs to one issuer:
 * with several trusted issuers, another issuer's users' tokens would reach it (and could be replayed
 * from there), so the target must be restricted to exactly one issuer.
 */
function oboIssuerProblem(target: TargetConfig, issuerCount: number): string | undefined {
  if (target.mode !== "obo" || issuerCount < 2 || target.issuers?.length === 1) return undefined;
  return "an obo target must name exactly one issuer (the one whose token endpoint it calls) when several issuers are trusted";
}

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
