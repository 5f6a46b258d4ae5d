import { describe, expect, it } from "vitest";
import { Denial } from "../../src/errors.js";
import type { AuditRecord, AuditSink } from "../../src/log.js";
import { conclude } from "../../src/phase/conclude.js";
import type { InterceptorOutput } from "../../src/respond/output.js";

/** The one ending of both phases (src/phase/conclude.ts): a reply or a denial, then exactly one audit line. */
const ok: InterceptorOutput = { interceptorOutputVersion: "1.0" };
const refused: InterceptorOutput = { interceptorOutputVersion: "1.0", mcp: { transformedGatewayResponse: { statusCode: 403, body: {} } } };

function sink() {
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (_message: string, fields: Record<string, unknown>) => void lines.push({ level, fields });
  const logger: AuditSink = { info: at("info"), warn: at("warn"), error: at("error") };
  return { lines, logger };
}
const fresh = (): AuditRecord => ({ decision: "allow", reason: "mode.none", durationMs: 0 });

describe("conclude", () => {
  it("the work's reply, and one INFO audit line as the work left it", async () => {
    const { lines, logger } = sink();
    const seen: Denial[] = [];
    expect(
      await conclude(
        fresh(),
        performance.now(),
        logger,
        undefined,
        async () => ok,
        (d) => (seen.push(d), refused),
      ),
    ).toBe(ok);
    expect(seen).toEqual([]);
    expect(lines).toEqual([{ level: "info", fields: expect.objectContaining({ decision: "allow", reason: "mode.none" }) }]);
  });

  it("a Denial: the refusal for it, the reason and the scopes on one WARN line", async () => {
    const { lines, logger } = sink();
    const seen: Denial[] = [];
    const denial = new Denial("scope.insufficient", { scope: ["a", "b"] });
    const out = await conclude(
      fresh(),
      performance.now(),
      logger,
      undefined,
      () => Promise.reject(denial),
      (d) => (seen.push(d), refused),
    );
    expect(out).toBe(refused);
    expect(seen).toEqual([denial]);
    expect(lines).toEqual([
      { level: "warn", fields: expect.objectContaining({ decision: "deny", reason: "scope.insufficient", scopesRequired: ["a", "b"] }) },
    ]);
  });

  it("anything else: internal.error with the error's class, never its message, on one ERROR line", async () => {
    const { lines, logger } = sink();
    const seen: string[] = [];
    await conclude(
      fresh(),
      performance.now(),
      logger,
      undefined,
      () => Promise.reject(new TypeError("secret-ish detail")),
      (d) => (seen.push(d.reason), refused),
    );
    expect(seen).toEqual(["internal.error"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toMatchObject({ decision: "deny", reason: "internal.error", errorClass: "TypeError" });
    expect(JSON.stringify(lines)).not.toContain("secret-ish");
  });

  it("a log sink that throws does not turn the decision into a thrown invocation", async () => {
    const boom = () => {
      throw new Error("sink down");
    };
    expect(
      await conclude(
        fresh(),
        performance.now(),
        { info: boom, warn: boom, error: boom },
        undefined,
        async () => ok,
        () => refused,
      ),
    ).toBe(ok);
  });
});
