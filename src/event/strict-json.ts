/**
 * A strict JSON parser (RFC 8259) that refuses duplicate object member names (compared after
 * unescaping, so `"s\u0075b"` equals `"sub"`) and nesting deeper than a limit.
 *
 * `JSON.parse` silently keeps the last duplicate, which lets a signed token or a request body say two
 * things at once (docs/security.md TS-11..13, RPC-05). Members named `__proto__` become own data
 * properties, exactly as `JSON.parse` makes them, so parsing never touches a prototype.
 */
import { StrictJsonError, type StrictJsonFailure } from "../errors.js";

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseStrictJson(text: string, maxDepth: number): unknown {
  let i = 0;

  const fail = (kind: StrictJsonFailure = "syntax"): never => {
    throw new StrictJsonError(kind);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const string = (): string => {
    const start = ++i; // past the opening quote
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) fail();
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      i++;
    }
    const raw = text.slice(start, i);
    i++;
    if (!escaped) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return fail();
    }
  };
  const value = (depth: number): unknown => {
    ws();
    const c = text[i];
    if (c === "{") {
      if (depth >= maxDepth) fail("depth");
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = string();
        // Every member read so far is an own property (`__proto__` too, defined below): no Set needed.
        if (Object.hasOwn(obj, key)) fail("duplicate");
        ws();
        if (text[i] !== ":") fail();
        i++;
        const v = value(depth + 1);
        if (key === "__proto__") {
          Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        } else {
          obj[key] = v;
        }
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return obj;
        }
        fail();
      }
    }
    if (c === "[") {
      if (depth >= maxDepth) fail("depth");
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return arr;
        }
        fail();
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return fail();
    i += m[0].length;
    return Number(m[0]);
  };

  const result = value(0);
  ws();
  if (i !== text.length) fail();
  return result;
}
