import { DEFAULT_METRICS, type MetricsSettings } from "../metrics.js";

/**
 * CloudWatch namespaces: 1 to 255 characters, letters, digits and `.-_/#:` and space, never starting
 * with `AWS/` (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
 * Checked without zod: this runs at every cold start, which otherwise never loads zod (src/config/startup.ts).
 */
const isNamespace = (s: string) => /^[A-Za-z0-9.\-_/#: ]{1,255}$/.test(s) && !s.startsWith("AWS/");

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
  if (!isNamespace(settings.namespace)) {
    return {
      ok: false,
      problem: "POWERTOOLS_METRICS_NAMESPACE: must be 1-255 letters, digits, spaces or . - _ / # : and not start with AWS/",
    };
  }
  return { ok: true, settings };
}
