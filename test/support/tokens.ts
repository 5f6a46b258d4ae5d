import { constants, createHmac, sign, type KeyObject } from "node:crypto";
import type { TestKey } from "./keys.js";
import { registerToken } from "./secrets.js";

/**
 * A raw JWS builder on node:crypto: it emits whatever header and payload bytes a test asks for
 * (duplicate members, invalid UTF-8, odd types) and signs them with real keys.
 */
export type Segment = Record<string, unknown> | string | Buffer;

export const b64url = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");
const encode = (s: Segment) =>
  b64url(Buffer.isBuffer(s) ? s : typeof s === "string" ? Buffer.from(s, "utf8") : Buffer.from(JSON.stringify(s)));

const HASH: Record<string, string> = {
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  PS256: "sha256",
  PS384: "sha384",
  PS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
};
/** RFC 7518 §3.5: PSS salt as long as the hash. */
const PSS_SALT: Record<string, number> = { PS256: 32, PS384: 48, PS512: 64 };

/** Signs `input` as `alg` would, with any key: used to make honest and deliberately mismatched signatures. */
export function signWith(how: string, key: KeyObject, input: string): Buffer {
  if (how === "EdDSA") return sign(null, Buffer.from(input), key);
  if (how.startsWith("ES")) return sign(HASH[how]!, Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  if (how.startsWith("PS"))
    return sign(HASH[how]!, Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT[how]! });
  return sign(HASH[how]!, Buffer.from(input), key);
}

export interface BuildOptions {
  header?: Segment;
  payload: Segment;
  key?: TestKey;
  /** Signature routine, default the header's alg (e.g. sign RS256 while the header says ES256). */
  signAs?: string;
  hmacSecret?: string | Buffer;
  signature?: string;
}

export function buildToken(o: BuildOptions): string {
  const header = o.header ?? { alg: "RS256", typ: "at+jwt", kid: o.key?.kid };
  const input = `${encode(header)}.${encode(o.payload)}`;
  let sig: string;
  if (o.signature !== undefined) sig = o.signature;
  else if (o.hmacSecret !== undefined) sig = b64url(createHmac("sha256", o.hmacSecret).update(input).digest());
  else {
    const alg = o.signAs ?? (typeof header === "object" && !Buffer.isBuffer(header) ? String(header.alg) : "RS256");
    sig = b64url(signWith(alg, o.key!.privateKey, input));
  }
  const token = `${input}.${sig}`;
  registerToken(token);
  return token;
}
