import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigest } from '../../../src/core/index.js';
import { cosignPayload, parseCosignPayload } from '../../../src/signature/index.js';
import { expectCode } from '../../helpers/expect-code.js';

const digest = parseDigest(`sha256:${'ab'.repeat(32)}`);

describe('cosign payload', () => {
  it('is byte-identical to sigstore’s payload without annotations', () => {
    assert.equal(
      cosignPayload('index.docker.io/library/busybox', digest).toString(),
      `{"critical":{"identity":{"docker-reference":"index.docker.io/library/busybox"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`,
    );
  });

  it('puts annotations in optional with sorted keys, escaped as Go does', () => {
    assert.equal(
      cosignPayload('registry.example.com/app', digest, { zeta: '1', alpha: 'a<b>&c' }).toString(),
      `{"critical":{"identity":{"docker-reference":"registry.example.com/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"alpha":"a\\u003cb\\u003e\\u0026c","zeta":"1"}}`,
    );
    assert.match(cosignPayload('r/a', digest, {}).toString(), /"optional":null\}$/);
  });

  it('parses what it writes', () => {
    const p = parseCosignPayload(cosignPayload('registry.example.com/app', digest, { k: 'v' }));
    assert.equal(p.dockerReference, 'registry.example.com/app');
    assert.equal(p.dockerManifestDigest, digest);
    assert.deepEqual({ ...p.optional }, { k: 'v' });
    assert.equal(parseCosignPayload(cosignPayload('r/a', digest)).optional, null);
  });

  it('accepts the containers/image form (full reference, creator and timestamp)', () => {
    const text = `{"critical":{"identity":{"docker-reference":"example.com/a:tag"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"creator":"containers/image 5.30","timestamp":1700000000,"other":[1,{"x":null}]}}`;
    const p = parseCosignPayload(Buffer.from(text));
    assert.equal(p.dockerReference, 'example.com/a:tag');
    assert.equal(p.optional?.['timestamp'], 1700000000);
  });

  describe('strict parsing, one fault at a time', () => {
    const valid = {
      critical: {
        identity: { 'docker-reference': 'example.com/a' },
        image: { 'docker-manifest-digest': digest as string },
        type: 'cosign container image signature',
      },
      optional: null as unknown,
    };
    type Payload = typeof valid;
    const clone = (): Payload => JSON.parse(JSON.stringify(valid)) as Payload;
    const cases: [string, string | ((p: Payload) => unknown), RegExp][] = [
      ['not JSON', 'nope', /invalid JSON/],
      ['not UTF-8', '\uFFFF', /./],
      ['an array', '[]', /\$: expected an object, got an array/],
      ['trailing data', `${JSON.stringify(valid)} x`, /unexpected data after the JSON value/],
      ['a duplicate top-level key', JSON.stringify(valid).replace('"optional":null', '"optional":null,"optional":null'), /\$\.optional: duplicate key/],
      ['a duplicate key inside optional', JSON.stringify({ ...valid, optional: {} }).replace('"optional":{}', '"optional":{"a":1,"a":2}'), /\$\.optional\.a: duplicate key/],
      ['a missing optional', (p) => ({ critical: p.critical }), /\$\.optional: missing field/],
      ['an extra top-level key', (p) => ({ ...p, extra: 1 }), /\$\.extra: unknown field/],
      ['optional as a string', (p) => ({ ...p, optional: 'x' }), /\$\.optional: expected an object or null/],
      ['optional.creator as a number', (p) => ({ ...p, optional: { creator: 1 } }), /\$\.optional\.creator: expected a string/],
      ['a fractional optional.timestamp', (p) => ({ ...p, optional: { timestamp: 0.5 } }), /\$\.optional\.timestamp: expected an integer/],
      ['optional.timestamp as a string', (p) => ({ ...p, optional: { timestamp: '1' } }), /\$\.optional\.timestamp: expected a number/],
      ['critical as null', (p) => ({ ...p, critical: null }), /\$\.critical: expected an object, got null/],
      ['an extra key in critical', (p) => ({ ...p, critical: { ...p.critical, extra: 1 } }), /\$\.critical\.extra: unknown field/],
      ['no type', (p) => ({ ...p, critical: { identity: p.critical.identity, image: p.critical.image } }), /\$\.critical\.type: missing field/],
      ['the atomic type', (p) => ({ ...p, critical: { ...p.critical, type: 'atomic container signature' } }), /unrecognized signature type "atomic container signature"/],
      ['type as a number', (p) => ({ ...p, critical: { ...p.critical, type: 1 } }), /\$\.critical\.type: expected a string/],
      ['an extra key in image', (p) => ({ ...p, critical: { ...p.critical, image: { ...p.critical.image, x: 1 } } }), /\$\.critical\.image\.x: unknown field/],
      ['a bad digest', (p) => ({ ...p, critical: { ...p.critical, image: { 'docker-manifest-digest': 'sha256:xyz' } } }), /docker-manifest-digest/],
      ['a digest of an unknown algorithm', (p) => ({ ...p, critical: { ...p.critical, image: { 'docker-manifest-digest': `md5:${'a'.repeat(32)}` } } }), /not supported/],
      ['an empty identity', (p) => ({ ...p, critical: { ...p.critical, identity: {} } }), /docker-reference"\]: missing field/],
      ['docker-reference as null', (p) => ({ ...p, critical: { ...p.critical, identity: { 'docker-reference': null } } }), /docker-reference"\]: expected a string, got null/],
    ];
    for (const [name, make, message] of cases) {
      it(`refuses ${name} with MALFORMED_SIGNATURE`, () => {
        const bytes = typeof make === 'string' ? (name === 'not UTF-8' ? Buffer.from([0xff, 0xfe]) : Buffer.from(make)) : Buffer.from(JSON.stringify(make(clone())));
        const err = expectCode(() => parseCosignPayload(bytes), 'MALFORMED_SIGNATURE');
        assert.match(err.message, message);
      });
    }
  });
});
