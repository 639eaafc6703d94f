/**
 * A small JSON scanner that keeps what `JSON.parse` throws away: duplicate keys, key order and the exact
 * type of every value. Signature payloads are parsed the paranoid way containers/image does it
 * (signature/internal/json.go): every object level is checked for duplicate and unknown keys, so the scanner
 * returns a tree of nodes instead of plain values.
 *
 * Accepted text follows RFC 8259 as Go's encoding/json reads it: only space, tab, CR and LF as whitespace,
 * no trailing commas or comments, control characters inside strings rejected, and a lone UTF-16 surrogate in a
 * `\u` escape decoded as U+FFFD. Numbers beyond float64 and nesting deeper than Go's limit are rejected.
 */

export type JsonNode =
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<readonly [string, JsonNode]> }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

/** A syntax error at `offset` (in UTF-16 code units of the decoded text). */
export class JsonSyntaxError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.offset = offset;
    this.name = 'JsonSyntaxError';
  }
}

/**
 * Go's encoding/json maximum nesting depth applies to each value it decodes; containers/image decodes the members
 * of `optional` one at a time, two levels down, so those may nest 10000 deep below that.
 */
const maxDepth = 10000 + 2;

type Frame =
  | { readonly kind: 'object'; readonly entries: Array<readonly [string, JsonNode]>; key: string }
  | { readonly kind: 'array'; readonly items: JsonNode[] };

const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parse one JSON value that must span the whole text (whitespace around it is allowed). */
export function scanJson(text: string): JsonNode {
  const scanner = new Scanner(text);
  scanner.skipWhitespace();
  const node = scanner.value();
  scanner.skipWhitespace();
  if (scanner.pos !== text.length) {
    throw new JsonSyntaxError('unexpected data after the JSON value', scanner.pos);
  }
  return node;
}

/** Decode UTF-8 bytes the way Go does for JSON input: invalid sequences become U+FFFD. */
export function decodeJsonBytes(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
}

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'end of input';
    return `character ${JSON.stringify(this.text[this.pos])}`;
  }

  /** One value, iteratively (an explicit stack, so deep nesting cannot overflow the call stack). */
  value(): JsonNode {
    const t = this.text;
    const stack: Frame[] = [];
    for (;;) {
      let node: JsonNode;
      const c = t[this.pos];
      if (c === '{' || c === '[') {
        if (stack.length >= maxDepth) this.fail('JSON nested too deeply');
        this.pos++;
        this.skipWhitespace();
        const close = c === '{' ? '}' : ']';
        if (t[this.pos] === close) {
          this.pos++;
          node = c === '{' ? { kind: 'object', entries: [] } : { kind: 'array', items: [] };
        } else {
          stack.push(c === '{' ? { kind: 'object', entries: [], key: this.memberKey() } : { kind: 'array', items: [] });
          continue;
        }
      } else {
        node = this.scalar();
      }
      // Attach the finished value to its parents, closing as many as end here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return node;
        if (top.kind === 'object') top.entries.push([top.key, node]);
        else top.items.push(node);
        this.skipWhitespace();
        const d = t[this.pos];
        if (d === ',') {
          this.pos++;
          this.skipWhitespace();
          if (top.kind === 'object') top.key = this.memberKey();
          break;
        }
        if ((top.kind === 'object' && d === '}') || (top.kind === 'array' && d === ']')) {
          this.pos++;
          stack.pop();
          node = top.kind === 'object' ? { kind: 'object', entries: top.entries } : { kind: 'array', items: top.items };
          continue;
        }
        this.fail(`unexpected ${this.describeHere()} after ${top.kind === 'object' ? 'an object value' : 'an array element'}`);
      }
    }
  }

  /** `"key"` `:` and the whitespace after it. */
  private memberKey(): string {
    if (this.text[this.pos] !== '"') this.fail(`unexpected ${this.describeHere()} looking for the beginning of an object key`);
    const key = this.string();
    this.skipWhitespace();
    if (this.text[this.pos] !== ':') this.fail(`unexpected ${this.describeHere()} after an object key`);
    this.pos++;
    this.skipWhitespace();
    return key;
  }

  private scalar(): JsonNode {
    const c = this.text[this.pos];
    switch (c) {
      case '"':
        return { kind: 'string', value: this.string() };
      case 't':
        return this.literal('true', { kind: 'boolean', value: true });
      case 'f':
        return this.literal('false', { kind: 'boolean', value: false });
      case 'n':
        return this.literal('null', { kind: 'null' });
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(`unexpected ${this.describeHere()} looking for the beginning of a value`);
    }
  }

  private literal(word: string, node: JsonNode): JsonNode {
    if (!this.text.startsWith(word, this.pos)) this.fail(`invalid literal, expected ${word}`);
    this.pos += word.length;
    return node;
  }

  private number(): JsonNode {
    numberPattern.lastIndex = this.pos;
    const m = numberPattern.exec(this.text);
    if (m === null) return this.fail('invalid number');
    const text = m[0];
    const value = Number(text);
    // Every number of a payload ends up in a Go float64, which cannot hold this one.
    if (!Number.isFinite(value)) this.fail(`number ${text} is out of range`);
    this.pos += text.length;
    return { kind: 'number', value, text };
  }

  private string(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(start, this.pos);
      const e = t[this.pos + 1];
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
        case 'u':
          out += this.unicodeEscape();
          break;
        default:
          this.pos -= 2;
          this.fail('invalid escape in string');
      }
      start = this.pos;
    }
  }

  private hex4(at: number): number | undefined {
    const h = this.text.slice(at, at + 4);
    return /^[0-9a-fA-F]{4}$/.test(h) ? parseInt(h, 16) : undefined;
  }

  /** After `\u`: one code point; surrogate pairs combine, lone surrogates become U+FFFD as in Go. */
  private unicodeEscape(): string {
    const first = this.hex4(this.pos);
    if (first === undefined) this.fail('invalid \\u escape in string');
    this.pos += 4;
    if (first >= 0xd800 && first < 0xdc00) {
      if (this.text.startsWith('\\u', this.pos)) {
        const second = this.hex4(this.pos + 2);
        if (second !== undefined && second >= 0xdc00 && second < 0xe000) {
          this.pos += 6;
          return String.fromCharCode(first, second);
        }
      }
      return '\ufffd';
    }
    if (first >= 0xdc00 && first < 0xe000) return '\ufffd';
    return String.fromCharCode(first);
  }
}

/**
 * A node as Go's `json.Unmarshal` into `any` produces it: objects become plain objects (a later duplicate key
 * wins, as in Go; `__proto__` is an ordinary key), numbers are float64. Iterative, like the scanner.
 */
export function toPlainValue(root: JsonNode): unknown {
  const make = (node: JsonNode): unknown => {
    switch (node.kind) {
      case 'object':
        return {};
      case 'array':
        return [];
      case 'null':
        return null;
      default:
        return node.value;
    }
  };
  const result = make(root);
  const work: Array<readonly [JsonNode, unknown]> = [[root, result]];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const [node, target] = item;
    if (node.kind === 'object') {
      for (const [key, child] of node.entries) {
        const value = make(child);
        Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
        work.push([child, value]);
      }
    } else if (node.kind === 'array') {
      for (const child of node.items) {
        const value = make(child);
        (target as unknown[]).push(value);
        work.push([child, value]);
      }
    }
  }
  return result;
}
