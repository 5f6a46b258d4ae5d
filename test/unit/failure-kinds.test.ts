import { beforeEach, describe, expect, it, vi } from "vitest";
import { Deadline } from "../../src/deadline.js";
import { Denial, HttpsFailure, SecretUnavailable } from "../../src/errors.js";
import { httpsRequest } from "../../src/http/https-request.js";
import { OboExchanger } from "../../src/obo/exchanger.js";
import { SecretCache } from "../../src/obo/secrets.js";
import { configOf, issuerOf, verified } from "../support/pure-inputs.js";

/**
 * A failure's kind is a typed field set where it is raised: the denial follows it, never the text of
 * `why` (which is only logged). Each case below gives a failure a `why` that names another kind.
 */
vi.mock("../../src/http/https-request.js", () => ({ httpsRequest: vi.fn() }));
const request = vi.mocked(httpsRequest);

const ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:obo-AbCdEf";
const config = configOf({
  targets: {
    payments: {
      mode: "obo",
      obo: { grant: "token-exchange", tokenEndpoint: "https://sts.example/token", clientId: "gw", clientSecretArn: ARN, audience: "pay" },
    },
  },
});
const target = config.targets.payments;
if (target?.mode !== "obo") throw new Error("not an obo target");
const settings = target.obo;
const caller = verified(issuerOf(), { exp: Math.floor(Date.now() / 1000) + 600, jti: "j-1" });

let secretFailure: unknown;
const logged: { secret: string[]; endpoint: (string | undefined)[] } = { secret: [], endpoint: [] };
const exchanger = () =>
  new OboExchanger(
    new SecretCache(async () => {
      if (secretFailure !== undefined) throw secretFailure;
      return "client-secret-value";
    }, 0),
    { secretFailed: (why) => logged.secret.push(why), tokenEndpointFailed: (_host, d) => logged.endpoint.push(d.why) },
    0,
    10,
  );

/** The reason `tokenFor` denies with (a rejected `Denial`), or the outcome when it did not deny. */
async function reasonOf(): Promise<string | undefined> {
  const deadline = Deadline.after({ now: () => Date.now(), timeout: () => new AbortController().signal }, 5_000);
  try {
    await exchanger().tokenFor("payments", settings, caller, deadline);
  } catch (err) {
    return err instanceof Denial ? err.reason : `not a Denial: ${String(err)}`;
  }
  return "allowed";
}

beforeEach(() => {
  secretFailure = undefined;
  logged.secret.length = 0;
  logged.endpoint.length = 0;
  request.mockReset();
});

describe("obo: the token endpoint's failure kind decides the denial", () => {
  it.each([
    ["too-large", "timeout", "obo.invalid_response"],
    ["timeout", "body too large", "obo.unavailable"],
    ["network", "body too large", "obo.unavailable"],
    ["aborted", "body too large", "obo.unavailable"],
  ] as const)("an HttpsFailure of kind %s (why %j) → %s; why is logged as given", async (kind, why, reason) => {
    request.mockRejectedValue(new HttpsFailure(kind, why));
    expect(await reasonOf()).toBe(reason);
    expect(logged.endpoint).toEqual([why]);
  });

  it("anything else thrown by the HTTPS edge is an outage: obo.unavailable", async () => {
    request.mockRejectedValue(new Error("body too large"));
    expect(await reasonOf()).toBe("obo.unavailable");
    expect(logged.endpoint).toEqual(["network error"]);
  });
});

describe("obo: a secret failure's permanence decides the denial", () => {
  it.each([
    ["permanent", "ThrottlingException (HTTP 400)", "obo.client_auth_failed"],
    ["transient", "ResourceNotFoundException (HTTP 400)", "obo.unavailable"],
    ["transient", "secret has no SecretString", "obo.unavailable"],
  ] as const)("a %s SecretUnavailable (why %j) → %s; why is logged as given", async (permanence, why, reason) => {
    secretFailure = new SecretUnavailable(permanence, why);
    expect(await reasonOf()).toBe(reason);
    expect(logged.secret).toEqual([why]);
    expect(request).not.toHaveBeenCalled();
  });

  it("anything else a fetcher throws is an outage: obo.unavailable", async () => {
    secretFailure = new Error("AccessDeniedException");
    expect(await reasonOf()).toBe("obo.unavailable");
    expect(logged.secret).toEqual(["unavailable"]);
  });
});
