/**
 * The configuration's constants that the request path needs. They live apart from the schema
 * (src/config/schema.ts) so a cold start whose configuration is already validated never loads the
 * schema (src/config/startup.ts).
 */

/** AgentCore target names (docs/agentcore-contract.md §5): no underscores, so `___` splits unambiguously. */
export const TARGET_NAME = /^(?:[0-9a-zA-Z]-?){1,100}$/;

/** RFC 8693 token type identifiers the on-behalf-of exchange sends and accepts. */
export const TOKEN_TYPE = {
  accessToken: "urn:ietf:params:oauth:token-type:access_token",
  jwt: "urn:ietf:params:oauth:token-type:jwt",
} as const;

/** The header an `assertion` target receives its signed identity assertion in, unless it names another. */
export const DEFAULT_ASSERTION_HEADER = "x-identity-assertion";
