/** A JSON object (not null, not an array): the one check every reader of outside JSON uses. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
