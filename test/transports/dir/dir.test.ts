import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { IntegrityError, digestHex, digestOf, limits, type Digest } from '../../../src/core/index.js';
import { dirTransport } from '../../../src/transports/dir/index.js';
import { TransportError } from '../../../src/transports/errors.js';
import { makeImage, makeIndex, writeDirImage } from '../../fixtures/images.js';
import { expectCode, expectCodeAsync } from '../../helpers/expect-code.js';
import { copyImage, failingStream, listDir, readVerifiedBlob, readWholeImage, streamOf, tempDir } from './image-io.js';

const ctx = {};
const VERSION = 'Directory Transport Version: 1.1\n';

describe('dir: references', () => {
  it('resolves the path and derives policy identity and namespaces from it', async (t) => {
    const root = await tempDir(t);
    await mkdir(join(root, 'real'));
    await symlink(join(root, 'real'), join(root, 'link'));
    const ref = dirTransport.parseReference(join(root, 'link', 'img'));
    assert.equal(ref.stringWithinTransport(), join(root, 'link', 'img'));
    assert.equal(ref.toString(), `dir:${join(root, 'link', 'img')}`);
    assert.equal(ref.dockerReference, undefined);
    const resolved = join(await realpath(root), 'real', 'img');
    assert.equal(ref.policyConfigurationIdentity(), resolved);
    const namespaces = ref.policyConfigurationNamespaces();
    assert.equal(namespaces[0], dirname(resolved));
    assert.ok(!namespaces.includes('/'));
    assert.equal(namespaces.at(-1), `/${resolved.split('/')[1]}`);
  });

  it('resolves a relative path against the working directory', () => {
    const ref = dirTransport.parseReference('some-image-dir');
    assert.equal(ref.policyConfigurationIdentity(), join(process.cwd(), 'some-image-dir'));
  });

  it('rejects an empty path and a path whose parent does not exist', () => {
    const err = expectCode(() => dirTransport.parseReference(''), 'INVALID_REFERENCE');
    assert.ok(err instanceof TransportError && err.category === 'input');
    expectCode(() => dirTransport.parseReference('/nonexistent-signet-parent/x/y'), 'INVALID_REFERENCE');
  });

  it('validates policy scopes like containers/image', () => {
    dirTransport.validatePolicyConfigurationScope('/var/lib/images');
    expectCode(() => dirTransport.validatePolicyConfigurationScope('relative/path'), 'INVALID_REFERENCE');
    expectCode(() => dirTransport.validatePolicyConfigurationScope('/'), 'INVALID_REFERENCE');
    expectCode(() => dirTransport.validatePolicyConfigurationScope('/a/../b'), 'INVALID_REFERENCE');
    expectCode(() => dirTransport.validatePolicyConfigurationScope('/a/b/'), 'INVALID_REFERENCE');
  });
});

describe('dir: source', () => {
  it('reads an image written by the raw fixture writer, with signatures in order', async (t) => {
    const dir = join(await tempDir(t), 'img');
    const img = makeImage({ seed: 'dir-src', layers: 3 });
    const sigs = [Buffer.from('sig one'), Buffer.from('sig two')];
    await writeDirImage(dir, img, sigs);
    const src = await dirTransport.parseReference(dir).newImageSource(ctx);
    t.after(() => src.close());
    const read = await readWholeImage(src);
    assert.deepEqual(read.manifest, img.manifest);
    assert.equal(read.mediaType, img.mediaType);
    assert.equal(read.blobs.size, 4);
    for (const b of [img.config, ...img.layers]) assert.deepEqual(read.blobs.get(b.digest), b.bytes);
    assert.deepEqual(await src.getSignatures(), sigs);
    const blob = await src.getBlob({ digest: img.layers[0]!.digest, size: -1 });
    blob.stream.destroy();
    assert.equal(blob.size, img.layers[0]!.size);
  });

  it('reads the instances of an index and verifies instance manifests by digest', async (t) => {
    const dir = join(await tempDir(t), 'img');
    const index = makeIndex([makeImage({ seed: 'a', architecture: 'amd64' }), makeImage({ seed: 'b', architecture: 'arm64', variant: 'v8' })]);
    await writeDirImage(dir, index);
    const src = await dirTransport.parseReference(dir).newImageSource(ctx);
    t.after(() => src.close());
    const read = await readWholeImage(src);
    assert.deepEqual(read.manifest, index.bytes);
    assert.equal(read.instances.size, 2);

    const victim = index.images[1]!;
    const path = join(dir, `${digestHex(victim.manifestDigest)}.manifest.json`);
    const tampered = Buffer.from(victim.manifest.toString().replace('"schemaVersion":2', '"schemaVersion": 2'));
    await writeFile(path, tampered);
    const err = await expectCodeAsync(() => src.getManifest(victim.manifestDigest), 'DIGEST_MISMATCH');
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, victim.manifestDigest);
    assert.equal(err.actual, digestOf(tampered));
  });

  it('reports a missing directory as bad input, a missing manifest or blob as unreachable, naming the path', async (t) => {
    const root = await tempDir(t);
    const missing = join(root, 'nope');
    const err = await expectCodeAsync(() => dirTransport.parseReference(missing).newImageSource(ctx), 'PATH_NOT_FOUND');
    assert.ok(err instanceof TransportError && err.category === 'input');
    assert.match(err.message, new RegExp(missing));

    const unreadable = join(root, 'unreadable');
    await mkdir(join(unreadable, 'manifest.json'), { recursive: true });
    const unreadableSource = await dirTransport.parseReference(unreadable).newImageSource(ctx);
    const err1 = await expectCodeAsync(() => unreadableSource.getManifest(), 'PATH_UNREADABLE');
    assert.ok(err1 instanceof TransportError && err1.category === 'input');
    assert.match(err1.message, /manifest\.json.*EISDIR/);
    await unreadableSource.close();

    const empty = join(root, 'empty');
    await mkdir(empty);
    const err2 = await expectCodeAsync(() => dirTransport.parseReference(empty).newImageSource(ctx), 'IMAGE_NOT_FOUND');
    assert.match(err2.message, /manifest\.json/);

    const dir = join(root, 'img');
    const img = makeImage({ seed: 'missing-blob' });
    await writeDirImage(dir, img);
    const src = await dirTransport.parseReference(dir).newImageSource(ctx);
    const other = makeImage({ seed: 'other' }).layers[0]!;
    const err3 = await expectCodeAsync(() => src.getBlob({ digest: other.digest, size: other.size }), 'BLOB_NOT_FOUND');
    assert.equal((err3 as TransportError).category, 'unreachable');
    await expectCodeAsync(() => src.getManifest(other.digest), 'IMAGE_NOT_FOUND');
    await src.close();
  });

  it('fails verification of a blob with one byte altered (DIGEST_MISMATCH naming expected and actual)', async (t) => {
    const dir = join(await tempDir(t), 'img');
    const img = makeImage({ seed: 'tamper' });
    await writeDirImage(dir, img);
    const layer = img.layers[1]!;
    const tampered = Buffer.from(layer.bytes);
    tampered[100] = (tampered[100]! + 1) % 256;
    await writeFile(join(dir, digestHex(layer.digest)), tampered);
    const src = await dirTransport.parseReference(dir).newImageSource(ctx);
    t.after(() => src.close());
    const err = await expectCodeAsync(() => readVerifiedBlob(src, { digest: layer.digest, size: layer.size }), 'DIGEST_MISMATCH');
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, layer.digest);
    assert.equal(err.actual, digestOf(tampered));
    assert.match(err.message, new RegExp(`expected ${layer.digest}, got ${digestOf(tampered)}`));
  });

  it('fails verification of a truncated or extended blob with SIZE_MISMATCH', async (t) => {
    const dir = join(await tempDir(t), 'img');
    const img = makeImage({ seed: 'size' });
    await writeDirImage(dir, img);
    const layer = img.layers[0]!;
    const src = await dirTransport.parseReference(dir).newImageSource(ctx);
    t.after(() => src.close());
    const info = { digest: layer.digest, size: layer.size };
    await writeFile(join(dir, digestHex(layer.digest)), layer.bytes.subarray(0, layer.size - 1));
    await expectCodeAsync(() => readVerifiedBlob(src, info), 'SIZE_MISMATCH');
    await writeFile(join(dir, digestHex(layer.digest)), Buffer.concat([layer.bytes, Buffer.from([0])]));
    await expectCodeAsync(() => readVerifiedBlob(src, info), 'SIZE_MISMATCH');
  });

  it('caps the number of signatures read', async (t) => {
    const dir = join(await tempDir(t), 'img');
    await writeDirImage(dir, makeImage({ seed: 'many-sigs', layers: 1 }));
    for (let i = 1; i <= limits.signatureCount + 1; i++) await writeFile(join(dir, `signature-${i}`), `s${i}`);
    const src = await dirTransport.parseReference(dir).newImageSource(ctx);
    t.after(() => src.close());
    await expectCodeAsync(() => src.getSignatures(), 'TOO_LARGE');
  });
});

describe('dir: destination', () => {
  it('round-trips a single image with signatures in skopeo layout', async (t) => {
    const root = await tempDir(t);
    const img = makeImage({ seed: 'rt-single', format: 'docker' });
    const sigs = [Buffer.from('first signature'), Buffer.from('second signature')];
    await writeDirImage(join(root, 'src'), img, sigs);
    const src = await dirTransport.parseReference(join(root, 'src')).newImageSource(ctx);
    const dest = await dirTransport.parseReference(join(root, 'dst')).newImageDestination(ctx);
    assert.equal(dest.supportedManifestMediaTypes(), undefined);
    assert.equal(dest.supportsSignatures(), true);
    await copyImage(src, dest);
    await dest.close();
    await src.close();

    assert.deepEqual(await listDir(root), ['dst', 'src']);
    const files = await listDir(join(root, 'dst'));
    const expected = ['manifest.json', 'signature-1', 'signature-2', 'version', ...[img.config, ...img.layers].map((b) => digestHex(b.digest))];
    assert.deepEqual(files, expected.sort());
    assert.equal(await readFile(join(root, 'dst', 'version'), 'utf8'), VERSION);
    assert.deepEqual(await readFile(join(root, 'dst', 'manifest.json')), img.manifest);

    const back = await dirTransport.parseReference(join(root, 'dst')).newImageSource(ctx);
    t.after(() => back.close());
    const read = await readWholeImage(back);
    assert.deepEqual(read.manifest, img.manifest);
    assert.deepEqual(await back.getSignatures(), sigs);
  });

  it('round-trips an index with per-instance manifests and signatures', async (t) => {
    const root = await tempDir(t);
    const index = makeIndex([makeImage({ seed: 'i1' }), makeImage({ seed: 'i2', architecture: 'arm64' })]);
    await writeDirImage(join(root, 'src'), index, [Buffer.from('index sig')]);
    const [a, b] = index.images as [(typeof index.images)[0], (typeof index.images)[0]];
    await writeFile(join(root, 'src', `${digestHex(a.manifestDigest)}.signature-1`), 'instance sig');

    const src = await dirTransport.parseReference(join(root, 'src')).newImageSource(ctx);
    const dest = await dirTransport.parseReference(join(root, 'dst')).newImageDestination(ctx);
    await copyImage(src, dest);
    await dest.close();
    await src.close();

    const files = await listDir(join(root, 'dst'));
    for (const img of [a, b]) assert.ok(files.includes(`${digestHex(img.manifestDigest)}.manifest.json`));
    assert.ok(files.includes(`${digestHex(a.manifestDigest)}.signature-1`));
    assert.ok(!files.includes(`${digestHex(b.manifestDigest)}.signature-1`));

    const back = await dirTransport.parseReference(join(root, 'dst')).newImageSource(ctx);
    t.after(() => back.close());
    const read = await readWholeImage(back);
    assert.deepEqual(read.manifest, index.bytes);
    assert.deepEqual(read.instances.get(b.manifestDigest), b.manifest);
    assert.deepEqual(await back.getSignatures(), [Buffer.from('index sig')]);
    assert.deepEqual(await back.getSignatures(a.manifestDigest), [Buffer.from('instance sig')]);
    assert.deepEqual(await back.getSignatures(b.manifestDigest), []);
  });

  it('makes nothing visible before commit, and nothing at all when closed without commit', async (t) => {
    const root = await tempDir(t);
    const img = makeImage({ seed: 'no-commit' });
    const target = join(root, 'dst');
    const dest = await dirTransport.parseReference(target).newImageDestination(ctx);
    await dest.putBlob(streamOf(img.config.bytes), { digest: img.config.digest, size: img.config.size });
    assert.equal(await dest.tryReusingBlob({ digest: img.config.digest, size: img.config.size }), true);
    await dest.putManifest(img.manifest, img.mediaType);
    await expectCodeAsync(() => readdir(target), 'ENOENT');
    await dest.close();
    assert.deepEqual(await listDir(root), []);
  });

  it('leaves no target directory and no temporary files when a blob stream fails mid-write', async (t) => {
    const root = await tempDir(t);
    const img = makeImage({ seed: 'abort', layerBytes: 100_000 });
    const dest = await dirTransport.parseReference(join(root, 'dst')).newImageDestination(ctx);
    await dest.putBlob(streamOf(img.config.bytes), { digest: img.config.digest, size: img.config.size });
    const boom = new Error('network went away');
    const layer = img.layers[0]!;
    await assert.rejects(dest.putBlob(failingStream(layer.bytes, 1000, boom), { digest: layer.digest, size: layer.size }), (err) => err === boom);
    assert.equal(await dest.tryReusingBlob({ digest: layer.digest, size: layer.size }), false);
    await dest.close();
    assert.deepEqual(await listDir(root), []);
  });

  it('refuses to overwrite a non-empty directory that is not a dir: layout, and leaves it untouched', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'precious');
    await mkdir(target);
    await writeFile(join(target, 'thesis.tex'), 'years of work');
    const err = await expectCodeAsync(() => dirTransport.parseReference(target).newImageDestination(ctx), 'DESTINATION_NOT_EMPTY');
    assert.equal((err as TransportError).category, 'input');
    assert.match(err.message, /precious/);
    await writeFile(join(target, 'version'), 'Something else: 2\n');
    await expectCodeAsync(() => dirTransport.parseReference(target).newImageDestination(ctx), 'DESTINATION_NOT_EMPTY');
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    await expectCodeAsync(() => dirTransport.parseReference(file).newImageDestination(ctx), 'DESTINATION_NOT_EMPTY');
    assert.deepEqual(await listDir(target), ['thesis.tex', 'version']);
    assert.deepEqual(await listDir(root), ['a-file', 'precious']);
  });

  it('writes into an empty directory and replaces a previous dir: image completely', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'img');
    await mkdir(target);
    const first = makeImage({ seed: 'first' });
    const second = makeImage({ seed: 'second', layers: 1 });
    await writeDirImage(join(root, 'src1'), first, [Buffer.from('old sig')]);
    await writeDirImage(join(root, 'src2'), second);

    for (const [srcDir, img] of [['src1', first], ['src2', second]] as const) {
      const src = await dirTransport.parseReference(join(root, srcDir)).newImageSource(ctx);
      const dest = await dirTransport.parseReference(target).newImageDestination(ctx);
      await copyImage(src, dest);
      await dest.close();
      await src.close();
      assert.deepEqual(await readFile(join(target, 'manifest.json')), img.manifest);
    }
    const expected = ['manifest.json', 'version', ...[second.config, ...second.layers].map((b) => digestHex(b.digest))].sort();
    assert.deepEqual(await listDir(target), expected);
    assert.deepEqual((await listDir(root)).filter((n) => n.startsWith('.')), []);
  });

  it('closing without commit leaves an existing image untouched', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'img');
    const img = makeImage({ seed: 'keep' });
    await writeDirImage(target, img);
    const before = await listDir(target);
    const dest = await dirTransport.parseReference(target).newImageDestination(ctx);
    const other = makeImage({ seed: 'replacement' });
    await dest.putBlob(streamOf(other.config.bytes), { digest: other.config.digest, size: other.config.size });
    await dest.putManifest(other.manifest, other.mediaType);
    await dest.close();
    assert.deepEqual(await listDir(target), before);
    assert.deepEqual(await readFile(join(target, 'manifest.json')), img.manifest);
    assert.deepEqual(await listDir(root), [basename(target)]);
  });

  it('checks instance manifests against their digest, rewrites fewer signatures cleanly, and refuses use after commit', async (t) => {
    const root = await tempDir(t);
    const img = makeImage({ seed: 'checks' });
    const dest = await dirTransport.parseReference(join(root, 'dst')).newImageDestination(ctx);
    await expectCodeAsync(() => dest.putManifest(img.manifest, img.mediaType, img.config.digest), 'DIGEST_MISMATCH');
    await expectCodeAsync(() => dest.commit(), 'INVALID_STATE');
    await dest.putManifest(img.manifest, img.mediaType);
    await dest.putSignatures([Buffer.from('1'), Buffer.from('2'), Buffer.from('3')]);
    await dest.putSignatures([Buffer.from('only')]);
    await dest.commit();
    await expectCodeAsync(() => dest.putManifest(img.manifest, img.mediaType), 'INVALID_STATE');
    await dest.close();
    const files = await listDir(join(root, 'dst'));
    assert.deepEqual(
      files.filter((f) => f.startsWith('signature-')),
      ['signature-1'],
    );
    const digest: Digest = img.manifestDigest;
    assert.equal(digestOf(await readFile(join(root, 'dst', 'manifest.json'))), digest);
  });
});
