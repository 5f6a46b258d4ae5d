import { readFileSync } from "node:fs";

/** Test-only PKI under test/support/tls (generated with openssl, valid for 100 years). */
const read = (name: string) => readFileSync(new URL(`./tls/${name}`, import.meta.url), "utf8");

export const testCa = read("ca.pem");
export const localhostCert = { key: read("localhost.key"), cert: read("localhost.pem") };
export const wrongHostCert = { key: read("wrong-host.key"), cert: read("wrong-host.pem") };
export const untrustedCert = { key: read("untrusted.key"), cert: read("untrusted.pem") };
