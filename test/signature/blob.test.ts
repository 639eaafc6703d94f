import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limits } from '../../src/core/index.js';
import { parseSignatureBlob, signatureBlobForStorage } from '../../src/signature/index.js';
import { expectCode } from '../helpers/expect-code.js';

const typed = (name: string, data: string) => Buffer.concat([Buffer.from([0]), Buffer.from(`${name}\n`, 'utf8'), Buffer.from(data, 'latin1')]);

describe('parseSignatureBlob', () => {
  // First bytes of raw OpenPGP messages: compressed data, one-pass signature and signature packets, old and new
  // packet formats (and containers/image's 0x3d).
  for (const first of [0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x3d, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2]) {
    it(`takes a blob starting with 0x${first.toString(16)} as a raw simple signature`, () => {
      const bytes = Buffer.from([first, 1, 2, 3]);
      const blob = parseSignatureBlob(bytes);
      assert.equal(blob.kind, 'simple-signing');
      assert.deepEqual(blob.kind === 'simple-signing' ? blob.openpgp : undefined, bytes);
    });
  }

  it('reads typed simple-signing and sigstore-json blobs', () => {
    const simple = parseSignatureBlob(typed('simple-signing', '\xa3abc'));
    assert.deepEqual(simple, { kind: 'simple-signing', openpgp: Buffer.from('\xa3abc', 'latin1') });
    const sigstore = parseSignatureBlob(typed('sigstore-json', '{"mimeType":"x"}'));
    assert.deepEqual(sigstore, { kind: 'sigstore-json', json: Buffer.from('{"mimeType":"x"}') });
  });

  const malformed: ReadonlyArray<readonly [string, Buffer, RegExp]> = [
    ['an empty blob', Buffer.alloc(0), /empty/],
    ['an armored signed message', Buffer.from('-----BEGIN PGP MESSAGE-----\n\nowGb\n-----END PGP MESSAGE-----\n'), /ASCII-armored OpenPGP/],
    ['an armored signature', Buffer.from('-----BEGIN PGP SIGNATURE-----\n'), /armored OpenPGP signature/],
    ['a cleartext-signed message', Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n'), /cleartext-signed/],
    ['a bare JSON payload', Buffer.from('{"critical":{}}'), /JSON text/],
    ['a one-pass signature tag 0x93 (not in containers/image’s list)', Buffer.from([0x93, 0]), /byte 0x93/],
    ['a public-key packet', Buffer.from([0x99, 0, 1]), /byte 0x99/],
    ['a typed blob without a newline', Buffer.from([0, 0x61, 0x62]), /newline/],
    ['a typed blob with a control character in its name', typed('simple\tsigning', ''), /non-ASCII byte 0x09/],
    ['a typed blob with a non-ASCII name', typed('sigst\u00f6re', ''), /non-ASCII byte/],
  ];
  for (const [name, bytes, message] of malformed) {
    it(`rejects ${name}`, () => {
      const err = expectCode(() => parseSignatureBlob(bytes), 'MALFORMED_SIGNATURE');
      assert.match(err.message, message);
    });
  }

  it('names an unknown typed format as unsupported', () => {
    const err = expectCode(() => parseSignatureBlob(typed('x509-cms', 'abc')), 'UNSUPPORTED_FORMAT');
    assert.match(err.message, /"x509-cms"/);
  });

  it('caps the size at limits.signatureBytes', () => {
    const big = Buffer.alloc(limits.signatureBytes + 1, 0xa3);
    expectCode(() => parseSignatureBlob(big), 'MALFORMED_SIGNATURE');
    assert.equal(parseSignatureBlob(big.subarray(0, limits.signatureBytes)).kind, 'simple-signing');
  });
});

describe('signatureBlobForStorage', () => {
  it('writes simple signatures raw and sigstore signatures typed, and reads them back', () => {
    const openpgp = Buffer.from([0xa3, 1, 2]);
    assert.deepEqual(signatureBlobForStorage({ kind: 'simple-signing', openpgp }), openpgp);
    const json = Buffer.from('{"a":1}');
    const stored = signatureBlobForStorage({ kind: 'sigstore-json', json });
    assert.deepEqual(stored, typed('sigstore-json', '{"a":1}'));
    assert.deepEqual(parseSignatureBlob(stored), { kind: 'sigstore-json', json });
    assert.deepEqual(parseSignatureBlob(signatureBlobForStorage({ kind: 'simple-signing', openpgp })), { kind: 'simple-signing', openpgp });
  });
});
