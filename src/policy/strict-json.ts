/**
 * A strict JSON reader (RFC 8259, as Go's encoding/json accepts it) that keeps objects as ordered key lists
 * and reports duplicate keys with their JSON path. `JSON.parse` silently keeps the last of duplicated keys,
 * which a security policy must not do.
 */
import { formatPath, type JsonPath } from './json-path.js';

export type JsonNode =
  | { readonly kind: 'object'; readonly members: ReadonlyMap<string, JsonNode> }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

/** Malformed JSON: `path` is where the problem is, `message` what it is. */
export class JsonReadError extends Error {
  readonly path: JsonPath;
  readonly problem: string;

  constructor(path: JsonPath, problem: string) {
    super(`${formatPath(path)}: ${problem}`);
    this.path = path;
    this.problem = problem;
  }
}

const maxDepth = 1000;
const numberGrammar = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  private where(): string {
    let line = 1;
    let col = 1;
    for (let i = 0; i < this.pos && i < this.text.length; i++) {
      if (this.text[i] === '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return `line ${line} column ${col}`;
  }

  private fail(path: JsonPath, what: string): never {
    throw new JsonReadError(path, `${what} at ${this.where()}`);
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else return;
    }
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'unexpected end of input';
    return `unexpected character ${JSON.stringify(this.text[this.pos])}`;
  }

  readDocument(): JsonNode {
    this.skipSpace();
    const value = this.readValue([], 0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail([], `unexpected data after the JSON value (${this.describeHere()})`);
    return value;
  }

  private readValue(path: JsonPath, depth: number): JsonNode {
    if (depth > maxDepth) this.fail(path, `nesting deeper than ${maxDepth} levels`);
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.readObject(path, depth);
      case '[':
        return this.readArray(path, depth);
      case '"':
        return { kind: 'string', value: this.readString(path) };
      case 't':
        return this.readLiteral(path, 'true', { kind: 'boolean', value: true });
      case 'f':
        return this.readLiteral(path, 'false', { kind: 'boolean', value: false });
      case 'n':
        return this.readLiteral(path, 'null', { kind: 'null' });
      default: {
        numberGrammar.lastIndex = this.pos;
        const m = numberGrammar.exec(this.text);
        if (m === null) this.fail(path, `expected a JSON value, ${this.describeHere()}`);
        this.pos += m[0].length;
        return { kind: 'number', value: Number(m[0]), text: m[0] };
      }
    }
  }

  private readLiteral(path: JsonPath, word: string, node: JsonNode): JsonNode {
    if (!this.text.startsWith(word, this.pos)) this.fail(path, `expected a JSON value, ${this.describeHere()}`);
    this.pos += word.length;
    return node;
  }

  private readObject(path: JsonPath, depth: number): JsonNode {
    this.pos++; // '{'
    const members = new Map<string, JsonNode>();
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', members };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail(path, `expected a string key, ${this.describeHere()}`);
      const key = this.readString(path);
      const keyPath = [...path, key];
      if (members.has(key)) this.fail(keyPath, `duplicate key ${JSON.stringify(key)}`);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail(keyPath, `expected ":" after the key, ${this.describeHere()}`);
      this.pos++;
      this.skipSpace();
      members.set(key, this.readValue(keyPath, depth + 1));
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return { kind: 'object', members };
      }
      this.fail(keyPath, `expected "," or "}" after the value, ${this.describeHere()}`);
    }
  }

  private readArray(path: JsonPath, depth: number): JsonNode {
    this.pos++; // '['
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      this.skipSpace();
      items.push(this.readValue([...path, items.length], depth + 1));
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return { kind: 'array', items };
      }
      this.fail([...path, items.length - 1], `expected "," or "]" after the array element, ${this.describeHere()}`);
    }
  }

  private readString(path: JsonPath): string {
    this.pos++; // opening quote
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) this.fail(path, 'unterminated string');
      const code = this.text.charCodeAt(this.pos);
      if (code === 0x22) {
        out += this.text.slice(start, this.pos);
        this.pos++;
        return out;
      }
      if (code < 0x20) this.fail(path, 'control character in a string (it must be escaped)');
      if (code !== 0x5c) {
        this.pos++;
        continue;
      }
      out += this.text.slice(start, this.pos);
      const esc = this.text[this.pos + 1];
      this.pos += 2;
      switch (esc) {
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
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(path, 'invalid \\u escape in a string');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.pos -= 1;
          this.fail(path, `invalid escape ${JSON.stringify(`\\${esc ?? ''}`)} in a string`);
      }
      start = this.pos;
    }
  }
}

/**
 * Reads one JSON document. Bytes are decoded as UTF-8 (invalid sequences become U+FFFD, as Go does); a
 * byte-order mark is not accepted. Throws `JsonReadError`.
 */
export function readStrictJson(input: string | Uint8Array): JsonNode {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(input);
  return new Reader(text).readDocument();
}
