import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { makeImage, makeIndex, type FixtureImage } from '../fixtures/images.js';
import { call, expectError, headStatus, pushBlob, pushImage, putManifest, sha256 } from '../helpers/registry-http.js';
import { basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const ociIndex = 'application/vnd.oci.image.index.v1+json';
const emptyConfig = Buffer.from('{}');

/** An OCI artifact manifest that refers to `subject` (OCI 1.1). */
function referrer(subject: FixtureImage, artifactType: string, layer: Buffer, annotations?: Record<string, string>): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociManifest,
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: emptyConfig.length },
      layers: [{ mediaType: 'application/octet-stream', digest: sha256(layer), size: layer.length }],
      subject: { mediaType: subject.mediaType, digest: subject.manifestDigest, size: subject.manifest.length },
      ...(annotations === undefined ? {} : { annotations }),
    }),
  );
}

describe('registry: manifests', () => {
  let registry: TestRegistry;
  let auth: string;

  before(async () => {
    registry = await startSignetRegistry();
    auth = basicAuth(registry.user, registry.password);
  });
  after(async () => {
    await registry?.stop();
  });

  async function pushBlobsOf(name: string, image: FixtureImage): Promise<void> {
    for (const b of [image.config, ...image.layers]) await pushBlob(registry.url, auth, name, b.bytes);
  }

  async function tagsOf(name: string): Promise<string[]> {
    const res = await call(registry.url, `/v2/${name}/tags/list`, { auth });
    if (res.status === 404) {
      await res.arrayBuffer();
      return [];
    }
    return ((await res.json()) as { tags: string[] }).tags;
  }

  it('pushes a manifest by tag: 201 with Location and Docker-Content-Digest', async () => {
    const image = makeImage({ seed: 'by-tag' });
    await pushBlobsOf('man/app', image);
    const res = await putManifest(registry.url, auth, 'man/app', 'v1', image.manifest, image.mediaType);
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/man/app/manifests/${image.manifestDigest}`);
    assert.equal(res.headers.get('docker-content-digest'), image.manifestDigest);
    assert.equal(res.headers.get('oci-subject'), null);
    assert.deepEqual(await tagsOf('man/app'), ['v1']);
    // The same manifest under a second tag, and the tag moved to another manifest.
    await (await putManifest(registry.url, auth, 'man/app', 'v2', image.manifest, image.mediaType)).arrayBuffer();
    const other = makeImage({ seed: 'by-tag-2' });
    await pushImage(registry.url, auth, 'man/app', other, 'v2');
    const v2 = await call(registry.url, '/v2/man/app/manifests/v2', { method: 'HEAD', auth });
    await v2.arrayBuffer();
    assert.equal(v2.headers.get('docker-content-digest'), other.manifestDigest);
    const v1 = await call(registry.url, '/v2/man/app/manifests/v1', { method: 'HEAD', auth });
    await v1.arrayBuffer();
    assert.equal(v1.headers.get('docker-content-digest'), image.manifestDigest);
  });

  it('pushes a manifest by digest, untagged', async () => {
    const image = makeImage({ seed: 'by-digest', format: 'docker' });
    await pushBlobsOf('man/digest', image);
    const res = await putManifest(registry.url, auth, 'man/digest', image.manifestDigest, image.manifest, image.mediaType);
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('docker-content-digest'), image.manifestDigest);
    assert.equal(await headStatus(registry.url, auth, `/v2/man/digest/manifests/${image.manifestDigest}`), 200);
    assert.deepEqual(await tagsOf('man/digest'), []);
  });

  it('refuses a push by digest whose content has another digest (DIGEST_INVALID), storing nothing', async () => {
    const image = makeImage({ seed: 'mismatch' });
    await pushBlobsOf('man/mismatch', image);
    const claimed = sha256('another manifest');
    await expectError(await putManifest(registry.url, auth, 'man/mismatch', claimed, image.manifest, image.mediaType), 400, 'DIGEST_INVALID');
    assert.equal(await headStatus(registry.url, auth, `/v2/man/mismatch/manifests/${image.manifestDigest}`), 404);
    assert.equal(await headStatus(registry.url, auth, `/v2/man/mismatch/manifests/${claimed}`), 404);
  });

  describe('refuses invalid manifests with 400 MANIFEST_INVALID, storing nothing', () => {
    const image = makeImage({ seed: 'invalid' });
    const doc = JSON.parse(image.manifest.toString()) as Record<string, unknown>;
    const variants: [string, Buffer, string][] = [
      ['malformed JSON', Buffer.from('{"schemaVersion": 2, "config": '), ociManifest],
      ['not an object', Buffer.from('[1, 2, 3]'), ociManifest],
      ['an empty body', Buffer.alloc(0), ociManifest],
      ['an unknown media type', image.manifest, 'application/vnd.example.unknown+json'],
      ['an unknown mediaType member', Buffer.from(JSON.stringify({ ...doc, mediaType: 'application/vnd.example.unknown+json' })), ociManifest],
      ['no config', Buffer.from(JSON.stringify({ ...doc, config: undefined })), ociManifest],
      ['no layers', Buffer.from(JSON.stringify({ ...doc, layers: undefined })), ociManifest],
      ['schemaVersion 1 in an OCI manifest', Buffer.from(JSON.stringify({ ...doc, schemaVersion: 1 })), ociManifest],
      ['a layer without a digest', Buffer.from(JSON.stringify({ ...doc, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 3 }] })), ociManifest],
      ['a config digest that is not a digest', Buffer.from(JSON.stringify({ ...doc, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:nothex', size: 2 } })), ociManifest],
      ['a negative size', Buffer.from(JSON.stringify({ ...doc, config: { ...(doc['config'] as object), size: -1 } })), ociManifest],
    ];
    for (const [what, bytes, mediaType] of variants) {
      it(what, async () => {
        await pushBlobsOf('man/invalid', image);
        await expectError(await putManifest(registry.url, auth, 'man/invalid', 'bad', bytes, mediaType), 400, 'MANIFEST_INVALID');
        assert.equal(await headStatus(registry.url, auth, '/v2/man/invalid/manifests/bad'), 404);
        assert.equal(await headStatus(registry.url, auth, `/v2/man/invalid/manifests/${sha256(bytes)}`), 404);
      });
    }
  });

  it('refuses a manifest naming a blob the repository lacks (MANIFEST_BLOB_UNKNOWN); the tag does not appear', async () => {
    const image = makeImage({ seed: 'missing-layer' });
    await pushBlob(registry.url, auth, 'man/missing', image.config.bytes);
    await pushBlob(registry.url, auth, 'man/missing', (image.layers[0] as { bytes: Buffer }).bytes);
    // The second layer exists, but only in another repository.
    await pushBlob(registry.url, auth, 'man/elsewhere', (image.layers[1] as { bytes: Buffer }).bytes);
    await expectError(await putManifest(registry.url, auth, 'man/missing', 'latest', image.manifest, image.mediaType), 400, 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(await tagsOf('man/missing'), []);
    assert.equal(await headStatus(registry.url, auth, '/v2/man/missing/manifests/latest'), 404);
    assert.equal(await headStatus(registry.url, auth, `/v2/man/missing/manifests/${image.manifestDigest}`), 404);
    // Once the layer is there the same push succeeds.
    await pushBlob(registry.url, auth, 'man/missing', (image.layers[1] as { bytes: Buffer }).bytes);
    const res = await putManifest(registry.url, auth, 'man/missing', 'latest', image.manifest, image.mediaType);
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    assert.deepEqual(await tagsOf('man/missing'), ['latest']);
  });

  it('refuses an index naming a manifest the repository lacks, storing nothing', async () => {
    const a = makeImage({ seed: 'index-a' });
    const b = makeImage({ seed: 'index-b', architecture: 'arm64' });
    const index = makeIndex([a, b]);
    await pushImage(registry.url, auth, 'man/index', a);
    await pushImage(registry.url, auth, 'man/index-other', b);
    const res = await putManifest(registry.url, auth, 'man/index', 'multi', index.bytes, index.mediaType);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(await tagsOf('man/index'), []);
    assert.equal(await headStatus(registry.url, auth, `/v2/man/index/manifests/${index.digest}`), 404);
    await pushImage(registry.url, auth, 'man/index', b);
    const ok = await putManifest(registry.url, auth, 'man/index', 'multi', index.bytes, index.mediaType);
    await ok.arrayBuffer();
    assert.equal(ok.status, 201);
  });

  it('refuses a manifest over 4 MiB with 413', async () => {
    const image = makeImage({ seed: 'huge' });
    const doc = JSON.parse(image.manifest.toString()) as Record<string, unknown>;
    const huge = Buffer.from(JSON.stringify({ ...doc, annotations: { padding: 'x'.repeat(4 * 1024 * 1024) } }));
    const res = await putManifest(registry.url, auth, 'man/huge', 'big', huge, ociManifest);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'MANIFEST_INVALID');
    assert.equal(await headStatus(registry.url, auth, '/v2/man/huge/manifests/big'), 404);
  });

  it('refuses a manifest over 4 MiB sent without Content-Length (chunked) with 413', async () => {
    const piece = Buffer.alloc(256 * 1024, 0x20);
    const res = await fetch(`${registry.url}/v2/man/huge/manifests/chunked`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': ociManifest },
      body: Readable.from((function* () {
        for (let i = 0; i < 20; i++) yield piece;
      })()),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    await res.arrayBuffer();
    assert.equal(await headStatus(registry.url, auth, '/v2/man/huge/manifests/chunked'), 404);
  });

  it('answers a push with a subject with OCI-Subject, and lists it as a referrer', async () => {
    const subject = makeImage({ seed: 'subject' });
    await pushImage(registry.url, auth, 'man/refs', subject, 'v1');
    await pushBlob(registry.url, auth, 'man/refs', emptyConfig);
    const sbomLayer = Buffer.from('{"sbom":true}');
    const sigLayer = Buffer.from('signature bytes');
    await pushBlob(registry.url, auth, 'man/refs', sbomLayer);
    await pushBlob(registry.url, auth, 'man/refs', sigLayer);
    const sbom = referrer(subject, 'application/vnd.example.sbom+json', sbomLayer, { 'org.example.kind': 'sbom' });
    const sig = referrer(subject, 'application/vnd.example.signature', sigLayer);
    for (const m of [sbom, sig]) {
      const res = await putManifest(registry.url, auth, 'man/refs', sha256(m), m, ociManifest);
      await res.arrayBuffer();
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('oci-subject'), subject.manifestDigest);
    }

    const all = await call(registry.url, `/v2/man/refs/referrers/${subject.manifestDigest}`, { auth });
    assert.equal(all.status, 200);
    assert.equal(all.headers.get('content-type'), ociIndex);
    assert.equal(all.headers.get('oci-filters-applied'), null);
    const index = (await all.json()) as { schemaVersion: number; mediaType: string; manifests: { digest: string; artifactType?: string; size: number; mediaType: string; annotations?: Record<string, string> }[] };
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, ociIndex);
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sha256(sbom), sha256(sig)].sort());
    const sbomEntry = index.manifests.find((m) => m.digest === sha256(sbom));
    assert.deepEqual(sbomEntry, {
      mediaType: ociManifest,
      digest: sha256(sbom),
      size: sbom.length,
      artifactType: 'application/vnd.example.sbom+json',
      annotations: { 'org.example.kind': 'sbom' },
    });

    const filtered = await call(registry.url, `/v2/man/refs/referrers/${subject.manifestDigest}?artifactType=${encodeURIComponent('application/vnd.example.signature')}`, { auth });
    assert.equal(filtered.status, 200);
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
    const f = (await filtered.json()) as { manifests: { digest: string }[] };
    assert.deepEqual(
      f.manifests.map((m) => m.digest),
      [sha256(sig)],
    );

    const none = await call(registry.url, `/v2/man/refs/referrers/${sha256('no such subject')}`, { auth });
    assert.equal(none.status, 200);
    assert.deepEqual(((await none.json()) as { manifests: unknown[] }).manifests, []);
    await expectError(await call(registry.url, '/v2/man/refs/referrers/sha256:zz', { auth }), 400, 'DIGEST_INVALID');
  });

  it('accepts a referrer before its subject exists', async () => {
    const absent = makeImage({ seed: 'absent-subject' });
    const layer = Buffer.from('early');
    await pushBlob(registry.url, auth, 'man/early', emptyConfig);
    await pushBlob(registry.url, auth, 'man/early', layer);
    const m = referrer(absent, 'application/vnd.example.early', layer);
    const res = await putManifest(registry.url, auth, 'man/early', sha256(m), m, ociManifest);
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('oci-subject'), absent.manifestDigest);
    const list = await call(registry.url, `/v2/man/early/referrers/${absent.manifestDigest}`, { auth });
    assert.deepEqual(
      ((await list.json()) as { manifests: { digest: string }[] }).manifests.map((x) => x.digest),
      [sha256(m)],
    );
  });

  it('deletes a tag: the tag is gone, the manifest stays', async () => {
    const image = makeImage({ seed: 'delete-tag' });
    await pushImage(registry.url, auth, 'man/del', image, 'one');
    await (await putManifest(registry.url, auth, 'man/del', 'two', image.manifest, image.mediaType)).arrayBuffer();
    const del = await call(registry.url, '/v2/man/del/manifests/one', { method: 'DELETE', auth });
    await del.arrayBuffer();
    assert.equal(del.status, 202);
    assert.equal(await headStatus(registry.url, auth, '/v2/man/del/manifests/one'), 404);
    assert.deepEqual(await tagsOf('man/del'), ['two']);
    assert.equal(await headStatus(registry.url, auth, `/v2/man/del/manifests/${image.manifestDigest}`), 200);
    await expectError(await call(registry.url, '/v2/man/del/manifests/one', { method: 'DELETE', auth }), 404, 'MANIFEST_UNKNOWN');
  });

  it('deletes a manifest by digest: its tags go with it and it is 404 afterwards', async () => {
    const image = makeImage({ seed: 'delete-digest' });
    await pushImage(registry.url, auth, 'man/del2', image, 'a');
    await (await putManifest(registry.url, auth, 'man/del2', 'b', image.manifest, image.mediaType)).arrayBuffer();
    const del = await call(registry.url, `/v2/man/del2/manifests/${image.manifestDigest}`, { method: 'DELETE', auth });
    await del.arrayBuffer();
    assert.equal(del.status, 202);
    await expectError(await call(registry.url, `/v2/man/del2/manifests/${image.manifestDigest}`, { auth }), 404, 'MANIFEST_UNKNOWN');
    await expectError(await call(registry.url, '/v2/man/del2/manifests/a', { auth }), 404, 'MANIFEST_UNKNOWN');
    await expectError(await call(registry.url, '/v2/man/del2/manifests/b', { auth }), 404, 'MANIFEST_UNKNOWN');
    assert.deepEqual(await tagsOf('man/del2'), []);
    await expectError(await call(registry.url, `/v2/man/del2/manifests/${image.manifestDigest}`, { method: 'DELETE', auth }), 404, 'MANIFEST_UNKNOWN');
    // The blobs stay pullable (garbage collection decides about them), and the manifest can be pushed again.
    assert.equal(await headStatus(registry.url, auth, `/v2/man/del2/blobs/${image.config.digest}`), 200);
    const again = await putManifest(registry.url, auth, 'man/del2', 'a', image.manifest, image.mediaType);
    await again.arrayBuffer();
    assert.equal(again.status, 201);
  });
});
