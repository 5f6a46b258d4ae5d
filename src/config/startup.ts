import { DEFAULT_METRICS } from "../metrics.js";
import type { LoadedConfig } from "./load.js";
import { metricsSettings } from "./metrics-settings.js";
import { VALIDATED_FILE, validatedConfig } from "./validated.js";

/**
 * The Lambda's configuration at init. The text comes from the first source that is set
 * (docs/configuration.md): `INTERCEPTOR_CONFIG` (JSON text), `INTERCEPTOR_CONFIG_FILE` (a path), or
 * `interceptor.config.json` beside the bundle. For that last one only, when
 * `interceptor.config.validated.json` beside it was made for that exact text by this build
 * (src/config/validated.ts: the `package` command and the CDK construct write both), its configuration is
 * used as it is; otherwise the text is validated completely by `parseConfig`, whose module (zod's
 * configuration schema and English messages) loads only then. Never rejects: a missing or broken config,
 * or a validator that cannot load, is reported as problems, and every request is denied.
 */
export async function loadConfig(env: NodeJS.ProcessEnv, besideBundle: URL): Promise<LoadedConfig> {
  const metrics = metricsSettings(env);
  if (!metrics.ok) return { ok: false, problems: [metrics.problem], metrics: DEFAULT_METRICS };
  const source = configSource(env, besideBundle);
  if ("problems" in source) return { ok: false, problems: source.problems, metrics: metrics.settings };
  const validated = source.besideBundle ? readText(new URL(VALIDATED_FILE, besideBundle)) : undefined;
  const config = validated === undefined ? undefined : validatedConfig(validated, source.text);
  if (config !== undefined) return { ok: true, config, metrics: metrics.settings };
  let validator: typeof import("./load.js");
  try {
    validator = await import("./load.js");
  } catch (err) {
    return {
      ok: false,
      problems: [`(config source): cannot load the configuration's validator (${codeOf(err, "load error")})`],
      metrics: metrics.settings,
    };
  }
  return { ...validator.parseConfig(source.text, source.name), metrics: metrics.settings };
}

/**
 * `node:fs` without its ESM facade: `import { readFileSync } from "node:fs"` makes Node build a module of
 * every export, evaluating `fs.promises` and loading fs/promises, file streams and watchers (about 5 ms of
 * a cold start at one vCPU on Node 24, measured); the built-in's own object costs nothing to get.
 */
const fs = () => process.getBuiltinModule("node:fs");

const codeOf = (err: unknown, otherwise: string) =>
  err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : otherwise;

/** A file's text, or undefined when it cannot be read. */
function readText(path: URL): string | undefined {
  try {
    return fs().readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

type Source = { name: string; text: string; besideBundle: boolean } | { problems: string[] };

function configSource(env: NodeJS.ProcessEnv, besideBundle: URL): Source {
  try {
    if (env.INTERCEPTOR_CONFIG !== undefined && env.INTERCEPTOR_CONFIG !== "") {
      return { name: "INTERCEPTOR_CONFIG", text: env.INTERCEPTOR_CONFIG, besideBundle: false };
    }
    if (env.INTERCEPTOR_CONFIG_FILE !== undefined && env.INTERCEPTOR_CONFIG_FILE !== "") {
      const name = `INTERCEPTOR_CONFIG_FILE (${env.INTERCEPTOR_CONFIG_FILE})`;
      return { name, text: fs().readFileSync(env.INTERCEPTOR_CONFIG_FILE, "utf8"), besideBundle: false };
    }
    const text = fs().readFileSync(new URL("interceptor.config.json", besideBundle), "utf8");
    return { name: "interceptor.config.json", text, besideBundle: true };
  } catch (err) {
    return {
      problems: [
        `(config source): cannot read the configuration (${codeOf(err, "read error")}); set INTERCEPTOR_CONFIG or INTERCEPTOR_CONFIG_FILE`,
      ],
    };
  }
}
