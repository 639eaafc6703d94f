/**
 * JSON for untrusted cosign and Rekor data: the core reader with no duplicate keys at any level, UTF-8 only and at
 * most 64 levels below the top; typed accessors whose errors name the JSON path; and RFC 8785 (JCS) canonical
 * serialisation, which the Rekor SET signs.
 */
import { formatJsonPath, JsonParseError, parseJsonTree, toPlainValue, type JsonObject, type JsonValue } from '../../core/index.js';

export type { JsonObject, JsonValue };

/** The input is not acceptable JSON; `path` is where (`$`, `$.critical.type`, `$.layers[0]`). */
export class StrictJsonError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
    this.name = 'StrictJsonError';
  }
}

/** The top-level value and 64 levels below it. */
const maxDepth = 64 + 1;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse JSON text or UTF-8 bytes strictly; throws `StrictJsonError`. Objects have no prototype. */
export function parseStrictJson(input: Uint8Array | string): JsonValue {
  try {
    return toPlainValue(parseJsonTree(input, { duplicateKeys: 'reject', invalidUtf8: 'reject', maxDepth }), { nullPrototype: true });
  } catch (err: unknown) {
    if (err instanceof JsonParseError) {
      const problem = err.reason === 'syntax' ? `invalid JSON: ${err.problem}` : err.problem;
      throw new StrictJsonError(formatJsonPath(err.path), `${problem} at offset ${err.offset}`);
    }
    throw err;
  }
}

/** The members of an object with exactly `keys` (no more, no fewer); throws `StrictJsonError` naming the path. */
export function exactFields<K extends string>(value: JsonValue, keys: readonly K[], path: string): Record<K, JsonValue> {
  if (!isJsonObject(value)) throw new StrictJsonError(path, `expected an object, got ${jsonTypeName(value)}`);
  for (const k of Object.keys(value)) {
    if (!(keys as readonly string[]).includes(k)) throw new StrictJsonError(childJsonPath(path, k), 'unknown field');
  }
  for (const k of keys) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) throw new StrictJsonError(childJsonPath(path, k), 'missing field');
  }
  return value as Record<K, JsonValue>;
}

export function jsonTypeName(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `value` as a string, or a `StrictJsonError` naming `path`. */
export function stringAt(value: JsonValue | undefined, path: string): string {
  if (typeof value !== 'string') throw new StrictJsonError(path, `expected a string, got ${jsonTypeName(value)}`);
  return value;
}

/** `value` as an integer (a JSON number with no fraction), or a `StrictJsonError` naming `path`. */
export function integerAt(value: JsonValue | undefined, path: string): number {
  if (typeof value !== 'number') throw new StrictJsonError(path, `expected a number, got ${jsonTypeName(value)}`);
  if (!Number.isSafeInteger(value)) throw new StrictJsonError(path, `expected an integer, got ${value}`);
  return value;
}

/** `path` extended by the member `key`: `$.kdf` and `name` give `$.kdf.name`, `$` and `a-b` give `$["a-b"]`. */
export function childJsonPath(path: string, key: string): string {
  return formatJsonPath([key], path);
}

function canonicalString(s: string): string {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    throw new StrictJsonError('$', 'a string holds a lone UTF-16 surrogate, which JCS cannot serialise');
  }
  // JSON.stringify escapes exactly what RFC 8785 §3.2.2.2 requires: '"', '\\' and U+0000–U+001F
  // (with the short forms \b \t \n \f \r and lowercase \u00xx), and nothing else.
  return JSON.stringify(s);
}

/**
 * RFC 8785 JSON Canonicalization Scheme: object members sorted by the UTF-16 code units of their names, no
 * whitespace, strings minimally escaped, numbers in ECMAScript `Number.prototype.toString` form.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new StrictJsonError('$', 'JCS cannot serialise a non-finite number');
    return String(value); // -0 becomes "0", as RFC 8785 requires
  }
  if (typeof value === 'string') return canonicalString(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  // Array.prototype.sort without a comparator orders by UTF-16 code units, which is what JCS specifies.
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${canonicalString(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
}
