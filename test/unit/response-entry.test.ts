import { describe, expect, it, vi } from "vitest";
import { systemClock } from "../../src/clock.js";
import { Deadline } from "../../src/deadline.js";
import { createLogger } from "../../src/log.js";
import { DEFAULT_METRICS, Metrics } from "../../src/metrics.js";
import { auditLinesSince, logMark } from "../support/log-capture.js";

/** The RESPONSE phase is a lazy chunk; if it cannot load, the reply is refused, never passed on unfiltered. */
describe("RESPONSE-phase entry", () => {
  it("tells the phases apart by a present, non-null gatewayResponse", async () => {
    const { isResponsePhase } = await import("../../src/phase/response-entry.js");
    expect(isResponsePhase({ mcp: { gatewayResponse: { body: null } } })).toBe(true);
    expect(isResponsePhase({ http: { gatewayResponse: { statusCode: 200 } } })).toBe(true);
    expect(isResponsePhase({ mcp: { gatewayResponse: null } })).toBe(false);
    expect(isResponsePhase({ mcp: {} })).toBe(false);
    expect(isResponsePhase({ mcp: Object.create({ gatewayResponse: {} }) })).toBe(false); // own fields only
    expect(isResponsePhase(null)).toBe(false);
  });

  it("a chunk that fails to load: 500 internal.error, one audit line, and a retry on the next event", async () => {
    vi.resetModules();
    let fail = true;
    vi.doMock("../../src/phase/response.js", async (original) => {
      if (fail) throw new Error("chunk missing");
      return original();
    });
    const { answerResponse } = await import("../../src/phase/response-entry.js");
    const deps = {
      runtime: undefined,
      logger: createLogger(),
      metrics: new Metrics(DEFAULT_METRICS, new Set()),
      deadline: Deadline.after(systemClock, 1000),
      requestId: "r-1",
      started: performance.now(),
    };
    const event = {
      interceptorInputVersion: "1.0",
      mcp: {
        gatewayRequest: { body: { jsonrpc: "2.0", id: 1, method: "ping" } },
        gatewayResponse: { statusCode: 200, body: { jsonrpc: "2.0", id: 1, result: {} } },
      },
    };
    const mark = logMark();
    const out = await answerResponse(event, deps);
    expect(out).toMatchObject({
      mcp: { transformedGatewayResponse: { statusCode: 500, body: { error: { data: { reason: "internal.error" } } } } },
    });
    expect(auditLinesSince(mark)).toEqual([expect.objectContaining({ decision: "deny", reason: "internal.error", errorClass: "Error" })]);
    fail = false;
    expect(await answerResponse(event, deps)).toEqual({
      interceptorOutputVersion: "1.0",
      mcp: { transformedGatewayResponse: { statusCode: 200, body: { jsonrpc: "2.0", id: 1, result: {} } } },
    });
    vi.doUnmock("../../src/phase/response.js");
  });
});
