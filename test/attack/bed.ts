import type { Logger } from "@aws-lambda-powertools/logger";
import { parseConfig } from "../../src/config/load.js";
import type { HandlerOptions, InterceptorHandler } from "../../src/handler.js";
import { loadBundle, type Bundle } from "../support/dist.js";
import { GATEWAY_AUD, Harness, ISSUER_A, ISSUER_B, type Json, keyA, keyB, lambdaContext } from "../support/harness.js";
import type { TestKey } from "../support/keys.js";
import { b64url, signWith } from "../support/tokens.js";
import { HeldClock } from "../support/clock.js";
import { testCa } from "../support/tls.js";

/**
 * The test bed shared by the attack suites: the BUILT bundle's `createHandler`, the
 * harness's loopback JWKS server for issuers A and B, and an in-memory logger. The suites make tens of
 * thousands of requests: their audit records are kept as objects and searched by the suite itself
 * (the suite-wide stdout capture, which joins everything it saw, is meant for hundreds of lines).
 */
export interface LogRecord {
  level: "info" | "warn" | "error";
  message: string;
  fields: Json;
}

export class RecordingLogger {
  records: LogRecord[] = [];
  info(message: string, fields: Json = {}): void {
    this.records.push({ level: "info", message, fields });
  }
  warn(message: string, fields: Json = {}): void {
    this.records.push({ level: "warn", message, fields });
  }
  error(message: string, fields: Json = {}): void {
    this.records.push({ level: "error", message, fields });
  }
  /** The handler calls only info, warn and error: this is all of the Logger it needs. */
  asLogger(): Logger {
    return this as unknown as Logger;
  }
  audits(): Json[] {
    return this.records.filter((r) => r.message === "audit").map((r) => r.fields);
  }
  clear(): void {
    this.records = [];
  }
}

/** A signed token that is NOT registered with the suite-wide log check (the suites check their own). */
export function mint(payload: Json, header: Json = {}, key: TestKey = keyA): string {
  const h = { alg: "RS256", typ: "at+jwt", kid: key.kid, ...header };
  const input = `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(signWith(String(h.alg), key.privateKey, input))}`;
}

const now = () => Math.floor(Date.now() / 1000);

/** Claims of a valid token of issuer A or B, with `extra` on top. */
export function claimsFor(issuer: "A" | "B", extra: Json = {}): Json {
  const base: Json =
    issuer === "A"
      ? { iss: ISSUER_A, aud: GATEWAY_AUD, client_id: "app-a", scope: "mcp:invoke" }
      : { iss: ISSUER_B, aud: "gateway-b", client_id: "app-b" };
  return { ...base, sub: "u-1", iat: now() - 10, exp: now() + 3_600, ...extra };
}

export const keyOf = (issuer: "A" | "B") => (issuer === "A" ? keyA : keyB);

export class Bed {
  readonly h = new Harness();
  readonly log = new RecordingLogger();
  /**
   * Every handler's clock: time follows `Date`, budgets and deadlines run out only when a test expires
   * them, so no outcome depends on how fast a loaded machine answers on loopback.
   */
  readonly clock = new HeldClock();
  bundle!: Bundle;

  async start(): Promise<this> {
    this.bundle = await loadBundle();
    await this.h.start();
    return this;
  }

  stop(): Promise<void> {
    return this.h.stop();
  }

  handler(patch?: (c: Json) => void, extra: Omit<HandlerOptions, "config"> = {}): InterceptorHandler {
    const loaded = parseConfig(this.h.config(patch));
    if (!loaded.ok) throw new Error(`test config invalid: ${loaded.problems.join("; ")}`);
    return this.bundle.createHandler({ config: loaded, ca: testCa, logger: this.log.asLogger(), clock: this.clock, ...extra });
  }

  /** One call: the output and its one audit record. */
  async call(
    handler: InterceptorHandler,
    event: unknown,
    requestId = "req-1",
  ): Promise<{ output: Json; audit: Json; records: LogRecord[] }> {
    this.log.clear();
    const output = (await handler(event, lambdaContext(requestId))) as Json;
    const records = this.log.records;
    const audits = records.filter((r) => r.message === "audit");
    if (audits.length !== 1) throw new Error(`expected one audit record, got ${audits.length}`);
    return { output, audit: audits[0]!.fields, records };
  }
}

/** An `mcp` envelope for a JSON-RPC body, with the raw body as the gateway sends it. */
export function mcpEnvelope(headers: Json | null | undefined, body: unknown, path: string | null = "/mcp"): Json {
  return {
    interceptorInputVersion: "1.0",
    mcp: {
      rawGatewayRequest: { body: JSON.stringify(body) },
      gatewayRequest: { path, httpMethod: "POST", headers, body },
    },
  };
}

export const toolCall = (name: string, id: number | string = 1) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: { q: "x" } },
});

/** The decision in an output, read without trusting its shape. */
export function decisionOf(output: Json): {
  allow: boolean;
  headers: Record<string, string>;
  status: number | undefined;
  reason: string | undefined;
} {
  const inner = (output.mcp ?? output.http) as Json | undefined;
  const req = inner?.transformedGatewayRequest as { headers?: Record<string, string> } | undefined;
  const res = inner?.transformedGatewayResponse as { statusCode?: number; body?: unknown } | undefined;
  let reason: string | undefined;
  if (res !== undefined) {
    const body = typeof res.body === "string" ? (JSON.parse(Buffer.from(res.body, "base64").toString("utf8")) as Json) : (res.body as Json);
    reason = ((body.error as Json).data as Json).reason as string;
  }
  return { allow: req !== undefined, headers: req?.headers ?? {}, status: res?.statusCode, reason };
}

/** Median of a list of numbers. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
