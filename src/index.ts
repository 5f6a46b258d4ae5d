/**
 * Lambda entry: AgentCore Gateway REQUEST interceptor. Config is read and validated once per
 * execution environment; JWKS loading starts at init so the first request rarely waits.
 */
import { createHandler } from "./handler.js";
import { loadConfig } from "./config/load.js";

export const handler = createHandler({ config: loadConfig(process.env, new URL(".", import.meta.url)), prefetchJwks: true });

export { createHandler } from "./handler.js";
export { parseConfig } from "./config/load.js";
