/**
 * 50 clients push overlapping images at once — shared layers, the same blob uploaded by several clients at the
 * same moment — and afterwards every image is pullable and digest-correct, and each blob is stored once.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, pseudoRandomBytes, type FixtureBlob } from '../fixtures/images.js';
import { sha256 } from '../helpers/registry-http.js';
import { basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

let registry: TestRegistry;
let auth: string;

before(async () => {
  registry = await startSignetRegistry();
  auth = basicAuth(registry.user, registry.password);
});

after(async () => {
  await registry.stop();
});

async function pushBlob(repo: string, blob: FixtureBlob, chunked: boolean): Promise<void> {
  const head = await fetch(`${registry.url}/v2/${repo}/blobs/${blob.digest}`, { method: 'HEAD', headers: { Authorization: auth } });
  // Half the clients do not ask first, so that the same blob is uploaded by several clients at once.
  if (head.status === 200 && chunked) return;
  if (!chunked) {
    const r = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/octet-stream' }, body: blob.bytes });
    assert.equal(r.status, 201, await r.text());
    return;
  }
  const start = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { Authorization: auth } });
  assert.equal(start.status, 202);
  let location = start.headers.get('location') as string;
  const half = Math.floor(blob.bytes.length / 2);
  const parts = [blob.bytes.subarray(0, half), blob.bytes.subarray(half)];
  let offset = 0;
  for (const part of parts) {
    const r = await fetch(`${registry.url}${location}`, {
      method: 'PATCH',
      headers: { Authorization: auth, 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + part.length - 1}` },
      body: part,
    });
    assert.equal(r.status, 202, await r.text());
    offset += part.length;
    location = r.headers.get('location') as string;
  }
  const done = await fetch(`${registry.url}${location}?digest=${blob.digest}`, { method: 'PUT', headers: { Authorization: auth } });
  assert.equal(done.status, 201, await done.text());
}

describe('50 concurrent pushes of overlapping images', () => {
  it('leaves every image pullable and digest-correct, each blob stored once', async () => {
    // Five shared base layers; each image has two of them plus one layer of its own.
    const shared = Array.from({ length: 5 }, (_, i) => pseudoRandomBytes(`shared-${i}`, 150_000 + i * 1000));
    const images = Array.from({ length: 50 }, (_, i) => {
      const own = makeImage({ seed: `concurrent-${i}`, layers: 1, layerBytes: 20_000 });
      return { i, image: own, extra: [shared[i % 5] as Buffer, shared[(i + 1) % 5] as Buffer] };
    });
    const repoOf = (i: number): string => `load/app-${i % 10}`;
    await Promise.all(
      images.map(async ({ i, image, extra }) => {
        const repo = repoOf(i);
        const extraBlobs: FixtureBlob[] = extra.map((bytes) => ({ digest: sha256(bytes), size: bytes.length, bytes, mediaType: 'application/vnd.oci.image.layer.v1.tar' }));
        const blobs = [...extraBlobs, ...image.layers, image.config];
        await Promise.all(blobs.map((b, k) => pushBlob(repo, b, (i + k) % 2 === 0)));
        const manifest = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            config: { mediaType: image.config.mediaType, digest: image.config.digest, size: image.config.size },
            layers: [...extraBlobs, ...image.layers].map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: b.digest, size: b.size })),
          }),
        );
        const r = await fetch(`${registry.url}/v2/${repo}/manifests/v${i}`, { method: 'PUT', headers: { Authorization: auth, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
        assert.equal(r.status, 201, await r.text());
        assert.equal(r.headers.get('docker-content-digest'), sha256(manifest));
      }),
    );

    const distinct = new Set<string>();
    for (const { i } of images) {
      const repo = repoOf(i);
      const m = await fetch(`${registry.url}/v2/${repo}/manifests/v${i}`, { headers: { Authorization: auth, Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(m.status, 200);
      const bytes = Buffer.from(await m.arrayBuffer());
      assert.equal(m.headers.get('docker-content-digest'), sha256(bytes));
      const parsed = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string; size: number }[] };
      for (const d of [parsed.config, ...parsed.layers]) {
        const b = await fetch(`${registry.url}/v2/${repo}/blobs/${d.digest}`, { headers: { Authorization: auth } });
        assert.equal(b.status, 200, `${repo} ${d.digest}`);
        assert.equal(sha256(Buffer.from(await b.arrayBuffer())), d.digest);
        distinct.add(d.digest);
      }
    }
    // Each distinct blob is one file in the store, and nothing else is there; no upload is left behind.
    const stored: string[] = [];
    const root = join(registry.storageDir, 'blobs', 'sha256');
    for (const prefix of await readdir(root)) for (const name of await readdir(join(root, prefix))) stored.push(`sha256:${name}`);
    assert.deepEqual(stored.sort(), [...distinct].sort());
    for (const d of stored) assert.equal(sha256(await readFile(join(root, d.slice(7, 9), d.slice(7)))), d);
    assert.deepEqual(await readdir(join(registry.storageDir, 'uploads')), []);
  });
});
