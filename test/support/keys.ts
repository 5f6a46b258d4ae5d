import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

function make(kid: string, pair: { privateKey: KeyObject; publicKey: KeyObject }, extra: Record<string, unknown> = {}): TestKey {
  return { kid, privateKey: pair.privateKey, publicJwk: { ...pair.publicKey.export({ format: "jwk" }), kid, use: "sig", ...extra } };
}

/**
 * RSA key generation costs tens of milliseconds per key (about 9 s of CPU per suite run when every
 * file made its own), so RSA test keys are committed under test/support/keys/, one PEM per name, as
 * the TLS test PKI is. `node scripts/test-keys.mjs` writes the PEM of every `rsaKey(<name>)` the tests
 * use; a name without a committed PEM still works (generated on the fly, just slower).
 */
export function rsaKeyPair(name: string, bits = 2048): { privateKey: KeyObject; publicKey: KeyObject } {
  const file = new URL(`./keys/${rsaKeyFile(name, bits)}`, import.meta.url);
  if (!existsSync(file)) return generateKeyPairSync("rsa", { modulusLength: bits });
  const privateKey = createPrivateKey(readFileSync(file, "utf8"));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** The committed file of an RSA test key: its name and size, nothing else. */
export const rsaKeyFile = (name: string, bits: number) => `rsa-${bits}-${name}.pem`;

export const rsaKey = (kid: string, bits = 2048, extra?: Record<string, unknown>) => make(kid, rsaKeyPair(kid, bits), extra);
export const ecKey = (kid: string, curve: "P-256" | "P-384" | "P-521" = "P-256", extra?: Record<string, unknown>) =>
  make(kid, generateKeyPairSync("ec", { namedCurve: curve }), extra);
export const edKey = (kid: string, extra?: Record<string, unknown>) => make(kid, generateKeyPairSync("ed25519"), extra);

export const jwksOf = (...keys: TestKey[]) => ({ keys: keys.map((k) => k.publicJwk) });
