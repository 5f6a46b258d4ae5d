import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signAssertion } from "../../src/assertion/claims.js";
import { parseSigningKeys } from "../../src/assertion/keys.js";
import { decodeJws } from "../../src/auth/jws.js";
import { algorithmFitsKey, toVerificationKey } from "../../src/auth/keys.js";
import { verifySignature } from "../../src/auth/signature.js";
import { ConfigSchema } from "../../src/config/schema.js";
import {
  ASSERTION_CLAIMS,
  DERIVED_SIGNER_VECTORS,
  RFC7515_A1_HS256,
  RFC7515_A5_NONE,
  SIGNATURE_VECTORS,
  type DerivedSignerVector,
  type SignatureVector,
} from "./fixtures/jws-vectors.js";

/**
 * src/auth/signature.ts `verifySignature` (with the key conversion and algorithm/key binding of src/auth/keys.ts)
 * against the published JWS known-answer vectors in fixtures/jws-vectors.ts, and the assertion signer
 * (src/assertion/claims.ts `signAssertion`) against deterministic known answers.
 */

const b64 = (s: string) => Buffer.from(s, "base64url");

/** The vector's public key as the verifier sees it: converted by toVerificationKey, bound to the algorithm. */
function publicKeyOf(v: SignatureVector): KeyObject {
  const vk = toVerificationKey({ ...v.publicJwk }, v.publicJwk.kid ?? "rfc");
  expect(algorithmFitsKey(v.alg, vk)).toBe(true);
  if (vk.key === undefined) throw new Error(`${v.name}: the published key did not convert`);
  return vk.key;
}

/** The signing input with byte `index` of the decoded payload changed (XOR 0x01), payload re-encoded canonically. */
function withPayloadByteChanged(signingInput: string, index: number): string {
  const [header, payload] = signingInput.split(".");
  if (header === undefined || payload === undefined) throw new Error("not a signing input");
  const bytes = b64(payload);
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return `${header}.${bytes.toString("base64url")}`;
}

/** The signature with byte `index` changed (XOR 0x01). */
function withSignatureByteChanged(signature: string, index: number): Buffer {
  const bytes = b64(signature);
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes;
}

const vectorNamed = (name: string): SignatureVector => {
  const v = SIGNATURE_VECTORS.find((x) => x.name === name);
  if (v === undefined) throw new Error(`no vector ${name}`);
  return v;
};

describe("verifySignature: published known-answer vectors", () => {
  it("covers every published vector the brief names (RS256, ES256, ES512, PS384, Ed25519)", () => {
    expect(SIGNATURE_VECTORS.map((v) => v.name)).toEqual([
      "RFC 7515 A.2 RS256",
      "RFC 7515 A.3 ES256",
      "RFC 7515 A.4 ES512",
      "RFC 7520 4.1 RS256",
      "RFC 7520 4.2 PS384",
      "RFC 7520 4.3 ES512",
      "RFC 8037 A.4 EdDSA (Ed25519)",
    ]);
  });

  describe.each(SIGNATURE_VECTORS.map((v): [string, SignatureVector] => [v.name, v]))("%s", (_name, v) => {
    it("the published signature verifies", () => {
      expect(verifySignature(v.alg, publicKeyOf(v), v.signingInput, b64(v.signature))).toBe(true);
    });

    it.each([0, 3, -1])("payload byte %i changed → refused", (at) => {
      const payloadLength = b64(v.signingInput.split(".")[1] ?? "").length;
      const tampered = withPayloadByteChanged(v.signingInput, at < 0 ? payloadLength + at : at);
      expect(tampered).not.toBe(v.signingInput);
      expect(verifySignature(v.alg, publicKeyOf(v), tampered, b64(v.signature))).toBe(false);
    });

    it("one header byte changed → refused (the header is signed too)", () => {
      const tampered = `eyJi${v.signingInput.slice(4)}`;
      expect(v.signingInput.startsWith("eyJh")).toBe(true);
      expect(verifySignature(v.alg, publicKeyOf(v), tampered, b64(v.signature))).toBe(false);
    });

    it.each([0, 17, -1])("signature byte %i changed → refused", (at) => {
      const length = b64(v.signature).length;
      const tampered = withSignatureByteChanged(v.signature, at < 0 ? length + at : at);
      expect(tampered.equals(b64(v.signature))).toBe(false);
      expect(verifySignature(v.alg, publicKeyOf(v), v.signingInput, tampered)).toBe(false);
    });

    it("a truncated, an extended or an empty signature → refused without throwing", () => {
      const sig = b64(v.signature);
      const key = publicKeyOf(v);
      expect(verifySignature(v.alg, key, v.signingInput, sig.subarray(0, sig.length - 1))).toBe(false);
      expect(verifySignature(v.alg, key, v.signingInput, Buffer.concat([sig, Buffer.from([0])]))).toBe(false);
      expect(verifySignature(v.alg, key, v.signingInput, Buffer.alloc(0))).toBe(false);
    });
  });

  it("RFC 7520 §4.1's signature under the RFC 7515 A.2 key (another RSA key) → refused", () => {
    const other = vectorNamed("RFC 7515 A.2 RS256");
    const v = vectorNamed("RFC 7520 4.1 RS256");
    expect(verifySignature("RS256", publicKeyOf(other), v.signingInput, b64(v.signature))).toBe(false);
  });

  it("the RS256 vector checked as RS384/RS512/PS256 → refused (the hash and padding are the algorithm's)", () => {
    const v = vectorNamed("RFC 7520 4.1 RS256");
    for (const alg of ["RS384", "RS512", "PS256"])
      expect(verifySignature(alg, publicKeyOf(v), v.signingInput, b64(v.signature))).toBe(false);
  });

  it("the PS384 vector checked as RS384 or PS256 → refused", () => {
    const v = vectorNamed("RFC 7520 4.2 PS384");
    for (const alg of ["RS384", "PS256", "PS512"])
      expect(verifySignature(alg, publicKeyOf(v), v.signingInput, b64(v.signature))).toBe(false);
  });

  it("ES256 and ES512 signatures only in JWS form (R ‖ S); the same signature DER-encoded → refused", () => {
    for (const name of ["RFC 7515 A.3 ES256", "RFC 7515 A.4 ES512"]) {
      const v = vectorNamed(name);
      const raw = b64(v.signature);
      const half = raw.length / 2;
      const der = derSignature(raw.subarray(0, half), raw.subarray(half));
      expect(verifySignature(v.alg, publicKeyOf(v), v.signingInput, der)).toBe(false);
    }
  });

  it("the ES512 vector checked as ES256 or ES384 → refused", () => {
    const v = vectorNamed("RFC 7515 A.4 ES512");
    for (const alg of ["ES256", "ES384"]) expect(verifySignature(alg, publicKeyOf(v), v.signingInput, b64(v.signature))).toBe(false);
  });

  it("algorithmFitsKey binds each algorithm to its key type and curve (RFC 8725 §3.1)", () => {
    const rsa = toVerificationKey({ ...vectorNamed("RFC 7515 A.2 RS256").publicJwk }, "rsa");
    const p256 = toVerificationKey({ ...vectorNamed("RFC 7515 A.3 ES256").publicJwk }, "p256");
    const p521 = toVerificationKey({ ...vectorNamed("RFC 7515 A.4 ES512").publicJwk }, "p521");
    const ed = toVerificationKey({ ...vectorNamed("RFC 8037 A.4 EdDSA (Ed25519)").publicJwk }, "ed");
    expect(["RS256", "PS384", "ES256", "ES512", "EdDSA"].map((alg) => algorithmFitsKey(alg, rsa))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(["RS256", "ES256", "ES384", "ES512", "EdDSA"].map((alg) => algorithmFitsKey(alg, p256))).toEqual([
      false,
      true,
      false,
      false,
      false,
    ]);
    expect(["ES256", "ES384", "ES512"].map((alg) => algorithmFitsKey(alg, p521))).toEqual([false, false, true]);
    expect(["EdDSA", "ES256", "RS256"].map((alg) => algorithmFitsKey(alg, ed))).toEqual([true, false, false]);
    // A JWK that names its own algorithm is bound to it.
    const rsaPinned = toVerificationKey({ ...vectorNamed("RFC 7515 A.2 RS256").publicJwk, alg: "PS256" }, "rsa");
    expect([algorithmFitsKey("RS256", rsaPinned), algorithmFitsKey("PS256", rsaPinned)]).toEqual([false, true]);
  });

  it("an EdDSA signature under an RSA or EC key, or an RS256 signature under the Ed25519 key → refused without throwing", () => {
    const ed = vectorNamed("RFC 8037 A.4 EdDSA (Ed25519)");
    const rsa = vectorNamed("RFC 7515 A.2 RS256");
    const p256 = vectorNamed("RFC 7515 A.3 ES256");
    expect(verifySignature("EdDSA", publicKeyOf(rsa), ed.signingInput, b64(ed.signature))).toBe(false);
    expect(verifySignature("EdDSA", publicKeyOf(p256), ed.signingInput, b64(ed.signature))).toBe(false);
    expect(verifySignature("RS256", publicKeyOf(ed), rsa.signingInput, b64(rsa.signature))).toBe(false);
    expect(verifySignature("ES256", publicKeyOf(rsa), p256.signingInput, b64(p256.signature))).toBe(false);
  });

  it("decodeJws reads the RFC 7515 A.2/A.3 compact tokens (CR LF in the payload JSON is whitespace)", () => {
    const v = vectorNamed("RFC 7515 A.2 RS256");
    expect(decodeJws(`${v.signingInput}.${v.signature}`)).toEqual({
      header: { alg: "RS256" },
      payload: { iss: "joe", exp: 1300819380, "http://example.com/is_root": true },
      alg: "RS256",
      kid: undefined,
    });
    const e = vectorNamed("RFC 7515 A.3 ES256");
    expect(decodeJws(`${e.signingInput}.${e.signature}`).alg).toBe("ES256");
  });
});

describe("algorithms refused by design: HMAC (RFC 7515 A.1) and unsecured (A.5)", () => {
  const rsaKey = () => publicKeyOf(vectorNamed("RFC 7515 A.2 RS256"));

  it("A.1 HS256: the published HMAC is right, yet verifySignature refuses HS256 with that very secret", () => {
    const secret = b64(RFC7515_A1_HS256.jwk.k);
    const mac = createHmac("sha256", secret).update(RFC7515_A1_HS256.signingInput, "ascii").digest();
    expect(mac.toString("base64url")).toBe(RFC7515_A1_HS256.signature);
    expect(verifySignature("HS256", createSecretKey(secret), RFC7515_A1_HS256.signingInput, mac)).toBe(false);
    // …and under an RSA public key (the classic RS/HS confusion).
    expect(verifySignature("HS256", rsaKey(), RFC7515_A1_HS256.signingInput, mac)).toBe(false);
  });

  it("A.1 HS256: a symmetric JWK never becomes a verification key, and HS256 fits no key", () => {
    const oct = toVerificationKey({ ...RFC7515_A1_HS256.jwk }, "oct");
    expect(oct.key).toBeUndefined();
    expect(algorithmFitsKey("HS256", oct)).toBe(false);
    expect(algorithmFitsKey("HS256", toVerificationKey({ ...vectorNamed("RFC 7515 A.2 RS256").publicJwk }, "rsa"))).toBe(false);
  });

  it("A.5 none: the empty signature is refused for alg none and for every real algorithm", () => {
    const [header = "", payload = ""] = RFC7515_A5_NONE.compact.split(".");
    const input = `${header}.${payload}`;
    for (const alg of ["none", "RS256", "ES256", "EdDSA", ""]) expect(verifySignature(alg, rsaKey(), input, Buffer.alloc(0))).toBe(false);
  });

  it("a configuration cannot allow HS256, none or any other algorithm outside the list", () => {
    const config = (algorithms: string[]) =>
      ConfigSchema.safeParse({
        issuers: [{ issuer: "https://idp.example", jwksUri: "https://idp.example/jwks", audience: ["gw"], algorithms }],
      }).success;
    expect(config(["RS256", "PS384", "ES256", "ES512", "EdDSA"])).toBe(true);
    for (const alg of ["HS256", "HS384", "HS512", "none", "None", "rs256", "ES256K", "Ed25519"]) expect(config([alg])).toBe(false);
  });

  it("unknown or lower-case algorithm names are refused by verifySignature even with a valid signature", () => {
    const v = vectorNamed("RFC 7515 A.2 RS256");
    for (const alg of ["rs256", "RS256 ", "RSA256", "__proto__", "constructor", "toString"]) {
      expect(verifySignature(alg, publicKeyOf(v), v.signingInput, b64(v.signature))).toBe(false);
    }
  });
});

describe("the assertion signer (signAssertion) with the published keys", () => {
  it.each(DERIVED_SIGNER_VECTORS.map((d): [DerivedSignerVector["alg"], DerivedSignerVector] => [d.alg, d]))(
    "%s: reproduces the known answer exactly, and the published public key verifies it",
    (alg, d) => {
      const published = vectorNamed(d.keyFrom);
      const [key] = parseSigningKeys(JSON.stringify({ keys: [{ kid: d.kid, jwk: published.privateJwk }] }), alg);
      if (key === undefined) throw new Error("no signing key");
      const jws = signAssertion({ ...ASSERTION_CLAIMS }, key);
      expect(jws).toBe(d.compact);
      // Deterministic: a second signature is the same bytes.
      expect(signAssertion({ ...ASSERTION_CLAIMS }, key)).toBe(d.compact);
      const dot = jws.lastIndexOf(".");
      expect(verifySignature(alg, publicKeyOf(published), jws.slice(0, dot), b64(jws.slice(dot + 1)))).toBe(true);
      expect(decodeJws(jws)).toEqual({ header: { alg, typ: "JWT", kid: d.kid }, payload: ASSERTION_CLAIMS, alg, kid: d.kid });
    },
  );

  it("ES256 (randomised): signs in JWS form (64 bytes R ‖ S) that the published RFC 7515 A.3 public key verifies", () => {
    const published = vectorNamed("RFC 7515 A.3 ES256");
    const [key] = parseSigningKeys(JSON.stringify(published.privateJwk), "ES256");
    if (key === undefined) throw new Error("no signing key");
    const first = signAssertion({ ...ASSERTION_CLAIMS }, key);
    const second = signAssertion({ ...ASSERTION_CLAIMS }, key);
    for (const jws of [first, second]) {
      const dot = jws.lastIndexOf(".");
      const sig = b64(jws.slice(dot + 1));
      expect(sig.length).toBe(64);
      expect(verifySignature("ES256", publicKeyOf(published), jws.slice(0, dot), sig)).toBe(true);
    }
    // Same signing input, fresh nonce: the signatures differ.
    expect(first.slice(0, first.lastIndexOf("."))).toBe(second.slice(0, second.lastIndexOf(".")));
    expect(first).not.toBe(second);
  });
});

/** DER `SEQUENCE { INTEGER r, INTEGER s }` (short or long length form) from the raw JWS halves. */
function derSignature(r: Buffer, s: Buffer): Buffer {
  const integer = (x: Buffer) => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    let v = x.subarray(i);
    if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02]), length(v.length), v]);
  };
  const length = (n: number) => (n < 0x80 ? Buffer.from([n]) : Buffer.from([0x81, n]));
  const body = Buffer.concat([integer(r), integer(s)]);
  return Buffer.concat([Buffer.from([0x30]), length(body.length), body]);
}
