import { readFileSync } from "node:fs";
import { type AssertionAlgorithm, publicJwks } from "../src/assertion/jwks.js";
import { KeySetInvalid, SecretUnavailable } from "../src/errors.js";
import { secretsManagerFetcher } from "../src/secrets-manager.js";
import type { Io } from "./attach.js";

/**
 * `jwks (--secret-file FILE | --secret-arn ARN) [--algorithm ES256|RS256|EdDSA]`: prints the public JWKS
 * that `assertion` targets verify against: every key in the interceptor's signing secret (a PEM or JWK
 * private key, or `{ "keys": [...] }`), with `kid`, `alg`, `use: "sig"`, never a private member. Host the
 * output as a static file (README "Signed identity assertion"). `--secret-arn` reads the secret through
 * the AWS SDK's standard settings.
 */
export const JWKS_ALGORITHMS = ["ES256", "RS256", "EdDSA"] as const satisfies readonly AssertionAlgorithm[];

export interface JwksOptions {
  secret: { file: string } | { arn: string };
  algorithm: AssertionAlgorithm;
}

/** Returns the exit code: 0 printed, 1 the secret is unreadable or not a usable key set. */
export async function jwks(options: JwksOptions, io: Io): Promise<number> {
  try {
    const from = options.secret;
    const secret = "file" in from ? readFileSync(from.file, "utf8") : await secretsManagerFetcher()(from.arn, AbortSignal.timeout(10_000));
    io.out(JSON.stringify(publicJwks(secret, options.algorithm), null, 2));
    return 0;
  } catch (err) {
    // Never the secret or a library message that could quote it.
    const why =
      err instanceof KeySetInvalid || err instanceof SecretUnavailable
        ? err.why
        : err instanceof Error && "code" in err && typeof err.code === "string"
          ? err.code
          : "cannot read the secret";
    io.err(`jwks: ${why}`);
    return 1;
  }
}
