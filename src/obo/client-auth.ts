import { randomUUID, type KeyObject } from "node:crypto";
import type { OboSettings } from "../config/schema.js";
import { ClientAuthMismatch } from "../errors.js";
import { base64url, signCompact, type SigningAlgorithm, signingInput } from "../jws-sign.js";
import type { ClientCredential } from "./secrets.js";

/** The client's authentication to the token endpoint (RFC 6749 §2.3, RFC 7523 `private_key_jwt`). */
export interface ClientAuth {
  headers: Record<string, string>;
  form: Record<string, string>;
}

const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");

function assertionAlg(key: KeyObject): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === "rsa") return "RS256";
  if (type === "ed25519") return "EdDSA";
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "ES256";
    if (curve === "secp384r1") return "ES384";
  }
  throw new ClientAuthMismatch("unsupported private key type");
}

/** RFC 7523 §3 client assertion: iss = sub = client id, aud = the token endpoint, short-lived, unique. */
function clientAssertion(clientId: string, tokenEndpoint: string, key: KeyObject, nowSeconds: number): string {
  const alg = assertionAlg(key);
  const claims = { iss: clientId, sub: clientId, aud: tokenEndpoint, jti: randomUUID(), iat: nowSeconds, exp: nowSeconds + 60 };
  return signCompact(signingInput(base64url(JSON.stringify({ alg, typ: "JWT" })), claims), key, alg);
}

export function clientAuth(settings: OboSettings, credential: ClientCredential, nowSeconds: number): ClientAuth {
  const { clientAuth: method, clientId, tokenEndpoint } = settings;
  if (method === "private_key_jwt") {
    if (credential.kind !== "private-key") throw new ClientAuthMismatch("private_key_jwt needs a private_key in the secret");
    return {
      headers: {},
      form: {
        client_id: clientId,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: clientAssertion(clientId, tokenEndpoint, credential.key, Math.floor(nowSeconds)),
      },
    };
  }
  if (credential.kind !== "secret") throw new ClientAuthMismatch(`${method} needs a client secret`);
  if (method === "client_secret_post") return { headers: {}, form: { client_id: clientId, client_secret: credential.secret } };
  const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(credential.secret)}`).toString("base64");
  return { headers: { authorization: `Basic ${basic}` }, form: {} };
}
