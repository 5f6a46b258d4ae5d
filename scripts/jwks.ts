/**
 * `npm run jwks -- --secret-file key.json [--algorithm ES256|RS256|EdDSA]`
 * `npm run jwks -- --secret-arn arn:aws:secretsmanager:... [--algorithm ...]`  (AWS SDK, standard settings)
 *
 * Prints the public JWKS that `assertion` targets verify against: every key in the interceptor's
 * signing secret (a PEM or JWK private key, or `{ "keys": [...] }`), with `kid`, `alg`, `use: "sig"`,
 * never a private member. Host the output as a static file (see docs/assertion.md).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type AssertionAlgorithm, publicJwks } from "../src/assertion/jwks.js";
import { KeySetInvalid, SecretUnavailable } from "../src/errors.js";
import { secretsManagerFetcher } from "../src/secrets-manager.js";

const ALGORITHMS = ["ES256", "RS256", "EdDSA"] as const;
const usage = "usage: npm run jwks -- (--secret-file <file> | --secret-arn <arn>) [--algorithm ES256|RS256|EdDSA]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "secret-file": { type: "string" },
      "secret-arn": { type: "string" },
      algorithm: { type: "string", default: "ES256" },
      help: { type: "boolean" },
    },
  });
  const algorithm = ALGORITHMS.find((a) => a === values.algorithm);
  const file = values["secret-file"];
  const arn = values["secret-arn"];
  if (values.help === true || algorithm === undefined || (file === undefined) === (arn === undefined)) {
    console.error(usage);
    return 2;
  }
  try {
    const secret = file !== undefined ? readFileSync(file, "utf8") : await secretsManagerFetcher()(arn!, AbortSignal.timeout(10_000));
    console.log(JSON.stringify(publicJwks(secret, algorithm as AssertionAlgorithm), null, 2));
    return 0;
  } catch (err) {
    // Never the secret or a library message that could quote it.
    const why =
      err instanceof KeySetInvalid || err instanceof SecretUnavailable
        ? err.why
        : ((err as NodeJS.ErrnoException).code ?? "cannot read the secret");
    console.error(`jwks: ${why}`);
    return 1;
  }
}

process.exitCode = await main();
