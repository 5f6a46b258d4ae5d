import { canonicalHeaderName } from "../config/header-rules.js";
import type { Config } from "../config/schema.js";
import { headersSetOn } from "../config/target-headers.js";
import type { HeaderBag } from "../event/headers.js";

/**
 * Identity headers that proxies and frameworks commonly trust (docs/security.md §3 J). A client that
 * sends one of these, or any header the config makes the interceptor set, is trying to speak for it.
 */
const DENYLIST = [
  "x-forwarded-user",
  "x-forwarded-email",
  "x-forwarded-groups",
  "x-forwarded-preferred-username",
  "x-forwarded-access-token",
  "x-remote-user",
  "remote-user",
  "x-remote-email",
  "x-remote-groups",
  "x-authenticated-user",
  "x-authenticated-userid",
  "x-upstream-authorization",
];
const DENYLIST_PREFIXES = ["x-auth-request-", "x-amzn-oidc-", "x-ms-client-principal", "x-goog-authenticated-user-"];

export class ManagedHeaders {
  private readonly exact: ReadonlySet<string>;

  constructor(config: Config) {
    const names = new Set(DENYLIST);
    for (const target of Object.values(config.targets)) for (const h of headersSetOn(target)) names.add(canonicalHeaderName(h));
    this.exact = names;
  }

  has(name: string): boolean {
    const canonical = canonicalHeaderName(name);
    return this.exact.has(canonical) || DENYLIST_PREFIXES.some((p) => canonical.startsWith(p));
  }

  /** The first inbound header (lower-cased name) that the interceptor manages, if any. */
  firstConflict(headers: HeaderBag): string | undefined {
    for (const name of headers.lowerNames()) if (this.has(name)) return name;
    return undefined;
  }
}
