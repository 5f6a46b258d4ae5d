import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import * as z from "zod/mini";
import "../config/english.js";
import { KeySetInvalid } from "../errors.js";
import { MIN_RSA_BITS } from "../auth/keys.js";
import { base64url } from "../jws-sign.js";
import { isPlainObject, jwkFrom } from "../plain-object.js";

/**
 * The interceptor's signing keys, as stored in its Secrets Manager secret (docs/design.md "assertion"):
 * one private key (PEM, or a JWK object), or `{ "keys": [ ... ] }` for rotation, each entry
 * `{ "kid"?, "privateKey" (PEM) | "jwk", "notBefore"?, "status"?: "active" | "retired" }`.
 * Every key is published; the newest active one whose `notBefore` has passed signs.
 */
export type AssertionAlgorithm = "ES256" | "RS256" | "EdDSA";

export interface SigningKey {
  kid: string;
  alg: AssertionAlgorithm;
  key: KeyObject;
  /** Seconds since the epoch before which the key does not sign (it is published already). */
  notBefore: number;
  status: "active" | "retired";
  /** RFC 7638 thumbprint of the public key: tells two keys apart even under one `kid`. */
  thumbprint: string;
  /** The public JWK as targets see it (`kid`, `alg`, `use: "sig"`). */
  publicJwk: Record<string, string>;
  /** The base64url JWS protected header for this key, computed once. */
  protectedHeader: string;
}

const MAX_SIGNING_KEYS = 10;
const KID = /^[A-Za-z0-9._~-]{1,128}$/;
/** `2026-12-01T00:00:00Z`, with optional fractions and a numeric offset (z.iso would load 2 KB more at cold start). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

const Entry = z
  .strictObject({
    kid: z.optional(z.string().check(z.regex(KID, "must be 1..128 of A-Z a-z 0-9 . _ ~ -"))),
    privateKey: z.optional(z.string()),
    jwk: z.optional(z.record(z.string(), z.unknown())),
    /** Seconds since the epoch, or an ISO 8601 date-time with an offset. */
    notBefore: z.optional(
      z.union([
        z.int().check(z.gte(0)),
        z
          .string()
          .check(
            z.refine((s) => ISO_DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time with Z or an offset"),
          ),
      ]),
    ),
    status: z._default(z.enum(["active", "retired"]), "active"),
  })
  .check(z.refine((e) => (e.privateKey === undefined) !== (e.jwk === undefined), "exactly one of privateKey (PEM) or jwk is required"));

const Rotation = z.strictObject({ keys: z.array(Entry).check(z.minLength(1), z.maxLength(MAX_SIGNING_KEYS)) });

type EntryInput = z.infer<typeof Entry>;

/** RFC 7638 §3.2: the required members only, in lexicographic order. */
function thumbprintOf(jwk: Record<string, unknown>): string {
  const members = jwk.kty === "RSA" ? ["e", "kty", "n"] : jwk.kty === "EC" ? ["crv", "kty", "x", "y"] : ["crv", "kty", "x"];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])));
  return createHash("sha256").update(canonical).digest("base64url");
}

/** Why a key cannot sign with the algorithm, or undefined when it can (RFC 7518 §3.1, RFC 8037). */
function keyProblem(key: KeyObject, algorithm: AssertionAlgorithm): string | undefined {
  if (key.type !== "private") return "is not a private key";
  const type = key.asymmetricKeyType;
  if (algorithm === "ES256")
    return type === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1" ? undefined : "ES256 needs an EC P-256 key";
  if (algorithm === "EdDSA") return type === "ed25519" ? undefined : "EdDSA needs an Ed25519 key";
  if (type !== "rsa") return "RS256 needs an RSA key";
  return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS
    ? undefined
    : `RS256 needs an RSA key of at least ${MIN_RSA_BITS} bits`;
}

function privateKeyOf(entry: Pick<EntryInput, "privateKey" | "jwk">, where: string): KeyObject {
  try {
    if (entry.privateKey !== undefined) return createPrivateKey(entry.privateKey);
    return createPrivateKey({ key: jwkFrom(entry.jwk ?? {}), format: "jwk" });
  } catch {
    // The library's message may quote the key: never pass it on.
    throw new KeySetInvalid(`${where}: not a usable PEM or JWK private key`);
  }
}

function signingKey(entry: EntryInput, algorithm: AssertionAlgorithm, where: string): SigningKey {
  const key = privateKeyOf(entry, where);
  const problem = keyProblem(key, algorithm);
  if (problem !== undefined) throw new KeySetInvalid(`${where}: ${problem}`);
  const pub = createPublicKey(key).export({ format: "jwk" }) as Record<string, string>;
  const thumbprint = thumbprintOf(pub);
  const fromJwk = typeof entry.jwk?.kid === "string" && KID.test(entry.jwk.kid) ? entry.jwk.kid : undefined;
  const kid = entry.kid ?? fromJwk ?? thumbprint;
  const notBefore =
    entry.notBefore === undefined ? 0 : typeof entry.notBefore === "number" ? entry.notBefore : Date.parse(entry.notBefore) / 1000;
  return {
    kid,
    alg: algorithm,
    key,
    notBefore,
    status: entry.status,
    thumbprint,
    publicJwk: { ...pub, kid, alg: algorithm, use: "sig" },
    protectedHeader: base64url(JSON.stringify({ alg: algorithm, typ: "JWT", kid })),
  };
}

const pathText = (path: readonly PropertyKey[]) =>
  path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "");

/** Parses the secret's `SecretString` into signing keys, in the secret's order. */
export function parseSigningKeys(text: string, algorithm: AssertionAlgorithm): SigningKey[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("-----BEGIN")) return [signingKey({ privateKey: trimmed, status: "active" }, algorithm, "secret")];
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    throw new KeySetInvalid("secret is neither a PEM private key nor JSON");
  }
  if (!isPlainObject(json)) throw new KeySetInvalid("secret JSON must be an object");
  if (!("keys" in json)) return [signingKey({ jwk: json, status: "active" }, algorithm, "secret")];
  const parsed = Rotation.safeParse(json);
  if (!parsed.success) {
    // Paths and zod's fixed texts only: the offending values are never quoted.
    throw new KeySetInvalid(parsed.error.issues.map((i) => `${pathText(i.path) || "secret"}: ${i.message}`).join("; "));
  }
  const keys = parsed.data.keys.map((e, i) => signingKey(e, algorithm, `keys[${i}]`));
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k.kid)) throw new KeySetInvalid(`keys[${i}].kid: duplicate kid`);
    seen.add(k.kid);
  });
  return keys;
}

/** The key that signs now: the active key with the latest `notBefore` that has passed (later entry on a tie). */
export function currentSigningKey(keys: readonly SigningKey[], nowSeconds: number): SigningKey | undefined {
  let best: SigningKey | undefined;
  for (const k of keys) {
    if (k.status !== "active" || k.notBefore > nowSeconds) continue;
    if (best === undefined || k.notBefore >= best.notBefore) best = k;
  }
  return best;
}

/** The public JWKS targets verify against: every key in the secret, active, pending or retired. */
export function jwksOf(keys: readonly SigningKey[]): { keys: Record<string, string>[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}
