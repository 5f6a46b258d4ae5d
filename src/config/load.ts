import type * as z from "zod/mini";
import type { MetricsSettings } from "../metrics.js";
import "./english.js";
import { crossFieldProblems } from "./rules.js";
import { type Config, ConfigSchema } from "./schema.js";

/** A config as loaded; `metrics` (from the environment, `loadConfig`) holds even when the config is invalid. */
export type LoadedConfig = ({ ok: true; config: Config } | { ok: false; problems: string[] }) & { metrics?: MetricsSettings };

const pathText = (path: readonly PropertyKey[]) =>
  path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc === "" ? String(p) : `${acc}.${String(p)}`), "") ||
  "(root)";

/** A bad record key carries the key's own problem one level down; report that one. */
function messageOf(issue: z.core.$ZodIssue): string {
  return issue.code === "invalid_key" && issue.issues[0] !== undefined ? issue.issues[0].message : issue.message;
}

/** Where a JSON syntax error is, as "line L, column C" (from the parser's character offset), or "" when it does not say. */
function syntaxErrorPlace(text: string, err: unknown): string {
  const at = err instanceof SyntaxError ? /at position (\d+)/.exec(err.message) : null;
  if (at === null) return "";
  const before = text.slice(0, Number(at[1])).split("\n");
  return ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
}

/**
 * The one way from a config to a validated `Config` (the Lambda's cold start, the CDK construct, the CLI):
 * `input` is the config's JSON text (a string) or the already parsed value. Validates completely; each
 * problem names the exact field path. `source` names the text in a syntax problem. The parser's own
 * message is never included (it quotes the text), only where the error is.
 */
export function parseConfig(input: unknown, source = "the configuration"): LoadedConfig {
  let json = input;
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch (err) {
      return { ok: false, problems: [`(root): ${source} is not valid JSON${syntaxErrorPlace(input, err)}`] };
    }
  }
  const result = ConfigSchema.safeParse(json);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((i) => `${pathText(i.path)}: ${messageOf(i)}`) };
  }
  const config = result.data;
  const problems = crossFieldProblems(config);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/** A config file read and validated, with its text (what the construct and `package` ship beside the bundle). */
export type ConfigFile = { ok: true; config: Config; text: string } | { ok: false; problems: string[] };

/** Reads a config file and validates it with `parseConfig`; an unreadable file is one problem naming its error code. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    // Without node:fs's ESM facade (src/config/startup.ts): this module loads inside a cold start when
    // the configuration was not validated before deployment.
    text = process.getBuiltinModule("node:fs").readFileSync(path, "utf8");
  } catch (err) {
    const code = err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : "read error";
    return { ok: false, problems: [`(config source): cannot read ${path} (${code})`] };
  }
  const loaded = parseConfig(text, path);
  return loaded.ok ? { ok: true, config: loaded.config, text } : loaded;
}
