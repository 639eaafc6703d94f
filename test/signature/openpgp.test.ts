import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  KeyError,
  loadKeyring,
  signOpenPgpWithKey,
  signWithGpg,
  verifyOpenPgpSignature,
  type Keyring,
} from '../../src/signature/index.js';
import { createGpgWorld, protectedPassphrase, trustedFingerprints, type GpgWorld } from '../fixtures/gpg.js';
import { expectCodeAsync } from '../helpers/expect-code.js';
import { skipUnlessPeers } from '../helpers/peers.js';

const content = Buffer.from('{"critical":{"identity":{"docker-reference":"example.com/a:b"}},"optional":{}}');

describe('OpenPGP with gpg-made keys and signatures', { skip: skipUnlessPeers('gpg') }, () => {
  let world: GpgWorld;
  let trusted: Keyring;

  before(async () => {
    world = await createGpgWorld(content);
    trusted = await loadKeyring(await world.home.exportPublic(trustedFingerprints(world)), 'trusted.gpg');
  });
  after(async () => {
    await world?.home.cleanup();
  });

  describe('loadKeyring', () => {
    it('reads a binary keyring with several keys and lists primary fingerprints', () => {
      assert.deepEqual(trusted.fingerprints(), trustedFingerprints(world));
    });

    it('reads an armored keyring and several concatenated armor blocks', async () => {
      const a = await world.home.exportPublic([world.ed25519.fingerprint], { armor: true });
      const b = await world.home.exportPublic([world.rsa2048.fingerprint], { armor: true });
      assert.deepEqual((await loadKeyring(a, 'a.asc')).fingerprints(), [world.ed25519.fingerprint]);
      const both = await loadKeyring(Buffer.concat([a, Buffer.from('\n'), b]), 'both.asc');
      assert.deepEqual(both.fingerprints(), [world.ed25519.fingerprint, world.rsa2048.fingerprint]);
    });

    it('reads concatenated binary keyrings and merges a key that appears twice', async () => {
      const a = await world.home.exportPublic([world.ed25519.fingerprint]);
      const b = await world.home.exportPublic([world.rsa2048.fingerprint]);
      const kr = await loadKeyring(Buffer.concat([a, b, a]), 'cat.gpg');
      assert.deepEqual(kr.fingerprints(), [world.ed25519.fingerprint, world.rsa2048.fingerprint]);
    });

    it('takes the public part of a secret key', async () => {
      const secret = await world.home.exportSecret(world.ed25519, { armor: true });
      assert.deepEqual((await loadKeyring(secret, 'secret.asc')).fingerprints(), [world.ed25519.fingerprint]);
    });

    for (const [name, bytes] of [
      ['empty input', Buffer.alloc(0)],
      ['whitespace', Buffer.from('  \n')],
      ['text without a key block', Buffer.from('hello, world\n')],
    ] as const) {
      it(`rejects ${name} as holding no public keys`, async () => {
        const err = await expectCodeAsync(() => loadKeyring(bytes, 'keys.gpg'), 'INVALID_KEY');
        assert.ok(err instanceof KeyError);
        assert.equal(err.message, 'keys.gpg holds no public keys');
      });
    }

    it('rejects binary garbage and a signature instead of a key', async () => {
      await expectCodeAsync(() => loadKeyring(Buffer.from([0x99, 0x00, 0x05, 1, 2, 3]), 'junk.gpg'), 'INVALID_KEY');
      await expectCodeAsync(() => loadKeyring(world.signatures['sig-valid'], 'sig.gpg'), 'INVALID_KEY');
    });
  });

  describe('verifyOpenPgpSignature', () => {
    const accepted: ReadonlyArray<readonly [string, 'sig-valid' | 'sig-valid-uncompressed' | 'sig-rsa' | 'sig-rsa-uncompressed', () => string]> = [
      ['a compressed ed25519 signature', 'sig-valid', () => world.ed25519.fingerprint],
      ['an uncompressed ed25519 signature (--compress-algo none)', 'sig-valid-uncompressed', () => world.ed25519.fingerprint],
      ['a compressed RSA 2048 signature', 'sig-rsa', () => world.rsa2048.fingerprint],
      ['an uncompressed RSA 2048 signature', 'sig-rsa-uncompressed', () => world.rsa2048.fingerprint],
    ];
    for (const [name, scenario, signer] of accepted) {
      it(`accepts ${name}`, async () => {
        const r = await verifyOpenPgpSignature(world.signatures[scenario], trusted);
        assert.equal(r.signer, signer());
        assert.equal(r.signedBy, signer());
        assert.deepEqual(r.content, content);
        assert.ok(Math.abs(r.created.getTime() - Date.now()) < 3_600_000);
      });
    }

    it('first byte of gpg --sign output is a compressed-data packet, of --compress-algo none a one-pass signature', () => {
      assert.equal(world.signatures['sig-valid'][0], 0xa3);
      assert.equal(world.signatures['sig-valid-uncompressed'][0], 0x90);
    });

    it('maps a signature by a signing subkey (sig-subkey) to the primary fingerprint', async () => {
      const r = await verifyOpenPgpSignature(world.signatures['sig-subkey'], trusted);
      assert.equal(r.signer, world.withSubkey.fingerprint);
      assert.equal(r.signedBy, world.withSubkey.subkeys[0]);
    });

    it('works with an armored keyring', async () => {
      const kr = await loadKeyring(await world.home.exportPublic([world.ed25519.fingerprint], { armor: true }), 'k.asc');
      assert.equal((await verifyOpenPgpSignature(world.signatures['sig-valid'], kr)).signer, world.ed25519.fingerprint);
    });

    it('KEY_NOT_TRUSTED: sig-other-key, naming the signer', async () => {
      const err = await expectCodeAsync(() => verifyOpenPgpSignature(world.signatures['sig-other-key'], trusted), 'KEY_NOT_TRUSTED');
      assert.ok(err.message.includes(world.other.fingerprint), err.message);
    });

    it('KEY_NOT_TRUSTED: a keyring with only other keys', async () => {
      const kr = await loadKeyring(await world.home.exportPublic([world.other.fingerprint]), 'other.gpg');
      await expectCodeAsync(() => verifyOpenPgpSignature(world.signatures['sig-valid'], kr), 'KEY_NOT_TRUSTED');
    });

    it('BAD_SIGNATURE: one byte of the literal data flipped (sig-modified)', async () => {
      for (const scenario of ['sig-valid-uncompressed', 'sig-rsa-uncompressed'] as const) {
        const blob = Buffer.from(world.signatures[scenario]);
        const at = blob.indexOf(content);
        assert.ok(at > 0);
        blob[at + 10] = (blob[at + 10] as number) ^ 0x01;
        const err = await expectCodeAsync(() => verifyOpenPgpSignature(blob, trusted), 'BAD_SIGNATURE');
        assert.match(err.message, /does not verify/);
      }
    });

    it('BAD_SIGNATURE: a flipped bit in the signature value', async () => {
      const blob = Buffer.from(world.signatures['sig-rsa-uncompressed']);
      blob[blob.length - 5] = (blob[blob.length - 5] as number) ^ 0x40;
      await expectCodeAsync(() => verifyOpenPgpSignature(blob, trusted), 'BAD_SIGNATURE');
    });

    it('KEY_EXPIRED: a key that expired after signing (sig-expired-key)', async () => {
      const err = await expectCodeAsync(() => verifyOpenPgpSignature(world.signatures['sig-expired-key'], trusted), 'KEY_EXPIRED');
      assert.ok(err.message.includes(world.expired.fingerprint));
    });

    it('accepts sig-expired-key when checked at a time the key was valid', async () => {
      const r = await verifyOpenPgpSignature(world.signatures['sig-expired-key'], trusted, new Date(Date.now() - 8.5 * 86_400_000));
      assert.equal(r.signer, world.expired.fingerprint);
    });

    it('KEY_REVOKED: a revoked key (sig-revoked-key)', async () => {
      const err = await expectCodeAsync(() => verifyOpenPgpSignature(world.signatures['sig-revoked-key'], trusted), 'KEY_REVOKED');
      assert.ok(err.message.includes(world.revoked.fingerprint));
    });

    it('KEY_REVOKED: a revoked signing subkey (sig-revoked-subkey)', async () => {
      const err = await expectCodeAsync(() => verifyOpenPgpSignature(world.signatures['sig-revoked-subkey'], trusted), 'KEY_REVOKED');
      assert.match(err.message, /subkey/);
    });

    it('SIGNATURE_EXPIRED: a signature past its expiry (sig-expired, --default-sig-expire 1d)', async () => {
      await expectCodeAsync(() => verifyOpenPgpSignature(world.signatures['sig-expired'], trusted), 'SIGNATURE_EXPIRED');
    });

    const malformed: ReadonlyArray<readonly [string, () => Buffer, RegExp]> = [
      ['a cleartext signature (sig-clearsign)', () => world.signatures['sig-clearsign'], /cleartext/],
      ['a detached signature (sig-detached)', () => world.signatures['sig-detached'], /detached/],
      ['an armored signed message (sig-armored)', () => world.signatures['sig-armored'], /armored/],
      ['two signatures (sig-two-signers)', () => world.signatures['sig-two-signers'], /exactly 1 signature in the OpenPGP message, got 2/],
      ['an empty blob', () => Buffer.alloc(0), /empty/],
      ['garbage', () => Buffer.from([0xa3, 0x01, 0xff, 0xfe, 0x00, 0x12, 0x34]), /not a valid OpenPGP/],
      ['a compressed message cut in half', () => world.signatures['sig-valid'].subarray(0, Math.floor(world.signatures['sig-valid'].length / 2)), /not a valid OpenPGP/],
      ['an uncompressed message without its signature packet', () => {
        const blob = world.signatures['sig-valid-uncompressed'];
        return blob.subarray(0, blob.indexOf(content) + content.length);
      }, /not a valid OpenPGP|exactly 1 signature/],
      ['a message truncated inside the signature', () => world.signatures['sig-rsa-uncompressed'].subarray(0, world.signatures['sig-rsa-uncompressed'].length - 20), /not a valid OpenPGP/],
    ];
    for (const [name, blob, message] of malformed) {
      it(`MALFORMED_SIGNATURE: ${name}`, async () => {
        const err = await expectCodeAsync(() => verifyOpenPgpSignature(blob(), trusted), 'MALFORMED_SIGNATURE');
        assert.match(err.message, message);
      });
    }

    it('MALFORMED_SIGNATURE: a keyring passed as the signature', async () => {
      const keyBytes = await world.home.exportPublic([world.ed25519.fingerprint]);
      await expectCodeAsync(() => verifyOpenPgpSignature(keyBytes, trusted), 'MALFORMED_SIGNATURE');
    });
  });

  describe('signOpenPgpWithKey', () => {
    it('signs with an unprotected exported secret key (binary and armored); the result verifies', async () => {
      for (const armor of [false, true]) {
        const secret = await world.home.exportSecret(world.ed25519, { armor });
        const blob = await signOpenPgpWithKey(content, secret);
        assert.equal(blob[0] & 0x80, 0x80, 'binary output');
        const r = await verifyOpenPgpSignature(blob, trusted);
        assert.equal(r.signer, world.ed25519.fingerprint);
        assert.deepEqual(r.content, content);
      }
    });

    it('signs with RSA and with a signing subkey', async () => {
      const rsa = await signOpenPgpWithKey(content, await world.home.exportSecret(world.rsa2048));
      assert.equal((await verifyOpenPgpSignature(rsa, trusted)).signer, world.rsa2048.fingerprint);
      const sub = await signOpenPgpWithKey(content, await world.home.exportSecret(world.withSubkey));
      const r = await verifyOpenPgpSignature(sub, trusted);
      assert.equal(r.signer, world.withSubkey.fingerprint);
      assert.equal(r.signedBy, world.withSubkey.subkeys[0]);
    });

    it('unlocks a protected key with its passphrase', async () => {
      const secret = await world.home.exportSecret(world.protectedKey, { armor: true });
      const blob = await signOpenPgpWithKey(content, secret, protectedPassphrase);
      assert.equal((await verifyOpenPgpSignature(blob, trusted)).signer, world.protectedKey.fingerprint);
    });

    it('WRONG_PASSWORD for a wrong passphrase, PASSWORD_REQUIRED for none', async () => {
      const secret = await world.home.exportSecret(world.protectedKey);
      const err = await expectCodeAsync(() => signOpenPgpWithKey(content, secret, 'wrong'), 'WRONG_PASSWORD');
      assert.ok(err instanceof KeyError);
      await expectCodeAsync(() => signOpenPgpWithKey(content, secret), 'PASSWORD_REQUIRED');
    });

    it('INVALID_KEY for a public key and for garbage', async () => {
      const pub = await world.home.exportPublic([world.ed25519.fingerprint], { armor: true });
      const err = await expectCodeAsync(() => signOpenPgpWithKey(content, pub), 'INVALID_KEY');
      assert.match(err.message, /public key/);
      await expectCodeAsync(() => signOpenPgpWithKey(content, Buffer.from('not a key')), 'INVALID_KEY');
    });

    it('SIGNING_FAILED when the key cannot sign (revoked)', async () => {
      const secret = await world.home.exportSecret(world.revoked);
      await expectCodeAsync(() => signOpenPgpWithKey(content, secret), 'SIGNING_FAILED');
    });
  });

  describe('signWithGpg', () => {
    it('produces a binary signed message that verifies', async () => {
      const blob = await signWithGpg(content, world.ed25519.fingerprint, { gnupgHome: world.home.dir });
      assert.equal(blob[0], 0xa3);
      const r = await verifyOpenPgpSignature(blob, trusted);
      assert.equal(r.signer, world.ed25519.fingerprint);
      assert.deepEqual(r.content, content);
    });

    it('uses --passphrase-file for a protected key', async () => {
      const file = await world.home.passphraseFile(protectedPassphrase);
      const blob = await signWithGpg(content, world.protectedKey.fingerprint, { gnupgHome: world.home.dir, passphraseFile: file });
      assert.equal((await verifyOpenPgpSignature(blob, trusted)).signer, world.protectedKey.fingerprint);
    });

    it('SIGNING_FAILED with gpg’s message for a wrong passphrase or an unknown key', async () => {
      // A key never unlocked before, so gpg-agent has no cached passphrase for it.
      const fresh = await world.home.generateKey('fresh', { passphrase: 'right' });
      const file = await world.home.passphraseFile('wrong');
      const err = await expectCodeAsync(
        () => signWithGpg(content, fresh.fingerprint, { gnupgHome: world.home.dir, passphraseFile: file }),
        'SIGNING_FAILED',
      );
      assert.match(err.message, /gpg/);
      const unknown = await expectCodeAsync(() => signWithGpg(content, 'A'.repeat(40), { gnupgHome: world.home.dir }), 'SIGNING_FAILED');
      assert.match(unknown.message, /AAAAAAAA/);
    });

    it('SIGNING_FAILED when gpg cannot be run', async () => {
      await expectCodeAsync(() => signWithGpg(content, world.ed25519.fingerprint, { gpgPath: '/nonexistent/gpg' }), 'SIGNING_FAILED');
    });
  });
});
