// Writes schema/interceptor.config.schema.json: the JSON Schema of the interceptor config, generated from
// the zod schema (src/config/schema.ts) so editors complete and check config files. Run by `npm run build`;
// a test checks that the committed file equals the generated one.
//   node --import ./scripts/register-ts.mjs scripts/config-schema.ts
import { writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as z from "zod/mini";
import { HEADER_NAME, MAX_HEADERS_PER_TARGET } from "../src/config/header-rules.js";
import { ConfigSchema } from "../src/config/schema.js";

export const SCHEMA_FILE = fileURLToPath(new URL("../schema/interceptor.config.schema.json", import.meta.url));

type Json = Record<string, unknown>;
const HTTPS = "^https://";

/**
 * zod refinements (header-name rules, https-only URLs) have no JSON Schema form; these rules put back
 * the parts editors can check, by the place in the config they describe. Each must apply at least once.
 */
const rules: { name: string; applies: (path: readonly (string | number)[]) => boolean; patch: (s: Json) => void }[] = [
  {
    name: "claims header names",
    applies: (p) => p.at(-1) === "propertyNames" && p.at(-2) === "headers",
    patch: (s) => Object.assign(s, { pattern: HEADER_NAME.source }),
  },
  {
    name: "claims header count",
    applies: (p) => p.at(-1) === "headers" && p.at(-2) === "properties",
    patch: (s) => Object.assign(s, { minProperties: 1, maxProperties: MAX_HEADERS_PER_TARGET }),
  },
  {
    name: "custom token header",
    applies: (p) => p.at(-3) === "header" && p.at(-2) === "anyOf" && p.at(-1) === 1,
    patch: (s) => Object.assign(s, { pattern: HEADER_NAME.source }),
  },
  {
    name: "https URLs",
    applies: (p) => ["jwksUri", "tokenEndpoint", "resourceMetadataUrl"].includes(String(p.at(-1))) && p.at(-2) === "properties",
    patch: (s) => Object.assign(s, { pattern: HTTPS }),
  },
];

export function configJsonSchema(): Json {
  const used = new Set<string>();
  const schema = z.toJSONSchema(ConfigSchema, {
    io: "input",
    target: "draft-2020-12",
    override: ({ jsonSchema, path }) => {
      for (const rule of rules) {
        if (rule.applies(path)) {
          rule.patch(jsonSchema as Json);
          used.add(rule.name);
        }
      }
    },
  }) as Json;
  const unused = rules.filter((r) => !used.has(r.name)).map((r) => r.name);
  if (unused.length > 0) throw new Error(`config JSON Schema: rules no longer apply: ${unused.join(", ")}`);
  return {
    $schema: schema.$schema,
    title: "AgentCore identity interceptor configuration",
    description:
      "interceptor.config.json / INTERCEPTOR_CONFIG (see docs/configuration.md). Generated from src/config/schema.ts by npm run build.",
    ...schema,
  };
}

export const schemaText = () => `${JSON.stringify(configJsonSchema(), null, 2)}\n`;

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(new URL("../schema/", import.meta.url), { recursive: true });
  writeFileSync(SCHEMA_FILE, schemaText());
  console.log(`config JSON Schema: ${SCHEMA_FILE}`);
}
