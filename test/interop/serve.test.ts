/**
 * `signet serve` with real clients: skopeo pushes, pulls, lists and deletes through the bearer-token flow;
 * `skopeo copy --sign-by` stores its signature through the extension API and skopeo's policy check accepts it
 * from there; skopeo pointed at the `/sigstore` lookaside view finds the same signature; cosign `.sig`
 * attachments made by `signet sign` are listed as signatures of their image and verified by `signet verify`.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GpgHome, type GpgKey } from '../fixtures/gpg.js';
import { makeImage, makeIndex, writeDirImage, type FixtureImage, type FixtureIndex } from '../fixtures/images.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { peerAvailable } from '../helpers/peers.js';
import { signet, skopeo } from '../helpers/run.js';
import { basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const ready = peerAvailable('skopeo') && peerAvailable('gpg') && peerAvailable('docker-registry');
let work: string;
let registry: TestRegistry;
let gpg: GpgHome;
let signer: GpgKey;
let stranger: GpgKey;
let image: FixtureImage;
let index: FixtureIndex;
let env: NodeJS.ProcessEnv;
let creds: string;

function signedByPolicy(keyring: string, signedIdentity?: Record<string, string>): string {
  const requirement = { type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring, ...(signedIdentity === undefined ? {} : { signedIdentity }) };
  return JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { '': [requirement] } } });
}

async function api(path: string): Promise<Response> {
  return fetch(`${registry.url}${path}`, { headers: { Authorization: basicAuth(registry.user, registry.password) } });
}

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-serve-interop-'));
  registry = await startSignetRegistry();
  creds = `${registry.user}:${registry.password}`;
  gpg = await GpgHome.create();
  signer = await gpg.generateKey('release');
  stranger = await gpg.generateKey('stranger');
  env = { ...process.env, ...gpg.env };
  await writeFile(join(work, 'signer.gpg'), await gpg.exportPublic([signer.fingerprint]));
  await writeFile(join(work, 'stranger.gpg'), await gpg.exportPublic([stranger.fingerprint]));
  image = makeImage({ layers: 2, seed: 'serve-interop', layerBytes: 200_000 });
  await writeDirImage(join(work, 'src'), image);
  index = makeIndex([makeImage({ seed: 'serve-amd64' }), makeImage({ seed: 'serve-arm64', architecture: 'arm64' })]);
  await writeDirImage(join(work, 'index'), index);
});

after(async () => {
  if (!ready) return;
  await registry.stop();
  await gpg.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('signet serve with skopeo as the client', { skip: !ready }, () => {
  it('skopeo pushes with credentials and pulls back the same bytes; without credentials it is refused', async () => {
    const ref = `docker://${registry.address}/team/app:1`;
    const push = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `dir:${join(work, 'src')}`, ref]);
    assert.equal(push.code, 0, push.stderr);
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, ref]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, image.manifest.toString('utf8'));
    const pull = await skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds, ref, `dir:${join(work, 'pulled')}`]);
    assert.equal(pull.code, 0, pull.stderr);
    for (const blob of image.layers) assert.deepEqual(await readFile(join(work, 'pulled', blob.digest.slice(7))), blob.bytes);
    const anonymous = await skopeo(['inspect', '--tls-verify=false', ref]);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /unauthorized|denied/i);
    const wrong = await skopeo(['inspect', '--tls-verify=false', '--creds', `${registry.user}:wrong`, ref]);
    assert.notEqual(wrong.code, 0);
  });

  it('skopeo copy --all pushes an index and every image; list-tags and delete work', async () => {
    const ref = `docker://${registry.address}/team/multi:1`;
    const push = await skopeo(['copy', '--all', '--dest-tls-verify=false', '--dest-creds', creds, `dir:${join(work, 'index')}`, ref]);
    assert.equal(push.code, 0, push.stderr);
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, ref]);
    assert.equal(raw.stdout, index.bytes.toString('utf8'));
    for (const child of index.images) {
      const r = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${registry.address}/team/multi@${child.manifestDigest}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, child.manifest.toString('utf8'));
    }
    const second = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `dir:${join(work, 'src')}`, `docker://${registry.address}/team/multi:2`]);
    assert.equal(second.code, 0, second.stderr);
    const tags = await skopeo(['list-tags', '--tls-verify=false', '--creds', creds, `docker://${registry.address}/team/multi`]);
    assert.equal(tags.code, 0, tags.stderr);
    assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ['1', '2']);
    const del = await skopeo(['delete', '--tls-verify=false', '--creds', creds, `docker://${registry.address}/team/multi:2`]);
    assert.equal(del.code, 0, del.stderr);
    const gone = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${registry.address}/team/multi:2`]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /manifest unknown/i);
    const still = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, ref]);
    assert.equal(still.code, 0, 'deleting one image leaves the others');
  });

  it('skopeo copy --sign-by stores the signature through the extension API; skopeo and signet accept it under the signer\'s key only', async () => {
    const ref = `docker://${registry.address}/team/signed:1`;
    const push = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, '--sign-by', signer.fingerprint, `dir:${join(work, 'src')}`, ref], { env });
    assert.equal(push.code, 0, push.stderr);
    const listed = (await (await api(`/extensions/v2/team/signed/signatures/${image.manifestDigest}`)).json()) as { signatures: { name: string; schemaVersion: number; type: string }[] };
    assert.equal(listed.signatures.length, 1);
    assert.equal(listed.signatures[0]?.type, 'atomic');
    assert.ok(listed.signatures[0]?.name.startsWith(`${image.manifestDigest}@`));

    const trusting = join(work, 'trust-signer.json');
    await writeFile(trusting, signedByPolicy(join(work, 'signer.gpg')));
    const ok = await skopeo(['copy', '--policy', trusting, '--src-tls-verify=false', '--src-creds', creds, ref, `dir:${join(work, 'signed-ok')}`], { env });
    assert.equal(ok.code, 0, `skopeo must accept: ${ok.stderr}`);
    const ours = await signet(['--policy', trusting, 'verify', '--tls-verify=false', '--creds', creds, ref], { env });
    assert.equal(ours.code, 0, ours.stdout + ours.stderr);
    assert.match(ours.stdout, /from the registry's signature API/);

    const distrusting = join(work, 'trust-stranger.json');
    await writeFile(distrusting, signedByPolicy(join(work, 'stranger.gpg')));
    const no = await skopeo(['copy', '--policy', distrusting, '--src-tls-verify=false', '--src-creds', creds, ref, `dir:${join(work, 'signed-no')}`], { env });
    assert.notEqual(no.code, 0, 'skopeo must refuse a signature by a key it does not trust');
    const oursNo = await signet(['--policy', distrusting, 'verify', '--tls-verify=false', '--creds', creds, ref], { env });
    assert.equal(oursNo.code, 1, oursNo.stdout + oursNo.stderr);
    assert.match(oursNo.stdout, /KEY_NOT_TRUSTED/);

    // Signed a second time by signet itself (through the same API): both are listed, once each.
    const again = await signet(['--insecure-policy', 'copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds, '--sign-by', stranger.fingerprint, ref, ref], { env });
    assert.equal(again.code, 0, again.stderr);
    const all = (await (await api(`/api/v1/repositories/team/signed/manifests/${image.manifestDigest}/signatures`)).json()) as { signatures: { format: string; location: string; signer?: string }[] };
    assert.deepEqual(
      all.signatures.map((s) => [s.format, s.location]),
      [
        ['simple-signing', 'extension-api'],
        ['simple-signing', 'extension-api'],
      ],
    );
  });

  it('skopeo pulling from another registry with registries.d lookaside at /sigstore finds the same signatures', async () => {
    // The lookaside view serves signatures of images kept anywhere: the image lives in docker-registry, its
    // signature in Signet (read anonymously here, as lookaside readers do).
    const open = await startSignetRegistry({ anonymousPull: true });
    const upstream: RunningRegistry = await startDockerRegistry();
    try {
      const openCreds = `${open.user}:${open.password}`;
      const signetRef = `docker://${open.address}/library/app:1`;
      const push = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', openCreds, '--sign-by', signer.fingerprint, `dir:${join(work, 'src')}`, signetRef], { env });
      assert.equal(push.code, 0, push.stderr);
      const plainRef = `docker://${upstream.host}/library/app:1`;
      const copy = await skopeo(['copy', '--dest-tls-verify=false', `dir:${join(work, 'src')}`, plainRef]);
      assert.equal(copy.code, 0, copy.stderr);

      const registriesD = join(work, 'registries.d');
      await mkdir(registriesD, { recursive: true });
      await writeFile(join(registriesD, 'signet.yaml'), `docker:\n  ${upstream.host}:\n    lookaside: ${open.url}/sigstore\n`);
      const fetched = await fetch(`${open.url}/sigstore/library/app@sha256=${image.manifestDigest.slice(7)}/signature-1`);
      assert.equal(fetched.status, 200);
      const missing = await fetch(`${open.url}/sigstore/library/app@sha256=${image.manifestDigest.slice(7)}/signature-2`);
      assert.equal(missing.status, 404);

      // The signature names the image as pushed to Signet; the policy maps the upstream name onto it.
      const remap = { type: 'remapIdentity', prefix: upstream.host, signedPrefix: open.address };
      const trusting = join(work, 'lookaside-trust-signer.json');
      await writeFile(trusting, signedByPolicy(join(work, 'signer.gpg'), remap));
      const ok = await skopeo(['copy', '--policy', trusting, '--registries.d', registriesD, '--src-tls-verify=false', plainRef, `dir:${join(work, 'lookaside-ok')}`], { env });
      assert.equal(ok.code, 0, `skopeo must find the signature in the lookaside view: ${ok.stderr}`);
      const ours = await signet(['--policy', trusting, '--registries.d', registriesD, 'verify', '--tls-verify=false', plainRef], { env });
      assert.equal(ours.code, 0, ours.stdout + ours.stderr);
      const distrusting = join(work, 'lookaside-trust-stranger.json');
      await writeFile(distrusting, signedByPolicy(join(work, 'stranger.gpg'), remap));
      const no = await skopeo(['copy', '--policy', distrusting, '--registries.d', registriesD, '--src-tls-verify=false', plainRef, `dir:${join(work, 'lookaside-no')}`], { env });
      assert.notEqual(no.code, 0);

      const anonymousPush = await skopeo(['copy', '--dest-tls-verify=false', `dir:${join(work, 'src')}`, `docker://${open.address}/library/other:1`]);
      assert.notEqual(anonymousPush.code, 0, 'anonymous pull never means anonymous push');
      const anonymousPull = await skopeo(['inspect', '--raw', '--tls-verify=false', signetRef]);
      assert.equal(anonymousPull.code, 0, anonymousPull.stderr);
    } finally {
      await upstream.stop();
      await open.stop();
    }
  });

  it('signet sign (cosign) stores a .sig tag that the registry lists as a signature and signet verify accepts', async () => {
    const ref = `docker://${registry.address}/team/cosigned:1`;
    const push = await signet(['--insecure-policy', 'copy', '-q', '--dest-tls-verify=false', '--dest-creds', creds, `dir:${join(work, 'src')}`, ref]);
    assert.equal(push.code, 0, push.stderr);
    const cosignEnv = { ...process.env, COSIGN_PASSWORD: 'pw' };
    const gen = await signet(['generate-key-pair', '--output-key-prefix', join(work, 'release')], { env: cosignEnv });
    assert.equal(gen.code, 0, gen.stderr);
    const other = await signet(['generate-key-pair', '--output-key-prefix', join(work, 'other')], { env: cosignEnv });
    assert.equal(other.code, 0, other.stderr);
    const registriesD = join(work, 'registries-sigstore.d');
    await mkdir(registriesD, { recursive: true });
    await writeFile(join(registriesD, 'd.yaml'), 'default-docker:\n  use-sigstore-attachments: true\n');
    const sign = await signet(['--registries.d', registriesD, 'sign', '--tls-verify=false', '--creds', creds, '--key', join(work, 'release.key'), ref], { env: cosignEnv });
    assert.equal(sign.code, 0, sign.stderr);
    const tags = await skopeo(['list-tags', '--tls-verify=false', '--creds', creds, `docker://${registry.address}/team/cosigned`]);
    assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags.sort(), ['1', `sha256-${image.manifestDigest.slice(7)}.sig`]);
    const all = (await (await api(`/api/v1/repositories/team/cosigned/manifests/${image.manifestDigest}/signatures`)).json()) as { signatures: { format: string; location: string; mediaType?: string }[] };
    assert.deepEqual(
      all.signatures.map((s) => [s.format, s.location, s.mediaType]),
      [['cosign', 'sig-tag', 'application/vnd.dev.cosign.simplesigning.v1+json']],
    );
    const ok = await signet(['--registries.d', registriesD, 'verify', '--tls-verify=false', '--creds', creds, '--key', join(work, 'release.pub'), ref]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const no = await signet(['--registries.d', registriesD, 'verify', '--tls-verify=false', '--creds', creds, '--key', join(work, 'other.pub'), ref]);
    assert.equal(no.code, 1, no.stdout + no.stderr);
  });
});
