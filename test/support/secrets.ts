/**
 * Every token, signature, payload segment and secret the tests create is registered here; the log
 * capture (log-capture.ts) proves none of them ever reaches a log line.
 */
const registry = new Set<string>();

export function registerSecret(value: string): void {
  if (value.length >= 8) registry.add(value);
}

export function registerToken(token: string): void {
  registerSecret(token);
  for (const part of token.split(".").slice(1)) registerSecret(part);
}

export function registeredSecrets(): ReadonlySet<string> {
  return registry;
}
