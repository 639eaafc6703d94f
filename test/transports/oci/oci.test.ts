import assert from 'node:assert/strict';
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IntegrityError, digestHex, digestOf } from '../../../src/core/index.js';
import { MediaTypes } from '../../../src/manifest/index.js';
import { TransportError } from '../../../src/transports/errors.js';
import { OciReference, ociTransport } from '../../../src/transports/oci/index.js';
import { makeImage, makeIndex, writeDirImage, writeOciLayout, type FixtureImage } from '../../fixtures/images.js';
import { expectCode, expectCodeAsync } from '../../helpers/expect-code.js';
import { dirTransport } from '../../../src/transports/dir/index.js';
import { copyImage, failingStream, listDir, readVerifiedBlob, readWholeImage, streamOf, tempDir } from '../dir/image-io.js';

const ctx = {};
const REF_NAME = 'org.opencontainers.image.ref.name';

interface IndexJson {
  schemaVersion: number;
  mediaType?: string;
  manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
}

async function readIndexJson(dir: string): Promise<IndexJson> {
  return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as IndexJson;
}

function blobFile(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

/** Copy a fixture into `oci:target` through a raw dir: fixture and our own transports. */
async function copyFixtureToOci(t: Parameters<typeof tempDir>[0], content: FixtureImage | ReturnType<typeof makeIndex>, target: string): Promise<void> {
  const srcDir = join(await tempDir(t), 'src');
  await writeDirImage(srcDir, content);
  const src = await dirTransport.parseReference(srcDir).newImageSource(ctx);
  const dest = await ociTransport.parseReference(target).newImageDestination(ctx);
  try {
    await copyImage(src, dest);
  } finally {
    await dest.close();
    await src.close();
  }
}

describe('oci: references', () => {
  it('splits PATH:REF at the first colon and keeps the ref out of the policy identity', async (t) => {
    const root = await realpath(await tempDir(t));
    const ref = ociTransport.parseReference(`${root}/layout:app:1.0`);
    assert.ok(ref instanceof OciReference);
    assert.equal(ref.refName, 'app:1.0');
    assert.equal(ref.stringWithinTransport(), `${root}/layout:app:1.0`);
    assert.equal(ref.toString(), `oci:${root}/layout:app:1.0`);
    assert.equal(ref.policyConfigurationIdentity(), `${root}/layout`);
    const ns = ref.policyConfigurationNamespaces();
    assert.equal(ns[0], `${root}/layout`);
    assert.equal(ns[1], root);
    assert.ok(!ns.includes('/'));
    assert.equal(ref.dockerReference, undefined);

    const plain = ociTransport.parseReference(`${root}/layout`) as OciReference;
    assert.equal(plain.refName, '');
    assert.equal(plain.stringWithinTransport(), `${root}/layout`);
    const indexed = ociTransport.parseReference(`${root}/layout:@2`) as OciReference;
    assert.equal(indexed.sourceIndex, 2);
    assert.equal(indexed.stringWithinTransport(), `${root}/layout:@2`);
    for (const good of ['latest', 'v1.2.3', 'registry.example.com/ns/app:tag', 'a--b', 'a+b@c', 'A_1']) {
      assert.equal((ociTransport.parseReference(`${root}/l:${good}`) as OciReference).refName, good);
    }
  });

  it('rejects malformed references as input errors', async (t) => {
    const root = await tempDir(t);
    for (const bad of [':latest', '', `${root}/l:-bad`, `${root}/l:bad-`, `${root}/l:a b`, `${root}/l:a/`, `${root}/l:/a`, `${root}/l:a//b`, `${root}/l:a..b`, `${root}/l:é`, `${root}/l:@x`, `${root}/l:@-1`, `${root}/l:@`]) {
      const err = expectCode(() => ociTransport.parseReference(bad), 'INVALID_REFERENCE');
      assert.ok(err instanceof TransportError && err.category === 'input', bad);
    }
    const indexed = ociTransport.parseReference(`${root}/l:@0`);
    await expectCodeAsync(() => indexed.newImageDestination(ctx), 'INVALID_REFERENCE');
    ociTransport.validatePolicyConfigurationScope('/a/b');
    expectCode(() => ociTransport.validatePolicyConfigurationScope('a/b'), 'INVALID_REFERENCE');
    expectCode(() => ociTransport.validatePolicyConfigurationScope('/'), 'INVALID_REFERENCE');
    expectCode(() => ociTransport.validatePolicyConfigurationScope('/a//b'), 'INVALID_REFERENCE');
  });
});

describe('oci: source', () => {
  it('reads images written by the raw layout writer, by ref name, by position and as the only image', async (t) => {
    const dir = join(await tempDir(t), 'layout');
    const one = makeImage({ seed: 'one' });
    const two = makeImage({ seed: 'two', format: 'docker' });
    await writeOciLayout(dir, one, 'one');
    {
      const src = await ociTransport.parseReference(dir).newImageSource(ctx);
      const read = await readWholeImage(src);
      assert.deepEqual(read.manifest, one.manifest);
      assert.equal(read.mediaType, MediaTypes.ociManifest);
      assert.deepEqual(await src.getSignatures(), []);
      await src.close();
    }
    await writeOciLayout(dir, two, 'two');
    const src = await ociTransport.parseReference(`${dir}:two`).newImageSource(ctx);
    const read = await readWholeImage(src);
    assert.deepEqual(read.manifest, two.manifest);
    assert.equal(read.mediaType, MediaTypes.dockerV2S2Manifest);
    for (const b of [two.config, ...two.layers]) assert.deepEqual(read.blobs.get(b.digest), b.bytes);
    await src.close();

    const byIndex = await ociTransport.parseReference(`${dir}:@0`).newImageSource(ctx);
    assert.deepEqual((await byIndex.getManifest()).bytes, one.manifest);
    await byIndex.close();

    const err = await expectCodeAsync(() => ociTransport.parseReference(dir).newImageSource(ctx), 'AMBIGUOUS_IMAGE');
    assert.equal((err as TransportError).category, 'input');
    const err2 = await expectCodeAsync(() => ociTransport.parseReference(`${dir}:three`).newImageSource(ctx), 'IMAGE_NOT_FOUND');
    assert.match(err2.message, /one, two/);
    await expectCodeAsync(() => ociTransport.parseReference(`${dir}:@2`).newImageSource(ctx), 'IMAGE_NOT_FOUND');
  });

  it('reads an index and its instances with their digests verified', async (t) => {
    const dir = join(await tempDir(t), 'layout');
    const index = makeIndex([makeImage({ seed: 'x1' }), makeImage({ seed: 'x2', architecture: 'arm64', variant: 'v8' })]);
    await writeOciLayout(dir, index, 'multi');
    const src = await ociTransport.parseReference(`${dir}:multi`).newImageSource(ctx);
    t.after(() => src.close());
    const read = await readWholeImage(src);
    assert.deepEqual(read.manifest, index.bytes);
    assert.equal(read.mediaType, MediaTypes.ociIndex);
    assert.equal(read.instances.size, 2);
    assert.equal(read.blobs.size, 6);

    const victim = index.images[0]!;
    await writeFile(blobFile(dir, victim.manifestDigest), Buffer.concat([victim.manifest, Buffer.from(' ')]));
    await expectCodeAsync(() => src.getManifest(victim.manifestDigest), 'SIZE_MISMATCH');
  });

  it('verifies the manifest against its index.json descriptor before returning it', async (t) => {
    const dir = join(await tempDir(t), 'layout');
    const img = makeImage({ seed: 'manifest-tamper' });
    await writeOciLayout(dir, img, 'v1');
    const tampered = Buffer.from(img.manifest);
    const pos = tampered.indexOf('"schemaVersion":2') + '"schemaVersion":'.length;
    tampered[pos] = '3'.charCodeAt(0);
    await writeFile(blobFile(dir, img.manifestDigest), tampered);
    const src = await ociTransport.parseReference(`${dir}:v1`).newImageSource(ctx);
    t.after(() => src.close());
    const err = await expectCodeAsync(() => src.getManifest(), 'DIGEST_MISMATCH');
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, img.manifestDigest);
    assert.equal(err.actual, digestOf(tampered));

    await writeFile(blobFile(dir, img.manifestDigest), img.manifest.subarray(1));
    await expectCodeAsync(() => src.getManifest(), 'SIZE_MISMATCH');
  });

  it('fails verification of a tampered, truncated or extended blob', async (t) => {
    const dir = join(await tempDir(t), 'layout');
    const img = makeImage({ seed: 'blob-tamper' });
    await writeOciLayout(dir, img);
    const src = await ociTransport.parseReference(dir).newImageSource(ctx);
    t.after(() => src.close());
    const layer = img.layers[0]!;
    const info = { digest: layer.digest, size: layer.size };
    const tampered = Buffer.from(layer.bytes);
    tampered[layer.size - 10] ^= 0x01;
    await writeFile(blobFile(dir, layer.digest), tampered);
    const err = await expectCodeAsync(() => readVerifiedBlob(src, info), 'DIGEST_MISMATCH');
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, layer.digest);
    assert.equal(err.actual, digestOf(tampered));
    await writeFile(blobFile(dir, layer.digest), layer.bytes.subarray(0, 10));
    await expectCodeAsync(() => readVerifiedBlob(src, info), 'SIZE_MISMATCH');
    await writeFile(blobFile(dir, layer.digest), Buffer.concat([layer.bytes, layer.bytes]));
    await expectCodeAsync(() => readVerifiedBlob(src, info), 'SIZE_MISMATCH');
    await rm(blobFile(dir, layer.digest));
    await expectCodeAsync(() => src.getBlob(info), 'BLOB_NOT_FOUND');
  });

  it('reports missing and malformed layouts', async (t) => {
    const root = await tempDir(t);
    const missing = join(root, 'missing');
    const err = await expectCodeAsync(() => ociTransport.parseReference(missing).newImageSource(ctx), 'PATH_NOT_FOUND');
    assert.equal((err as TransportError).category, 'input');
    assert.match(err.message, /missing/);

    const notLayout = join(root, 'plain');
    await mkdir(notLayout);
    await expectCodeAsync(() => ociTransport.parseReference(notLayout).newImageSource(ctx), 'IMAGE_NOT_FOUND');

    const bad = join(root, 'bad');
    await writeOciLayout(bad, makeImage({ seed: 'bad' }));
    await writeFile(join(bad, 'index.json'), '{"schemaVersion":2,"manifests":[{"digest":"sha256:nothex","size":1,"mediaType":"x"}]}');
    const err2 = await expectCodeAsync(() => ociTransport.parseReference(bad).newImageSource(ctx), 'INVALID_LAYOUT');
    assert.equal((err2 as TransportError).category, 'input');
    await writeFile(join(bad, 'index.json'), 'not json');
    await expectCodeAsync(() => ociTransport.parseReference(bad).newImageSource(ctx), 'INVALID_LAYOUT');
    await expectCodeAsync(() => ociTransport.parseReference(bad).newImageDestination(ctx), 'INVALID_LAYOUT');

    const noMarker = join(root, 'no-marker');
    await writeOciLayout(noMarker, makeImage({ seed: 'nm' }));
    await rm(join(noMarker, 'oci-layout'));
    await expectCodeAsync(() => ociTransport.parseReference(noMarker).newImageSource(ctx), 'INVALID_LAYOUT');
    await writeFile(join(noMarker, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expectCodeAsync(() => ociTransport.parseReference(noMarker).newImageSource(ctx), 'INVALID_LAYOUT');
  });
});

describe('oci: destination', () => {
  it('round-trips a single image into a new layout', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'layout');
    const img = makeImage({ seed: 'oci-rt' });
    await copyFixtureToOci(t, img, `${target}:v1`);
    assert.deepEqual(await listDir(root), ['layout']);
    assert.deepEqual(JSON.parse(await readFile(join(target, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = await readIndexJson(target);
    assert.equal(index.schemaVersion, 2);
    assert.deepEqual(index.manifests, [
      { mediaType: MediaTypes.ociManifest, digest: img.manifestDigest, size: img.manifest.length, annotations: { [REF_NAME]: 'v1' } },
    ]);
    const blobs = await listDir(join(target, 'blobs', 'sha256'));
    assert.deepEqual(blobs, [img.manifestDigest, img.config.digest, ...img.layers.map((l) => l.digest)].map(digestHex).sort());

    const src = await ociTransport.parseReference(`${target}:v1`).newImageSource(ctx);
    t.after(() => src.close());
    const read = await readWholeImage(src);
    assert.deepEqual(read.manifest, img.manifest);
  });

  it('round-trips an index: instances as blobs, the index in index.json', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'layout');
    const index = makeIndex([makeImage({ seed: 'm1' }), makeImage({ seed: 'm2', architecture: 'arm64' })]);
    await copyFixtureToOci(t, index, `${target}:multi`);
    const json = await readIndexJson(target);
    assert.equal(json.manifests.length, 1);
    assert.equal(json.manifests[0]!.digest, index.digest);
    assert.equal(json.manifests[0]!.mediaType, MediaTypes.ociIndex);
    for (const img of index.images) assert.deepEqual(await readFile(blobFile(target, img.manifestDigest)), img.manifest);

    const src = await ociTransport.parseReference(`${target}:multi`).newImageSource(ctx);
    t.after(() => src.close());
    const read = await readWholeImage(src);
    assert.deepEqual(read.manifest, index.bytes);
    assert.equal(read.instances.size, 2);
  });

  it('adds to an existing layout, replacing only the entry with the same ref name', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'layout');
    const a = makeImage({ seed: 'a' });
    const b = makeImage({ seed: 'b' });
    const c = makeImage({ seed: 'c' });
    await writeOciLayout(target, a, 'a');
    await copyFixtureToOci(t, b, `${target}:b`);
    await copyFixtureToOci(t, c, `${target}:a`);
    await copyFixtureToOci(t, b, target);
    const json = await readIndexJson(target);
    assert.deepEqual(
      json.manifests.map((m) => [m.digest, m.annotations?.[REF_NAME]]),
      [
        [b.manifestDigest, 'b'],
        [c.manifestDigest, 'a'],
        [b.manifestDigest, undefined],
      ],
    );
    assert.equal(json.manifests[2]!.annotations, undefined);
    const src = await ociTransport.parseReference(`${target}:a`).newImageSource(ctx);
    assert.deepEqual((await src.getManifest()).bytes, c.manifest);
    await src.close();
    // Writing the same unnamed image again does not duplicate its entry.
    await copyFixtureToOci(t, b, target);
    assert.equal((await readIndexJson(target)).manifests.length, 3);
  });

  it('aborted write into a new layout leaves no directory behind', async (t) => {
    const root = await tempDir(t);
    const img = makeImage({ seed: 'abort-new', layerBytes: 50_000 });
    const dest = await ociTransport.parseReference(join(root, 'layout')).newImageDestination(ctx);
    await dest.putBlob(streamOf(img.config.bytes), { digest: img.config.digest, size: img.config.size });
    const boom = new Error('source failed');
    const layer = img.layers[0]!;
    await assert.rejects(dest.putBlob(failingStream(layer.bytes, 500, boom), { digest: layer.digest, size: layer.size }), (e) => e === boom);
    await dest.close();
    assert.deepEqual(await listDir(root), []);
  });

  it('aborted write into an existing layout adds no index entry and leaves no stray blobs', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'layout');
    const existing = makeImage({ seed: 'existing' });
    await writeOciLayout(target, existing, 'existing');
    const before = await listDir(target, true);
    const indexBefore = await readFile(join(target, 'index.json'));

    const img = makeImage({ seed: 'abort-existing', layerBytes: 50_000 });
    const shared = existing.layers[0]!;
    const dest = await ociTransport.parseReference(`${target}:new`).newImageDestination(ctx);
    assert.equal(await dest.tryReusingBlob({ digest: shared.digest, size: shared.size }), true);
    await dest.putBlob(streamOf(img.config.bytes), { digest: img.config.digest, size: img.config.size });
    await dest.putBlob(streamOf(shared.bytes), { digest: shared.digest, size: shared.size });
    const layer = img.layers[1]!;
    await assert.rejects(dest.putBlob(failingStream(layer.bytes, 100, new Error('cut')), { digest: layer.digest, size: layer.size }));
    await dest.putManifest(img.manifest, img.mediaType);
    await dest.close();

    assert.deepEqual(await listDir(target, true), before);
    assert.deepEqual(await readFile(join(target, 'index.json')), indexBefore);
    assert.deepEqual(await listDir(root), ['layout']);
  });

  it('does not store signatures and refuses use out of order', async (t) => {
    const root = await tempDir(t);
    const img = makeImage({ seed: 'sigs' });
    const dest = await ociTransport.parseReference(join(root, 'layout')).newImageDestination(ctx);
    assert.equal(dest.supportsSignatures(), false);
    assert.deepEqual(dest.supportedManifestMediaTypes(), [MediaTypes.ociManifest, MediaTypes.ociIndex]);
    await dest.putSignatures([]);
    await expectCodeAsync(() => dest.putSignatures([Buffer.from('sig')]), 'UNSUPPORTED_OPERATION');
    await expectCodeAsync(() => dest.commit(), 'INVALID_STATE');
    await expectCodeAsync(() => dest.putManifest(img.manifest, img.mediaType, img.config.digest), 'DIGEST_MISMATCH');
    await dest.close();
    assert.deepEqual(await listDir(root), []);
  });
});
