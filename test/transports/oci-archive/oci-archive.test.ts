import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { digestOf } from '../../../src/core/index.js';
import { dirTransport } from '../../../src/transports/dir/index.js';
import { TransportError } from '../../../src/transports/errors.js';
import { ociArchiveTransport, type OciArchiveReference } from '../../../src/transports/oci-archive/index.js';
import { makeImage, makeIndex, writeDirImage, writeOciLayout, type FixtureImage, type FixtureIndex } from '../../fixtures/images.js';
import { expectCode, expectCodeAsync } from '../../helpers/expect-code.js';
import { copyImage, failingStream, listDir, readWholeImage, streamOf, tempDir } from '../dir/image-io.js';

const ctx = {};

type EntrySpec = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; linkname?: string; content?: string | Buffer };

/** Write a tar file with tar-stream (entries exactly as given, including hostile names). */
async function writeTar(path: string, entries: EntrySpec[]): Promise<void> {
  const pack = tar.pack();
  for (const e of entries) {
    const content = e.content === undefined ? undefined : Buffer.from(e.content);
    const header = { name: e.name, type: e.type ?? 'file', mode: 0o644, ...(e.linkname === undefined ? {} : { linkname: e.linkname }) };
    if (content === undefined) pack.entry(header);
    else pack.entry(header, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  await writeFile(path, Buffer.concat(chunks));
}

/** Entries of a tar file: name → content (files) or type. */
async function readTar(path: string): Promise<Map<string, Buffer | string>> {
  const extract = tar.extract();
  createReadStream(path).pipe(extract);
  const out = new Map<string, Buffer | string>();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.set(entry.header.name, entry.header.type === 'file' ? Buffer.concat(chunks) : entry.header.type);
  }
  return out;
}

async function archiveTemps(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((n) => n.startsWith('signet-oci-archive-')).sort();
}

async function copyFixtureToArchive(t: Parameters<typeof tempDir>[0], content: FixtureImage | FixtureIndex, target: string): Promise<void> {
  const srcDir = join(await tempDir(t), 'src');
  await writeDirImage(srcDir, content);
  const src = await dirTransport.parseReference(srcDir).newImageSource(ctx);
  const dest = await ociArchiveTransport.parseReference(target).newImageDestination(ctx);
  try {
    await copyImage(src, dest);
  } finally {
    await dest.close();
    await src.close();
  }
}

describe('test fixtures', () => {
  it('layers are gzipped tars whose diff_ids are the digests of the uncompressed tar', async (t) => {
    const img = makeImage({ seed: 'fixture-check', layers: 2, layerBytes: 3000, labels: { a: 'b' }, env: ['X=1'] });
    assert.deepEqual(makeImage({ seed: 'fixture-check', layers: 2, layerBytes: 3000, labels: { a: 'b' }, env: ['X=1'] }), img);
    assert.notDeepEqual(makeImage({ seed: 'other', layers: 2, layerBytes: 3000 }).layers[0]!.digest, img.layers[0]!.digest);
    const config = JSON.parse(img.config.bytes.toString()) as { rootfs: { diff_ids: string[] }; config: { Labels: Record<string, string>; Env: string[] } };
    assert.deepEqual(config.config.Labels, { a: 'b' });
    const dir = await tempDir(t);
    for (const [i, layer] of img.layers.entries()) {
      const raw = gunzipSync(layer.bytes);
      assert.equal(digestOf(raw), config.rootfs.diff_ids[i]);
      await writeFile(join(dir, `l${i}.tar`), raw);
      const entries = await readTar(join(dir, `l${i}.tar`));
      assert.equal(entries.get('data/'), 'directory');
      assert.equal((entries.get(`data/layer-${i}.bin`) as Buffer).length, 3000);
    }
  });
});

describe('oci-archive: references', () => {
  it('parses PATH[:REF] like oci: but without @N', async (t) => {
    const root = await tempDir(t);
    const ref = ociArchiveTransport.parseReference(`${root}/a.tar:app:v1`) as OciArchiveReference;
    assert.equal(ref.refName, 'app:v1');
    assert.equal(ref.toString(), `oci-archive:${root}/a.tar:app:v1`);
    assert.ok(ref.policyConfigurationIdentity().endsWith('/a.tar'));
    assert.equal(ref.policyConfigurationNamespaces()[0], ref.policyConfigurationIdentity());
    for (const bad of ['', ':x', `${root}/a.tar:@1`, `${root}/a.tar:bad ref`, `${root}/a.tar:.x`]) {
      const err = expectCode(() => ociArchiveTransport.parseReference(bad), 'INVALID_REFERENCE');
      assert.ok(err instanceof TransportError && err.category === 'input');
    }
    expectCode(() => ociArchiveTransport.validatePolicyConfigurationScope('x.tar'), 'INVALID_REFERENCE');
  });
});

describe('oci-archive: round trips', () => {
  it('writes a single image as a tar of an OCI layout and reads it back', async (t) => {
    const root = await tempDir(t);
    const archive = join(root, 'image.tar');
    const img = makeImage({ seed: 'arch-single' });
    const tempsBefore = await archiveTemps();
    await copyFixtureToArchive(t, img, `${archive}:v1`);
    assert.deepEqual(await listDir(root), ['image.tar']);

    const entries = await readTar(archive);
    assert.deepEqual(
      [...entries.keys()].sort(),
      ['blobs/', 'blobs/sha256/', 'index.json', 'oci-layout', ...[img.manifestDigest, img.config.digest, ...img.layers.map((l) => l.digest)].map((d) => `blobs/sha256/${d.slice(7)}`)].sort(),
    );
    const index = JSON.parse((entries.get('index.json') as Buffer).toString()) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    assert.equal(index.manifests[0]!.digest, img.manifestDigest);
    assert.equal(index.manifests[0]!.annotations['org.opencontainers.image.ref.name'], 'v1');

    const src = await ociArchiveTransport.parseReference(`${archive}:v1`).newImageSource(ctx);
    const read = await readWholeImage(src);
    assert.deepEqual(read.manifest, img.manifest);
    for (const b of [img.config, ...img.layers]) assert.deepEqual(read.blobs.get(b.digest), b.bytes);
    await src.close();
    assert.deepEqual(await archiveTemps(), tempsBefore);
  });

  it('writes an index with its instances and reads it back', async (t) => {
    const root = await tempDir(t);
    const archive = join(root, 'multi.tar');
    const index = makeIndex([makeImage({ seed: 'ai1' }), makeImage({ seed: 'ai2', os: 'linux', architecture: 's390x' })]);
    await copyFixtureToArchive(t, index, archive);
    const src = await ociArchiveTransport.parseReference(archive).newImageSource(ctx);
    t.after(() => src.close());
    const read = await readWholeImage(src);
    assert.deepEqual(read.manifest, index.bytes);
    assert.equal(read.instances.size, 2);
    assert.equal(read.blobs.size, 6);
  });

  it('overwrites an existing archive atomically with only the new image', async (t) => {
    const root = await tempDir(t);
    const archive = join(root, 'image.tar');
    await copyFixtureToArchive(t, makeImage({ seed: 'old' }), `${archive}:old`);
    const img = makeImage({ seed: 'new' });
    await copyFixtureToArchive(t, img, `${archive}:new`);
    await expectCodeAsync(() => ociArchiveTransport.parseReference(`${archive}:old`).newImageSource(ctx), 'IMAGE_NOT_FOUND');
    const src = await ociArchiveTransport.parseReference(`${archive}:new`).newImageSource(ctx);
    assert.deepEqual((await src.getManifest()).bytes, img.manifest);
    await src.close();
    assert.deepEqual(await listDir(root), ['image.tar']);
  });

  it('reads archives whose entries start with "./" (as `tar -C layout -cf x.tar .` writes them)', async (t) => {
    const root = await tempDir(t);
    const layout = join(root, 'layout');
    const img = makeImage({ seed: 'dot-slash', layers: 1 });
    await writeOciLayout(layout, img, 'latest');
    const entries: EntrySpec[] = [{ name: './', type: 'directory' }];
    for (const name of await listDir(layout, true)) {
      const st = await lstat(join(layout, name));
      entries.push(st.isDirectory() ? { name: `./${name}/`, type: 'directory' } : { name: `./${name}`, content: await readFile(join(layout, name)) });
    }
    await writeTar(join(root, 'x.tar'), entries);
    const src = await ociArchiveTransport.parseReference(`${join(root, 'x.tar')}:latest`).newImageSource(ctx);
    t.after(() => src.close());
    assert.deepEqual((await readWholeImage(src)).manifest, img.manifest);
  });

  it('aborted destination leaves neither the archive nor temporary files', async (t) => {
    const root = await tempDir(t);
    const img = makeImage({ seed: 'arch-abort', layerBytes: 40_000 });
    const tempsBefore = await archiveTemps();
    const dest = await ociArchiveTransport.parseReference(join(root, 'out.tar')).newImageDestination(ctx);
    await dest.putBlob(streamOf(img.config.bytes), { digest: img.config.digest, size: img.config.size });
    const layer = img.layers[0]!;
    await assert.rejects(dest.putBlob(failingStream(layer.bytes, 1000, new Error('gone')), { digest: layer.digest, size: layer.size }));
    await dest.close();
    assert.deepEqual(await listDir(root), []);
    assert.deepEqual(await archiveTemps(), tempsBefore);
  });
});

describe('oci-archive: hostile and broken archives', () => {
  const hostile: [string, EntrySpec[]][] = [
    ['a ".." entry', [{ name: '../escaped', content: 'x' }]],
    ['a nested ".." entry', [{ name: 'blobs/../../escaped', content: 'x' }]],
    ['an absolute entry', [{ name: '/tmp/signet-escaped-absolute', content: 'x' }]],
    ['a symlink pointing outside', [{ name: 'evil', type: 'symlink', linkname: '../../../../etc' }]],
    ['an absolute symlink', [{ name: 'evil', type: 'symlink', linkname: '/etc' }]],
    ['a hard link to a file outside', [{ name: 'evil', type: 'link', linkname: '../outside.txt' }]],
    ['a hard link to an absolute path', [{ name: 'evil', type: 'link', linkname: '/etc/passwd' }]],
    [
      'a file written through a symlink',
      [
        { name: 'sub/', type: 'directory' },
        { name: 'link', type: 'symlink', linkname: 'sub' },
        { name: 'link/file', content: 'x' },
      ],
    ],
    ['a fifo', [{ name: 'pipe', type: 'fifo' }]],
  ];
  for (const [what, entries] of hostile) {
    it(`rejects ${what} and creates nothing outside the extraction directory`, async (t) => {
      const root = await tempDir(t);
      await writeFile(join(root, 'outside.txt'), 'outside');
      const archiveDir = join(root, 'a', 'b', 'c');
      await mkdir(archiveDir, { recursive: true });
      const archive = join(archiveDir, 'evil.tar');
      await writeTar(archive, entries);
      const tempsBefore = await archiveTemps();
      const err = await expectCodeAsync(() => ociArchiveTransport.parseReference(archive).newImageSource(ctx), 'INVALID_ARCHIVE');
      assert.ok(err instanceof TransportError && err.category === 'input');
      assert.deepEqual(await listDir(root, true), ['a', 'a/b', 'a/b/c', 'a/b/c/evil.tar', 'outside.txt']);
      await expectCodeAsync(() => lstat('/tmp/signet-escaped-absolute'), 'ENOENT');
      assert.deepEqual(await archiveTemps(), tempsBefore);
    });
  }

  it('accepts symlinks and hard links that stay inside', async (t) => {
    const root = await tempDir(t);
    const layout = join(root, 'layout');
    const img = makeImage({ seed: 'links', layers: 1 });
    await writeOciLayout(layout, img);
    const entries: EntrySpec[] = [];
    for (const name of await listDir(layout, true)) {
      const st = await lstat(join(layout, name));
      if (st.isDirectory()) entries.push({ name: `${name}/`, type: 'directory' });
      else if (name === 'index.json') entries.push({ name: 'real-index.json', content: await readFile(join(layout, name)) });
      else entries.push({ name, content: await readFile(join(layout, name)) });
    }
    entries.push({ name: 'index.json', type: 'link', linkname: 'real-index.json' });
    entries.push({ name: 'alias', type: 'symlink', linkname: 'blobs/sha256' });
    await writeTar(join(root, 'x.tar'), entries);
    const src = await ociArchiveTransport.parseReference(join(root, 'x.tar')).newImageSource(ctx);
    t.after(() => src.close());
    assert.deepEqual((await readWholeImage(src)).manifest, img.manifest);
  });

  it('reports a missing archive as bad input and garbage as an invalid archive', async (t) => {
    const root = await tempDir(t);
    const err = await expectCodeAsync(() => ociArchiveTransport.parseReference(join(root, 'none.tar')).newImageSource(ctx), 'PATH_NOT_FOUND');
    assert.ok(err instanceof TransportError && err.category === 'input');
    await writeFile(join(root, 'garbage.tar'), Buffer.alloc(1024, 0x41));
    await expectCodeAsync(() => ociArchiveTransport.parseReference(join(root, 'garbage.tar')).newImageSource(ctx), 'INVALID_ARCHIVE');
    await writeTar(join(root, 'empty.tar'), []);
    await expectCodeAsync(() => ociArchiveTransport.parseReference(join(root, 'empty.tar')).newImageSource(ctx), 'IMAGE_NOT_FOUND');
    await mkdir(join(root, 'dir.tar'));
    await expectCodeAsync(() => ociArchiveTransport.parseReference(join(root, 'dir.tar')).newImageDestination(ctx), 'DESTINATION_NOT_EMPTY');
  });
});
