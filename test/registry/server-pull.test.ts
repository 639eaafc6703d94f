import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeImage, makeIndex, pseudoRandomBytes } from '../fixtures/images.js';
import { call, expectError, pushBlob, pushImage, pushIndex, sha256 } from '../helpers/registry-http.js';
import { basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

describe('registry: pull', () => {
  let registry: TestRegistry;
  let auth: string;
  const image = makeImage({ seed: 'pull-image' });
  const docker = makeImage({ seed: 'pull-docker', format: 'docker' });
  const index = makeIndex([makeImage({ seed: 'pull-amd64' }), makeImage({ seed: 'pull-arm64', architecture: 'arm64' })]);
  const blob = pseudoRandomBytes('pull-blob', 10_000);

  before(async () => {
    registry = await startSignetRegistry();
    auth = basicAuth(registry.user, registry.password);
    await pushImage(registry.url, auth, 'pull/app', image, 'v1');
    await pushImage(registry.url, auth, 'pull/app', docker, 'docker');
    await pushIndex(registry.url, auth, 'pull/app', index, 'multi');
    await pushBlob(registry.url, auth, 'pull/app', blob);
  });
  after(async () => {
    await registry?.stop();
  });

  for (const [what, reference] of [
    ['tag', 'v1'],
    ['digest', 'digest'],
  ] as const) {
    it(`GETs a manifest by ${what} with its media type, digest and length`, async () => {
      const ref = reference === 'digest' ? image.manifestDigest : reference;
      const res = await call(registry.url, `/v2/pull/app/manifests/${ref}`, { auth, headers: { accept: image.mediaType } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), image.mediaType);
      assert.equal(res.headers.get('docker-content-digest'), image.manifestDigest);
      assert.equal(res.headers.get('content-length'), String(image.manifest.length));
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.manifest);
    });

    it(`HEADs a manifest by ${what}: the same headers, no body`, async () => {
      const ref = reference === 'digest' ? image.manifestDigest : reference;
      const res = await call(registry.url, `/v2/pull/app/manifests/${ref}`, { method: 'HEAD', auth });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), image.mediaType);
      assert.equal(res.headers.get('docker-content-digest'), image.manifestDigest);
      assert.equal(res.headers.get('content-length'), String(image.manifest.length));
      assert.equal((await res.arrayBuffer()).byteLength, 0);
    });
  }

  it('serves a Docker schema 2 manifest and an index with their own media types', async () => {
    const d = await call(registry.url, '/v2/pull/app/manifests/docker', { auth });
    assert.equal(d.headers.get('content-type'), 'application/vnd.docker.distribution.manifest.v2+json');
    assert.deepEqual(Buffer.from(await d.arrayBuffer()), docker.manifest);
    const i = await call(registry.url, '/v2/pull/app/manifests/multi', { auth });
    assert.equal(i.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    assert.equal(i.headers.get('docker-content-digest'), index.digest);
    assert.deepEqual(Buffer.from(await i.arrayBuffer()), index.bytes);
    for (const img of index.images) {
      const child = await call(registry.url, `/v2/pull/app/manifests/${img.manifestDigest}`, { auth });
      assert.equal(child.status, 200);
      assert.deepEqual(Buffer.from(await child.arrayBuffer()), img.manifest);
    }
  });

  it('answers unknown manifests with 404 MANIFEST_UNKNOWN', async () => {
    await expectError(await call(registry.url, '/v2/pull/app/manifests/nope', { auth }), 404, 'MANIFEST_UNKNOWN');
    await expectError(await call(registry.url, `/v2/pull/app/manifests/${sha256('nothing')}`, { auth }), 404, 'MANIFEST_UNKNOWN');
    await expectError(await call(registry.url, `/v2/pull/other/manifests/v1`, { auth }), 404, 'MANIFEST_UNKNOWN');
    const head = await call(registry.url, '/v2/pull/app/manifests/nope', { method: 'HEAD', auth });
    assert.equal(head.status, 404);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  });

  it('answers an invalid tag with TAG_INVALID and an invalid digest reference with 4xx', async () => {
    await expectError(await call(registry.url, `/v2/pull/app/manifests/${'t'.repeat(129)}`, { auth }), 400, 'TAG_INVALID');
    await expectError(await call(registry.url, '/v2/pull/app/manifests/-bad', { auth }), 400, 'TAG_INVALID');
    const res = await call(registry.url, '/v2/pull/app/manifests/sha256:abc', { auth });
    assert.ok(res.status === 400 || res.status === 404, `got ${res.status}`);
    await res.arrayBuffer();
  });

  it('GETs and HEADs a blob', async () => {
    const digest = sha256(blob);
    const res = await call(registry.url, `/v2/pull/app/blobs/${digest}`, { auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(res.headers.get('content-length'), String(blob.length));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob);
    const head = await call(registry.url, `/v2/pull/app/blobs/${digest}`, { method: 'HEAD', auth });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(blob.length));
    assert.equal(head.headers.get('docker-content-digest'), digest);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  });

  for (const [range, start, end] of [
    ['bytes=0-99', 0, 99],
    ['bytes=5000-5009', 5000, 5009],
    ['bytes=9990-', 9990, 9999],
    ['bytes=-16', 9984, 9999],
    ['bytes=9000-20000', 9000, 9999],
  ] as const) {
    it(`serves Range: ${range} with 206 and Content-Range`, async () => {
      const res = await call(registry.url, `/v2/pull/app/blobs/${sha256(blob)}`, { auth, headers: { range } });
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${blob.length}`);
      assert.equal(res.headers.get('content-length'), String(end - start + 1));
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.subarray(start, end + 1));
    });
  }

  for (const range of ['bytes=10000-10010', 'bytes=20-10', 'bytes=-0']) {
    it(`answers the unsatisfiable Range: ${range} with 416`, async () => {
      const res = await call(registry.url, `/v2/pull/app/blobs/${sha256(blob)}`, { auth, headers: { range } });
      assert.equal(res.status, 416);
      assert.equal(res.headers.get('content-range'), `bytes */${blob.length}`);
      await res.arrayBuffer();
    });
  }

  it('answers an unknown blob with 404 BLOB_UNKNOWN in the spec error body', async () => {
    const unknown = sha256('never pushed');
    const res = await call(registry.url, `/v2/pull/app/blobs/${unknown}`, { auth });
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as { errors: { code: string; message: string; detail?: unknown }[] };
    assert.equal(body.errors.length, 1);
    assert.equal(body.errors[0]?.code, 'BLOB_UNKNOWN');
    assert.equal(typeof body.errors[0]?.message, 'string');
    const head = await call(registry.url, `/v2/pull/app/blobs/${unknown}`, { method: 'HEAD', auth });
    assert.equal(head.status, 404);
    await head.arrayBuffer();
  });

  it('serves a blob only from a repository it was pushed or mounted to', async () => {
    await expectError(await call(registry.url, `/v2/pull/elsewhere/blobs/${sha256(blob)}`, { auth }), 404, 'BLOB_UNKNOWN');
    await expectError(await call(registry.url, `/v2/pull/elsewhere/blobs/${image.config.digest}`, { auth }), 404, 'BLOB_UNKNOWN');
  });

  it('answers a malformed blob digest with 400 DIGEST_INVALID', async () => {
    await expectError(await call(registry.url, '/v2/pull/app/blobs/sha256:xyz', { auth }), 400, 'DIGEST_INVALID');
    await expectError(await call(registry.url, `/v2/pull/app/blobs/md5:${'0'.repeat(32)}`, { auth }), 400, 'DIGEST_INVALID');
  });

  it('answers unknown paths with 404 and unsupported methods with 405', async () => {
    await expectError(await call(registry.url, '/v3/', { auth }), 404, 'NOT_FOUND');
    await expectError(await call(registry.url, '/v2/pull/app/tags/list', { method: 'POST', auth }), 405, 'UNSUPPORTED');
  });
});
