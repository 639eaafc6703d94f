import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import { FsBlobDriver, SendReader, isUploadId, storePaths, type BlobContent } from '../../src/store/index.js';
import { readSync } from 'node:fs';
import { pseudoRandomBytes } from '../fixtures/images.js';
import { expectCodeAsync } from '../helpers/expect-code.js';
import { sha256 } from '../helpers/registry-http.js';

async function* chunksOf(...parts: Buffer[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield p;
}

/** A body that yields `parts` and then fails, as a client connection that breaks off does. */
async function* breaksAfter(...parts: Buffer[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield p;
  throw new Error('connection reset by peer');
}

/**
 * A destination that takes `delayMs` to accept each chunk and copies it only then, as a socket that sends it
 * later does: a sender that refilled a buffer before its write completed would show up as corrupt content.
 */
function sink(delayMs = 0): { out: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (delayMs === 0) {
        chunks.push(Buffer.from(chunk));
        callback();
        return;
      }
      setTimeout(() => {
        chunks.push(Buffer.from(chunk));
        callback();
      }, delayMs);
    },
  });
  return { out, bytes: () => Buffer.concat(chunks) };
}

async function readAll(content: BlobContent, delayMs = 0): Promise<Buffer> {
  const s = sink(delayMs);
  await content.pipeTo(s.out);
  assert.equal(s.bytes().length, content.length);
  return s.bytes();
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('FsBlobDriver', () => {
  let root: string;
  let driver: FsBlobDriver;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'signet-blobs-'));
    driver = new FsBlobDriver(root);
    await driver.init();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates empty uploads with UUID ids under uploads/', async () => {
    const id = await driver.createUpload();
    assert.ok(isUploadId(id));
    assert.equal(await driver.uploadSize(id), 0);
    assert.equal((await stat(storePaths(root).upload(id))).size, 0);
    assert.equal(await driver.uploadSize('not-an-upload'), undefined);
    assert.equal(await driver.uploadSize('00000000-0000-4000-8000-000000000000'), undefined);
  });

  it('appends chunks at the current size and commits them as a readable blob', async () => {
    const content = pseudoRandomBytes('append', 5000);
    const id = await driver.createUpload();
    assert.equal(await driver.appendUpload(id, 0, chunksOf(content.subarray(0, 1000), content.subarray(1000, 3000))), 3000);
    assert.equal(await driver.uploadSize(id), 3000);
    assert.equal(await driver.appendUpload(id, 3000, chunksOf(content.subarray(3000))), 5000);
    const digest = sha256(content);
    assert.equal(await driver.statBlob(digest), undefined, 'nothing is visible before the commit');
    assert.equal(await driver.commitUpload(id, digest), 5000);
    assert.equal(await driver.statBlob(digest), 5000);
    assert.equal(await driver.uploadSize(id), undefined, 'the upload is gone once committed');
    assert.deepEqual(await readFile(storePaths(root).blob(digest)), content);
    assert.deepEqual(await readAll(await driver.readBlob(digest)), content);
    assert.deepEqual(await readAll(await driver.readBlob(digest, { start: 10, end: 19 })), content.subarray(10, 20));
    assert.deepEqual(await readAll(await driver.readBlob(digest, { start: 4999, end: 4999 })), content.subarray(4999));
  });

  it('reads blobs of every size whole and by range: empty, read in one call (≤ 64 KiB), streamed (larger)', async () => {
    for (const size of [0, 1, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 7]) {
      const content = pseudoRandomBytes(`read-${size}`, size);
      const id = await driver.createUpload();
      await driver.appendUpload(id, 0, chunksOf(content));
      const digest = sha256(content);
      await driver.commitUpload(id, digest);
      assert.deepEqual(await readAll(await driver.readBlob(digest)), content, `whole blob of ${size} bytes`);
      if (size === 0) continue;
      const ranges = [
        { start: 0, end: 0 },
        { start: size - 1, end: size - 1 },
        { start: Math.floor(size / 3), end: Math.floor((2 * size) / 3) },
        { start: 0, end: size - 1 },
      ];
      for (const r of ranges) {
        assert.deepEqual(await readAll(await driver.readBlob(digest, r)), content.subarray(r.start, r.end + 1), `${r.start}-${r.end} of ${size} bytes`);
      }
    }
  });

  it('a large blob reaches a slow destination intact: each reused buffer is refilled only once its bytes were taken', async () => {
    const content = pseudoRandomBytes('slow', 6 * 1024 * 1024 + 5);
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(content));
    const digest = sha256(content);
    await driver.commitUpload(id, digest);
    assert.deepEqual(await readAll(await driver.readBlob(digest), 5), content);
    assert.deepEqual(await readAll(await driver.readBlob(digest, { start: 1, end: content.length - 2 }), 2), content.subarray(1, content.length - 1));
  });

  it('a large blob is sent intact when a slow read moves the rest of the send from the calling thread to the thread pool', async () => {
    const content = pseudoRandomBytes('pool', 6 * 1024 * 1024 + 3);
    let t = 0;
    let inlineReads = 0;
    const reader = new SendReader({
      now: () => t,
      readSync: (fd, b, o, l, p) => {
        inlineReads++;
        if (inlineReads === 2) t += 50;
        return readSync(fd, b, o, l, p);
      },
    });
    const d = new FsBlobDriver(root, { sendReader: reader });
    const id = await d.createUpload();
    await d.appendUpload(id, 0, chunksOf(content));
    const digest = sha256(content);
    await d.commitUpload(id, digest);
    assert.deepEqual(await readAll(await d.readBlob(digest), 2), content);
    assert.equal(inlineReads, 2, 'reads after the slow one go through the thread pool');
    assert.equal(reader.inline, false);
    t += 60_000;
    assert.deepEqual(await readAll(await d.readBlob(digest, { start: 7, end: content.length - 1 })), content.subarray(7));
    assert.equal(inlineReads, 2 + Math.ceil((content.length - 7) / (1024 * 1024)), 'after the back-off every read is inline again');
  });

  it('a destination that closes early fails the send, and the blob can be read again', async () => {
    const content = pseudoRandomBytes('early-close', 5 * 1024 * 1024);
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(content));
    const digest = sha256(content);
    await driver.commitUpload(id, digest);
    let taken = 0;
    const out = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        taken += chunk.length;
        if (taken > 1024 * 1024) out.destroy();
        else callback();
      },
    });
    await assert.rejects(() => driver.readBlob(digest).then((c) => c.pipeTo(out)));
    assert.deepEqual(await readAll(await driver.readBlob(digest)), content);
    // Opened and released without reading.
    await (await driver.readBlob(digest)).close();
  });

  it('a stored blob altered or cut short on disk fails the read before anything is written', async () => {
    const { truncate, writeFile } = await import('node:fs/promises');
    const commit = async (content: Buffer): Promise<Digest> => {
      const id = await driver.createUpload();
      await driver.appendUpload(id, 0, chunksOf(content));
      const digest = sha256(content);
      await driver.commitUpload(id, digest);
      return digest;
    };
    // Small blobs are read whole and checked against their digest.
    const small = pseudoRandomBytes('altered-small', 4000);
    const smallDigest = await commit(small);
    const altered = Buffer.from(small);
    altered[100] = (altered[100] ?? 0) ^ 0xff;
    await writeFile(storePaths(root).blob(smallDigest), altered);
    await assert.rejects(() => driver.readBlob(smallDigest), new RegExp(`stored blob ${smallDigest} is corrupt: its content has digest ${sha256(altered)}`));
    await truncate(storePaths(root).blob(smallDigest), 1000);
    await assert.rejects(() => driver.readBlob(smallDigest, { start: 0, end: 3999 }), /is corrupt/);
    // Large ones are streamed: a file shorter than the range asked for is refused before the first byte.
    const large = pseudoRandomBytes('short-large', 200_000);
    const largeDigest = await commit(large);
    await truncate(storePaths(root).blob(largeDigest), 100_000);
    await assert.rejects(() => driver.readBlob(largeDigest, { start: 0, end: 199_999 }), /has 100000 bytes, too few for bytes 0-199999/);
  });

  it('a small blob read once is served from memory until it is removed', async () => {
    const content = pseudoRandomBytes('cached', 3000);
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(content));
    const digest = sha256(content);
    await driver.commitUpload(id, digest);
    assert.deepEqual(await readAll(await driver.readBlob(digest)), content);
    // The file is gone behind the driver's back (another instance collected it): the checked copy still serves.
    const { rm: remove } = await import('node:fs/promises');
    await remove(storePaths(root).blob(digest));
    assert.deepEqual(await readAll(await driver.readBlob(digest, { start: 5, end: 9 })), content.subarray(5, 10));
    await driver.removeBlob(digest);
    await expectCodeAsync(() => driver.readBlob(digest), 'BLOB_UNKNOWN');
  });

  it('an append is flushed to disk before it returns, however small (an acknowledged chunk survives a power cut)', async () => {
    const probe = await open(join(root, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const original = prototype.datasync;
    let flushes = 0;
    prototype.datasync = function (this: unknown) {
      flushes++;
      return original.call(this);
    };
    try {
      const id = await driver.createUpload();
      await driver.appendUpload(id, 0, chunksOf(Buffer.from('a small chunk')));
      assert.equal(flushes, 1);
      await driver.appendUpload(id, 13, chunksOf(Buffer.from(' and another')));
      assert.equal(flushes, 2);
    } finally {
      prototype.datasync = original;
    }
  });

  it('refuses a chunk at the wrong offset with UPLOAD_RANGE_INVALID and keeps the upload', async () => {
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(Buffer.from('hello ')));
    await expectCodeAsync(() => driver.appendUpload(id, 3, chunksOf(Buffer.from('world'))), 'UPLOAD_RANGE_INVALID');
    await expectCodeAsync(() => driver.appendUpload(id, 7, chunksOf(Buffer.from('world'))), 'UPLOAD_RANGE_INVALID');
    assert.equal(await driver.uploadSize(id), 6);
    await driver.appendUpload(id, 6, chunksOf(Buffer.from('world')));
    assert.equal(await driver.commitUpload(id, sha256('hello world')), 11);
  });

  it('rolls a body that breaks off midway back to the previous size', async () => {
    const first = pseudoRandomBytes('first', 700);
    const big = pseudoRandomBytes('big', 3 * 1024 * 1024);
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(first));
    // More than one write batch arrives before the failure, so bytes did reach the file.
    await expectCodeAsync(() => driver.appendUpload(id, 700, breaksAfter(big.subarray(0, 2 * 1024 * 1024), big.subarray(2 * 1024 * 1024))), 'UPLOAD_ABORTED');
    assert.equal(await driver.uploadSize(id), 700);
    // The upload continues from where it stood, and the digest (running or recomputed) covers only what was kept.
    const rest = Buffer.from('the rest');
    assert.equal(await driver.appendUpload(id, 700, chunksOf(rest)), 708);
    assert.equal(await driver.commitUpload(id, sha256(Buffer.concat([first, rest]))), 708);
  });

  it('rolls back a body longer or shorter than announced, and one over the size limit', async () => {
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(Buffer.from('abc')));
    await expectCodeAsync(() => driver.appendUpload(id, 3, chunksOf(Buffer.from('defgh')), { expectedBytes: 4 }), 'SIZE_INVALID');
    assert.equal(await driver.uploadSize(id), 3);
    await expectCodeAsync(() => driver.appendUpload(id, 3, chunksOf(Buffer.from('de')), { expectedBytes: 4 }), 'SIZE_INVALID');
    assert.equal(await driver.uploadSize(id), 3);
    await expectCodeAsync(() => driver.appendUpload(id, 3, chunksOf(Buffer.from('defg')), { maxTotalBytes: 6 }), 'SIZE_INVALID');
    assert.equal(await driver.uploadSize(id), 3);
    assert.equal(await driver.appendUpload(id, 3, chunksOf(Buffer.from('defg')), { expectedBytes: 4, maxTotalBytes: 7 }), 7);
    assert.equal(await driver.commitUpload(id, sha256('abcdefg')), 7);
  });

  it('refuses a commit with the wrong digest: DIGEST_INVALID, no blob, the upload stays', async () => {
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(Buffer.from('digest me')));
    const wrong = sha256('something else');
    await expectCodeAsync(() => driver.commitUpload(id, wrong), 'DIGEST_INVALID');
    assert.equal(await driver.statBlob(wrong), undefined);
    await expectCodeAsync(() => driver.readBlob(wrong), 'BLOB_UNKNOWN');
    assert.equal(await driver.uploadSize(id), 9);
    assert.equal(await driver.commitUpload(id, sha256('digest me')), 9);
  });

  it('checks the digest of an upload whose running hash it does not hold (another process appended)', async () => {
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(Buffer.from('part one,')));
    const other = new FsBlobDriver(root);
    await other.appendUpload(id, 9, chunksOf(Buffer.from(' part two')));
    await expectCodeAsync(() => driver.commitUpload(id, sha256('part one,')), 'DIGEST_INVALID');
    assert.equal(await driver.commitUpload(id, sha256('part one, part two')), 18);
  });

  it('checks sha512 digests too', async () => {
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(Buffer.from('five twelve')));
    const { createHash } = await import('node:crypto');
    const digest = `sha512:${createHash('sha512').update('five twelve').digest('hex')}` as Digest;
    await expectCodeAsync(() => driver.commitUpload(id, `sha512:${'0'.repeat(128)}` as Digest), 'DIGEST_INVALID');
    assert.equal(await driver.commitUpload(id, digest), 11);
    assert.equal(await driver.statBlob(digest), 11);
  });

  it('answers unknown uploads with BLOB_UPLOAD_UNKNOWN', async () => {
    const unknown = '11111111-2222-4333-8444-555555555555';
    await expectCodeAsync(() => driver.appendUpload(unknown, 0, chunksOf(Buffer.from('x'))), 'BLOB_UPLOAD_UNKNOWN');
    await expectCodeAsync(() => driver.commitUpload(unknown, sha256('x')), 'BLOB_UPLOAD_UNKNOWN');
    await expectCodeAsync(() => driver.appendUpload('../blobs', 0, chunksOf(Buffer.from('x'))), 'BLOB_UPLOAD_UNKNOWN');
    await expectCodeAsync(() => driver.commitUpload('../../etc/passwd', sha256('x')), 'BLOB_UPLOAD_UNKNOWN');
    await driver.removeUpload('../blobs');
    assert.ok((await readdir(root)).includes('blobs'));
  });

  it('removes uploads and blobs', async () => {
    const id = await driver.createUpload();
    await driver.appendUpload(id, 0, chunksOf(Buffer.from('to be removed')));
    await driver.removeUpload(id);
    assert.equal(await driver.uploadSize(id), undefined);
    await expectCodeAsync(() => driver.appendUpload(id, 0, chunksOf(Buffer.from('x'))), 'BLOB_UPLOAD_UNKNOWN');

    const id2 = await driver.createUpload();
    await driver.appendUpload(id2, 0, chunksOf(Buffer.from('blob to remove')));
    const digest = sha256('blob to remove');
    await driver.commitUpload(id2, digest);
    await driver.removeBlob(digest);
    assert.equal(await driver.statBlob(digest), undefined);
    await driver.removeBlob(digest);
  });

  it('serialises concurrent appends to one upload: one wins, the other is refused', async () => {
    const id = await driver.createUpload();
    const results = await Promise.allSettled([
      driver.appendUpload(id, 0, chunksOf(Buffer.from('AAAA'))),
      driver.appendUpload(id, 0, chunksOf(Buffer.from('BBBB'))),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected');
    assert.equal((rejected?.reason as { code?: string }).code, 'UPLOAD_RANGE_INVALID');
    assert.equal(await driver.uploadSize(id), 4);
  });

  it('lists committed blobs and uploads in progress', async () => {
    const listRoot = await mkdtemp(join(tmpdir(), 'signet-blobs-list-'));
    try {
      const d = new FsBlobDriver(listRoot);
      assert.deepEqual(await collect(d.listBlobs()), [], 'a store that was never initialised lists nothing');
      await d.init();
      const digests: Digest[] = [];
      for (const text of ['one', 'two', 'three']) {
        const id = await d.createUpload();
        await d.appendUpload(id, 0, chunksOf(Buffer.from(text)));
        await d.commitUpload(id, sha256(text));
        digests.push(sha256(text));
      }
      const open = await d.createUpload();
      const started = Date.now();
      assert.deepEqual((await collect(d.listBlobs())).sort(), digests.sort());
      const uploads = await collect(d.listUploads());
      assert.deepEqual(
        uploads.map((u) => u.id),
        [open],
      );
      assert.ok(uploads[0] !== undefined && Math.abs(uploads[0].modified.getTime() - started) < 60_000);
    } finally {
      await rm(listRoot, { recursive: true, force: true });
    }
  });
});
