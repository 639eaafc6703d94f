/**
 * The docker transport and RegistryClient against a real docker-registry (distribution 2.x) on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DigestVerifier, IntegrityError, digestOf, readAllCapped, type Digest } from '../../../src/core/index.js';
import {
  RegistryClient,
  RegistryError,
  dockerTransport,
  type RepositoryRef,
} from '../../../src/transports/docker/index.js';
import { startDockerRegistry, type RunningRegistry } from '../../helpers/docker-registry.js';
import { skipUnlessPeers } from '../../helpers/peers.js';
import { expectCodeAsync } from '../../helpers/expect-code.js';
import { blob, makeTestImage, pushTestImage } from './helpers.js';

const insecure = { tlsVerify: false } as const;

function blobDataPath(registry: RunningRegistry, digest: Digest): string {
  const hex = digest.slice('sha256:'.length);
  return join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Upload sessions that still hold data. (A cancelled session of distribution 2.8 leaves an empty `hashstates`
 * directory behind: the handler stores the hash state after the cancel.)
 */
async function uploadsLeft(registry: RunningRegistry, repoPath: string): Promise<string[]> {
  const dir = join(registry.storageDir, 'docker/registry/v2/repositories', repoPath, '_uploads');
  let sessions: string[];
  try {
    sessions = await readdir(dir);
  } catch {
    return [];
  }
  const left: string[] = [];
  for (const s of sessions) {
    if (await exists(join(dir, s, 'data'))) left.push(s);
  }
  return left;
}

/** A stream that yields `good` and then fails with `error`. */
function failingStream(good: Buffer, error: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(good);
        return;
      }
      setImmediate(() => this.destroy(error));
    },
  });
}

describe('docker transport against docker-registry', { skip: skipUnlessPeers('docker-registry') }, () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  const repo = (path: string): RepositoryRef => ({ domain: registry.host, path });

  before(async () => {
    registry = await startDockerRegistry();
    client = new RegistryClient(insecure);
  });
  after(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('pings over http when TLS verification is off, and refuses http otherwise', async () => {
    const ping = await client.ping(registry.host);
    assert.equal(ping.scheme, 'http');
    assert.equal(ping.origin, registry.url);
    assert.deepEqual(ping.challenges, []);
    assert.equal(ping.supportsSignatures, false);
    assert.equal(await client.ping(registry.host), ping, 'cached');

    const strict = new RegistryClient({});
    try {
      const err = await expectCodeAsync(() => strict.ping(registry.host), 'CONNECTION_FAILED');
      assert.ok(err instanceof RegistryError);
      assert.equal(err.category, 'unreachable');
    } finally {
      await strict.close();
    }
  });

  it('pushes a blob with one streaming PUT and reads it back', async () => {
    const r = repo('mono/app');
    const b = blob(randomBytes(100_000));
    assert.equal(await client.statBlob(r, b.digest), undefined);
    await client.putBlob(r, Readable.from([b.bytes.subarray(0, 30_000), b.bytes.subarray(30_000)]), b);
    assert.deepEqual(await client.statBlob(r, b.digest), { size: b.size });
    const got = await client.getBlob(r, b);
    assert.equal(got.size, b.size);
    assert.deepEqual(await readAllCapped(got.stream, 1 << 20, 'blob'), b.bytes);
    assert.deepEqual(await uploadsLeft(registry, 'mono/app'), []);
  });

  it('pushes a blob of unknown size (chunked transfer encoding)', async () => {
    const r = repo('mono/unknown-size');
    const b = blob(randomBytes(5000));
    await client.putBlob(r, Readable.from([b.bytes]), { digest: b.digest, size: -1 });
    assert.deepEqual(await client.statBlob(r, b.digest), { size: b.size });
  });

  it('pushes a blob in PATCH chunks, following each Location', async () => {
    const r = repo('chunked/app');
    const b = blob(randomBytes(2500));
    await client.putBlob(r, Readable.from([b.bytes.subarray(0, 700), b.bytes.subarray(700)]), b, { chunkSize: 1000 });
    assert.deepEqual(await client.statBlob(r, b.digest), { size: b.size });
    const onDisk = await readFile(blobDataPath(registry, b.digest));
    assert.deepEqual(onDisk, b.bytes);
    // An empty blob: no PATCH at all, just the final PUT.
    const empty = blob(Buffer.alloc(0));
    await client.putBlob(r, Readable.from([]), empty, { chunkSize: 1000 });
    assert.deepEqual(await client.statBlob(r, empty.digest), { size: 0 });
  });

  it('uses chunked uploads through the destination when uploadChunkSize is set, with relative Locations', async () => {
    const relative = await startDockerRegistry({ relativeUrls: true });
    try {
      const ref = dockerTransport.parseReference(`//${relative.host}/rel/app:v1`);
      const dest = await ref.newImageDestination({ ...insecure, uploadChunkSize: 512 });
      const image = makeTestImage(2, 1300);
      try {
        for (const b of [image.config, ...image.layers]) {
          assert.equal(await dest.tryReusingBlob(b), false);
          await dest.putBlob(Readable.from([b.bytes]), b);
          assert.equal(await dest.tryReusingBlob(b), true);
        }
        await dest.putManifest(image.manifest, image.mediaType);
        await dest.commit();
      } finally {
        await dest.close();
      }
      const src = await ref.newImageSource(insecure);
      try {
        const m = await src.getManifest();
        assert.deepEqual(m.bytes, image.manifest);
      } finally {
        await src.close();
      }
    } finally {
      await relative.stop();
    }
  });

  it('writes and reads manifests by tag and by digest through the transport', async () => {
    const image = makeTestImage();
    const ref = dockerTransport.parseReference(`//${registry.host}/ns/app:v1`);
    const dest = await ref.newImageDestination(insecure);
    try {
      for (const b of [image.config, ...image.layers]) {
        if (!(await dest.tryReusingBlob(b))) await dest.putBlob(Readable.from([b.bytes]), b);
      }
      assert.equal(dest.supportedManifestMediaTypes(), undefined);
      // Signatures are stored through the extension API or lookaside staging; docker-registry has no extension,
      // and no staging location was given, so storing one is refused with a clear message.
      assert.equal(dest.supportsSignatures(), true);
      await dest.putManifest(image.manifest, image.mediaType);
      const refused = await expectCodeAsync(() => dest.putSignatures([Buffer.from('a signature')]), 'UNSUPPORTED');
      assert.match(refused.message, /no signature extension and no lookaside-staging/);
      await dest.commit();
    } finally {
      await dest.close();
    }

    const byTag = await ref.newImageSource(insecure);
    try {
      const m = await byTag.getManifest();
      assert.deepEqual(m.bytes, image.manifest);
      assert.equal(m.mediaType, image.mediaType);
      const layer = image.layers[0]!;
      const got = await byTag.getBlob(layer);
      assert.equal(got.size, layer.size);
      assert.deepEqual(await readAllCapped(got.stream, 1 << 20, 'layer'), layer.bytes);
      assert.deepEqual(await byTag.getSignatures(), []);
      assert.deepEqual(await byTag.listTags?.(), ['v1']);
    } finally {
      await byTag.close();
    }

    const byDigest = await dockerTransport.parseReference(`//${registry.host}/ns/app@${image.manifestDigest}`).newImageSource(insecure);
    try {
      assert.deepEqual((await byDigest.getManifest()).bytes, image.manifest);
      assert.deepEqual((await byDigest.getManifest(image.manifestDigest)).bytes, image.manifest);
    } finally {
      await byDigest.close();
    }

    // A destination named by digest puts the manifest there, and refuses bytes with another digest.
    const other = makeTestImage(1);
    const digestDest = await dockerTransport.parseReference(`//${registry.host}/ns/pinned@${other.manifestDigest}`).newImageDestination(insecure);
    try {
      for (const b of [other.config, ...other.layers]) await digestDest.putBlob(Readable.from([b.bytes]), b);
      await expectCodeAsync(() => digestDest.putManifest(image.manifest, image.mediaType), 'DIGEST_MISMATCH');
      await digestDest.putManifest(other.manifest, other.mediaType);
    } finally {
      await digestDest.close();
    }
    assert.deepEqual((await client.getManifest(repo('ns/pinned'), other.manifestDigest)).bytes, other.manifest);
  });

  it('puts the instance manifests of an index by digest', async () => {
    const r = repo('multi/app');
    const a = makeTestImage(1);
    const b = makeTestImage(1);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [a, b].map((img, i) => ({
          mediaType: img.mediaType,
          digest: img.manifestDigest,
          size: img.manifest.length,
          platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' },
        })),
      }),
    );
    const dest = await dockerTransport.parseReference(`//${registry.host}/multi/app:all`).newImageDestination(insecure);
    try {
      for (const img of [a, b]) {
        for (const bl of [img.config, ...img.layers]) await dest.putBlob(Readable.from([bl.bytes]), bl);
        await dest.putManifest(img.manifest, img.mediaType, img.manifestDigest);
      }
      await dest.putManifest(index, 'application/vnd.oci.image.index.v1+json');
    } finally {
      await dest.close();
    }
    const src = await dockerTransport.parseReference(`//${registry.host}/multi/app:all`).newImageSource(insecure);
    try {
      const top = await src.getManifest();
      assert.equal(top.mediaType, 'application/vnd.oci.image.index.v1+json');
      assert.deepEqual((await src.getManifest(b.manifestDigest)).bytes, b.manifest);
    } finally {
      await src.close();
    }
    assert.ok((await client.headManifest(r, a.manifestDigest)) !== undefined);
  });

  it('reuses a blob the repository has (HEAD) and mounts one from another repository', async () => {
    const image = makeTestImage(1);
    await pushTestImage(client, repo('mount/source'), image, 'v1');
    const layer = image.layers[0]!;

    const sourceRef = dockerTransport.parseReference(`//${registry.host}/mount/source:v1`);
    const dest = await dockerTransport.parseReference(`//${registry.host}/mount/target:v1`).newImageDestination(insecure);
    try {
      assert.equal(await client.statBlob(repo('mount/target'), layer.digest), undefined);
      // Without a hint there is nothing to reuse.
      assert.equal(await dest.tryReusingBlob(layer), false);
      assert.equal(await dest.tryReusingBlob(layer, { sourceReference: sourceRef }), true);
      assert.deepEqual(await client.statBlob(repo('mount/target'), layer.digest), { size: layer.size });
      // Plain HEAD reuse now.
      assert.equal(await dest.tryReusingBlob(layer), true);

      // A blob the source repository does not have: the registry starts an upload instead, which is cancelled.
      const missing = blob(randomBytes(64));
      assert.equal(await dest.tryReusingBlob(missing, { sourceReference: sourceRef }), false);
      assert.deepEqual(await uploadsLeft(registry, 'mount/target'), []);
    } finally {
      await dest.close();
    }
    assert.equal(await client.mountBlob(repo('mount/third'), image.config.digest, 'mount/source'), true);
  });

  it('lists tags (the registry may ignore n; every tag is returned either way)', async () => {
    const image = makeTestImage(1);
    const r = repo('tags/app');
    const tags = ['a', 'b', 'c', 'd', 'e'];
    for (const t of tags) await pushTestImage(client, r, image, t);
    assert.deepEqual((await client.listTags(r, { pageSize: 2 })).sort(), tags);
    assert.deepEqual((await client.listTags(r)).sort(), tags);
    const err = await expectCodeAsync(() => client.listTags(repo('tags/none')), 'NAME_UNKNOWN');
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 404);
    assert.equal(err.category, 'unreachable');
    assert.match(err.message, /\/v2\/tags\/none\/tags\/list/);
  });

  it('checks manifest bytes against the digest that names them', async () => {
    const image = makeTestImage(1);
    const r = repo('tamper/app');
    await pushTestImage(client, r, image, 'v1');
    // Rewrite the stored manifest: still valid JSON of the same type, but no longer the named content.
    const path = blobDataPath(registry, image.manifestDigest);
    const doc = JSON.parse((await readFile(path)).toString('utf8')) as Record<string, unknown>;
    doc['annotations'] = { tampered: 'yes' };
    const tampered = Buffer.from(JSON.stringify(doc));
    await writeFile(path, tampered);

    const err = await expectCodeAsync(() => client.getManifest(r, image.manifestDigest), 'DIGEST_MISMATCH');
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, image.manifestDigest);
    assert.equal(err.actual, digestOf(tampered));
    assert.match(err.message, new RegExp(`expected ${image.manifestDigest}, got ${digestOf(tampered)}`));

    const src = await dockerTransport.parseReference(`//${registry.host}/tamper/app@${image.manifestDigest}`).newImageSource(insecure);
    try {
      await expectCodeAsync(() => src.getManifest(), 'DIGEST_MISMATCH');
    } finally {
      await src.close();
    }
    // By tag there is no digest to check against: the bytes come back as stored.
    assert.deepEqual((await client.getManifest(r, 'v1')).bytes, tampered);
  });

  it('reports missing manifests and blobs with their OCI codes', async () => {
    const r = repo('missing/app');
    await pushTestImage(client, r, makeTestImage(1), 'v1');
    const m = await expectCodeAsync(() => client.getManifest(r, 'nope'), 'MANIFEST_UNKNOWN');
    assert.ok(m instanceof RegistryError);
    assert.equal(m.status, 404);
    assert.match(m.message, /GET \/v2\/missing\/app\/manifests\/nope answered 404/);
    await expectCodeAsync(() => client.getBlob(r, { digest: digestOf('absent') }), 'BLOB_UNKNOWN');
    assert.equal(await client.headManifest(r, 'nope'), undefined);
  });

  for (const chunkSize of [0, 1024]) {
    it(`aborts the upload when the body stream fails (${chunkSize === 0 ? 'streaming PUT' : 'PATCH chunks'})`, async () => {
      const path = `aborted/${chunkSize}`;
      const r = repo(path);
      const b = blob(randomBytes(8000));
      const boom = new Error('the source went away');
      const err = await client.putBlob(r, failingStream(b.bytes.subarray(0, 3000), boom), b, { chunkSize }).then(
        () => assert.fail('putBlob succeeded'),
        (e: unknown) => e,
      );
      assert.equal(err, boom, 'the stream error is re-thrown unchanged');
      assert.equal(await client.statBlob(r, b.digest), undefined);
      assert.equal(await exists(blobDataPath(registry, b.digest)), false);
      if (chunkSize > 0) {
        // Deterministic here: every PATCH had been answered before the session was cancelled. (A streaming PUT
        // aborted mid-body may still be in the registry's hands when the cancellation arrives.)
        assert.deepEqual(await uploadsLeft(registry, path), [], 'the upload session was cancelled');
      }

      // Tampered content behind a DigestVerifier: the verifier's error, nothing stored.
      const tampered = Buffer.from(b.bytes);
      tampered[100] = tampered[100]! ^ 1;
      const verifier = new DigestVerifier(b.digest, { size: b.size });
      Readable.from([tampered]).pipe(verifier);
      const vErr = await client.putBlob(r, verifier, b, { chunkSize }).then(
        () => assert.fail('putBlob succeeded'),
        (e: unknown) => e,
      );
      assert.ok(vErr instanceof IntegrityError, String(vErr));
      assert.equal(vErr.code, 'DIGEST_MISMATCH');
      assert.equal(await client.statBlob(r, b.digest), undefined);
      assert.equal(await exists(blobDataPath(registry, b.digest)), false);
    });
  }

  it('deletes an image by tag (resolved to its digest) and by digest', async () => {
    const r = repo('delete/app');
    const first = makeTestImage(1);
    const second = makeTestImage(1);
    await pushTestImage(client, r, first, 'v1');
    await pushTestImage(client, r, second, 'v2');
    const byTag = dockerTransport.parseReference(`//${registry.host}/delete/app:v1`);
    await byTag.deleteImage?.(insecure);
    assert.equal(await client.headManifest(r, first.manifestDigest), undefined);
    await expectCodeAsync(() => client.getManifest(r, 'v1'), 'MANIFEST_UNKNOWN');

    await dockerTransport.parseReference(`//${registry.host}/delete/app@${second.manifestDigest}`).deleteImage?.(insecure);
    assert.equal(await client.headManifest(r, second.manifestDigest), undefined);
    await expectCodeAsync(() => dockerTransport.parseReference(`//${registry.host}/delete/app:v1`).deleteImage?.(insecure) ?? Promise.resolve(), 'MANIFEST_UNKNOWN');
  });

  it('is safe for concurrent use', async () => {
    const r = repo('concurrent/app');
    const blobs = Array.from({ length: 12 }, () => blob(randomBytes(4000)));
    await Promise.all(blobs.map((b, i) => client.putBlob(r, Readable.from([b.bytes]), b, { chunkSize: i % 2 === 0 ? 0 : 1500 })));
    const sizes = await Promise.all(blobs.map((b) => client.statBlob(r, b.digest)));
    assert.deepEqual(
      sizes.map((s) => s?.size),
      blobs.map((b) => b.size),
    );
  });
});
