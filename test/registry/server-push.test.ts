import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pseudoRandomBytes } from '../fixtures/images.js';
import { call, errorCode, eventually, expectError, headStatus, pushBlob, rawRequest, sha256 } from '../helpers/registry-http.js';
import { adminUser, basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const pusher = { name: 'pusher', password: 'pusher-secret', roles: [{ repository: 'team/*', role: 'push' }] };

describe('registry: blob push', () => {
  let registry: TestRegistry;
  let auth: string;

  before(async () => {
    registry = await startSignetRegistry({ users: [adminUser, pusher] });
    auth = basicAuth(registry.user, registry.password);
  });
  after(async () => {
    await registry?.stop();
  });

  async function blobBytes(name: string, digest: string): Promise<Buffer | number> {
    const res = await call(registry.url, `/v2/${name}/blobs/${digest}`, { auth });
    const body = Buffer.from(await res.arrayBuffer());
    return res.status === 200 ? body : res.status;
  }

  async function startUpload(name: string, a = auth): Promise<{ location: URL; id: string }> {
    const res = await call(registry.url, `/v2/${name}/blobs/uploads/`, { method: 'POST', auth: a });
    await res.arrayBuffer();
    assert.equal(res.status, 202);
    const location = res.headers.get('location');
    const id = res.headers.get('docker-upload-uuid');
    assert.ok(location !== null && id !== null);
    assert.equal(res.headers.get('range'), '0-0');
    return { location: new URL(location, registry.url), id };
  }

  function pathOf(location: URL, query = ''): string {
    return `${location.pathname}${query}`;
  }

  async function uploadFiles(): Promise<string[]> {
    return (await readdir(join(registry.storageDir, 'uploads'))).sort();
  }

  it('takes a monolithic upload (POST ?digest=) and serves the blob', async () => {
    const content = pseudoRandomBytes('monolithic', 3000);
    const digest = sha256(content);
    const res = await call(registry.url, `/v2/push/mono/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      auth,
      headers: { 'content-type': 'application/octet-stream' },
      body: content,
    });
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/push/mono/blobs/${digest}`);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.deepEqual(await blobBytes('push/mono', digest), content);
  });

  it('refuses a monolithic upload whose digest does not match, storing nothing', async () => {
    const before = await uploadFiles();
    const content = Buffer.from('these bytes');
    const claimed = sha256('other bytes');
    const res = await call(registry.url, `/v2/push/mono/blobs/uploads/?digest=${claimed}`, { method: 'POST', auth, body: content });
    await expectError(res, 400, 'DIGEST_INVALID');
    assert.equal(await headStatus(registry.url, auth, `/v2/push/mono/blobs/${claimed}`), 404);
    assert.equal(await headStatus(registry.url, auth, `/v2/push/mono/blobs/${sha256(content)}`), 404);
    assert.deepEqual(await uploadFiles(), before, 'the failed upload is removed');
  });

  it('takes POST then PUT with the body', async () => {
    const content = pseudoRandomBytes('post-put', 4096);
    const digest = sha256(content);
    const { location, id } = await startUpload('push/twostep');
    assert.equal(location.pathname, `/v2/push/twostep/blobs/uploads/${id}`);
    const res = await call(registry.url, pathOf(location, `?digest=${digest}`), {
      method: 'PUT',
      auth,
      headers: { 'content-type': 'application/octet-stream' },
      body: content,
    });
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/push/twostep/blobs/${digest}`);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.deepEqual(await blobBytes('push/twostep', digest), content);
    await expectError(await call(registry.url, pathOf(location), { auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('takes chunks (PATCH with Content-Range), reports status, and finishes with an empty PUT', async () => {
    const content = pseudoRandomBytes('chunked', 2500);
    const { location, id } = await startUpload('push/chunked');
    const parts: [number, number][] = [
      [0, 1000],
      [1000, 2200],
      [2200, 2500],
    ];
    for (const [start, end] of parts) {
      const res = await call(registry.url, pathOf(location), {
        method: 'PATCH',
        auth,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end - 1}` },
        body: content.subarray(start, end),
      });
      await res.arrayBuffer();
      assert.equal(res.status, 202);
      assert.equal(res.headers.get('range'), `0-${end - 1}`);
      assert.equal(res.headers.get('docker-upload-uuid'), id);
      assert.equal(new URL(res.headers.get('location') ?? '', registry.url).pathname, location.pathname);
      const status = await call(registry.url, pathOf(location), { auth });
      await status.arrayBuffer();
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), `0-${end - 1}`);
      assert.equal(status.headers.get('docker-upload-uuid'), id);
    }
    const digest = sha256(content);
    assert.equal(await headStatus(registry.url, auth, `/v2/push/chunked/blobs/${digest}`), 404, 'not visible before the PUT');
    const put = await call(registry.url, pathOf(location, `?digest=${digest}`), { method: 'PUT', auth });
    await put.arrayBuffer();
    assert.equal(put.status, 201);
    assert.deepEqual(await blobBytes('push/chunked', digest), content);
  });

  it('takes a PATCH without Content-Range (streamed) and a last chunk on the PUT', async () => {
    const content = pseudoRandomBytes('streamed', 1500);
    const { location } = await startUpload('push/streamed');
    const patch = await call(registry.url, pathOf(location), { method: 'PATCH', auth, body: content.subarray(0, 1000) });
    await patch.arrayBuffer();
    assert.equal(patch.status, 202);
    assert.equal(patch.headers.get('range'), '0-999');
    const put = await call(registry.url, pathOf(location, `?digest=${sha256(content)}`), {
      method: 'PUT',
      auth,
      headers: { 'content-range': '1000-1499' },
      body: content.subarray(1000),
    });
    await put.arrayBuffer();
    assert.equal(put.status, 201);
    assert.deepEqual(await blobBytes('push/streamed', sha256(content)), content);
  });

  it('refuses an out-of-order chunk with 416 and leaves the upload as it was', async () => {
    const content = pseudoRandomBytes('out-of-order', 3000);
    const { location } = await startUpload('push/order');
    const first = await call(registry.url, pathOf(location), { method: 'PATCH', auth, headers: { 'content-range': '0-999' }, body: content.subarray(0, 1000) });
    await first.arrayBuffer();
    assert.equal(first.status, 202);
    for (const [start, end] of [
      [2000, 3000],
      [0, 1000],
      [500, 1500],
    ] as const) {
      const res = await call(registry.url, pathOf(location), {
        method: 'PATCH',
        auth,
        headers: { 'content-range': `${start}-${end - 1}` },
        body: content.subarray(start, end),
      });
      assert.equal(res.status, 416, `chunk ${start}-${end - 1}`);
      assert.equal(res.headers.get('range'), '0-999');
      assert.equal(await errorCode(res), 'RANGE_INVALID');
    }
    const status = await call(registry.url, pathOf(location), { auth });
    await status.arrayBuffer();
    assert.equal(status.headers.get('range'), '0-999');
    // A Content-Range that disagrees with Content-Length is refused too.
    const mismatch = await call(registry.url, pathOf(location), { method: 'PATCH', auth, headers: { 'content-range': '1000-1999' }, body: content.subarray(1000, 1500) });
    assert.equal(mismatch.status, 416);
    await mismatch.arrayBuffer();
    // The upload goes on from where it stood.
    const next = await call(registry.url, pathOf(location), { method: 'PATCH', auth, headers: { 'content-range': '1000-2999' }, body: content.subarray(1000) });
    await next.arrayBuffer();
    assert.equal(next.status, 202);
    const put = await call(registry.url, pathOf(location, `?digest=${sha256(content)}`), { method: 'PUT', auth });
    await put.arrayBuffer();
    assert.equal(put.status, 201);
    assert.deepEqual(await blobBytes('push/order', sha256(content)), content);
  });

  it('cancels an upload with DELETE; it is unknown afterwards', async () => {
    const { location, id } = await startUpload('push/cancel');
    const patch = await call(registry.url, pathOf(location), { method: 'PATCH', auth, body: Buffer.from('some bytes') });
    await patch.arrayBuffer();
    assert.ok((await uploadFiles()).includes(id));
    const del = await call(registry.url, pathOf(location), { method: 'DELETE', auth });
    await del.arrayBuffer();
    assert.equal(del.status, 204);
    assert.ok(!(await uploadFiles()).includes(id), 'the upload file is removed');
    await expectError(await call(registry.url, pathOf(location), { auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectError(await call(registry.url, pathOf(location), { method: 'PATCH', auth, body: Buffer.from('more') }), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectError(await call(registry.url, pathOf(location, `?digest=${sha256('some bytes')}`), { method: 'PUT', auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectError(await call(registry.url, pathOf(location), { method: 'DELETE', auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
    assert.equal(await headStatus(registry.url, auth, `/v2/push/cancel/blobs/${sha256('some bytes')}`), 404);
  });

  it('answers unknown upload ids, and ids of another repository, with BLOB_UPLOAD_UNKNOWN', async () => {
    const { id } = await startUpload('push/owner');
    await expectError(await call(registry.url, `/v2/push/thief/blobs/uploads/${id}`, { auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectError(await call(registry.url, `/v2/push/thief/blobs/uploads/${id}`, { method: 'PATCH', auth, body: Buffer.from('x') }), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectError(await call(registry.url, `/v2/push/thief/blobs/uploads/${id}`, { method: 'DELETE', auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectError(await call(registry.url, '/v2/push/owner/blobs/uploads/not-a-uuid', { auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectError(await call(registry.url, '/v2/push/owner/blobs/uploads/00000000-0000-4000-8000-000000000000', { auth }), 404, 'BLOB_UPLOAD_UNKNOWN');
    const status = await call(registry.url, `/v2/push/owner/blobs/uploads/${id}`, { auth });
    await status.arrayBuffer();
    assert.equal(status.status, 204, 'the owner still has it');
  });

  it('refuses a PUT with the wrong digest (400 DIGEST_INVALID); the blob is not pullable', async () => {
    const content = pseudoRandomBytes('wrong-digest', 2048);
    const { location } = await startUpload('push/wrong');
    const wrong = sha256('not this');
    await expectError(await call(registry.url, pathOf(location, `?digest=${wrong}`), { method: 'PUT', auth, body: content }), 400, 'DIGEST_INVALID');
    assert.equal(await headStatus(registry.url, auth, `/v2/push/wrong/blobs/${wrong}`), 404);
    assert.equal(await headStatus(registry.url, auth, `/v2/push/wrong/blobs/${sha256(content)}`), 404);
    await expectError(await call(registry.url, pathOf(location), { method: 'PUT', auth }), 400, 'DIGEST_INVALID');
    await expectError(await call(registry.url, pathOf(location, '?digest=sha256:123'), { method: 'PUT', auth }), 400, 'DIGEST_INVALID');
  });

  it('refuses a body longer than its Content-Length says (the rest is not a request body)', async () => {
    const before = await uploadFiles();
    const content = pseudoRandomBytes('short-length', 2000);
    const digest = sha256(content);
    const res = await rawRequest(
      registry.url,
      `POST /v2/push/lies/blobs/uploads/?digest=${digest} HTTP/1.1\r\nAuthorization: ${auth}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000`,
      content,
    );
    // Either the registry's answer to the first 1000 bytes, or the HTTP parser's to the bytes after them.
    assert.equal(res.status, 400);
    const body = JSON.parse(res.body.toString()) as { errors?: { code: string }[] };
    if (body.errors !== undefined) assert.equal(body.errors[0]?.code, 'DIGEST_INVALID');
    assert.equal(await headStatus(registry.url, auth, `/v2/push/lies/blobs/${digest}`), 404);
    assert.equal(await headStatus(registry.url, auth, `/v2/push/lies/blobs/${sha256(content.subarray(0, 1000))}`), 404);
    await eventually('the failed upload is removed', async () => (await uploadFiles()).join() === before.join());
  });

  it('stores nothing when the body is shorter than its Content-Length (the client hangs up)', async () => {
    const before = await uploadFiles();
    const content = pseudoRandomBytes('long-length', 1_500_000);
    const digest = sha256(content);
    const res = await rawRequest(
      registry.url,
      `POST /v2/push/lies/blobs/uploads/?digest=${digest} HTTP/1.1\r\nAuthorization: ${auth}\r\nContent-Type: application/octet-stream\r\nContent-Length: 2000000`,
      content,
      { hangUp: true },
    );
    assert.ok(res.status === undefined || res.status >= 400, `got ${String(res.status)}`);
    await eventually('the broken upload is removed', async () => (await uploadFiles()).join() === before.join());
    assert.equal(await headStatus(registry.url, auth, `/v2/push/lies/blobs/${digest}`), 404);
  });

  it('rolls a chunk that breaks off back to the previous size; the upload goes on', async () => {
    const first = pseudoRandomBytes('chunk-first', 1000);
    const { location } = await startUpload('push/lies');
    const ok = await call(registry.url, pathOf(location), { method: 'PATCH', auth, headers: { 'content-range': '0-999' }, body: first });
    await ok.arrayBuffer();
    assert.equal(ok.status, 202);
    const broken = pseudoRandomBytes('chunk-broken', 1_500_000);
    const res = await rawRequest(
      registry.url,
      `PATCH ${location.pathname} HTTP/1.1\r\nAuthorization: ${auth}\r\nContent-Type: application/octet-stream\r\nContent-Range: 1000-2000999\r\nContent-Length: 2000000`,
      broken,
      { hangUp: true },
    );
    assert.ok(res.status === undefined || res.status >= 400, `got ${String(res.status)}`);
    await eventually('the upload is back at 1000 bytes', async () => {
      const status = await call(registry.url, pathOf(location), { auth });
      await status.arrayBuffer();
      return status.headers.get('range') === '0-999';
    });
    const rest = Buffer.from('and the rest');
    const next = await call(registry.url, pathOf(location), { method: 'PATCH', auth, headers: { 'content-range': `1000-${1000 + rest.length - 1}` }, body: rest });
    await next.arrayBuffer();
    assert.equal(next.status, 202);
    const whole = Buffer.concat([first, rest]);
    const put = await call(registry.url, pathOf(location, `?digest=${sha256(whole)}`), { method: 'PUT', auth });
    await put.arrayBuffer();
    assert.equal(put.status, 201);
    assert.deepEqual(await blobBytes('push/lies', sha256(whole)), whole);
  });

  it('refuses a final PUT whose body is longer than its Content-Length', async () => {
    const content = pseudoRandomBytes('put-lies', 800);
    const { location } = await startUpload('push/lies');
    const res = await rawRequest(
      registry.url,
      `PUT ${location.pathname}?digest=${sha256(content)} HTTP/1.1\r\nAuthorization: ${auth}\r\nContent-Type: application/octet-stream\r\nContent-Length: 400`,
      content,
    );
    assert.equal(res.status, 400);
    assert.equal(await headStatus(registry.url, auth, `/v2/push/lies/blobs/${sha256(content)}`), 404);
  });

  it('mounts a blob from another repository (201) without an upload', async () => {
    const content = pseudoRandomBytes('mount-me', 1234);
    const digest = await pushBlob(registry.url, auth, 'mount/source', content);
    const before = await uploadFiles();
    const res = await call(registry.url, `/v2/mount/target/blobs/uploads/?mount=${digest}&from=mount/source`, { method: 'POST', auth });
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/mount/target/blobs/${digest}`);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.deepEqual(await uploadFiles(), before);
    assert.deepEqual(await blobBytes('mount/target', digest), content);
  });

  it('falls back to an upload (202) when the source repository lacks the blob', async () => {
    const digest = sha256('not in the source');
    const res = await call(registry.url, `/v2/mount/target/blobs/uploads/?mount=${digest}&from=mount/source`, { method: 'POST', auth });
    await res.arrayBuffer();
    assert.equal(res.status, 202);
    const location = res.headers.get('location');
    assert.ok(location !== null && location.startsWith('/v2/mount/target/blobs/uploads/'));
    assert.equal(await headStatus(registry.url, auth, `/v2/mount/target/blobs/${digest}`), 404);
    const put = await call(registry.url, `${location}?digest=${digest}`, { method: 'PUT', auth, body: Buffer.from('not in the source') });
    await put.arrayBuffer();
    assert.equal(put.status, 201);
  });

  it('falls back to an upload (202) when the user cannot read the source repository', async () => {
    const content = pseudoRandomBytes('secret-blob', 999);
    const digest = await pushBlob(registry.url, auth, 'secret/vault', content);
    const userAuth = basicAuth(pusher.name, pusher.password);
    const res = await call(registry.url, `/v2/team/app/blobs/uploads/?mount=${digest}&from=secret/vault`, { method: 'POST', auth: userAuth });
    await res.arrayBuffer();
    assert.equal(res.status, 202);
    assert.equal(await headStatus(registry.url, userAuth, `/v2/team/app/blobs/${digest}`), 404, 'the blob did not leak into team/app');
    // From a repository the user may read, the same mount works.
    await pushBlob(registry.url, userAuth, 'team/base', content);
    const ok = await call(registry.url, `/v2/team/app/blobs/uploads/?mount=${digest}&from=team/base`, { method: 'POST', auth: userAuth });
    await ok.arrayBuffer();
    assert.equal(ok.status, 201);
    assert.equal(await headStatus(registry.url, userAuth, `/v2/team/app/blobs/${digest}`), 200);
  });

  it('deletes a blob link with DELETE (admin); the blob is unknown afterwards', async () => {
    const digest = await pushBlob(registry.url, auth, 'push/delete', Buffer.from('delete this blob'));
    const del = await call(registry.url, `/v2/push/delete/blobs/${digest}`, { method: 'DELETE', auth });
    await del.arrayBuffer();
    assert.equal(del.status, 202);
    assert.equal(await headStatus(registry.url, auth, `/v2/push/delete/blobs/${digest}`), 404);
    await expectError(await call(registry.url, `/v2/push/delete/blobs/${digest}`, { method: 'DELETE', auth }), 404, 'BLOB_UNKNOWN');
  });

  it('keeps serving after all of the above', async () => {
    const res = await call(registry.url, '/v2/', { auth });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
  });
});
