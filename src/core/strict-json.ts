/**
 * A strict JSON reader that keeps what `JSON.parse` throws away: duplicate keys, key order, the exact text of
 * numbers and where every value sits. Parsers of untrusted or security-relevant JSON (signature payloads,
 * policy.json, cosign documents) read a tree of nodes with it and apply their own rules: which keys are allowed,
 * whether duplicates are an error, and how errors are worded.
 *
 * Accepted text follows RFC 8259 as Go's encoding/json reads it: only space, tab, CR and LF as whitespace (so no
 * byte-order mark), no trailing commas, comments or trailing data, control characters inside strings rejected, a
 * lone UTF-16 surrogate in a `\u` escape decoded as U+FFFD, invalid UTF-8 decoded as U+FFFD. Numbers beyond
 * float64 are rejected, and so is nesting deeper than Go's limit (10000 unless told otherwise). The scanner is
 * iterative, so deep nesting cannot overflow the call stack.
 */
import { CoreInputError } from './errors.js';

/** Where a value sits: object keys and array indexes from the top-level value down (`[]` is the top level). */
export type JsonPath = readonly (string | number)[];

type JsonNodeData =
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<readonly [string, JsonNode]> }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

/** One JSON value. Objects keep every member in document order, duplicates included. */
export type JsonNode = JsonNodeData & { readonly path: JsonPath };

/** A plain JSON value, as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export interface ParseJsonTreeOptions {
  /** `keep` (the default) keeps every member; `reject` makes a key that repeats in its object an error. */
  readonly duplicateKeys?: 'keep' | 'reject';
  /** The most arrays and objects that may be open at once. Default 10000, Go's limit. */
  readonly maxDepth?: number;
  /** For byte input: `replace` (the default, as Go does) decodes invalid UTF-8 as U+FFFD; `reject` makes it an error. */
  readonly invalidUtf8?: 'replace' | 'reject';
}

/** What kind of problem a `JsonParseError` reports; `syntax` is text that is not JSON at all. */
export type JsonParseReason = 'syntax' | 'duplicate-key' | 'too-deep' | 'out-of-range' | 'invalid-utf8';

/**
 * The text is not acceptable JSON. `reason` says which kind of problem, `problem` what it is in words, `path`
 * which value it is in (for a problem between members, the member before it; for a key that is not a string,
 * the object), `offset` where (in UTF-16 code units of the decoded text), `line` and `column` the same, from 1.
 */
export class JsonParseError extends CoreInputError {
  readonly reason: JsonParseReason;
  readonly problem: string;
  readonly path: JsonPath;
  readonly offset: number;
  readonly line: number;
  readonly column: number;

  constructor(reason: JsonParseReason, problem: string, path: JsonPath, offset: number, line: number, column: number) {
    super('INVALID_JSON', `${formatJsonPath(path)}: ${problem} at offset ${offset}`);
    this.reason = reason;
    this.problem = problem;
    this.path = path;
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A path as text: keys that are identifiers after a dot, other keys quoted in brackets, indexes in brackets,
 * after `root`: `$.transports.docker["example.com"][1]`. With root `''` the first key has no dot.
 */
export function formatJsonPath(path: JsonPath, root = '$'): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (!identifier.test(segment)) out += `[${JSON.stringify(segment)}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** A path kept as links to the parent, so that no node pays for a copy of its path until it is asked for. */
interface PathLink {
  readonly parent: PathLink | undefined;
  readonly segment: string | number;
}

function pathOf(link: PathLink | undefined): JsonPath {
  const out: (string | number)[] = [];
  for (let l = link; l !== undefined; l = l.parent) out.push(l.segment);
  return out.reverse();
}

class Node {
  readonly #link: PathLink | undefined;

  constructor(link: PathLink | undefined, data: JsonNodeData) {
    this.#link = link;
    Object.assign(this, data);
  }

  get path(): JsonPath {
    return pathOf(this.#link);
  }
}

function makeNode(link: PathLink | undefined, data: JsonNodeData): JsonNode {
  return new Node(link, data) as unknown as JsonNode;
}

/**
 * Parse one JSON value that must span the whole input (whitespace around it is allowed). Bytes are decoded as
 * UTF-8. Throws `JsonParseError` (code `INVALID_JSON`).
 */
export function parseJsonTree(input: string | Uint8Array, options: ParseJsonTreeOptions = {}): JsonNode {
  const text = typeof input === 'string' ? input : decodeUtf8(input, options.invalidUtf8 ?? 'replace');
  const scanner = new Scanner(text, options.maxDepth ?? 10000, options.duplicateKeys === 'reject');
  scanner.skipWhitespace();
  const node = scanner.value();
  scanner.skipWhitespace();
  if (scanner.pos !== text.length) scanner.fail(undefined, 'unexpected data after the JSON value');
  return node;
}

const lossyUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array, invalid: 'replace' | 'reject'): string {
  if (invalid === 'replace') return lossyUtf8.decode(bytes);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = lossyUtf8.decode(bytes.subarray(0, bad));
    throw parseError(before, 'invalid-utf8', undefined, 'not valid UTF-8', before.length);
  }
}

/** The index of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return i;
}

function parseError(text: string, reason: JsonParseReason, link: PathLink | undefined, problem: string, offset: number): JsonParseError {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return new JsonParseError(reason, problem, pathOf(link), offset, line, offset - lineStart + 1);
}

type Frame =
  | {
      readonly kind: 'object';
      readonly link: PathLink | undefined;
      readonly entries: Array<readonly [string, JsonNode]>;
      readonly seen: Set<string> | undefined;
      key: string;
    }
  | { readonly kind: 'array'; readonly link: PathLink | undefined; readonly items: JsonNode[] };

/** The link of the value that comes next inside `frame` (or of the top-level value). */
function nextLink(frame: Frame | undefined): PathLink | undefined {
  if (frame === undefined) return undefined;
  return { parent: frame.link, segment: frame.kind === 'object' ? frame.key : frame.items.length };
}

const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Scanner {
  pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    private readonly rejectDuplicates: boolean,
  ) {}

  skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  fail(link: PathLink | undefined, problem: string, reason: JsonParseReason = 'syntax', offset = this.pos): never {
    throw parseError(this.text, reason, link, problem, offset);
  }

  private here(): string {
    if (this.pos >= this.text.length) return 'end of input';
    return `character ${JSON.stringify(this.text[this.pos])}`;
  }

  /** One value, with an explicit stack of the arrays and objects still open. */
  value(): JsonNode {
    const t = this.text;
    const stack: Frame[] = [];
    for (;;) {
      const link = nextLink(stack[stack.length - 1]);
      let node: JsonNode;
      const c = t[this.pos];
      if (c === '{' || c === '[') {
        if (stack.length >= this.maxDepth) this.fail(link, `nested too deeply (more than ${this.maxDepth} levels)`, 'too-deep');
        this.pos++;
        this.skipWhitespace();
        if (c === '[') {
          if (t[this.pos] !== ']') {
            stack.push({ kind: 'array', link, items: [] });
            continue;
          }
          this.pos++;
          node = makeNode(link, { kind: 'array', items: [] });
        } else {
          if (t[this.pos] !== '}') {
            const frame: Frame = { kind: 'object', link, entries: [], seen: this.rejectDuplicates ? new Set() : undefined, key: '' };
            stack.push(frame);
            this.memberKey(frame);
            continue;
          }
          this.pos++;
          node = makeNode(link, { kind: 'object', entries: [] });
        }
      } else {
        node = this.scalar(link);
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
          if (top.kind === 'object') this.memberKey(top);
          break;
        }
        if (top.kind === 'object' && d === '}') {
          this.pos++;
          stack.pop();
          node = makeNode(top.link, { kind: 'object', entries: top.entries });
          continue;
        }
        if (top.kind === 'array' && d === ']') {
          this.pos++;
          stack.pop();
          node = makeNode(top.link, { kind: 'array', items: top.items });
          continue;
        }
        const last = { parent: top.link, segment: top.kind === 'object' ? top.key : top.items.length - 1 };
        if (top.kind === 'object') this.fail(last, `expected "," or "}" after an object member, got ${this.here()}`);
        this.fail(last, `expected "," or "]" after an array element, got ${this.here()}`);
      }
    }
  }

  /** `"key"` `:` and the whitespace after it, into `frame.key`. */
  private memberKey(frame: Frame & { kind: 'object' }): void {
    if (this.text[this.pos] !== '"') this.fail(frame.link, `expected a string key, got ${this.here()}`);
    const start = this.pos;
    frame.key = this.string(frame.link);
    if (frame.seen !== undefined) {
      if (frame.seen.has(frame.key)) this.fail(nextLink(frame), `duplicate key ${JSON.stringify(frame.key)}`, 'duplicate-key', start);
      frame.seen.add(frame.key);
    }
    this.skipWhitespace();
    if (this.text[this.pos] !== ':') this.fail(nextLink(frame), `expected ":" after an object key, got ${this.here()}`);
    this.pos++;
    this.skipWhitespace();
  }

  private scalar(link: PathLink | undefined): JsonNode {
    const c = this.text[this.pos];
    switch (c) {
      case '"':
        return makeNode(link, { kind: 'string', value: this.string(link) });
      case 't':
        return this.literal(link, 'true', { kind: 'boolean', value: true });
      case 'f':
        return this.literal(link, 'false', { kind: 'boolean', value: false });
      case 'n':
        return this.literal(link, 'null', { kind: 'null' });
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(link);
        return this.fail(link, `expected a JSON value, got ${this.here()}`);
    }
  }

  private literal(link: PathLink | undefined, word: string, data: JsonNodeData): JsonNode {
    if (!this.text.startsWith(word, this.pos)) this.fail(link, `invalid literal, expected ${word}`);
    this.pos += word.length;
    return makeNode(link, data);
  }

  private number(link: PathLink | undefined): JsonNode {
    numberPattern.lastIndex = this.pos;
    const m = numberPattern.exec(this.text);
    if (m === null) return this.fail(link, 'invalid number');
    const text = m[0];
    const value = Number(text);
    // Go decodes every number into a float64, which cannot hold this one.
    if (!Number.isFinite(value)) this.fail(link, `number ${text} is out of range`, 'out-of-range');
    this.pos += text.length;
    return makeNode(link, { kind: 'number', value, text });
  }

  private string(link: PathLink | undefined): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail(link, 'unterminated string');
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail(link, 'control character in string');
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
          out += this.unicodeEscape(link);
          break;
        default:
          this.pos -= 2;
          this.fail(link, 'invalid escape in string');
      }
      start = this.pos;
    }
  }

  private hex4(at: number): number | undefined {
    const h = this.text.slice(at, at + 4);
    return /^[0-9a-fA-F]{4}$/.test(h) ? parseInt(h, 16) : undefined;
  }

  /** After `\u`: one code point; surrogate pairs combine, lone surrogates become U+FFFD as in Go. */
  private unicodeEscape(link: PathLink | undefined): string {
    const first = this.hex4(this.pos);
    if (first === undefined) this.fail(link, 'invalid \\u escape in string');
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

export interface ToPlainValueOptions {
  /** Make objects without a prototype (`Object.create(null)`) instead of plain `{}` objects. */
  readonly nullPrototype?: boolean;
}

/**
 * A node as Go's `json.Unmarshal` into `any` produces it: objects become plain objects (a later duplicate key
 * wins, as in Go; `__proto__` is an ordinary key), numbers are float64. Iterative, like the scanner.
 */
export function toPlainValue(root: JsonNode, options: ToPlainValueOptions = {}): JsonValue {
  const make = (node: JsonNode): JsonValue => {
    switch (node.kind) {
      case 'object':
        return options.nullPrototype === true ? (Object.create(null) as JsonObject) : {};
      case 'array':
        return [];
      case 'null':
        return null;
      default:
        return node.value;
    }
  };
  const result = make(root);
  const work: Array<readonly [JsonNode, JsonValue]> = [[root, result]];
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
        (target as JsonValue[]).push(value);
        work.push([child, value]);
      }
    }
  }
  return result;
}
