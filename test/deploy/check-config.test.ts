import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { SCHEMA_FILE, schemaText } from "../../scripts/config-schema.js";
import { parseConfig } from "../../src/config/load.js";
import { fileTempDir } from "../support/temp.js";

const dir = fileTempDir("check-config");
const write = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

async function checkConfig(path: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["check-config", path], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const acme = {
  issuer: "https://login.acme.example",
  jwksUri: "https://login.acme.example/jwks.json",
  audience: ["mcp-gateway"],
  clientIds: ["acme-agent"],
  requiredScopes: ["mcp/invoke"],
};
const globex = {
  issuer: "https://id.globex.example/oauth2",
  jwksUri: "https://id.globex.example/oauth2/v1/keys",
  audience: ["api://mcp-gateway"],
  scopeClaim: "scp",
};
/** A configuration in the shape of docs/configuration.md's example: two issuers, every mode, issuer-bound claims. */
const example = {
  $schema: "./schema/interceptor.config.schema.json",
  issuers: [acme, globex],
  clockSkewSeconds: 60,
  targets: {
    orders: { mode: "forward", audience: "orders-api" },
    legacy: { mode: "forward", allowPassthrough: true },
    "iam-api": { mode: "forward", audience: "iam-api", header: "X-Upstream-Authorization" },
    crm: {
      mode: "claims",
      headers: {
        "x-user-iss": "iss",
        "x-user-sub": "sub",
        "x-user-email": "email",
        "x-org-id": "org.id",
        "x-user-groups": { claim: "groups", required: true, encode: "reject" },
      },
    },
    erp: {
      mode: "obo",
      issuers: ["https://login.acme.example"],
      obo: {
        grant: "token-exchange",
        tokenEndpoint: "https://login.acme.example/oauth2/token",
        clientId: "gateway-interceptor",
        clientAuth: "client_secret_basic",
        clientSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:obo-AbCdEf",
        audience: "erp-api",
        scope: "erp.read",
      },
    },
    reports: { mode: "none" },
    payroll: { mode: "claims", headers: { "x-user-sub": "sub" }, issuers: ["https://login.acme.example"], onDenied: "strip" },
    ledger: { mode: "assertion", claims: ["email"], headers: { "x-user-iss": "iss", "x-user-email": "email" } },
  },
  assertion: {
    issuer: "https://interceptor.acme.example",
    signingKeySecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:assertion-key-AbCdEf",
  },
  unlistedTargets: "strip",
};

describe("check-config FILE", () => {
  it("prints what each target would receive, the allowlists and the secrets", async () => {
    const r = await checkConfig(write("ok.json", JSON.stringify(example)));
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out).toEqual([
      expect.stringMatching(/ok\.json: valid$/),
      "issuers:",
      "  https://login.acme.example: aud ∈ {mcp-gateway}, client_id ∈ {acme-agent}; RS256; scopes mcp/invoke",
      "  https://id.globex.example/oauth2: aud ∈ {api://mcp-gateway}; RS256",
      "targets (what each receives on an allowed tools/call):",
      `  orders [forward]: Authorization: Bearer <the caller's token>, when its aud contains "orders-api" (else 403 forward.audience_not_bound)`,
      "  legacy [forward]: Authorization: Bearer <the caller's token>, whatever its audience (allowPassthrough)",
      `  iam-api [forward]: X-Upstream-Authorization: Bearer <the caller's token>, when its aud contains "iam-api" (else 403 forward.audience_not_bound)`,
      "  crm [claims]: x-user-iss: <claim iss>; x-user-sub: <claim sub>; x-user-email: <claim email>; x-org-id: <claim org.id>; x-user-groups: <claim groups> (required)",
      `  erp [obo]: Authorization: Bearer <on-behalf-of token from https://login.acme.example/oauth2/token (token-exchange, audience erp-api, scope "erp.read")>`,
      "      only callers of https://login.acme.example (others: 403 policy.target_denied)",
      "  reports [none]: no identity (its own gateway credential only)",
      "  payroll [claims]: x-user-sub: <claim sub>",
      "      only callers of https://login.acme.example (others: no identity)",
      "  ledger [assertion]: x-identity-assertion: <JWS signed by the interceptor, aud ledger, sub <iss>|<sub> with email>; x-user-iss: <claim iss>; x-user-email: <claim email>",
      "  any other target: no identity (unlistedTargets: strip)",
      "gateway target allowlists (metadataConfiguration.allowedRequestHeaders):",
      "  iam-api: X-Upstream-Authorization",
      "  crm: x-user-iss, x-user-sub, x-user-email, x-org-id, x-user-groups",
      "  payroll: x-user-sub",
      "  ledger: x-identity-assertion, x-user-iss, x-user-email",
      "secrets the function reads (secretsmanager:GetSecretValue):",
      "  arn:aws:secretsmanager:eu-west-1:111122223333:secret:assertion-key-AbCdEf",
      "  arn:aws:secretsmanager:eu-west-1:111122223333:secret:obo-AbCdEf",
      "listingFilter on: attach the RESPONSE phase too (attach --response, or CDK responsePhase: true), else tools/list and prompts/list are not filtered",
      "gateway authorizerType: NONE (one CUSTOM_JWT discovery URL cannot trust several issuers; the interceptor authenticates every message)",
      "  not AWS_IAM or AUTHENTICATE_ONLY: their callers sign with SigV4, so no bearer token reaches the interceptor",
    ]);
  });

  it("one issuer: CUSTOM_JWT for it or NONE; the body-only RESPONSE form is named", async () => {
    const config = { ...example, issuers: [example.issuers[0]], targets: { reports: { mode: "none" } }, responseOutput: "body-only" };
    const r = await checkConfig(write("one.json", JSON.stringify(config)));
    expect(r.code).toBe(0);
    expect(r.out.slice(-3)).toEqual([
      "gateway authorizerType: CUSTOM_JWT for this issuer, or NONE (the interceptor authenticates every message)",
      "  not AWS_IAM or AUTHENTICATE_ONLY: their callers sign with SigV4, so no bearer token reaches the interceptor",
      'responseOutput "body-only": RESPONSE replies carry {body} alone, no status',
    ]);
  });

  it("prints which tool and prompt rule decides which names, in the order they are applied", async () => {
    const config = {
      issuers: [example.issuers[0]],
      targets: {
        crm: {
          mode: "none",
          requireClaims: [{ claim: "org_id", equals: "acme" }],
          tools: {
            "search*": {},
            "update_*": { requiredScopes: ["crm:write"] },
            "update_owner*": { requiredScopes: ["crm:owner"] },
            delete_account: { requiredScopes: ["crm:admin"], requireClaims: [{ claim: "groups", anyOf: ["crm-admins"] }] },
          },
          otherTools: "deny",
          prompts: { "summarise*": { requireClaims: [{ claimPath: ["cognito:groups"], anyOf: ["analysts"] }] } },
        },
      },
    };
    const r = await checkConfig(write("rules.json", JSON.stringify(config)));
    expect(r.code).toBe(0);
    const at = r.out.indexOf("  crm [none]: no identity (its own gateway credential only)");
    expect(r.out.slice(at, at + 12)).toEqual([
      "  crm [none]: no identity (its own gateway credential only)",
      '      claims required: org_id = "acme" (else 403 policy.claim_unmet)',
      "      tools (the exact name, else the longest matching prefix, else otherTools):",
      '        delete_account: scopes crm:admin (else 403 scope.insufficient); claims groups has one of ["crm-admins"] (else 403 policy.claim_unmet)',
      "        update_owner… (update_owner*): scopes crm:owner (else 403 scope.insufficient)",
      "        update_… (update_*, except update_owner*): scopes crm:write (else 403 scope.insufficient)",
      "        search… (search*): whoever the target admits",
      "        any other: 403 policy.name_not_allowed",
      "      prompts (the exact name, else the longest matching prefix, else otherPrompts):",
      '        summarise… (summarise*): claims ["cognito:groups"] has one of ["analysts"] (else 403 policy.claim_unmet)',
      "        any other: whoever the target admits",
      "  any other target: no identity (unlistedTargets: strip)",
    ]);
  });

  it("an unknown responseOutput is refused naming the field", async () => {
    const r = await checkConfig(write("form.json", JSON.stringify({ ...example, responseOutput: "status-only" })));
    expect(r.code).toBe(1);
    expect(r.err.join("\n")).toMatch(/responseOutput/);
  });

  it("an assertion's explicit audience is printed; listingFilter off needs no RESPONSE phase, so no hint", async () => {
    const config = {
      ...example,
      targets: { ledger: { mode: "assertion", audience: "https://ledger.acme.example", header: "x-caller" } },
      listingFilter: "off",
    };
    const r = await checkConfig(write("off.json", JSON.stringify(config)));
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "  ledger [assertion]: x-caller: <JWS signed by the interceptor, aud https://ledger.acme.example, sub <iss>|<sub>>",
    );
    expect(r.out.filter((l) => l.includes("listingFilter"))).toEqual([]);
  });

  it("prints every problem with its field path and exits 1", async () => {
    const bad = {
      issuers: [{ issuer: "https://a.example", jwksUri: "http://a.example/jwks" }],
      targets: {
        crm: { mode: "claims", headers: { "Content-Type": "email", "x-ok": "sub" } },
        orders: { mode: "forward" },
        bad_name: { mode: "none" },
      },
      unknownField: 1,
    };
    const r = await checkConfig(write("bad.json", JSON.stringify(bad)));
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err[0]).toMatch(/bad\.json: 6 problem\(s\)$/);
    expect(r.err.slice(1).sort()).toEqual([
      '  (root): Unrecognized key: "unknownField"',
      "  issuers[0].audience: at least one of audience or clientIds is required",
      "  issuers[0].jwksUri: must be an https:// URL",
      "  targets.bad_name: target names must match ^([0-9a-zA-Z][-]?){1,100}$ (AgentCore target name)",
      '  targets.crm.headers.Content-Type: "Content-Type" is a restricted header that AgentCore Gateway never propagates',
      '  targets.orders.audience: forward mode needs "audience" (the token must be issued for this target) or "allowPassthrough": true',
    ]);
  });

  it("says when the file is not JSON or cannot be read", async () => {
    const notJson = await checkConfig(write("broken.json", "{ issuers: [] // comment"));
    expect(notJson.code).toBe(1);
    expect(notJson.err).toEqual([
      `${join(dir, "broken.json")}: 1 problem(s)`,
      `  (root): ${join(dir, "broken.json")} is not valid JSON (line 1, column 3)`,
    ]);
    const missing = await checkConfig(join(dir, "nope.json"));
    expect(missing).toMatchObject({
      code: 1,
      err: [`${join(dir, "nope.json")}: 1 problem(s)`, `  (config source): cannot read ${join(dir, "nope.json")} (ENOENT)`],
    });
  });
});

describe("the config's JSON Schema (schema/interceptor.config.schema.json)", () => {
  it("the committed file equals the one generated from the zod schema (npm run build regenerates it)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(schemaText());
  });

  const validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(
    JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as object,
  );
  const variants: [string, (c: typeof example & Record<string, unknown>) => void][] = [
    ["an illegal header name", (c) => void ((c.targets.crm.headers as Record<string, unknown>)["x user"] = "sub")],
    [
      "eleven headers on one target",
      (c) => void (c.targets.crm.headers = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`x-h-${i}`, "sub"])) as never),
    ],
    ["an http JWKS URI", (c) => void (c.issuers[0] = { ...acme, jwksUri: "http://login.acme.example/jwks.json" })],
    ["an unknown field", (c) => void (c.surprise = true)],
    ["an unknown mode", (c) => void ((c.targets as Record<string, unknown>).x = { mode: "magic" })],
    ["a bad target name", (c) => void ((c.targets as Record<string, unknown>).bad_name = { mode: "none" })],
    ["an illegal custom token header", (c) => void (c.targets["iam-api"].header = "X Upstream")],
  ];

  it("accepts the configuration reference's example, as the interceptor does", () => {
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(parseConfig(example).ok).toBe(true);
  });

  it.each(variants)("rejects %s, as the interceptor does", (_, patch) => {
    const config = structuredClone(example) as typeof example & Record<string, unknown>;
    patch(config);
    expect(validate(config)).toBe(false);
    expect(parseConfig(config).ok).toBe(false);
  });
});
