/**
 * Simple signatures across implementations: what Signet signs, gpg and skopeo accept; what gpg and skopeo sign,
 * Signet accepts. Keys live in a throwaway GnuPG home that skopeo reads through GNUPGHOME.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/index.js';
import {
  loadKeyring,
  parseSimpleSigningPayload,
  serializeSimpleSigningPayload,
  signOpenPgpWithKey,
  signWithGpg,
  verifyOpenPgpSignature,
  verifySimpleSignature,
  type Keyring,
} from '../../src/signature/index.js';
import { GpgHome, type GpgKey } from '../fixtures/gpg.js';
import { skipUnlessPeers } from '../helpers/peers.js';

const manifest = Buffer.from(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}',
);
const manifestDigest = digestOf(manifest);
const dockerReference = 'registry.example.com/ns/app:1.2';

describe('simple signatures interoperate with gpg and skopeo', { skip: skipUnlessPeers('gpg', 'skopeo') }, () => {
  let home: GpgHome;
  let key: GpgKey;
  let edKey: GpgKey;
  let subkeyKey: GpgKey;
  let trusted: Keyring;
  let manifestPath: string;
  let counter = 0;

  const writeSig = async (blob: Uint8Array): Promise<string> => {
    const path = join(home.dir, `signature-${++counter}`);
    await writeFile(path, blob);
    return path;
  };
  const skopeo = (args: readonly string[]) => home.run(args, undefined, 'skopeo');
  const standaloneVerify = async (fingerprint: string, blob: Uint8Array) => {
    const r = await skopeo(['standalone-verify', manifestPath, dockerReference, fingerprint, await writeSig(blob)]);
    return { ...r, stdout: r.stdout.toString('utf8') };
  };

  before(async () => {
    home = await GpgHome.create();
    key = await home.generateKey('interop', { algorithm: 'rsa2048' });
    edKey = await home.generateKey('interop-ed25519');
    subkeyKey = await home.generateKey('interop-subkey', { signingSubkey: true });
    trusted = await loadKeyring(await home.exportPublic([key.fingerprint, subkeyKey.fingerprint], { armor: true }), 'interop.asc');
    manifestPath = join(home.dir, 'manifest.json');
    await writeFile(manifestPath, manifest);
  });
  after(async () => {
    await home?.cleanup();
  });

  for (const which of ['RSA 2048', 'ed25519'] as const) {
    it(`a signature made by signOpenPgpWithKey (${which}) passes gpg --verify and skopeo standalone-verify`, async () => {
      const signer = which === 'RSA 2048' ? key : edKey;
      const payload = serializeSimpleSigningPayload({ dockerManifestDigest: manifestDigest, dockerReference, creator: 'Signet 0.1.0', timestamp: Math.floor(Date.now() / 1000) });
      const blob = await signOpenPgpWithKey(payload, await home.exportSecret(signer));
      const gpg = await home.run(['--status-fd', '1', '--verify', await writeSig(blob)]);
      assert.equal(gpg.code, 0, gpg.stderr);
      assert.match(gpg.stdout.toString('utf8'), new RegExp(`VALIDSIG ${signer.fingerprint} `));
      const r = await standaloneVerify(signer.fingerprint, blob);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(manifestDigest));
    });
  }

  it('a signature made by skopeo standalone-sign passes verifySimpleSignature', async () => {
    const out = join(home.dir, 'skopeo.sig');
    const r = await skopeo(['standalone-sign', manifestPath, dockerReference, key.fingerprint, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const v = await verifySimpleSignature(await readFile(out), trusted);
    assert.equal(v.signer, key.fingerprint);
    assert.equal(v.payload.dockerManifestDigest, manifestDigest);
    assert.equal(v.payload.dockerReference, dockerReference);
    assert.match(v.payload.creator ?? '', /^atomic /);
    assert.equal(typeof v.payload.timestamp, 'number');
  });

  it('skopeo’s payload bytes equal serializeSimpleSigningPayload of the same fields', async () => {
    const out = join(home.dir, 'skopeo-bytes.sig');
    const r = await skopeo(['standalone-sign', manifestPath, dockerReference, key.fingerprint, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const { content } = await verifyOpenPgpSignature(await readFile(out), trusted);
    const p = parseSimpleSigningPayload(content);
    const ours = serializeSimpleSigningPayload({
      dockerManifestDigest: p.dockerManifestDigest,
      dockerReference: p.dockerReference,
      ...(p.creator === undefined ? {} : { creator: p.creator }),
      ...(p.timestamp === undefined ? {} : { timestamp: p.timestamp }),
    });
    assert.equal(ours.toString('utf8'), content.toString('utf8'));
  });

  it('a payload signed with plain gpg --sign passes verifySimpleSignature', async () => {
    const payload = serializeSimpleSigningPayload({ dockerManifestDigest: manifestDigest, dockerReference });
    const blob = await home.sign(payload, key);
    const v = await verifySimpleSignature(blob, trusted);
    assert.equal(v.signer, key.fingerprint);
    assert.equal(v.payload.dockerManifestDigest, manifestDigest);
  });

  it('signWithGpg output passes skopeo standalone-verify', async () => {
    const payload = serializeSimpleSigningPayload({ dockerManifestDigest: manifestDigest, dockerReference, timestamp: 1700000000 });
    const blob = await signWithGpg(payload, key.fingerprint, { gnupgHome: home.dir });
    const r = await standaloneVerify(key.fingerprint, blob);
    assert.equal(r.code, 0, r.stderr);
  });

  it('skopeo rejects what Signet rejects: a different reference, another fingerprint', async () => {
    const payload = serializeSimpleSigningPayload({ dockerManifestDigest: manifestDigest, dockerReference: 'registry.example.com/ns/other:1.2' });
    const blob = await signOpenPgpWithKey(payload, await home.exportSecret(key));
    assert.notEqual((await standaloneVerify(key.fingerprint, blob)).code, 0);
    const good = await signOpenPgpWithKey(serializeSimpleSigningPayload({ dockerManifestDigest: manifestDigest, dockerReference }), await home.exportSecret(key));
    assert.notEqual((await standaloneVerify(subkeyKey.fingerprint, good)).code, 0);
  });

  it('known difference: a signing-subkey signature is accepted by Signet and rejected by Debian’s skopeo 1.9.3', async () => {
    // Current containers/image maps a subkey signature to its primary key, and Signet follows it. Debian's
    // skopeo 1.9.3 (containers/image 5.23.1, gpgme) reports the subkey fingerprint, which is not the primary
    // fingerprint it was asked to trust, so it refuses the signature.
    const payload = serializeSimpleSigningPayload({ dockerManifestDigest: manifestDigest, dockerReference });
    const blob = await signWithGpg(payload, subkeyKey.fingerprint, { gnupgHome: home.dir });
    const v = await verifySimpleSignature(blob, trusted);
    assert.equal(v.signer, subkeyKey.fingerprint);
    const { signedBy } = await verifyOpenPgpSignature(blob, trusted);
    assert.equal(signedBy, subkeyKey.subkeys[0]);
    const r = await standaloneVerify(subkeyKey.fingerprint, blob);
    assert.notEqual(r.code, 0, 'skopeo 1.9.3 is expected to reject a subkey signature; if it accepts, this difference is gone');
    assert.ok(r.stderr.includes(`Signature by ${subkeyKey.subkeys[0]} does not match expected fingerprint ${subkeyKey.fingerprint}`), r.stderr);
  });
});
