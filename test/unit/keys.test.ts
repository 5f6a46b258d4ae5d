import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { algorithmFitsKey, MIN_RSA_BITS, toVerificationKey } from "../../src/auth/keys.js";
import { SIGNATURE_VECTORS } from "./fixtures/jws-vectors.js";

/** src/auth/keys.ts: JWKS entries converted once (aws-jwt-verify) and each algorithm bound to its key type. */

const published = (name: string) => {
  const v = SIGNATURE_VECTORS.find((x) => x.name === name);
  if (v === undefined) throw new Error(name);
  return v;
};
const RSA = published("RFC 7515 A.2 RS256");
const P256 = published("RFC 7515 A.3 ES256");
const P521 = published("RFC 7515 A.4 ES512");
const ED = published("RFC 8037 A.4 EdDSA (Ed25519)");

describe("toVerificationKey", () => {
  it("an RSA public JWK: a public KeyObject, its modulus size, the JWK and kid kept", () => {
    const jwk = { ...RSA.publicJwk };
    const vk = toVerificationKey(jwk, "k1");
    expect(vk).toMatchObject({ kid: "k1", kty: "RSA", crv: undefined, rsaBits: 2048 });
    expect(vk.jwk).toBe(jwk);
    expect(vk.key?.type).toBe("public");
    expect(vk.key?.asymmetricKeyType).toBe("rsa");
  });

  it("EC and OKP keys: curve recorded, no RSA size", () => {
    expect(toVerificationKey({ ...P256.publicJwk }, "e")).toMatchObject({ kty: "EC", crv: "P-256", rsaBits: undefined });
    expect(toVerificationKey({ ...P521.publicJwk }, "e")).toMatchObject({ kty: "EC", crv: "P-521", rsaBits: undefined });
    const ed = toVerificationKey({ ...ED.publicJwk }, "e");
    expect(ed).toMatchObject({ kty: "OKP", crv: "Ed25519", rsaBits: undefined });
    expect(ed.key?.asymmetricKeyType).toBe("ed25519");
  });

  it("a JWK that includes the private member is only ever a public key here", () => {
    const vk = toVerificationKey({ ...P256.privateJwk }, "e");
    expect(vk.key?.type).toBe("public");
    expect(vk.key?.export({ format: "jwk" })).toStrictEqual({ kty: "EC", crv: "P-256", x: P256.publicJwk.x, y: P256.publicJwk.y });
  });

  it("use sig or absent, key_ops absent or including verify → usable", () => {
    expect(toVerificationKey({ ...RSA.publicJwk, use: "sig" }, "k").key).toBeDefined();
    expect(toVerificationKey({ ...RSA.publicJwk, key_ops: ["verify"] }, "k").key).toBeDefined();
    expect(toVerificationKey({ ...RSA.publicJwk, key_ops: ["sign", "verify"] }, "k").key).toBeDefined();
  });

  it.each([
    ["use enc", { ...RSA.publicJwk, use: "enc" }],
    ["use SIG (case)", { ...RSA.publicJwk, use: "SIG" }],
    ["use null", { ...RSA.publicJwk, use: null }],
    ["key_ops without verify", { ...RSA.publicJwk, key_ops: ["sign"] }],
    ["key_ops empty", { ...RSA.publicJwk, key_ops: [] }],
    ["key_ops a string", { ...RSA.publicJwk, key_ops: "verify" }],
    ["kty oct", { kty: "oct", k: "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ" }],
    ["no kty", { n: RSA.publicJwk.n, e: "AQAB" }],
    ["kty lower-case", { ...RSA.publicJwk, kty: "rsa" }],
    ["modulus a number", { kty: "RSA", n: 12345, e: "AQAB" }],
    ["EC point off the curve", { ...P256.publicJwk, y: P256.publicJwk.x }],
    ["EC without y", { kty: "EC", crv: "P-256", x: P256.publicJwk.x }],
    ["unknown curve", { ...P256.publicJwk, crv: "secp256k1" }],
    ["__proto__ kty", JSON.parse('{"__proto__": {"kty": "RSA"}, "n": "AQAB", "e": "AQAB"}')],
  ])("%s → no key (never a throw)", (_name, jwk) => {
    expect(toVerificationKey(jwk, "k").key).toBeUndefined();
  });

  it("a modulus that is not base64url converts to a 0-bit RSA key, which the size rule refuses", () => {
    const vk = toVerificationKey({ kty: "RSA", n: "!!!", e: "AQAB" }, "k");
    expect(vk.rsaBits).toBe(0);
    expect((vk.rsaBits ?? 0) < MIN_RSA_BITS).toBe(true);
  });

  it("an X25519 (key agreement) JWK converts, but fits no signature algorithm", () => {
    // Observation: the VerificationKey doc says `key` is undefined when the entry can never verify a
    // signature; an X25519 entry still gets a KeyObject. algorithmFitsKey keeps this fail-closed.
    const x25519 = toVerificationKey({ kty: "OKP", crv: "X25519", x: ED.publicJwk.x }, "k");
    expect(x25519.key?.asymmetricKeyType).toBe("x25519");
    for (const alg of ["EdDSA", "ES256", "RS256"]) expect(algorithmFitsKey(alg, x25519)).toBe(false);
  });

  it(`a weak RSA key converts, and reports its size (the verifier refuses below ${MIN_RSA_BITS} bits)`, () => {
    expect(MIN_RSA_BITS).toBe(2048);
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const vk = toVerificationKey({ ...publicKey.export({ format: "jwk" }) }, "weak");
    expect(vk.rsaBits).toBe(1024);
    expect(vk.key).toBeDefined();
  });
});

describe("algorithmFitsKey", () => {
  const rsa = toVerificationKey({ ...RSA.publicJwk }, "rsa");
  const p256 = toVerificationKey({ ...P256.publicJwk }, "p256");
  const p521 = toVerificationKey({ ...P521.publicJwk }, "p521");
  const ed = toVerificationKey({ ...ED.publicJwk }, "ed");
  const p384 = (() => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    return toVerificationKey({ ...publicKey.export({ format: "jwk" }) }, "p384");
  })();
  const ed448 = (() => {
    const { publicKey } = generateKeyPairSync("ed448");
    return toVerificationKey({ ...publicKey.export({ format: "jwk" }) }, "ed448");
  })();

  const ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
  it.each([
    ["RSA", rsa, [true, true, true, true, true, true, false, false, false, false]],
    ["P-256", p256, [false, false, false, false, false, false, true, false, false, false]],
    ["P-384", p384, [false, false, false, false, false, false, false, true, false, false]],
    ["P-521", p521, [false, false, false, false, false, false, false, false, true, false]],
    ["Ed25519", ed, [false, false, false, false, false, false, false, false, false, true]],
    ["Ed448", ed448, [false, false, false, false, false, false, false, false, false, true]],
  ])("%s key fits exactly its algorithms", (_name, key, fits) => {
    expect(ALGS.map((alg) => algorithmFitsKey(alg, key))).toEqual(fits);
  });

  it.each(["HS256", "none", "", "rs256", "ES256K", "Ed25519", "RSA-OAEP", "__proto__", "toString"])("%j fits no key", (alg) => {
    for (const key of [rsa, p256, p521, ed]) expect(algorithmFitsKey(alg, key)).toBe(false);
  });

  it("a JWK alg pins the key to that one algorithm", () => {
    const pinned = toVerificationKey({ ...RSA.publicJwk, alg: "RS512" }, "k");
    expect(ALGS.filter((alg) => algorithmFitsKey(alg, pinned))).toEqual(["RS512"]);
    const mispinned = toVerificationKey({ ...P256.publicJwk, alg: "RS256" }, "k");
    expect(ALGS.filter((alg) => algorithmFitsKey(alg, mispinned))).toEqual([]);
  });
});
