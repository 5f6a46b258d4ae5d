import { describe, expect, it } from "vitest";
import { bearerToken } from "../../src/auth/bearer.js";
import { HeaderBag } from "../../src/event/headers.js";
import { StrictJsonError } from "../../src/errors.js";
import { parseStrictJson } from "../../src/event/strict-json.js";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { tokenCacheKey } from "../../src/auth/verify.js";
import { envelopeKindOf, isPlainMcpRequest, parseEnvelope } from "../../src/event/envelope.js";
import { McpEnvelope } from "../../src/event/envelope-schema.js";
import { Denial } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { logMark, logRecordsSince } from "../support/log-capture.js";

/**
 * The hot path was rewritten for speed: index scans instead of regular expressions over
 * the whole token, own-property checks instead of a Set per JSON object. Each rewrite must decide
 * exactly as the code it replaced; these tests run both on many generated inputs.
 */

/** A seeded generator, so a failure names an input that can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The `Authorization` parse as it was before the rewrite (regular expressions), for comparison. */
function referenceBearer(value: string | undefined, path: string | undefined, maxBytes: number): string {
  const deny = (reason: string): never => {
    throw new Error(reason);
  };
  if (value === undefined) return deny("auth.missing");
  if (value.length > maxBytes || Buffer.byteLength(value, "utf8") > maxBytes) deny("token.too_large");
  const field = value.replace(/^[ \t]+|[ \t]+$/g, "");
  const scheme = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(field)?.[0];
  if (scheme === undefined) return deny("auth.malformed");
  if (scheme.toLowerCase() !== "bearer") deny("auth.unsupported_scheme");
  const rest = field.slice(scheme.length);
  if (!rest.startsWith(" ")) deny("auth.malformed");
  const token = rest.replace(/^ +/, "");
  if (token === "") deny("auth.malformed");
  if (token.includes(",")) deny("auth.multiple_credentials");
  if (token.includes(" ")) deny("auth.malformed");
  const q = path?.indexOf("?") ?? -1;
  if (path !== undefined && q >= 0 && new URLSearchParams(path.slice(q + 1)).has("access_token")) deny("auth.multiple_credentials");
  return token;
}

const outcome = (f: () => string): string => {
  try {
    return `token:${f()}`;
  } catch (err) {
    if (err instanceof Denial) return `deny:${err.reason}`;
    if (err instanceof Error) return `deny:${err.message}`;
    throw err;
  }
};

describe("Authorization parse: the index scan decides as the regular expressions did", () => {
  const pieces = [
    " ",
    "  ",
    "\t",
    "\u00a0",
    "\u3000",
    "Bearer",
    "bearer",
    "BEARER",
    "Basic",
    "Bear",
    "er",
    "eyJhbGciOi",
    "abc.def.ghi",
    ",",
    ".",
    "=",
    "é",
    "😀",
    "\r",
    "\n",
    "",
  ];
  const random = rng(15);
  const cases: string[] = [
    "",
    "Bearer",
    "Bearer ",
    " Bearer x ",
    "\tBearer\tx",
    "Bearer  x",
    "Bearer x y",
    "Bearer x,y",
    "x",
    "Bearer\u00a0x",
  ];
  for (let i = 0; i < 4_000; i++) {
    const n = 1 + Math.floor(random() * 6);
    cases.push(Array.from({ length: n }, () => pieces[Math.floor(random() * pieces.length)]!).join(""));
  }

  it.each([8, 16, 64, 8_192])("same outcome on %i-byte cap for 4 000 generated values", (maxBytes) => {
    for (const value of cases) {
      const headers = new HeaderBag({ authorization: value });
      expect(
        outcome(() => bearerToken(headers, "/mcp", maxBytes)),
        JSON.stringify(value),
      ).toBe(outcome(() => referenceBearer(value, "/mcp", maxBytes)));
    }
  });

  it("a multi-byte value is measured in UTF-8 bytes when its length alone is under the cap", () => {
    const value = `Bearer ${"é".repeat(10)}`; // 17 characters, 27 bytes
    expect(outcome(() => bearerToken(new HeaderBag({ authorization: value }), undefined, 20))).toBe("deny:token.too_large");
    expect(outcome(() => bearerToken(new HeaderBag({ authorization: value }), undefined, 27))).toBe(`token:${"é".repeat(10)}`);
  });
});

/** The duplicate-member check as it was (a Set of the names seen), on top of JSON.parse for the values. */
function referenceHasDuplicate(text: string): boolean {
  let duplicate = false;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(walk);
  };
  // Re-scan member names per object with a Set, using the parser's own tokenisation of names.
  const names: string[][] = [];
  let depth = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") names[++depth] = [];
    else if (c === "}") depth--;
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const raw = text.slice(i, j + 1);
      let k = j + 1;
      while (text[k] === " ") k++;
      if (text[k] === ":" && depth >= 0) {
        const name = JSON.parse(raw) as string;
        if (new Set(names[depth]).has(name)) duplicate = true;
        names[depth]!.push(name);
      }
      i = j;
    }
  }
  walk(JSON.parse(text));
  return duplicate;
}

describe("strict JSON: own-property duplicate detection", () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"\\u0061":2}', true],
    ['{"__proto__":1,"__proto__":2}', true],
    ['{"constructor":1,"toString":2,"hasOwnProperty":3}', false],
    ['{"__proto__":{"x":1},"x":2}', false],
    ['{"a":{"b":1},"b":{"a":1}}', false],
    ['{"a":{"b":1,"b":2}}', true],
    ['[{"a":1},{"a":1}]', false],
    ['{"valueOf":1,"valueOf":1}', true],
  ])("%s → duplicate %s", (text, duplicate) => {
    expect(referenceHasDuplicate(text)).toBe(duplicate);
    let kind: string | undefined;
    try {
      parseStrictJson(text, 32);
    } catch (err) {
      kind = err instanceof StrictJsonError ? err.kind : "other";
    }
    expect(kind).toBe(duplicate ? "duplicate" : undefined);
  });

  it("inherited names are not duplicates, and `__proto__` stays an own data property", () => {
    const parsed = parseStrictJson('{"__proto__":{"polluted":true},"constructor":"c"}', 32) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parsed.constructor).toBe("c");
  });
});

describe("audit line timestamp: TZ read once, Powertools' rule kept", () => {
  const line = (tz: string | undefined) => {
    const saved = process.env.TZ;
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
    try {
      const mark = logMark();
      createLogger().info("audit", { decision: "allow", reason: "mode.none" });
      return String(logRecordsSince(mark)[0]?.timestamp);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  };

  it.each([undefined, "", "UTC", ":UTC"])("TZ %j → an ISO timestamp in UTC (Z)", (tz) => {
    expect(line(tz)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("a non-UTC TZ → the local time with its offset, as Powertools writes it", () => {
    expect(line("Asia/Tokyo")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+09:00$/);
  });
});

describe("event validation: the hand-written check accepts only what zod accepts, with an equal value", () => {
  const base = () => ({
    interceptorInputVersion: "1.0",
    mcp: {
      rawGatewayRequest: { body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' },
      gatewayRequest: {
        path: "/mcp",
        httpMethod: "POST",
        headers: { authorization: "Bearer x", "Mcp-Session-Id": "s" },
        body: { jsonrpc: "2.0", id: 1, method: "tools/list" },
        context: null,
      },
      gatewayResponse: null,
    },
  });
  const protoMember = () => JSON.parse('{"__proto__":{"a":"b"},"x":"y"}') as unknown;
  const withSymbol = () => ({ a: "b", [Symbol("s")]: "c" });
  const pool: Array<() => unknown> = [
    () => undefined,
    () => null,
    () => "x",
    () => "1.0",
    () => "",
    () => 1,
    () => 0,
    () => true,
    () => [],
    () => ["a"],
    () => ["a", 1],
    () => Object.assign(new Array<unknown>(2), { 1: "a" }),
    () => ({}),
    () => ({ a: "b" }),
    () => ({ a: ["b", "c"] }),
    () => ({ a: 1 }),
    () => ({ a: null }),
    () => ({ a: ["b", null] }),
    protoMember,
    withSymbol,
    () => Object.create(null) as unknown,
    () => new Date(0),
    () => Object.assign(Object.create({ inherited: 1 }) as object, { a: "b" }),
    () => ({ authorization: "Bearer x", __proto__: null }),
    () => new Map(),
  ];
  const paths = [
    [],
    ["interceptorInputVersion"],
    ["mcp"],
    ["mcp", "gatewayRequest"],
    ["mcp", "rawGatewayRequest"],
    ["mcp", "rawGatewayRequest", "body"],
    ["mcp", "gatewayResponse"],
    ["mcp", "gatewayRequest", "path"],
    ["mcp", "gatewayRequest", "httpMethod"],
    ["mcp", "gatewayRequest", "headers"],
    ["mcp", "gatewayRequest", "headers", "authorization"],
    ["mcp", "gatewayRequest", "headers", "x-extra"],
    ["mcp", "gatewayRequest", "body"],
    ["mcp", "gatewayRequest", "context"],
    ["mcp", "extra"],
    ["http"],
    ["extra"],
  ];
  const set = (root: Record<string, unknown>, path: string[], value: unknown, remove: boolean): unknown => {
    if (path.length === 0) return value;
    let at: Record<string, unknown> = root;
    for (const p of path.slice(0, -1)) {
      const next = at[p];
      if (typeof next !== "object" || next === null) return root;
      at = next as Record<string, unknown>;
    }
    if (remove) delete at[path[path.length - 1]!];
    else at[path[path.length - 1]!] = value;
    return root;
  };
  const random = rng(1515);
  const events: unknown[] = [base()];
  for (const path of paths) for (const make of pool) events.push(set(base(), path, make(), false), set(base(), path, undefined, true));
  for (let i = 0; i < 3_000; i++) {
    let e: unknown = base();
    for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
      const path = paths[Math.floor(random() * paths.length)]!;
      if (typeof e === "object" && e !== null)
        e = set(e as Record<string, unknown>, path, pool[Math.floor(random() * pool.length)]!(), random() < 0.15);
    }
    events.push(e);
  }

  it(`${events.length} generated events: the fast path never accepts what zod refuses, and zod's copy equals the event`, async () => {
    let fast = 0;
    for (const e of events) {
      const zod = McpEnvelope.safeParse(e);
      if (isPlainMcpRequest(e)) {
        fast++;
        expect(zod.success).toBe(true);
        expect(zod.data).toStrictEqual(e);
      }
      // What the handler sees is the same either way.
      const parsed = await parseEnvelope(e);
      if (envelopeKindOf(e) === "mcp")
        expect(parsed === undefined ? undefined : parsed.event).toStrictEqual(zod.success ? zod.data : undefined);
    }
    expect(fast).toBeGreaterThan(500); // the common shapes do take the fast path
  });

  it("every recorded gateway event decides the same way on both paths", () => {
    const dir = new URL("../../events/", import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json") && !f.startsWith("_"));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const e = JSON.parse(readFileSync(new URL(f, dir), "utf8").replace(/\{\{token:[^}]+\}\}/g, "x")) as unknown;
      const zod = McpEnvelope.safeParse(e);
      if (isPlainMcpRequest(e)) expect(zod.success, f).toBe(true);
      if (isPlainMcpRequest(e)) expect(zod.data, f).toStrictEqual(e);
    }
  });
});

describe("verified-token cache key: one-shot SHA-256", () => {
  it.each(["", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln", "é😀\u0000", "x".repeat(10_000)])(
    "tokenCacheKey(%#) equals the Hash object's base64url digest of the UTF-8 bytes",
    (token) => {
      expect(tokenCacheKey(token)).toBe(createHash("sha256").update(Buffer.from(token, "utf8")).digest("base64url"));
    },
  );
});
