/**
 * `signet sign`: cosign-format signatures land in the `sha256-<hex>.sig` tag (openssl verifies them; Signet's
 * policy engine accepts them); simple signatures land beside a dir: image or in lookaside storage, where
 * skopeo accepts them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { GpgHome, type GpgKey } from '../fixtures/gpg.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { fileLookasideRegistriesD, pushDirImages } from '../helpers/interop-setup.js';
import { peerAvailable } from '../helpers/peers.js';
import { run, signet, skopeo } from '../helpers/run.js';

const ready = peerAvailable('docker-registry') && peerAvailable('skopeo') && peerAvailable('gpg') && peerAvailable('openssl');
let work: string;
let registry: RunningRegistry;
let image: FixtureImage;
let ref: string;
let registriesD: string;

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-sign-'));
  registry = await startDockerRegistry();
  image = makeImage({ seed: 'sign-cmd' });
  await writeDirImage(join(work, 'src'), image);
  ref = `docker://${registry.host}/team/signed:1`;
  await pushDirImages(work, [['src', ref]]);
  registriesD = await fileLookasideRegistriesD(work, { sigstoreAttachments: true });
});

after(async () => {
  if (!ready) return;
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('signet sign', { skip: !ready }, () => {
  it('cosign format: the .sig tag gets one layer per signature, which openssl verifies and the policy accepts', async () => {
    const env = { ...process.env, COSIGN_PASSWORD: 'pw' };
    const gen = await signet(['generate-key-pair', '--output-key-prefix', join(work, 'release')], { env });
    assert.equal(gen.code, 0, gen.stderr);
    assert.equal((await run('stat', ['-c', '%a', join(work, 'release.key')])).stdout.trim(), '600');
    for (const note of ['first', 'second']) {
      const r = await signet(['--registries.d', registriesD, 'sign', '--tls-verify=false', '--key', join(work, 'release.key'), '-a', `note=${note}`, ref], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Signed ${image.manifestDigest} as ${registry.host}/team/signed \\(cosign\\)`));
    }
    const sigRef = `docker://${registry.host}/team/signed:sha256-${image.manifestDigest.slice(7)}.sig`;
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', sigRef]);
    assert.equal(raw.code, 0, raw.stderr);
    const manifest = JSON.parse(raw.stdout) as { layers: { digest: string; mediaType: string; annotations: Record<string, string> }[] };
    assert.equal(manifest.layers.length, 2);
    assert.ok(manifest.layers.every((l) => l.mediaType === 'application/vnd.dev.cosign.simplesigning.v1+json'));

    // An independent check: openssl verifies the ECDSA signature over the payload blob with release.pub.
    const pulled = join(work, 'sig-dir');
    assert.equal((await skopeo(['copy', '--insecure-policy', '--src-tls-verify=false', sigRef, `dir:${pulled}`])).code, 0);
    for (const layer of manifest.layers) {
      const payloadFile = join(pulled, layer.digest.slice(7));
      const payload = JSON.parse(await readFile(payloadFile, 'utf8')) as { critical: { identity: { 'docker-reference': string }; image: { 'docker-manifest-digest': string } }; optional: Record<string, string> };
      assert.equal(payload.critical.image['docker-manifest-digest'], image.manifestDigest);
      assert.equal(payload.critical.identity['docker-reference'], `${registry.host}/team/signed`);
      const sigFile = join(work, `sig-${layer.digest.slice(7, 19)}.der`);
      await writeFile(sigFile, Buffer.from(layer.annotations['dev.cosignproject.cosign/signature'] ?? '', 'base64'));
      const v = await run('openssl', ['dgst', '-sha256', '-verify', join(work, 'release.pub'), '-signature', sigFile, payloadFile]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
    }

    const policy = join(work, 'cosign-policy.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'sigstoreSigned', keyPath: join(work, 'release.pub'), signedIdentity: { type: 'matchRepository' } }] }));
    const ok = await signet(['--policy', policy, '--registries.d', registriesD, 'verify', '--tls-verify=false', ref]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const other = await signet(['generate-key-pair', '--output-key-prefix', join(work, 'other')], { env });
    assert.equal(other.code, 0);
    const strangerPolicy = join(work, 'stranger-policy.json');
    await writeFile(strangerPolicy, JSON.stringify({ default: [{ type: 'sigstoreSigned', keyPath: join(work, 'other.pub'), signedIdentity: { type: 'matchRepository' } }] }));
    const no = await signet(['--policy', strangerPolicy, '--registries.d', registriesD, 'verify', '--tls-verify=false', ref]);
    assert.equal(no.code, 1, no.stdout + no.stderr);
    assert.match(no.stdout, /KEY_NOT_TRUSTED/);
  });

  it('known difference: Debian skopeo 1.9.3 has sigstore disabled and rejects what current containers/image accepts', async () => {
    const policy = join(work, 'cosign-policy.json');
    const k = await skopeo(['copy', '--policy', policy, '--registries.d', registriesD, '--src-tls-verify=false', ref, `dir:${join(work, 'skopeo-sigstore')}`]);
    assert.notEqual(k.code, 0, 'Debian skopeo 1.9.3 is expected to refuse every sigstore signature');
    const ours = await signet(['--policy', policy, '--registries.d', registriesD, 'verify', '--tls-verify=false', ref]);
    assert.equal(ours.code, 0, ours.stdout + ours.stderr);
  });

  it('simple format: dir: gets signature-1, -2…; a registry image gets lookaside files; skopeo accepts both', async () => {
    const gpg = await GpgHome.create();
    try {
      const key: GpgKey = await gpg.generateKey('signer');
      const secret = join(work, 'signer.key');
      await writeFile(secret, await gpg.exportSecret(key));
      const keyring = join(work, 'signer.gpg');
      await writeFile(keyring, await gpg.exportPublic([key.fingerprint]));
      const dir = join(work, 'dir-image');
      await writeDirImage(dir, image);
      for (let i = 0; i < 2; i++) {
        const r = await signet(['sign', '--key', secret, '--identity', 'registry.example.com/team/app:1', `dir:${dir}`]);
        assert.equal(r.code, 0, r.stderr);
      }
      assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('signature-')).sort(), ['signature-1', 'signature-2']);
      const sv = await skopeo(['standalone-verify', join(dir, 'manifest.json'), 'registry.example.com/team/app:1', key.fingerprint, join(dir, 'signature-2')], { env: { ...process.env, ...gpg.env } });
      assert.equal(sv.code, 0, sv.stderr);

      const r = await signet(['--registries.d', registriesD, 'sign', '--tls-verify=false', '--key', secret, ref]);
      assert.equal(r.code, 0, r.stderr);
      const files = await readdir(join(work, 'lookaside', `team/signed@sha256=${image.manifestDigest.slice(7)}`));
      assert.deepEqual(files, ['signature-1']);
      const policy = join(work, 'gpg-policy.json');
      await writeFile(policy, JSON.stringify({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring }] }));
      const k = await skopeo(['copy', '--policy', policy, '--registries.d', registriesD, '--src-tls-verify=false', ref, `dir:${join(work, 'skopeo-simple')}`]);
      assert.equal(k.code, 0, k.stderr);
    } finally {
      await gpg.cleanup();
    }
  });

  it('copy --sign-by-sigstore-private-key adds a cosign signature of the written manifest', async () => {
    const pass = join(work, 'cosign-pass');
    await writeFile(pass, 'pw\n');
    const dest = `docker://${registry.host}/team/copied:2`;
    const r = await signet(['--insecure-policy', '--registries.d', registriesD, 'copy', '-q', '--dest-tls-verify=false', '--sign-by-sigstore-private-key', join(work, 'release.key'), '--sign-passphrase-file', pass, `dir:${join(work, 'src')}`, dest]);
    assert.equal(r.code, 0, r.stderr);
    const tree = JSON.parse((await signet(['--registries.d', registriesD, '--output', 'json', 'tree', '--tls-verify=false', dest])).stdout) as { attachments: { kind: string; layers: unknown[] }[] };
    assert.deepEqual(tree.attachments.map((a) => [a.kind, a.layers.length]), [['signatures', 1]]);
    const policy = join(work, 'cosign-policy.json');
    const ok = await signet(['--policy', policy, '--registries.d', registriesD, 'verify', '--tls-verify=false', dest]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const toDir = await signet(['--insecure-policy', 'copy', '-q', '--sign-by-sigstore-private-key', join(work, 'release.key'), '--sign-passphrase-file', pass, `dir:${join(work, 'src')}`, `dir:${join(work, 'never-cosign')}`]);
    assert.equal(toDir.code, 2, toDir.stderr);
    assert.match(toDir.stderr, /not one/);
  });

  it('refuses what it cannot do: a cosign key for dir:, a simple signature without identity, a wrong password', async () => {
    const env = { ...process.env, COSIGN_PASSWORD: 'pw' };
    const dirCosign = await signet(['sign', '--key', join(work, 'release.key'), `dir:${join(work, 'src')}`], { env });
    assert.equal(dirCosign.code, 2, dirCosign.stderr);
    assert.match(dirCosign.stderr, /UNSUPPORTED_DESTINATION/);
    const wrong = await signet(['--registries.d', registriesD, 'sign', '--tls-verify=false', '--key', join(work, 'release.key'), ref], { env: { ...process.env, COSIGN_PASSWORD: 'nope' } });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /WRONG_PASSWORD/);
  });
});
