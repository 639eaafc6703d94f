import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseSimpleSigningPayload,
  serializeSimpleSigningPayload,
  SignatureVerificationError,
  SigningError,
} from '../../src/signature/index.js';
import { expectCode } from '../helpers/expect-code.js';

const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
const reference = 'registry.example.com/ns/app:1.2';

/** The valid payload every case below breaks one way. */
const valid = `{"critical":{"identity":{"docker-reference":"${reference}"},"image":{"docker-manifest-digest":"${digest}"},"type":"atomic container signature"},"optional":{"creator":"atomic 2.0.0","timestamp":1484683104}}`;

const parse = (text: string, options?: Parameters<typeof parseSimpleSigningPayload>[1]) => parseSimpleSigningPayload(Buffer.from(text, 'utf8'), options);

/** Replace one fragment of the valid payload (it must occur exactly once). */
function breakIt(from: string, to: string): string {
  assert.equal(valid.split(from).length, 2, `fragment ${from} must occur once`);
  return valid.replace(from, to);
}

const critical = `"critical":{"identity":{"docker-reference":"${reference}"},"image":{"docker-manifest-digest":"${digest}"},"type":"atomic container signature"}`;
const optional = '"optional":{"creator":"atomic 2.0.0","timestamp":1484683104}';
const identity = `"identity":{"docker-reference":"${reference}"}`;
const image = `"image":{"docker-manifest-digest":"${digest}"}`;
const typeMember = '"type":"atomic container signature"';

describe('parseSimpleSigningPayload', () => {
  it('parses the valid payload', () => {
    const p = parse(valid);
    assert.deepEqual(p, {
      type: 'atomic container signature',
      dockerManifestDigest: digest,
      dockerReference: reference,
      creator: 'atomic 2.0.0',
      timestamp: 1484683104,
      optional: { creator: 'atomic 2.0.0', timestamp: 1484683104 },
    });
  });

  it('accepts whitespace, key order, escapes, unknown optional members and an empty optional', () => {
    const text = `\n { "optional" : { "x" : [1, {"y": null}], "creator": "c\\u0061" } ,\t"critical": {"type":"atomic container signature","image":{"docker-manifest-digest":"${digest}"},"identity":{"docker-reference":"${reference}"}}}\r\n`;
    const p = parse(text);
    assert.equal(p.creator, 'ca');
    assert.equal(p.timestamp, undefined);
    assert.deepEqual(p.optional, { x: [1, { y: null }], creator: 'ca' });
    const empty = parse(breakIt(optional, '"optional":{}'));
    assert.deepEqual(empty.optional, {});
    assert.equal(empty.creator, undefined);
  });

  it('accepts any supported go-digest algorithm (matching is the policy’s job)', () => {
    const sha512 = `sha512:${'ab'.repeat(64)}`;
    assert.equal(parse(breakIt(digest, sha512)).dockerManifestDigest, sha512);
    const sha384 = `sha384:${'cd'.repeat(48)}`;
    assert.equal(parse(breakIt(digest, sha384)).dockerManifestDigest, sha384);
  });

  it('accepts integral timestamps written as floats (Go decodes into float64 first)', () => {
    assert.equal(parse(breakIt('1484683104', '1.484683104e9')).timestamp, 1484683104);
    assert.equal(parse(breakIt('1484683104', '0')).timestamp, 0);
  });

  it('treats null creator and timestamp as Go does (zero values), and keeps duplicate keys nested in unknown optional values', () => {
    const p = parse(breakIt(optional, '"optional":{"creator":null,"timestamp":null,"x":{"a":1,"a":2}}'));
    assert.equal(p.creator, '');
    assert.equal(p.timestamp, 0);
    assert.deepEqual(p.optional, { creator: null, timestamp: null, x: { a: 2 } });
  });

  it('keeps a "__proto__" member of optional as plain data', () => {
    const p = parse(breakIt(optional, '"optional":{"__proto__":{"polluted":true}}'));
    assert.equal(Object.getPrototypeOf(p.optional), Object.prototype);
    assert.deepEqual(Object.keys(p.optional ?? {}), ['__proto__']);
  });

  it('with allowNullOptional and expectedType, reads cosign-style payloads', () => {
    const cosign = `{"critical":{"identity":{"docker-reference":"registry.example.com/ns/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`;
    const p = parse(cosign, { allowNullOptional: true, expectedType: 'cosign container image signature' });
    assert.equal(p.optional, null);
    assert.equal(p.type, 'cosign container image signature');
    expectCode(() => parse(cosign), 'MALFORMED_SIGNATURE');
    expectCode(() => parse(cosign, { allowNullOptional: true }), 'MALFORMED_SIGNATURE');
  });

  const broken: ReadonlyArray<readonly [string, string, string]> = [
    // [case, text, fragment of the message]
    ['empty input', '', 'not valid JSON'],
    ['not JSON', 'atomic', 'not valid JSON'],
    ['a JSON array', '[]', 'must be a JSON object'],
    ['a JSON string', '"x"', 'must be a JSON object'],
    ['trailing bytes', `${valid}x`, 'unexpected data after'],
    ['a second object', `${valid}{}`, 'unexpected data after'],
    ['trailing comma', breakIt('1484683104}}', '1484683104,}}'), 'not valid JSON'],
    ['a byte-order mark', `\ufeff${valid}`, 'not valid JSON'],
    ['a control character in a string', breakIt('atomic 2.0.0', 'atomic\n2.0.0'), 'control character'],
    ['a bad escape', breakIt('atomic 2.0.0', 'atomic\\x'), 'invalid escape'],
    ['missing critical', breakIt(`${critical},`, ''), 'missing key "critical"'],
    ['missing optional', breakIt(`,${optional}`, ''), 'missing key "optional"'],
    ['extra top-level key', breakIt(`,${optional}`, `,${optional},"extra":1`), 'the top-level object: unknown key "extra"'],
    ['duplicate top-level key', breakIt(`,${optional}`, `,${optional},${optional}`), 'the top-level object: duplicate key "optional"'],
    ['missing critical.type', breakIt(`,${typeMember}`, ''), 'critical: missing key "type"'],
    ['missing critical.image', breakIt(`${image},`, ''), 'critical: missing key "image"'],
    ['missing critical.identity', breakIt(`${identity},`, ''), 'critical: missing key "identity"'],
    ['extra critical key', breakIt(`,${typeMember}`, `,${typeMember},"extra":{}`), 'critical: unknown key "extra"'],
    ['duplicate critical key', breakIt(`,${typeMember}`, `,${typeMember},${typeMember}`), 'critical: duplicate key "type"'],
    ['missing docker-manifest-digest', breakIt(image, '"image":{}'), 'critical.image: missing key "docker-manifest-digest"'],
    ['extra image key', breakIt(image, `"image":{"docker-manifest-digest":"${digest}","size":1}`), 'critical.image: unknown key "size"'],
    ['duplicate image key', breakIt(image, `"image":{"docker-manifest-digest":"${digest}","docker-manifest-digest":"${digest}"}`), 'critical.image: duplicate key'],
    ['missing docker-reference', breakIt(identity, '"identity":{}'), 'critical.identity: missing key "docker-reference"'],
    ['extra identity key', breakIt(identity, `"identity":{"docker-reference":"${reference}","x":""}`), 'critical.identity: unknown key "x"'],
    ['duplicate identity key', breakIt(identity, `"identity":{"docker-reference":"${reference}","docker-reference":"a/b:c"}`), 'critical.identity: duplicate key'],
    ['duplicate optional key', breakIt('"timestamp":1484683104', '"timestamp":1484683104,"timestamp":1484683104'), 'optional: duplicate key "timestamp"'],
    ['duplicate unknown optional key', breakIt('"timestamp":1484683104', '"timestamp":1484683104,"x":1,"x":2'), 'optional: duplicate key "x"'],
    ['critical is a string', breakIt(critical, '"critical":"x"'), 'critical must be a JSON object'],
    ['critical is null', breakIt(critical, '"critical":null'), 'critical must be a JSON object'],
    ['optional is null', breakIt(optional, '"optional":null'), 'optional must be a JSON object'],
    ['optional is an array', breakIt(optional, '"optional":[]'), 'optional must be a JSON object'],
    ['image is an array', breakIt(image, `"image":["${digest}"]`), 'critical.image must be a JSON object'],
    ['identity is a string', breakIt(identity, `"identity":"${reference}"`), 'critical.identity must be a JSON object'],
    ['type is a number', breakIt(typeMember, '"type":1'), 'critical.type must be a string'],
    ['type is null', breakIt(typeMember, '"type":null'), 'critical.type is ""'],
    ['bad type string', breakIt('atomic container signature', 'atomic container signature '), 'critical.type is "atomic container signature "'],
    ['cosign type', breakIt('atomic container signature', 'cosign container image signature'), 'expected "atomic container signature"'],
    ['digest is a number', breakIt(`"${digest}"`, '42'), 'docker-manifest-digest must be a string'],
    ['digest is null', breakIt(`"${digest}"`, 'null'), 'is not a digest'],
    ['digest without algorithm', breakIt(digest, digest.slice(7)), 'is not a digest'],
    ['digest with bad hex', breakIt(digest, digest.toUpperCase().replace('SHA256', 'sha256')), '64 lowercase hex'],
    ['digest too short', breakIt(digest, digest.slice(0, -1)), '64 lowercase hex'],
    ['digest with bad grammar', breakIt(digest, 'sha256!:abc'), 'not a valid digest'],
    ['digest with unknown algorithm', breakIt(digest, 'md5:d41d8cd98f00b204e9800998ecf8427e'), 'unsupported digest algorithm'],
    ['docker-reference is a number', breakIt(`"${reference}"`, '5'), 'docker-reference must be a string'],
    ['docker-reference is an object', breakIt(`"${reference}"`, '{}'), 'docker-reference must be a string'],
    ['creator is a number', breakIt('"atomic 2.0.0"', '2'), 'optional.creator must be a string'],
    ['creator is an object', breakIt('"atomic 2.0.0"', '{}'), 'optional.creator must be a string'],
    ['timestamp 0.5', breakIt('1484683104', '0.5'), 'optional.timestamp must be an integer'],
    ['timestamp fractional', breakIt('1484683104', '1484683104.25'), 'optional.timestamp must be an integer'],
    ['timestamp is a string', breakIt('1484683104', '"1484683104"'), 'optional.timestamp must be a number'],
    ['timestamp beyond int64', breakIt('1484683104', '1e19'), 'optional.timestamp must be an integer'],
    ['timestamp beyond float64', breakIt('1484683104', '1e400'), 'out of range'],
    ['unknown optional number beyond float64', breakIt('"timestamp":1484683104', '"timestamp":1484683104,"x":[1e999]'), 'out of range'],
  ];

  for (const [name, text, fragment] of broken) {
    it(`rejects ${name}`, () => {
      const err = expectCode(() => parse(text), 'MALFORMED_SIGNATURE');
      assert.ok(err instanceof SignatureVerificationError);
      assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} should mention ${JSON.stringify(fragment)}`);
    });
  }

  it('accepts an unknown optional member nested as deep as Go allows (10000)', () => {
    const deep = breakIt('"timestamp":1484683104', `"x":${'['.repeat(10000)}${']'.repeat(10000)}`);
    assert.ok(Array.isArray(parse(deep).optional?.['x']));
  });

  it('rejects nesting deeper than Go allows without overflowing the stack', () => {
    const deep = breakIt('"timestamp":1484683104', `"x":${'['.repeat(20000)}${']'.repeat(20000)}`);
    const err = expectCode(() => parse(deep), 'MALFORMED_SIGNATURE');
    assert.match(err.message, /nested too deeply/);
  });

  it('is a verification error with the input category', () => {
    const err = expectCode(() => parse('{}'), 'MALFORMED_SIGNATURE');
    assert.ok(err instanceof SignatureVerificationError);
    assert.equal(err.category, 'input');
  });
});

describe('serializeSimpleSigningPayload', () => {
  it('writes the exact bytes containers/image writes', () => {
    const bytes = serializeSimpleSigningPayload({ dockerManifestDigest: digest, dockerReference: reference, creator: 'Signet 0.1.0', timestamp: 1700000000 });
    assert.equal(
      bytes.toString('utf8'),
      `{"critical":{"identity":{"docker-reference":"${reference}"},"image":{"docker-manifest-digest":"${digest}"},"type":"atomic container signature"},"optional":{"creator":"Signet 0.1.0","timestamp":1700000000}}`,
    );
  });

  it('omits absent optional members and keeps an empty optional object', () => {
    const bytes = serializeSimpleSigningPayload({ dockerManifestDigest: digest, dockerReference: reference });
    assert.ok(bytes.toString('utf8').endsWith('"optional":{}}'));
    const onlyTime = serializeSimpleSigningPayload({ dockerManifestDigest: digest, dockerReference: reference, timestamp: 5 });
    assert.ok(onlyTime.toString('utf8').endsWith('"optional":{"timestamp":5}}'));
  });

  it('escapes as Go does (HTML characters, U+2028)', () => {
    const bytes = serializeSimpleSigningPayload({ dockerManifestDigest: digest, dockerReference: reference, creator: '<a&b>\u2028é' });
    assert.ok(bytes.toString('utf8').includes('"creator":"\\u003ca\\u0026b\\u003e\\u2028é"'));
  });

  it('round-trips through the strict parser', () => {
    const input = { dockerManifestDigest: digest, dockerReference: reference, creator: 'Signet 0.1.0', timestamp: 1700000000 };
    const p = parseSimpleSigningPayload(serializeSimpleSigningPayload(input));
    assert.equal(p.dockerManifestDigest, input.dockerManifestDigest);
    assert.equal(p.dockerReference, input.dockerReference);
    assert.equal(p.creator, input.creator);
    assert.equal(p.timestamp, input.timestamp);
  });

  it('refuses empty content and fractional timestamps', () => {
    const e1 = expectCode(() => serializeSimpleSigningPayload({ dockerManifestDigest: '', dockerReference: reference }), 'SIGNING_FAILED');
    assert.ok(e1 instanceof SigningError);
    expectCode(() => serializeSimpleSigningPayload({ dockerManifestDigest: digest, dockerReference: '' }), 'SIGNING_FAILED');
    expectCode(() => serializeSimpleSigningPayload({ dockerManifestDigest: digest, dockerReference: reference, timestamp: 0.5 }), 'SIGNING_FAILED');
  });
});
