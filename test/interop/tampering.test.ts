/**
 * The tampering scenarios of the Quay lab: altered blobs in every kind of storage, and a tag re-pointed at a
 * modified manifest. Signet must stop with the expected and the actual digest, exit 1, and leave nothing behind.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage, writeOciLayout, type FixtureImage } from '../fixtures/images.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { peerAvailable } from '../helpers/peers.js';
import { signet, skopeo } from '../helpers/run.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-tamper-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function flipLastByte(file: string): Promise<void> {
  const bytes = await readFile(file);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
  await writeFile(file, bytes);
}

function expectTamperFailure(r: { code: number; stderr: string }, image: FixtureImage, layer: number): void {
  const expected = image.layers[layer]!.digest;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`expected ${expected}, got sha256:[0-9a-f]{64}`));
  assert.match(r.stderr, /\[DIGEST_MISMATCH\]/);
}

async function leftovers(prefix: string): Promise<string[]> {
  return (await readdir(work)).filter((f) => f.includes(prefix));
}

describe('tampered content is never accepted', () => {
  it('a layer altered in a dir: image', async () => {
    const image = makeImage({ layers: 3, seed: 'tamper-dir' });
    const src = join(work, 'src-dir');
    await writeDirImage(src, image);
    await flipLastByte(join(src, image.layers[1]!.digest.slice(7)));
    for (const dest of [`dir:${join(work, 'out-dir')}`, `oci:${join(work, 'out-oci')}:x`, `oci-archive:${join(work, 'out-arch.tar')}`]) {
      const r = await signet(['--insecure-policy', 'copy', `dir:${src}`, dest]);
      expectTamperFailure(r, image, 1);
    }
    assert.deepEqual(await leftovers('out-'), []);
  });

  it('a layer altered in an oci: layout', async () => {
    const image = makeImage({ format: 'oci', layers: 2, seed: 'tamper-oci' });
    const layout = join(work, 'src-oci');
    await writeOciLayout(layout, image, 'v1');
    await flipLastByte(join(layout, 'blobs', 'sha256', image.layers[0]!.digest.slice(7)));
    const r = await signet(['--insecure-policy', 'copy', `oci:${layout}:v1`, `dir:${join(work, 'out2-dir')}`]);
    expectTamperFailure(r, image, 0);
    assert.deepEqual(await leftovers('out2-'), []);
  });

  describe('in a registry', { skip: !(peerAvailable('docker-registry') && peerAvailable('skopeo')) }, () => {
    let registry: RunningRegistry;
    before(async () => {
      registry = await startDockerRegistry();
    });
    after(async () => {
      await registry.stop();
    });

    it("a layer altered in the registry's storage directory", async () => {
      const image = makeImage({ layers: 2, seed: 'tamper-reg' });
      const src = join(work, 'src-reg');
      await writeDirImage(src, image);
      const ref = `docker://${registry.host}/lab/app:1`;
      assert.equal((await signet(['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `dir:${src}`, ref])).code, 0);
      const hex = image.layers[1]!.digest.slice(7);
      await flipLastByte(join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'));
      const r = await signet(['--insecure-policy', 'copy', '--src-tls-verify=false', ref, `dir:${join(work, 'out3-dir')}`]);
      expectTamperFailure(r, image, 1);
      assert.deepEqual(await leftovers('out3-'), []);
    });

    it('a registry destination never receives the manifest of a tampered image', async () => {
      const image = makeImage({ layers: 2, seed: 'tamper-push' });
      const src = join(work, 'src-push');
      await writeDirImage(src, image);
      await flipLastByte(join(src, image.layers[0]!.digest.slice(7)));
      const ref = `docker://${registry.host}/lab/never:1`;
      const r = await signet(['--insecure-policy', 'copy', '--dest-tls-verify=false', `dir:${src}`, ref]);
      expectTamperFailure(r, image, 0);
      const probe = await skopeo(['inspect', '--raw', '--tls-verify=false', ref]);
      assert.notEqual(probe.code, 0, 'the manifest must not exist');
      assert.match(probe.stderr, /manifest unknown|not found|name unknown/i);
    });

    it('re-pointing a tag: the tag shows the new digest, the pinned digest still yields the original', async () => {
      const original = makeImage({ layers: 1, seed: 'repoint-original', labels: { version: '1.0' } });
      const modified = makeImage({ layers: 1, seed: 'repoint-evil', labels: { version: '1.0' } });
      const ref = `docker://${registry.host}/lab/repoint:1.0`;
      const a = join(work, 'rp-a');
      const b = join(work, 'rp-b');
      await writeDirImage(a, original);
      await writeDirImage(b, modified);
      assert.equal((await signet(['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `dir:${a}`, ref])).code, 0);
      const before = JSON.parse((await signet(['inspect', '--tls-verify=false', ref])).stdout) as { Digest: string };
      assert.equal(before.Digest, original.manifestDigest);
      // The attacker pushes a modified manifest under the same tag.
      const push = await skopeo(['copy', '--insecure-policy', '--dest-tls-verify=false', `dir:${b}`, ref]);
      assert.equal(push.code, 0, push.stderr);
      const afterRepoint = JSON.parse((await signet(['inspect', '--tls-verify=false', ref])).stdout) as { Digest: string };
      assert.equal(afterRepoint.Digest, modified.manifestDigest);
      // Pinned by digest, the copy still yields exactly the original image.
      const pinned = `docker://${registry.host}/lab/repoint@${original.manifestDigest}`;
      const r = await signet(['--insecure-policy', 'copy', '--src-tls-verify=false', pinned, `dir:${join(work, 'rp-out')}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await readFile(join(work, 'rp-out', 'manifest.json')), original.manifest);
      assert.deepEqual(await readFile(join(work, 'rp-out', original.layers[0]!.digest.slice(7))), original.layers[0]!.bytes);
    });

    it('a manifest altered in storage does not match the digest it is pulled by', async () => {
      const image = makeImage({ seed: 'tamper-manifest' });
      const src = join(work, 'src-man');
      await writeDirImage(src, image);
      const tagged = `docker://${registry.host}/lab/man:1`;
      assert.equal((await signet(['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `dir:${src}`, tagged])).code, 0);
      const hex = image.manifestDigest.slice(7);
      const stored = join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      const text = (await readFile(stored)).toString().replace('"schemaVersion":2', '"schemaVersion": 2');
      await writeFile(stored, text);
      const r = await signet(['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${registry.host}/lab/man@${image.manifestDigest}`, `dir:${join(work, 'out4')}`]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`expected ${image.manifestDigest}, got sha256:`));
      assert.deepEqual(await leftovers('out4'), []);
    });
  });
});
