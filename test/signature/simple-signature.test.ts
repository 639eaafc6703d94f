import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/index.js';
import {
  createSimpleSignature,
  loadKeyring,
  serializeSimpleSigningPayload,
  verifySimpleSignature,
  type Keyring,
} from '../../src/signature/index.js';
import { createGpgWorld, protectedPassphrase, trustedFingerprints, type GpgWorld } from '../fixtures/gpg.js';
import { expectCodeAsync } from '../helpers/expect-code.js';
import { skipUnlessPeers } from '../helpers/peers.js';

const manifestDigest = digestOf('{"schemaVersion":2}');
const dockerReference = 'registry.example.com/ns/app:1.2';
const payload = serializeSimpleSigningPayload({ dockerManifestDigest: manifestDigest, dockerReference, creator: 'Signet 0.1.0', timestamp: 1700000000 });

describe('simple signatures end to end', { skip: skipUnlessPeers('gpg') }, () => {
  let world: GpgWorld;
  let trusted: Keyring;

  before(async () => {
    world = await createGpgWorld(payload);
    trusted = await loadKeyring(await world.home.exportPublic(trustedFingerprints(world)), 'trusted.gpg');
  });
  after(async () => {
    await world?.home.cleanup();
  });

  it('verifies a gpg-made signature and returns the untrusted payload', async () => {
    const r = await verifySimpleSignature(world.signatures['sig-valid'], trusted);
    assert.equal(r.signer, world.ed25519.fingerprint);
    assert.equal(r.payload.dockerManifestDigest, manifestDigest);
    assert.equal(r.payload.dockerReference, dockerReference);
    assert.equal(r.payload.creator, 'Signet 0.1.0');
    assert.equal(r.payload.timestamp, 1700000000);
  });

  it('creates with a secret key and verifies (key → payload)', async () => {
    const blob = await createSimpleSignature({
      manifestDigest,
      dockerReference,
      signer: { kind: 'key', secretKey: await world.home.exportSecret(world.protectedKey, { armor: true }), passphrase: protectedPassphrase },
      creator: 'test',
      timestamp: 42,
    });
    const r = await verifySimpleSignature(blob, trusted);
    assert.equal(r.signer, world.protectedKey.fingerprint);
    assert.deepEqual(r.payload.optional, { creator: 'test', timestamp: 42 });
  });

  it('creates through gpg, with a default timestamp of now and no creator unless given', async () => {
    const before = Math.floor(Date.now() / 1000);
    const blob = await createSimpleSignature({ manifestDigest, dockerReference, signer: { kind: 'gpg', fingerprint: world.rsa2048.fingerprint, gnupgHome: world.home.dir } });
    const r = await verifySimpleSignature(blob, trusted);
    assert.equal(r.signer, world.rsa2048.fingerprint);
    assert.equal(r.payload.creator, undefined);
    assert.ok((r.payload.timestamp ?? 0) >= before);
  });

  it('checks the cryptography before the payload: a bad payload from an untrusted key is KEY_NOT_TRUSTED', async () => {
    const junk = await world.home.sign('not json', world.other);
    await expectCodeAsync(() => verifySimpleSignature(junk, trusted), 'KEY_NOT_TRUSTED');
  });

  it('MALFORMED_SIGNATURE for a validly signed payload that is not a simple-signing payload', async () => {
    const junk = await world.home.sign('{"critical":{},"optional":{}}', world.ed25519);
    const err = await expectCodeAsync(() => verifySimpleSignature(junk, trusted), 'MALFORMED_SIGNATURE');
    assert.match(err.message, /critical: missing key/);
  });

  it('passes the OpenPGP verdict codes through', async () => {
    await expectCodeAsync(() => verifySimpleSignature(world.signatures['sig-revoked-key'], trusted), 'KEY_REVOKED');
    await expectCodeAsync(() => verifySimpleSignature(world.signatures['sig-expired'], trusted), 'SIGNATURE_EXPIRED');
    await expectCodeAsync(() => verifySimpleSignature(world.signatures['sig-clearsign'], trusted), 'MALFORMED_SIGNATURE');
  });
});
