/**
 * The package's library entry (`import { createHandler, parseConfig } from "agentcore-identity-interceptor"`):
 * build the interceptor's handler from a config of your own (another host, custom wiring) and validate
 * configs. Unlike the Lambda entry (src/index.ts), importing it reads no environment and fetches nothing.
 */
export { createHandler, type HandlerOptions, type InterceptorHandler } from "./handler.js";
export { parseConfig, readConfigFile, type ConfigFile, type LoadedConfig } from "./config/load.js";
export type {
  AssertionSettings,
  AssertionTargetConfig,
  ClaimMapping,
  ClaimsTargetConfig,
  Config,
  ForwardTargetConfig,
  IssuerConfig,
  OboSettings,
  OboTargetConfig,
  TargetConfig,
} from "./config/schema.js";
export type { JwksFetcher } from "./auth/jwks-fetch.js";
export type { SecretFetcher } from "./secrets-manager.js";
export type { Clock } from "./clock.js";
export type { InterceptorOutput, TransformedRequest, TransformedResponse } from "./respond/output.js";
