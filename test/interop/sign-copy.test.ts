/**
 * `signet copy --sign-by…` writes signatures where containers tools look for them, and skopeo, as the oracle,
 * accepts the copied image under a policy that trusts the signer (and refuses it under one that does not).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { GpgHome, type GpgKey } from '../fixtures/gpg.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { peerAvailable } from '../helpers/peers.js';
import { signet, skopeo } from '../helpers/run.js';

const ready = peerAvailable('docker-registry') && peerAvailable('skopeo') && peerAvailable('gpg');
let work: string;
let registry: RunningRegistry;
let gpg: GpgHome;
let signer: GpgKey;
let stranger: GpgKey;
let image: FixtureImage;
let env: NodeJS.ProcessEnv;
let registriesD: string;
let lookaside: string;

function signedByPolicy(keyring: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { '': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring, ...extra }] }, dir: { '': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring, ...extra }] } } });
}

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-signcopy-'));
  registry = await startDockerRegistry();
  gpg = await GpgHome.create();
  signer = await gpg.generateKey('release');
  stranger = await gpg.generateKey('stranger', { passphrase: 'open sesame' });
  env = { ...process.env, ...gpg.env };
  await writeFile(join(work, 'signer.gpg'), await gpg.exportPublic([signer.fingerprint]));
  await writeFile(join(work, 'stranger.gpg'), await gpg.exportPublic([stranger.fingerprint]));
  image = makeImage({ layers: 1, seed: 'sign-copy' });
  await writeDirImage(join(work, 'src'), image);
  lookaside = join(work, 'lookaside');
  registriesD = join(work, 'registries.d');
  await mkdir(registriesD);
  await writeFile(join(registriesD, 'default.yaml'), `default-docker:\n  lookaside: file://${lookaside}\n  lookaside-staging: file://${lookaside}\n`);
});

after(async () => {
  if (!ready) return;
  await registry.stop();
  await gpg.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('copy --sign-by, checked by skopeo', { skip: !ready }, () => {
  it('signs a registry image into lookaside staging; skopeo accepts it under the signer\'s key only', async () => {
    const ref = `docker://${registry.host}/release/app:1.0`;
    const r = await signet(['--insecure-policy', '--registries.d', registriesD, 'copy', '-q', '--dest-tls-verify=false', '--sign-by', signer.fingerprint, `dir:${join(work, 'src')}`, ref], { env });
    assert.equal(r.code, 0, r.stderr);
    const sigDir = join(lookaside, `release/app@sha256=${image.manifestDigest.slice(7)}`);
    assert.deepEqual(await readdir(sigDir), ['signature-1']);

    const trusting = join(work, 'trust-signer.json');
    await writeFile(trusting, signedByPolicy(join(work, 'signer.gpg')));
    const ok = await skopeo(['copy', '--policy', trusting, '--registries.d', registriesD, '--src-tls-verify=false', ref, `dir:${join(work, 'pulled-ok')}`], { env });
    assert.equal(ok.code, 0, `skopeo must accept: ${ok.stderr}`);
    const ours = await signet(['--policy', trusting, '--registries.d', registriesD, 'verify', '--tls-verify=false', ref], { env });
    assert.equal(ours.code, 0, ours.stdout + ours.stderr);

    const distrusting = join(work, 'trust-stranger.json');
    await writeFile(distrusting, signedByPolicy(join(work, 'stranger.gpg')));
    const no = await skopeo(['copy', '--policy', distrusting, '--registries.d', registriesD, '--src-tls-verify=false', ref, `dir:${join(work, 'pulled-no')}`], { env });
    assert.notEqual(no.code, 0, 'skopeo must refuse a signature by a key it does not trust');
    const oursNo = await signet(['--policy', distrusting, '--registries.d', registriesD, 'verify', '--tls-verify=false', ref], { env });
    assert.equal(oursNo.code, 1, oursNo.stdout + oursNo.stderr);
    assert.match(oursNo.stdout, /KEY_NOT_TRUSTED/);
  });

  it('signs a dir: copy with an OpenPGP key file and its passphrase; skopeo accepts it', async () => {
    const secret = join(work, 'stranger.key');
    await writeFile(secret, await gpg.exportSecret(stranger));
    const pass = join(work, 'pass');
    await writeFile(pass, 'open sesame\n');
    const out = join(work, 'signed-dir');
    const r = await signet(['--insecure-policy', 'copy', '-q', '--sign-by-key', secret, '--sign-passphrase-file', pass, '--sign-identity', 'registry.example.com/app:1', `dir:${join(work, 'src')}`, `dir:${out}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await readdir(out)).includes('signature-1'));
    const policy = join(work, 'dir-policy.json');
    await writeFile(policy, signedByPolicy(join(work, 'stranger.gpg'), { signedIdentity: { type: 'exactReference', dockerReference: 'registry.example.com/app:1' } }));
    const k = await skopeo(['copy', '--policy', policy, `dir:${out}`, `dir:${join(work, 'signed-dir-copy')}`]);
    assert.equal(k.code, 0, k.stderr);
    const standalone = await skopeo(['standalone-verify', join(out, 'manifest.json'), 'registry.example.com/app:1', stranger.fingerprint, join(out, 'signature-1')], { env });
    assert.equal(standalone.code, 0, standalone.stderr);
    assert.equal((await readFile(join(out, 'manifest.json'))).toString(), image.manifest.toString());
  });

  it('a wrong passphrase or a destination without a docker identity fails cleanly (exit 2), writing nothing', async () => {
    const secret = join(work, 'stranger2.key');
    await writeFile(secret, await gpg.exportSecret(stranger));
    const pass = join(work, 'wrong-pass');
    await writeFile(pass, 'not it\n');
    const wrong = await signet(['--insecure-policy', 'copy', '-q', '--sign-by-key', secret, '--sign-passphrase-file', pass, '--sign-identity', 'registry.example.com/app:1', `dir:${join(work, 'src')}`, `dir:${join(work, 'never-1')}`]);
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /WRONG_PASSWORD/);
    const noIdentity = await signet(['--insecure-policy', 'copy', '-q', '--sign-by', signer.fingerprint, `dir:${join(work, 'src')}`, `dir:${join(work, 'never-2')}`], { env });
    assert.equal(noIdentity.code, 2, noIdentity.stderr);
    assert.match(noIdentity.stderr, /--sign-identity/);
    assert.deepEqual((await readdir(work)).filter((f) => f.includes('never-')), []);
  });
});
