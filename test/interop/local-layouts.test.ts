/**
 * Interoperability of the local transports with skopeo: what our `dir:`, `oci:` and `oci-archive:`
 * destinations write, skopeo copies; what skopeo writes, our sources read with every digest verifying.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { digestHex } from '../../src/core/index.js';
import { MediaTypes } from '../../src/manifest/index.js';
import { dirTransport } from '../../src/transports/dir/index.js';
import { ociArchiveTransport } from '../../src/transports/oci-archive/index.js';
import { ociTransport } from '../../src/transports/oci/index.js';
import type { ImageReference } from '../../src/transports/types.js';
import { makeImage, makeIndex, writeDirImage, type FixtureImage, type FixtureIndex } from '../fixtures/images.js';
import { requirePeer } from '../helpers/peers.js';
import { skopeo } from '../helpers/run.js';
import { copyImage, listDir, readWholeImage, tempDir } from '../transports/dir/image-io.js';

const ctx = {};

async function runSkopeo(args: string[]): Promise<string> {
  const r = await skopeo(['--insecure-policy', ...args]);
  assert.equal(r.code, 0, `skopeo ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** Write `content` with our own destination for `target`, starting from a raw dir: fixture. */
async function writeWithSignet(t: TestContext, content: FixtureImage | FixtureIndex, target: ImageReference): Promise<void> {
  const fixtureDir = join(await tempDir(t), 'fixture');
  await writeDirImage(fixtureDir, content);
  const src = await dirTransport.parseReference(fixtureDir).newImageSource(ctx);
  const dest = await target.newImageDestination(ctx);
  try {
    await copyImage(src, dest);
  } finally {
    await dest.close();
    await src.close();
  }
}

async function readWithSignet(ref: ImageReference): Promise<Awaited<ReturnType<typeof readWholeImage>>> {
  const src = await ref.newImageSource(ctx);
  try {
    return await readWholeImage(src);
  } finally {
    await src.close();
  }
}

describe('local layouts: interop with skopeo', () => {
  it('skopeo copies an image written by our dir: destination to oci: and back to dir:', async (t) => {
    if (!requirePeer('skopeo', t)) return;
    const root = await tempDir(t);
    const img = makeImage({ seed: 'interop-dir', layers: 3 });
    await writeWithSignet(t, img, dirTransport.parseReference(join(root, 'x')));
    await runSkopeo(['copy', `dir:${join(root, 'x')}`, `oci:${join(root, 'y')}:tag`]);
    await runSkopeo(['copy', `oci:${join(root, 'y')}:tag`, `dir:${join(root, 'z')}`]);
    assert.deepEqual(await readFile(join(root, 'z', 'manifest.json')), img.manifest);
    const read = await readWithSignet(dirTransport.parseReference(join(root, 'z')));
    for (const b of [img.config, ...img.layers]) assert.deepEqual(read.blobs.get(b.digest), b.bytes);
  });

  it('skopeo reads a layout written by our oci: destination', async (t) => {
    if (!requirePeer('skopeo', t)) return;
    const root = await tempDir(t);
    const img = makeImage({ seed: 'interop-oci' });
    const other = makeImage({ seed: 'interop-oci-other', layers: 1 });
    await writeWithSignet(t, other, ociTransport.parseReference(`${join(root, 'y')}:other`));
    await writeWithSignet(t, img, ociTransport.parseReference(`${join(root, 'y')}:v1`));
    const raw = await runSkopeo(['inspect', '--raw', `oci:${join(root, 'y')}:v1`]);
    assert.equal(raw, img.manifest.toString());
    await runSkopeo(['copy', `oci:${join(root, 'y')}:v1`, `dir:${join(root, 'z')}`]);
    assert.deepEqual(await readFile(join(root, 'z', 'manifest.json')), img.manifest);
    const files = await listDir(join(root, 'z'));
    for (const b of [img.config, ...img.layers]) assert.ok(files.includes(digestHex(b.digest)));
  });

  it('our oci: source reads a layout written by skopeo (converted from Docker schema 2), all digests verifying', async (t) => {
    if (!requirePeer('skopeo', t)) return;
    const root = await tempDir(t);
    const img = makeImage({ seed: 'interop-skopeo-writes', format: 'docker' });
    await writeDirImage(join(root, 'fixture'), img);
    await runSkopeo(['copy', `dir:${join(root, 'fixture')}`, `oci:${join(root, 'layout')}:latest`]);
    const read = await readWithSignet(ociTransport.parseReference(`${join(root, 'layout')}:latest`));
    assert.equal(read.mediaType, MediaTypes.ociManifest);
    for (const layer of img.layers) assert.deepEqual(read.blobs.get(layer.digest), layer.bytes);
    assert.equal(read.blobs.size, img.layers.length + 1);
    // The single image of the layout is also found without a ref.
    const single = await readWithSignet(ociTransport.parseReference(join(root, 'layout')));
    assert.deepEqual(single.manifest, read.manifest);
  });

  it('copies an index with --all both ways between our layouts and skopeo', async (t) => {
    if (!requirePeer('skopeo', t)) return;
    const root = await tempDir(t);
    const index = makeIndex([
      makeImage({ seed: 'interop-amd64', architecture: 'amd64' }),
      makeImage({ seed: 'interop-arm64', architecture: 'arm64', variant: 'v8' }),
    ]);
    await writeWithSignet(t, index, dirTransport.parseReference(join(root, 'x')));
    await runSkopeo(['copy', '--all', `dir:${join(root, 'x')}`, `oci:${join(root, 'y')}:multi`]);
    const fromSkopeo = await readWithSignet(ociTransport.parseReference(`${join(root, 'y')}:multi`));
    assert.deepEqual(fromSkopeo.manifest, index.bytes);
    assert.equal(fromSkopeo.instances.size, 2);

    await writeWithSignet(t, index, ociTransport.parseReference(`${join(root, 'ours')}:multi`));
    await runSkopeo(['copy', '--all', `oci:${join(root, 'ours')}:multi`, `dir:${join(root, 'z')}`]);
    const back = await readWithSignet(dirTransport.parseReference(join(root, 'z')));
    assert.deepEqual(back.manifest, index.bytes);
    for (const img of index.images) assert.deepEqual(back.instances.get(img.manifestDigest), img.manifest);
  });

  it('oci-archive: skopeo reads our archives and we read skopeo\'s', async (t) => {
    if (!requirePeer('skopeo', t)) return;
    const root = await tempDir(t);
    const img = makeImage({ seed: 'interop-archive' });
    await writeWithSignet(t, img, ociArchiveTransport.parseReference(`${join(root, 'ours.tar')}:v1`));
    await runSkopeo(['copy', `oci-archive:${join(root, 'ours.tar')}:v1`, `dir:${join(root, 'z')}`]);
    assert.deepEqual(await readFile(join(root, 'z', 'manifest.json')), img.manifest);

    await runSkopeo(['copy', `dir:${join(root, 'z')}`, `oci-archive:${join(root, 'theirs.tar')}:v2`]);
    const read = await readWithSignet(ociArchiveTransport.parseReference(`${join(root, 'theirs.tar')}:v2`));
    assert.deepEqual(read.manifest, img.manifest);
    for (const b of [img.config, ...img.layers]) assert.deepEqual(read.blobs.get(b.digest), b.bytes);
  });
});
