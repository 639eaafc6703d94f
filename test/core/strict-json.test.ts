import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreInputError } from '../../src/core/errors.js';
import { formatJsonPath, JsonParseError, parseJsonTree, toPlainValue, type JsonNode, type ParseJsonTreeOptions } from '../../src/core/strict-json.js';
import { expectCode } from '../helpers/expect-code.js';

function parseError(input: string | Uint8Array, options?: ParseJsonTreeOptions): JsonParseError {
  const err = expectCode(() => parseJsonTree(input, options), 'INVALID_JSON');
  assert.ok(err instanceof JsonParseError);
  return err;
}

function member(node: JsonNode, key: string): JsonNode {
  assert.equal(node.kind, 'object');
  const found = node.kind === 'object' ? node.entries.find(([k]) => k === key) : undefined;
  assert.ok(found !== undefined, `no member ${key}`);
  return found[1];
}

function item(node: JsonNode, index: number): JsonNode {
  assert.equal(node.kind, 'array');
  const found = node.kind === 'array' ? node.items[index] : undefined;
  assert.ok(found !== undefined, `no item ${index}`);
  return found;
}

const nested = '{"a":{"b":[1,{"c":true,"c":false}],"b":null}}';

describe('parseJsonTree', () => {
  it('reads every kind of value', () => {
    const root = parseJsonTree(' {"s":"x\\u00e9\\n","n":-1.5e2,"t":true,"f":false,"z":null,"a":[],"o":{}} ');
    assert.deepEqual(toPlainValue(root), { s: 'xé\n', n: -150, t: true, f: false, z: null, a: [], o: {} });
    const n = member(root, 'n');
    assert.equal(n.kind === 'number' ? n.text : undefined, '-1.5e2');
  });

  it('keeps duplicate keys, at every depth, in document order', () => {
    const root = parseJsonTree(nested);
    const a = member(root, 'a');
    assert.deepEqual(a.kind === 'object' ? a.entries.map(([k, v]) => [k, v.kind]) : [], [
      ['b', 'array'],
      ['b', 'null'],
    ]);
    const inner = item(member(a, 'b'), 1);
    assert.deepEqual(inner.kind === 'object' ? inner.entries.map(([k, v]) => [k, v.kind === 'boolean' ? v.value : undefined]) : [], [
      ['c', true],
      ['c', false],
    ]);
  });

  it('gives every node its path', () => {
    const root = parseJsonTree(nested);
    assert.deepEqual(root.path, []);
    const b = member(member(root, 'a'), 'b');
    assert.deepEqual(b.path, ['a', 'b']);
    const c = member(item(b, 1), 'c');
    assert.deepEqual(c.path, ['a', 'b', 1, 'c']);
    assert.deepEqual(item(b, 0).path, ['a', 'b', 0]);
  });

  it('rejects duplicate keys anywhere when asked, naming the repeated member', () => {
    const err = parseError(nested, { duplicateKeys: 'reject' });
    assert.equal(err.reason, 'duplicate-key');
    assert.deepEqual(err.path, ['a', 'b', 1, 'c']);
    assert.equal(err.problem, 'duplicate key "c"');
    assert.equal(err.offset, nested.indexOf('"c":false'));
    const top = parseError('{"x":1,"y":2,"x":3}', { duplicateKeys: 'reject' });
    assert.deepEqual(top.path, ['x']);
    // The same key in different objects is not a duplicate.
    parseJsonTree('{"x":{"x":1},"y":[{"x":1},{"x":2}]}', { duplicateKeys: 'reject' });
  });

  it('is a core input error with code INVALID_JSON, its message naming the path', () => {
    const err = parseError('{"a":[1,}');
    assert.ok(err instanceof CoreInputError);
    assert.equal(err.category, 'input');
    assert.equal(err.message, '$.a[1]: expected a JSON value, got character "}" at offset 8');
  });

  describe('paths and positions of syntax errors', () => {
    const cases: ReadonlyArray<[string, string, (string | number)[], string]> = [
      ['a missing value', '{"a": [}', ['a', 0], 'expected a JSON value'],
      ['a trailing comma in an object', '{"a":1,}', [], 'expected a string key'],
      ['a trailing comma in an array', '[1,]', [1], 'expected a JSON value'],
      ['a missing colon', '{"a" 1}', ['a'], 'expected ":" after an object key'],
      ['a missing comma between members', '{"a":1 "b":2}', ['a'], 'expected "," or "}" after an object member'],
      ['a missing comma between elements', '[1 2]', [0], 'expected "," or "]" after an array element'],
      ['a non-string key', '{1:2}', [], 'expected a string key'],
      ['an unterminated string', '{"a":"b', ['a'], 'unterminated string'],
      ['an unterminated key', '{"a', [], 'unterminated string'],
      ['a raw control character', '["a\tb"]', [0], 'control character in string'],
      ['an invalid escape', '["\\x"]', [0], 'invalid escape in string'],
      ['a short \\u escape', '["\\u12"]', [0], 'invalid \\u escape in string'],
      ['a bad literal', '[tru]', [0], 'invalid literal, expected true'],
      ['a lone minus', '[-]', [0], 'invalid number'],
      ['an unquoted word', '{"k":nope}', ['k'], 'invalid literal, expected null'],
      ['empty input', '', [], 'expected a JSON value, got end of input'],
      ['only whitespace', ' \n\t', [], 'expected a JSON value, got end of input'],
    ];
    for (const [name, text, path, fragment] of cases) {
      it(`reports ${name}`, () => {
        const err = parseError(text);
        assert.equal(err.reason, 'syntax');
        assert.deepEqual(err.path, path);
        assert.ok(err.problem.includes(fragment), `${JSON.stringify(err.problem)} should mention ${JSON.stringify(fragment)}`);
      });
    }

    it('counts lines and columns from 1', () => {
      const err = parseError('{\n  "a": 1,\n  "b": x\n}');
      assert.deepEqual([err.line, err.column, err.offset], [3, 8, 19]);
      assert.deepEqual(err.path, ['b']);
    });
  });

  describe('Go grammar edge cases', () => {
    it('rejects trailing bytes after the value, but allows trailing whitespace', () => {
      for (const text of ['{} {}', '1 2', '[]x', '"a""b"', 'nullx', '01']) {
        const err = parseError(text);
        assert.equal(err.reason, 'syntax', text);
      }
      assert.equal(parseError('{} {}').problem, 'unexpected data after the JSON value');
      assert.deepEqual(parseError('{} {}').path, []);
      assert.equal(parseJsonTree('{}\r\n\t ').kind, 'object');
    });

    it('rejects a leading byte-order mark, as text and as bytes', () => {
      assert.match(parseError('\ufeff{}').problem, /expected a JSON value/);
      const err = parseError(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]));
      assert.equal(err.offset, 0);
      assert.match(err.problem, /expected a JSON value/);
    });

    it('accepts only space, tab, CR and LF as whitespace', () => {
      for (const space of ['\u00a0', '\u2028', '\v', '\f']) parseError(`${space}{}`);
    });

    it('accepts numbers a float64 holds and rejects those beyond it', () => {
      const n = parseJsonTree('[1e308, -1.7976931348623157e308, 123456789012345678901234567890, 1e-400]');
      assert.deepEqual(toPlainValue(n), [1e308, -1.7976931348623157e308, Number('123456789012345678901234567890'), 0]);
      const big = item(n, 2);
      assert.equal(big.kind === 'number' ? big.text : undefined, '123456789012345678901234567890');
      for (const text of ['1e400', '-1e309', `1${'0'.repeat(400)}`]) {
        const err = parseError(`{"n":${text}}`);
        assert.equal(err.reason, 'out-of-range');
        assert.deepEqual(err.path, ['n']);
        assert.equal(err.problem, `number ${text} is out of range`);
      }
    });

    it('rejects numbers outside the grammar', () => {
      for (const text of ['+1', '.5', '1.', '1.e2', '1e', '0x10', 'NaN', 'Infinity', '-Infinity', '00']) parseError(`[${text}]`);
    });

    it('accepts nesting up to the limit and rejects one level more, without overflowing the stack', () => {
      parseJsonTree(`${'['.repeat(10000)}${']'.repeat(10000)}`);
      const err = parseError(`${'['.repeat(10001)}${']'.repeat(10001)}`);
      assert.equal(err.reason, 'too-deep');
      assert.equal(err.path.length, 10000);
      assert.equal(parseError(`${'['.repeat(100000)}`).reason, 'too-deep');
      parseJsonTree('{"a":{"b":[1]}}', { maxDepth: 3 });
      assert.deepEqual(parseError('{"a":{"b":[[]]}}', { maxDepth: 3 }).path, ['a', 'b', 0]);
      // Scalars do not count as a level.
      parseJsonTree(`${'['.repeat(3)}1${']'.repeat(3)}`, { maxDepth: 3 });
      const deep = parseJsonTree(`${'{"k":'.repeat(5000)}null${'}'.repeat(5000)}`);
      assert.equal(toPlainValue(deep) !== null, true);
    });

    it('decodes a lone surrogate escape as U+FFFD and combines pairs', () => {
      const root = parseJsonTree('["\\ud800", "\\udc00", "\\ud800x", "\\ud800\\u0041", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\ud800\\ud800"]');
      assert.deepEqual(toPlainValue(root), ['\ufffd', '\ufffd', '\ufffdx', '\ufffdA', '\u{1f600}', '\u{1f600}', '\ufffd\ufffd']);
    });

    it('decodes invalid UTF-8 as U+FFFD, or rejects it when asked', () => {
      const bytes = Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('","\u00e9":1}')]);
      assert.deepEqual(toPlainValue(parseJsonTree(bytes)), { a: 'x\ufffd\ufffd(', '\u00e9': 1 });
      const err = parseError(bytes, { invalidUtf8: 'reject' });
      assert.equal(err.reason, 'invalid-utf8');
      assert.equal(err.offset, '{"a":"x'.length);
      // Surrogates encoded in UTF-8 and overlong forms are not UTF-8 either.
      for (const bad of [[0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
        const input = Buffer.concat([Buffer.from('["'), Buffer.from(bad), Buffer.from('"]')]);
        assert.equal(parseError(input, { invalidUtf8: 'reject' }).offset, 2, JSON.stringify(bad));
      }
      parseJsonTree(Buffer.from('["\u00e9\u20ac\u{1f600}"]'), { invalidUtf8: 'reject' });
    });
  });
});

describe('toPlainValue', () => {
  it('lets a later duplicate win, as Go does, and keeps __proto__ an ordinary key', () => {
    const value = toPlainValue(parseJsonTree('{"a":1,"a":2,"__proto__":{"x":1}}')) as Record<string, unknown>;
    assert.equal(value['a'], 2);
    assert.deepEqual(Object.keys(value), ['a', '__proto__']);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.equal((value as { x?: unknown }).x, undefined);
  });

  it('makes objects without a prototype when asked', () => {
    const value = toPlainValue(parseJsonTree('{"o":{"k":[{}]}}'), { nullPrototype: true }) as Record<string, Record<string, unknown[]>>;
    assert.equal(Object.getPrototypeOf(value), null);
    assert.equal(Object.getPrototypeOf(value['o']), null);
    assert.equal(Object.getPrototypeOf(value['o']?.['k']?.[0]), null);
  });
});

describe('formatJsonPath', () => {
  it('writes identifiers after a dot and everything else in brackets', () => {
    assert.equal(formatJsonPath([]), '$');
    assert.equal(formatJsonPath(['transports', 'docker', 'example.com', 1, 'signedIdentity']), '$.transports.docker["example.com"][1].signedIdentity');
    assert.equal(formatJsonPath(['a-b', '', '_x9', '9x', 'q"']), '$["a-b"][""]._x9["9x"]["q\\""]');
  });

  it('takes another root, and with an empty root starts with the first key', () => {
    assert.equal(formatJsonPath(['b'], '$.a'), '$.a.b');
    assert.equal(formatJsonPath(['a', 0, 'b'], ''), 'a[0].b');
    assert.equal(formatJsonPath([0, 'b'], ''), '[0].b');
    assert.equal(formatJsonPath([], ''), '');
  });
});
