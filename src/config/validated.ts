import { createHash } from "node:crypto";
import { isPlainObject, parseJsonObject } from "../plain-object.js";
import type { Config } from "./schema.js";
import { VERSION } from "../version.js";
import { configFingerprint } from "./fingerprint.js";

/**
 * A configuration validated before it was deployed: what `parseConfig` returned for one exact config
 * text, written by the `package` command and the CDK construct beside the bundle as
 * `interceptor.config.validated.json`, so a cold start uses it without loading the schema (zod, the
 * configuration schema and its English messages: about a fifth of a cold start's own work at one vCPU,
 * docs/performance.md). The record binds itself to the text by its SHA-256 and to the release and build
 * whose validation made it (the fingerprint of src/config/ and zod: src/config/fingerprint.ts): a config
 * edited afterwards (the console's code editor), or a bundle of another release or build, makes the
 * record not apply, and that cold start validates the text as always. The record is as
 * trusted as the bundle beside it (whoever can change one can change the other).
 */
export const VALIDATED_FILE = "interceptor.config.validated.json";

/** Who validated: this package at this release, with this build's validation (src/config/fingerprint.ts). */
const validatedBy = () => `agentcore-identity-interceptor ${VERSION} (config ${configFingerprint().slice(0, 16)})`;

export interface ValidatedRecord {
  validatedBy: string;
  /** SHA-256 (hex) of the config text exactly as the function reads it. */
  sourceSha256: string;
  /** `parseConfig(text).config`: defaults applied, every rule checked. */
  config: Config;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** The record's JSON text for a configuration `parseConfig` accepted from `text`. */
export function validatedRecord(config: Config, text: string): string {
  const record: ValidatedRecord = { validatedBy: validatedBy(), sourceSha256: sha256(text), config };
  return `${JSON.stringify(record)}\n`;
}

/**
 * Whether `value` is a record of this build: the two strings and an object. The configuration inside
 * is not checked again (that is the record's purpose): its provenance is the check, which `applies` makes.
 */
function isRecord(value: unknown): value is ValidatedRecord {
  return (
    isPlainObject(value) &&
    value.validatedBy === validatedBy() &&
    typeof value.sourceSha256 === "string" &&
    isPlainObject(value.config) &&
    Object.keys(value).length === 3
  );
}

/**
 * The validated configuration for `text`, or undefined when the record (its JSON text) is not one of
 * this build, is malformed, or was made for another text. Never throws.
 */
export function validatedConfig(recordText: string, text: string): Config | undefined {
  const record = parseJsonObject(recordText);
  return record !== undefined && isRecord(record) && record.sourceSha256 === sha256(text) ? record.config : undefined;
}
