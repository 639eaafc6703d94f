/**
 * A strict JSON reader for untrusted signature data: UTF-8 only, no duplicate keys at any level, no trailing
 * bytes; errors name the JSON path. Also RFC 8785 (JCS) canonical serialisation, which the Rekor SET signs.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/** The input is not acceptable JSON; `path` is where (`$`, `$.critical.type`, `$.layers[0]`). */
export class StrictJsonError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
    this.name = 'StrictJsonError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const maxDepth = 64;
const numberGrammar = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    const value = this.value('$', 0);
    this.skipSpace();
    if (this.pos !== this.text.length) throw new StrictJsonError('$', `unexpected data after the JSON value at offset ${this.pos}`);
    return value;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  private value(path: string, depth: number): JsonValue {
    if (depth > maxDepth) throw new StrictJsonError(path, `nested deeper than ${maxDepth} levels`);
    this.skipSpace();
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object(path, depth);
      case '[':
        return this.array(path, depth);
      case '"':
        return this.string(path);
      case 't':
        return this.literal(path, 'true', true);
      case 'f':
        return this.literal(path, 'false', false);
      case 'n':
        return this.literal(path, 'null', null);
      default:
        return this.number(path);
    }
  }

  private literal<T extends JsonValue>(path: string, word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw new StrictJsonError(path, `invalid JSON at offset ${this.pos}`);
    this.pos += word.length;
    return value;
  }

  private number(path: string): number {
    numberGrammar.lastIndex = this.pos;
    const m = numberGrammar.exec(this.text);
    if (m === null || m[0] === '' || m[0] === '-') {
      if (this.pos >= this.text.length) throw new StrictJsonError(path, 'unexpected end of JSON input');
      throw new StrictJsonError(path, `invalid JSON at offset ${this.pos}`);
    }
    this.pos += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) throw new StrictJsonError(path, `number ${m[0]} is out of range`);
    return n;
  }

  private string(path: string): string {
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) throw new StrictJsonError(path, `unterminated string starting at offset ${start}`);
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return out;
      }
      if (c < 0x20) throw new StrictJsonError(path, `control character in string at offset ${this.pos}`);
      if (c !== 0x5c) {
        out += this.text[this.pos];
        this.pos++;
        continue;
      }
      const e = this.text[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = this.text.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new StrictJsonError(path, `invalid \\u escape at offset ${this.pos - 2}`);
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          throw new StrictJsonError(path, `invalid escape at offset ${this.pos - 2}`);
      }
    }
  }

  private array(path: string, depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(`${path}[${out.length}]`, depth + 1));
      this.skipSpace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') throw new StrictJsonError(path, `expected "," or "]" at offset ${this.pos - 1}`);
    }
  }

  private object(path: string, depth: number): JsonObject {
    this.pos++;
    const out = Object.create(null) as JsonObject;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') throw new StrictJsonError(path, `expected a member name at offset ${this.pos}`);
      const key = this.string(path);
      const memberPath = childPath(path, key);
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new StrictJsonError(memberPath, 'duplicate key');
      this.skipSpace();
      if (this.text[this.pos] !== ':') throw new StrictJsonError(memberPath, `expected ":" at offset ${this.pos}`);
      this.pos++;
      out[key] = this.value(memberPath, depth + 1);
      this.skipSpace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return out;
      if (c !== ',') throw new StrictJsonError(path, `expected "," or "}" at offset ${this.pos - 1}`);
    }
  }
}

/** Parse JSON text or UTF-8 bytes strictly; throws `StrictJsonError`. Objects have no prototype. */
export function parseStrictJson(input: Uint8Array | string): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      throw new StrictJsonError('$', 'not valid UTF-8');
    }
  }
  return new Reader(text).parseDocument();
}

/** The members of an object with exactly `keys` (no more, no fewer); throws `StrictJsonError` naming the path. */
export function exactFields<K extends string>(value: JsonValue, keys: readonly K[], path: string): Record<K, JsonValue> {
  if (!isJsonObject(value)) throw new StrictJsonError(path, `expected an object, got ${jsonTypeName(value)}`);
  for (const k of Object.keys(value)) {
    if (!(keys as readonly string[]).includes(k)) throw new StrictJsonError(childPath(path, k), 'unknown field');
  }
  for (const k of keys) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) throw new StrictJsonError(childPath(path, k), 'missing field');
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

export function childJsonPath(path: string, key: string): string {
  return childPath(path, key);
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
