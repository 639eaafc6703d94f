import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { manifestDigest, matchesDigest, MediaTypes, parseManifest, schema1Payload } from '../../src/manifest/index.js';
import { bytes, expectCode, ociManifest, schema1Manifest, signSchema1 } from './helpers.js';

function sha(alg: 'sha256' | 'sha512', data: Uint8Array): string {
  return `${alg}:${createHash(alg).update(data).digest('hex')}`;
}

describe('manifestDigest', () => {
  it('is the sha256 of the raw bytes for ordinary manifests', () => {
    const raw = bytes(ociManifest());
    assert.equal(manifestDigest(raw), sha('sha256', raw));
    assert.equal(manifestDigest(raw, 'sha512'), sha('sha512', raw));
    assert.equal(manifestDigest(Buffer.alloc(0)), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('is the digest of the raw bytes for unsigned schema 1', () => {
    const raw = Buffer.from(JSON.stringify(schema1Manifest(), null, 3));
    assert.equal(manifestDigest(raw), sha('sha256', raw));
  });

  it('covers the JWS payload, not the signatures, for signed schema 1', () => {
    const { signed, payload } = signSchema1(schema1Manifest());
    assert.notEqual(sha('sha256', signed), sha('sha256', payload));
    assert.deepEqual(schema1Payload(signed), payload);
    assert.equal(manifestDigest(signed), sha('sha256', payload));
    assert.equal(manifestDigest(signed, 'sha512'), sha('sha512', payload));
    // The same manifest, unsigned, has the same digest: signing does not change the name.
    assert.equal(manifestDigest(payload), manifestDigest(signed));
  });

  it('accepts several signatures that agree on the format', () => {
    const { signed, payload } = signSchema1(schema1Manifest(), { signatures: 3 });
    assert.equal(manifestDigest(signed), sha('sha256', payload));
  });

  it('rejects unreadable JWS structures with INVALID_MANIFEST', () => {
    const m = schema1Manifest();
    const good = signSchema1(m);
    const [first] = (JSON.parse(good.signed.toString()) as { signatures: { protected: string }[] }).signatures;
    assert.ok(first);
    const header = JSON.parse(Buffer.from(first.protected, 'base64url').toString()) as { formatLength: number; formatTail: string };
    const broken: [string, Buffer][] = [
      ['signatures not an array', bytes({ ...m, signatures: 1 })],
      ['no signatures', bytes({ ...m, signatures: [] })],
      ['signature not an object', bytes({ ...m, signatures: ['x'] })],
      ['protected missing', bytes({ ...m, signatures: [{ header: {}, signature: 'AA' }] })],
      ['protected not base64url', bytes({ ...m, signatures: [{ header: {}, signature: 'AA', protected: '!!!' }] })],
      ['protected not JSON', bytes({ ...m, signatures: [{ header: {}, signature: 'AA', protected: Buffer.from('nope').toString('base64url') }] })],
      ['formatLength missing', signSchema1(m, { protectedOverride: () => ({ formatTail: header.formatTail }) }).signed],
      ['formatLength negative', signSchema1(m, { protectedOverride: () => ({ formatLength: -1, formatTail: header.formatTail }) }).signed],
      ['formatLength beyond the end', signSchema1(m, { protectedOverride: () => ({ formatLength: 1e7, formatTail: header.formatTail }) }).signed],
      ['formatTail missing', signSchema1(m, { protectedOverride: () => ({ formatLength: header.formatLength }) }).signed],
      ['formatTail not base64url', signSchema1(m, { protectedOverride: () => ({ formatLength: header.formatLength, formatTail: '*' }) }).signed],
      [
        'signatures disagree',
        signSchema1(m, {
          signatures: 2,
          protectedOverride: (i) => ({ formatLength: header.formatLength - i, formatTail: header.formatTail }),
        }).signed,
      ],
    ];
    for (const [name, raw] of broken) {
      const err = expectCode(() => manifestDigest(raw), 'INVALID_MANIFEST');
      assert.match(err.message, /signatures/, name);
      assert.equal(matchesDigest(raw, sha('sha256', raw)), false, name);
    }
  });
});

describe('matchesDigest', () => {
  const raw = bytes(ociManifest());
  it('matches the digest with its own algorithm', () => {
    assert.equal(matchesDigest(raw, sha('sha256', raw)), true);
    assert.equal(matchesDigest(raw, sha('sha512', raw)), true);
  });
  it('is false for other digests and for malformed ones', () => {
    assert.equal(matchesDigest(raw, sha('sha256', Buffer.from('other'))), false);
    assert.equal(matchesDigest(raw, `${sha('sha256', raw)}abc`), false);
    assert.equal(matchesDigest(raw, sha('sha256', raw).slice(0, 20)), false);
    assert.equal(matchesDigest(raw, 'md5:2872f31c5c1f62a694fbd20c1e85257c'), false);
    assert.equal(matchesDigest(raw, ''), false);
  });
  it('matches signed schema 1 by its payload digest', () => {
    const { signed, payload } = signSchema1(schema1Manifest());
    assert.equal(matchesDigest(signed, sha('sha256', payload)), true);
    assert.equal(matchesDigest(signed, sha('sha256', signed)), false);
  });
  it('agrees with the digest of the parsed manifest bytes', () => {
    const { signed } = signSchema1(schema1Manifest());
    const m = parseManifest(signed, MediaTypes.dockerV2S1SignedManifest);
    assert.equal(matchesDigest(m.raw, manifestDigest(signed)), true);
  });
});
