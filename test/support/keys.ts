import { generateKeyPairSync, type KeyObject } from "node:crypto";

export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

function make(kid: string, pair: { privateKey: KeyObject; publicKey: KeyObject }, extra: Record<string, unknown> = {}): TestKey {
  return { kid, privateKey: pair.privateKey, publicJwk: { ...pair.publicKey.export({ format: "jwk" }), kid, use: "sig", ...extra } };
}

export const rsaKey = (kid: string, bits = 2048, extra?: Record<string, unknown>) =>
  make(kid, generateKeyPairSync("rsa", { modulusLength: bits }), extra);
export const ecKey = (kid: string, curve: "P-256" | "P-384" | "P-521" = "P-256", extra?: Record<string, unknown>) =>
  make(kid, generateKeyPairSync("ec", { namedCurve: curve }), extra);
export const edKey = (kid: string, extra?: Record<string, unknown>) => make(kid, generateKeyPairSync("ed25519"), extra);

export const jwksOf = (...keys: TestKey[]) => ({ keys: keys.map((k) => k.publicJwk) });
