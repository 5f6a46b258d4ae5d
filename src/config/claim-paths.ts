/**
 * Claim references in the config: a dotted path (`org.id`) or a list of member names taken literally
 * (`["https://acme.example/email"]`, `["resource_access", "my.client", "roles"]`). A dotted path that
 * can never resolve is refused at load, where we can know it: today such a mapping would silently send
 * nothing (Auth0 namespaced claims, Keycloak client ids with dots).
 */

/** Registered claims we check to be strings or numbers before anything reads them: nothing lies under them. */
const SCALAR_CLAIMS = new Set(["iss", "sub", "jti", "exp", "nbf", "iat"]);

const unsafeSegment = (segment: string) =>
  segment === "" || segment === "__proto__" || segment === "prototype" || segment in Object.prototype;

/** Why a member name cannot be used in a claim reference, if it cannot. */
export function segmentProblem(segment: string): string | undefined {
  return unsafeSegment(segment) ? "must not be empty or a prototype member name" : undefined;
}

/** Why a dotted claim path is refused, if it is. */
export function dottedPathProblem(path: string): string | undefined {
  const segments = path.split(".");
  if (segments.some(unsafeSegment)) return "must be a claim name or dotted path without empty or prototype segments";
  if (segments.length === 1) return undefined;
  const literal = `name it literally: {"claimPath": ${JSON.stringify(literalGuess(segments))}}`;
  if (segments.some((s) => s.includes("/") || s.includes(":"))) {
    return `"${path}" looks like a namespaced claim name (a URL or URN) split on its dots, which never resolves; ${literal}`;
  }
  const [first] = segments;
  if (first !== undefined && SCALAR_CLAIMS.has(first)) return `"${first}" is a string or number claim: nothing lies under it`;
  // Keycloak's documented shapes: realm_access.roles and resource_access.<client id>.roles.
  if (first === "realm_access" && segments[1] !== "roles") return `"realm_access" holds only "roles"`;
  if (first === "resource_access" && segments.length >= 3 && (segments.length > 3 || segments[2] !== "roles")) {
    return `"resource_access.<client id>" holds only "roles"; a client id that contains dots needs ${literal}`;
  }
  return undefined;
}

/** The literal form a user most likely meant, for the error message. */
function literalGuess(segments: string[]): string[] {
  if (segments[0] === "resource_access" && segments.at(-1) === "roles") {
    return ["resource_access", segments.slice(1, -1).join("."), "roles"];
  }
  return [segments.join(".")];
}
