import { describe, expect, it } from "vitest";
import {
  ClientAuthMismatch,
  Denial,
  deny,
  errorClass,
  Failure,
  HttpsFailure,
  InterceptorError,
  InvalidClient,
  JwksInvalid,
  KeySetInvalid,
  SecretUnavailable,
  StrictJsonError,
  TriggerRefusal,
  UserTokenRejected,
} from "../../src/errors.js";
import { JwksCache } from "../../src/auth/jwks-cache.js";

describe("one error model (src/errors.ts)", () => {
  it("deny() raises a Denial carrying the reason and the challenge detail", () => {
    let caught: unknown;
    try {
      deny("scope.insufficient", { scope: ["a", "b"] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Denial);
    expect(caught).toBeInstanceOf(InterceptorError);
    expect(caught).toMatchObject({
      reason: "scope.insufficient",
      detail: { scope: ["a", "b"] },
      name: "Denial",
      message: "scope.insufficient",
    });
  });

  it.each([
    [new HttpsFailure("timeout", "timeout"), "HttpsFailure"],
    [new JwksInvalid("not a JWKS"), "JwksInvalid"],
    [new SecretUnavailable("permanent", "secret has no SecretString"), "SecretUnavailable"],
    [new ClientAuthMismatch("unsupported private key type"), "ClientAuthMismatch"],
    [new KeySetInvalid("keys[0].kid: duplicate kid"), "KeySetInvalid"],
  ])("%s is a Failure with a loggable why and its class as name", (err, name) => {
    expect(err).toBeInstanceOf(Failure);
    expect(err).toBeInstanceOf(InterceptorError);
    expect(err.name).toBe(name);
    expect(err.why).toBe(err.message);
    expect(errorClass(err)).toBe(name);
  });

  it.each([
    [new InvalidClient(), "InvalidClient"],
    [new StrictJsonError("duplicate"), "StrictJsonError"],
    [new UserTokenRejected("token.expired"), "UserTokenRejected"],
    [new TriggerRefusal("trigger misconfigured"), "TriggerRefusal"],
  ])("%s is an InterceptorError but not a Failure nor a Denial", (err, name) => {
    expect(err).toBeInstanceOf(InterceptorError);
    expect(err).not.toBeInstanceOf(Failure);
    expect(err).not.toBeInstanceOf(Denial);
    expect(err.name).toBe(name);
  });

  it("errorClass names the class of anything thrown, never its message", () => {
    expect(errorClass(new TypeError("secret-looking text"))).toBe("TypeError");
    expect(errorClass("a string")).toBe("string");
    expect(errorClass(undefined)).toBe("undefined");
  });

  it("a JWKS fetch failure is logged by its why (a Failure) or its class (anything else), never a raw message", async () => {
    const settings = { maxAgeSeconds: 600, staleIfErrorSeconds: 0, negativeCacheSeconds: 0, refetchIntervalSeconds: 0 };
    for (const [thrown, logged] of [
      [new HttpsFailure("status", "status 500"), "status 500"],
      [new Error("library text with a token eyJhbGciOi"), "Error"],
    ] as const) {
      const why: string[] = [];
      const cache = new JwksCache(() => Promise.reject(thrown), settings, {
        staleServed: () => undefined,
        fetchFailed: (_uri, w) => why.push(w),
      });
      await expect(cache.getKey("https://idp.example/jwks", "k1")).rejects.toMatchObject({ reason: "jwks.unavailable" });
      expect(why).toEqual([logged]);
    }
    const why: string[] = [];
    const cache = new JwksCache(() => Promise.resolve({ keys: "nope" }), settings, {
      staleServed: () => undefined,
      fetchFailed: (_uri, w) => why.push(w),
    });
    await expect(cache.getKey("https://idp.example/jwks", "k1")).rejects.toMatchObject({ reason: "jwks.unavailable" });
    expect(why).toEqual(["not a JWKS"]);
  });
});
