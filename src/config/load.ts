import { readFileSync } from "node:fs";
import * as z from "zod/mini";
import { en } from "zod/locales";
import { DEFAULT_METRICS, type MetricsSettings } from "../metrics.js";
import { crossFieldProblems } from "./rules.js";
import { type Config, ConfigSchema } from "./schema.js";

z.config(en());

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

/**
 * Reads the config from the first source that is set (docs/design.md): `INTERCEPTOR_CONFIG` (JSON text),
 * `INTERCEPTOR_CONFIG_FILE` (a path), or `interceptor.config.json` beside the bundle.
 * Never throws: a missing or broken config is reported as problems, and every request is denied.
 */
export function loadConfig(env: NodeJS.ProcessEnv, besideBundle: URL): LoadedConfig {
  const metrics = metricsSettings(env);
  if (!metrics.ok) return { ok: false, problems: [metrics.problem], metrics: DEFAULT_METRICS };
  return { ...loadConfigText(env, besideBundle), metrics: metrics.settings };
}

/**
 * CloudWatch namespaces: 1 to 255 characters, letters, digits and `.-_/#:` and space, never starting
 * with `AWS/` (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
 */
const Namespace = z.string().check(
  z.minLength(1),
  z.maxLength(255),
  z.regex(/^[A-Za-z0-9.\-_/#: ]+$/),
  z.refine((s) => !s.startsWith("AWS/")),
);

/**
 * Metrics settings from the environment, as Powertools names them: `POWERTOOLS_METRICS_DISABLED=true`
 * turns metrics off, `POWERTOOLS_METRICS_NAMESPACE` names the namespace, `POWERTOOLS_SERVICE_NAME` the
 * `Service` dimension. An invalid namespace is a configuration problem (every request denied), never a
 * silent default.
 */
export function metricsSettings(env: NodeJS.ProcessEnv): { ok: true; settings: MetricsSettings } | { ok: false; problem: string } {
  const disabled = env.POWERTOOLS_METRICS_DISABLED?.trim().toLowerCase();
  const namespace = env.POWERTOOLS_METRICS_NAMESPACE;
  const service = env.POWERTOOLS_SERVICE_NAME;
  const settings: MetricsSettings = {
    enabled: !(disabled === "true" || disabled === "1"),
    namespace: namespace !== undefined && namespace !== "" ? namespace : DEFAULT_METRICS.namespace,
    service: service !== undefined && service.trim() !== "" ? service.trim().slice(0, 255) : DEFAULT_METRICS.service,
  };
  if (!Namespace.safeParse(settings.namespace).success) {
    return {
      ok: false,
      problem: "POWERTOOLS_METRICS_NAMESPACE: must be 1-255 letters, digits, spaces or . - _ / # : and not start with AWS/",
    };
  }
  return { ok: true, settings };
}

function loadConfigText(env: NodeJS.ProcessEnv, besideBundle: URL): LoadedConfig {
  let source: string;
  let textValue: string;
  try {
    if (env.INTERCEPTOR_CONFIG !== undefined && env.INTERCEPTOR_CONFIG !== "") {
      source = "INTERCEPTOR_CONFIG";
      textValue = env.INTERCEPTOR_CONFIG;
    } else if (env.INTERCEPTOR_CONFIG_FILE !== undefined && env.INTERCEPTOR_CONFIG_FILE !== "") {
      source = `INTERCEPTOR_CONFIG_FILE (${env.INTERCEPTOR_CONFIG_FILE})`;
      textValue = readFileSync(env.INTERCEPTOR_CONFIG_FILE, "utf8");
    } else {
      source = "interceptor.config.json";
      textValue = readFileSync(new URL("interceptor.config.json", besideBundle), "utf8");
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read error";
    return {
      ok: false,
      problems: [`(config source): cannot read the configuration (${code}); set INTERCEPTOR_CONFIG or INTERCEPTOR_CONFIG_FILE`],
    };
  }
  return parseConfig(textValue, source);
}

/** A config file read and validated, with its text (what the construct and `package` ship beside the bundle). */
export type ConfigFile = { ok: true; config: Config; text: string } | { ok: false; problems: string[] };

/** Reads a config file and validates it with `parseConfig`; an unreadable file is one problem naming its error code. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : "read error";
    return { ok: false, problems: [`(config source): cannot read ${path} (${code})`] };
  }
  const loaded = parseConfig(text, path);
  return loaded.ok ? { ok: true, config: loaded.config, text } : loaded;
}
