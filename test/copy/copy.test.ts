import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyImage, type CopyProgress } from '../../src/copy/index.js';
import { digestOf } from '../../src/core/index.js';
import { convertConfigToOci, manifestDigest, MediaTypes, parseManifest } from '../../src/manifest/index.js';
import { parseImageName } from '../../src/transports/index.js';
import { makeImage, makeIndex, writeDirImage, writeOciLayout } from '../fixtures/images.js';
import { expectCodeAsync } from '../helpers/expect-code.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-copy-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function recorder(): CopyProgress & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    gettingSignatures: () => events.push('signatures'),
    copyingList: (n, total) => events.push(`list ${n}/${total}`),
    copyingInstance: (d, i, total) => events.push(`instance ${i}/${total} ${d}`),
    blobStarted: (t) => events.push(`start ${t.kind} ${t.info.digest}`),
    blobFinished: (t, outcome) => events.push(`${outcome} ${t.kind} ${t.info.digest} ${t.bytesDone()}`),
    blobFailed: (t) => events.push(`failed ${t.kind} ${t.info.digest}`),
    writingManifest: () => events.push('manifest'),
    storingSignatures: () => events.push('store signatures'),
  };
}

describe('copyImage between local transports', () => {
  it('copies dir: → oci: → oci-archive: → dir: keeping every blob and the manifest bytes', async () => {
    const image = makeImage({ format: 'oci', layers: 3, seed: 'round-trip' });
    const a = join(work, 'rt-a');
    await writeDirImage(a, image);
    const progress = recorder();
    const r1 = await copyImage(parseImageName(`dir:${a}`), parseImageName(`oci:${join(work, 'rt-b')}:v1`), { progress });
    assert.equal(r1.manifestDigest, image.manifestDigest);
    assert.equal(r1.blobsCopied, 4);
    assert.ok(progress.events.includes(`copied blob ${image.layers[0]!.digest} ${image.layers[0]!.size}`));
    await copyImage(parseImageName(`oci:${join(work, 'rt-b')}:v1`), parseImageName(`oci-archive:${join(work, 'rt-c.tar')}:v1`));
    const r3 = await copyImage(parseImageName(`oci-archive:${join(work, 'rt-c.tar')}:v1`), parseImageName(`dir:${join(work, 'rt-d')}`));
    assert.equal(r3.manifestDigest, image.manifestDigest);
    const manifest = await readFile(join(work, 'rt-d', 'manifest.json'));
    assert.deepEqual(manifest, image.manifest);
    for (const blob of [image.config, ...image.layers]) {
      const bytes = await readFile(join(work, 'rt-d', blob.digest.slice('sha256:'.length)));
      assert.deepEqual(bytes, blob.bytes);
    }
  });

  it('converts a Docker schema 2 image to OCI for an oci: destination, re-encoding the config as skopeo does', async () => {
    const image = makeImage({ format: 'docker', layers: 1, seed: 'convert', labels: {} });
    const a = join(work, 'conv-a');
    await writeDirImage(a, image);
    const r = await copyImage(parseImageName(`dir:${a}`), parseImageName(`oci:${join(work, 'conv-b')}:x`));
    assert.equal(r.mediaType, MediaTypes.ociManifest);
    const m = parseManifest(r.manifest, r.mediaType);
    assert.equal(m.kind, 'oci-manifest');
    if (m.kind !== 'oci-manifest') return;
    // The OCI view drops the empty Labels map, so the config changes and so does its digest.
    const converted = convertConfigToOci(image.config.bytes);
    assert.ok(image.config.bytes.includes('"Labels":{}'));
    assert.ok(!converted.includes('"Labels"'));
    assert.equal(m.config.digest, digestOf(converted));
    assert.deepEqual(await readFile(join(work, 'conv-b', 'blobs', 'sha256', m.config.digest.slice(7))), converted);
    assert.equal(m.layers[0]!.digest, image.layers[0]!.digest);
    assert.equal(m.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  });

  it('copies the current platform from an index, or every instance with all', async () => {
    const amd = makeImage({ format: 'oci', seed: 'amd', architecture: 'amd64' });
    const arm = makeImage({ format: 'oci', seed: 'arm', architecture: 'arm64', variant: 'v8' });
    const index = makeIndex([amd, arm], 'oci');
    const src = join(work, 'idx');
    await writeOciLayout(src, index, 'multi');

    const one = await copyImage(parseImageName(`oci:${src}:multi`), parseImageName(`dir:${join(work, 'idx-one')}`), {
      sourceContext: { overrideArch: 'arm64', overrideOS: 'linux' },
    });
    assert.equal(one.manifestDigest, arm.manifestDigest);

    const progress = recorder();
    const all = await copyImage(parseImageName(`oci:${src}:multi`), parseImageName(`dir:${join(work, 'idx-all')}`), { all: true, progress });
    assert.equal(all.manifestDigest, index.digest);
    assert.equal(all.instances.length, 2);
    assert.ok(progress.events.includes('list 2/2'));
    const files = await readdir(join(work, 'idx-all'));
    for (const img of [amd, arm]) {
      assert.ok(files.includes(`${img.manifestDigest.slice(7)}.manifest.json`), `instance manifest of ${img.platform.architecture}`);
    }
  });

  it('converts an OCI index and its instances for --format v2s2, rewriting the instance digests', async () => {
    const a = makeImage({ format: 'oci', seed: 'fa', architecture: 'amd64' });
    const b = makeImage({ format: 'oci', seed: 'fb', architecture: 's390x' });
    const src = join(work, 'fmt');
    await writeOciLayout(src, makeIndex([a, b], 'oci'), 'm');
    const r = await copyImage(parseImageName(`oci:${src}:m`), parseImageName(`dir:${join(work, 'fmt-out')}`), {
      all: true,
      manifestMediaType: MediaTypes.dockerV2S2Manifest,
    });
    assert.equal(r.mediaType, MediaTypes.dockerManifestList);
    const list = parseManifest(r.manifest, r.mediaType);
    assert.equal(list.kind, 'docker-list');
    if (list.kind !== 'docker-list') return;
    for (const [i, d] of list.manifests.entries()) {
      assert.equal(d.mediaType, MediaTypes.dockerV2S2Manifest);
      assert.equal(d.digest, r.instances[i]!.digest);
      const bytes = await readFile(join(work, 'fmt-out', `${d.digest.slice(7)}.manifest.json`));
      assert.equal(manifestDigest(bytes), d.digest);
    }
  });

  it('carries dir: signatures along, and drops them with removeSignatures', async () => {
    const image = makeImage({ seed: 'sigs' });
    const src = join(work, 'sig-src');
    await writeDirImage(src, image, [Buffer.from('sig one'), Buffer.from('sig two')]);
    await copyImage(parseImageName(`dir:${src}`), parseImageName(`dir:${join(work, 'sig-out')}`));
    assert.equal((await readFile(join(work, 'sig-out', 'signature-2'))).toString(), 'sig two');
    await copyImage(parseImageName(`dir:${src}`), parseImageName(`dir:${join(work, 'sig-none')}`), { removeSignatures: true });
    assert.ok(!(await readdir(join(work, 'sig-none'))).some((f) => f.startsWith('signature-')));
  });

  it('refuses a conversion that would invalidate signatures', async () => {
    const image = makeImage({ format: 'docker', seed: 'sig-conv' });
    const src = join(work, 'sig-conv');
    await writeDirImage(src, image, [Buffer.from('a signature')]);
    await expectCodeAsync(
      () => copyImage(parseImageName(`dir:${src}`), parseImageName(`dir:${join(work, 'sig-conv-out')}`), { manifestMediaType: MediaTypes.ociManifest }),
      'WOULD_INVALIDATE_SIGNATURES',
    );
  });

  it('stops at a tampered layer with DIGEST_MISMATCH, and leaves no destination', async () => {
    const image = makeImage({ layers: 2, seed: 'tamper' });
    const src = join(work, 'tamper-src');
    await writeDirImage(src, image);
    const victim = join(src, image.layers[1]!.digest.slice(7));
    const bytes = await readFile(victim);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(victim, bytes);
    const dest = join(work, 'tamper-dst');
    await expectCodeAsync(() => copyImage(parseImageName(`dir:${src}`), parseImageName(`dir:${dest}`)), 'DIGEST_MISMATCH');
    assert.deepEqual((await readdir(work)).filter((f) => f.includes('tamper-dst')), []);
    await expectCodeAsync(() => copyImage(parseImageName(`dir:${src}`), parseImageName(`oci:${join(work, 'tamper-oci')}:x`)), 'DIGEST_MISMATCH');
    assert.deepEqual((await readdir(work)).filter((f) => f.includes('tamper-oci')), []);
  });

  it('catches a blob longer or shorter than its descriptor', async () => {
    for (const [name, change] of [
      ['longer', (b: Buffer) => Buffer.concat([b, Buffer.from('x')])],
      ['shorter', (b: Buffer) => b.subarray(0, b.length - 1)],
    ] as const) {
      const image = makeImage({ seed: `size-${name}` });
      const src = join(work, `size-${name}`);
      await writeDirImage(src, image);
      const victim = join(src, image.layers[0]!.digest.slice(7));
      await writeFile(victim, change(await readFile(victim)));
      await expectCodeAsync(() => copyImage(parseImageName(`dir:${src}`), parseImageName(`dir:${join(work, `size-${name}-out`)}`)), 'SIZE_MISMATCH');
    }
  });
});
