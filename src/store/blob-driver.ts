/**
 * Blob storage: content-addressed, immutable blobs and the upload files they grow from.
 *
 * `BlobDriver` is the small interface the registry uses; `FsBlobDriver` keeps blobs on the local file system
 * (see paths.ts for the layout). Upload bytes are appended at an offset the caller states; a failed append
 * is rolled back to where it started, so an upload is always a prefix the client sent in full, and an append
 * that returns is on disk. A blob becomes
 * visible only through `commitUpload`, which checks the digest of the complete upload, flushes it to disk and
 * renames it into place.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { digestAlgorithm, isDigest, type Digest } from '../core/index.js';
import { fsyncDir, isErrnoCode, remainderAfter } from '../transports/index.js';
import { StoreError } from './errors.js';
import { SendReader } from './send-reader.js';
import { isUploadId, storePaths, type StorePaths } from './paths.js';

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

export interface AppendOptions {
  /** Refuse (and roll back) an append that would make the upload larger than this. */
  readonly maxTotalBytes?: number;
  /** The body must be exactly this long (a `Content-Length` the client sent). */
  readonly expectedBytes?: number;
}

/** A committed blob (or a range of it) opened for one read: write it out once, or close it. */
export interface BlobContent {
  /** How many bytes `pipeTo` writes. */
  readonly length: number;
  /**
   * Write the bytes to `out` and end it. Resolves when `out` has finished; rejects if `out` closes early or the
   * stored file comes up short. The file is closed either way.
   */
  pipeTo(out: Writable): Promise<void>;
  /** Release it without writing. */
  close(): Promise<void>;
}

export interface BlobDriver {
  /** The size of a committed blob, or undefined when there is none. */
  statBlob(digest: Digest): Promise<number | undefined>;
  /**
   * Open a committed blob (or `range` of it, which must lie within the stored file). Throws `BLOB_UNKNOWN`, or an
   * internal error when the stored file is shorter than the range: both before anything is written.
   */
  readBlob(digest: Digest, range?: ByteRange): Promise<BlobContent>;
  /** Start an upload; returns its id. */
  createUpload(): Promise<string>;
  /** The bytes received so far, or undefined for an unknown upload. */
  uploadSize(id: string): Promise<number | undefined>;
  /**
   * Append `body` at offset `at`, which must equal the upload's current size (`UPLOAD_RANGE_INVALID` otherwise).
   * Returns the new size. If `body` fails or breaks a limit, the upload is cut back to `at`.
   */
  appendUpload(id: string, at: number, body: AsyncIterable<Uint8Array>, options?: AppendOptions): Promise<number>;
  /**
   * Check that the upload's content has digest `expected` (`DIGEST_INVALID` otherwise; the upload stays so a
   * client may continue), flush it, and move it into place as that blob. Returns the blob's size.
   */
  commitUpload(id: string, expected: Digest): Promise<number>;
  removeUpload(id: string): Promise<void>;
  removeBlob(digest: Digest): Promise<void>;
  /** Every committed blob. */
  listBlobs(): AsyncIterable<Digest>;
  /** Every upload with the time it last changed. */
  listUploads(): AsyncIterable<{ id: string; modified: Date }>;
}

/** Flush to disk every this many bytes while an upload arrives, so the flush that ends an append has little to do. */
const syncEveryBytes = 32 * 1024 * 1024;
/** Gather at least this much before a write. */
const writeBatchBytes = 1024 * 1024;
/** Read size when re-hashing an upload or sending a blob. */
const readChunkBytes = 1024 * 1024;
/** Buffers in flight while a blob is sent. */
const sendBuffers = 4;
/** Blobs up to this size are read whole, checked against their digest, and kept in memory. */
const smallBlobBytes = 64 * 1024;
/** Memory for small blobs (configs, signatures, tiny layers) kept across requests. */
const smallBlobCacheBytes = 32 * 1024 * 1024;
/** Whether sends read in the calling thread or the thread pool is a property of the disk, so one per process. */
const processSendReader = new SendReader();

interface HashState {
  hash: Hash;
  offset: number;
}

export class FsBlobDriver implements BlobDriver {
  readonly paths: StorePaths;
  /** Running sha256 of uploads appended through this process, so a commit need not read the file again. */
  readonly #hashes = new Map<string, HashState>();
  /** One append or commit at a time per upload. */
  readonly #locks = new Map<string, Promise<unknown>>();
  /**
   * Small blobs already read and checked, least recently used first. Blobs are immutable and named by their
   * digest, so a copy stays right for as long as the blob exists.
   */
  readonly #small = new Map<Digest, Buffer>();
  #smallBytes = 0;

  readonly #sendReader: SendReader;

  /** `sendReader`: how large blobs are read while they are sent; by default one shared by the whole process. */
  constructor(root: string, options: { sendReader?: SendReader } = {}) {
    this.paths = storePaths(root);
    this.#sendReader = options.sendReader ?? processSendReader;
  }

  async init(): Promise<void> {
    await mkdir(this.paths.blobsDir, { recursive: true });
    await mkdir(this.paths.uploadsDir, { recursive: true });
  }

  async statBlob(digest: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.paths.blob(digest))).size;
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  async readBlob(digest: Digest, range?: ByteRange): Promise<BlobContent> {
    const cached = this.#small.get(digest);
    if (cached !== undefined) {
      this.#small.delete(digest);
      this.#small.set(digest, cached);
      return bytesContent(sliceRange(cached, range, digest));
    }
    const path = this.paths.blob(digest);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT', 'ENOTDIR')) throw new StoreError('BLOB_UNKNOWN', `blob ${digest} is not in the store`);
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      if (size > smallBlobBytes) {
        const start = range?.start ?? 0;
        const end = range?.end ?? size - 1;
        if (end >= size) throw new Error(`stored blob ${digest} has ${size} bytes, too few for bytes ${start}-${end}`);
        return new FileRangeContent(handle, start, end - start + 1, digest, this.#sendReader);
      }
      // Small (configs, signatures, tiny layers): read whole in one call, checked against the digest that names
      // it, kept for the next request.
      const bytes = size === 0 ? Buffer.alloc(0) : await readExactly(handle, size, 0, digest);
      await handle.close();
      const actual = `${digestAlgorithm(digest)}:${createHash(digestAlgorithm(digest)).update(bytes).digest('hex')}`;
      if (actual !== digest) throw new Error(`stored blob ${digest} is corrupt: its content has digest ${actual}`);
      this.#remember(digest, bytes);
      return bytesContent(sliceRange(bytes, range, digest));
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  #remember(digest: Digest, bytes: Buffer): void {
    this.#small.set(digest, bytes);
    this.#smallBytes += bytes.length;
    for (const [oldest, old] of this.#small) {
      if (this.#smallBytes <= smallBlobCacheBytes) break;
      this.#small.delete(oldest);
      this.#smallBytes -= old.length;
    }
  }

  #forget(digest: Digest): void {
    const bytes = this.#small.get(digest);
    if (bytes === undefined) return;
    this.#small.delete(digest);
    this.#smallBytes -= bytes.length;
  }

  async createUpload(): Promise<string> {
    const id = randomUUID();
    const handle = await open(this.paths.upload(id), 'wx', 0o600);
    await handle.close();
    this.#hashes.set(id, { hash: createHash('sha256'), offset: 0 });
    return id;
  }

  async uploadSize(id: string): Promise<number | undefined> {
    if (!isUploadId(id)) return undefined;
    try {
      return (await stat(this.paths.upload(id))).size;
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  #locked<T>(id: string, f: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(id) ?? Promise.resolve();
    const run = before.then(f, f);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(id, settled);
    void settled.then(() => {
      if (this.#locks.get(id) === settled) this.#locks.delete(id);
    });
    return run;
  }

  appendUpload(id: string, at: number, body: AsyncIterable<Uint8Array>, options: AppendOptions = {}): Promise<number> {
    return this.#locked(id, () => this.#append(id, at, body, options));
  }

  async #append(id: string, at: number, body: AsyncIterable<Uint8Array>, options: AppendOptions): Promise<number> {
    if (!isUploadId(id)) throw new StoreError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
    let handle: FileHandle;
    try {
      handle = await open(this.paths.upload(id), 'r+');
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw new StoreError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      if (size !== at) {
        throw new StoreError('UPLOAD_RANGE_INVALID', `the upload holds ${size} bytes, but this chunk starts at byte ${at}`);
      }
      const known = this.#hashes.get(id);
      const state = known !== undefined && known.offset === at ? { hash: known.hash.copy(), offset: at } : undefined;
      let position = at;
      let sinceSync = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        let buffers = pending;
        let left = pendingBytes;
        pending = [];
        pendingBytes = 0;
        while (left > 0) {
          const { bytesWritten } = await handle.writev(buffers, position);
          position += bytesWritten;
          left -= bytesWritten;
          sinceSync += bytesWritten;
          if (left > 0) buffers = remainderAfter(buffers, bytesWritten);
        }
        if (sinceSync >= syncEveryBytes) {
          sinceSync = 0;
          await handle.datasync();
        }
      };
      try {
        for await (const chunk of body) {
          const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          const received = position - at + pendingBytes + buf.length;
          if (options.maxTotalBytes !== undefined && at + received > options.maxTotalBytes) {
            throw new StoreError('SIZE_INVALID', `the upload would exceed ${options.maxTotalBytes} bytes`);
          }
          if (options.expectedBytes !== undefined && received > options.expectedBytes) {
            throw new StoreError('SIZE_INVALID', `the body is longer than the ${options.expectedBytes} bytes announced`);
          }
          state?.hash.update(buf);
          pending.push(buf);
          pendingBytes += buf.length;
          if (pendingBytes >= writeBatchBytes) await flush();
        }
        await flush();
        if (options.expectedBytes !== undefined && position - at !== options.expectedBytes) {
          throw new StoreError('SIZE_INVALID', `the body has ${position - at} bytes, not the ${options.expectedBytes} announced`);
        }
        // What the reply acknowledges is on disk: a client told it has sent N bytes can resume from N even after
        // a power cut. (The commit's flush then has nothing left to write.)
        if (sinceSync > 0) await handle.datasync();
      } catch (err) {
        // Back to the last complete state: the client can ask where the upload stands and send the rest again.
        await handle.truncate(at).catch(() => undefined);
        if (known !== undefined && known.offset !== at) this.#hashes.delete(id);
        if (err instanceof StoreError) throw err;
        throw new StoreError('UPLOAD_ABORTED', `the upload body broke off after ${position - at} bytes`, { cause: err });
      }
      if (state !== undefined) {
        state.offset = position;
        this.#hashes.set(id, state);
      } else {
        this.#hashes.delete(id);
      }
      return position;
    } finally {
      await handle.close();
    }
  }

  commitUpload(id: string, expected: Digest): Promise<number> {
    return this.#locked(id, () => this.#commit(id, expected));
  }

  async #commit(id: string, expected: Digest): Promise<number> {
    if (!isUploadId(id)) throw new StoreError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
    const path = this.paths.upload(id);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r+');
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw new StoreError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
      throw err;
    }
    let size: number;
    try {
      size = (await handle.stat()).size;
      const known = this.#hashes.get(id);
      let actual: string;
      if (known !== undefined && known.offset === size && digestAlgorithm(expected) === 'sha256') {
        actual = `sha256:${known.hash.copy().digest('hex')}`;
      } else {
        const hash = createHash(digestAlgorithm(expected));
        for await (const chunk of handle.createReadStream({ autoClose: false, start: 0, highWaterMark: readChunkBytes })) hash.update(chunk as Buffer);
        actual = `${digestAlgorithm(expected)}:${hash.digest('hex')}`;
      }
      if (actual !== expected) {
        throw new StoreError('DIGEST_INVALID', `the uploaded content has digest ${actual}, not ${expected}`);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const target = this.paths.blob(expected);
    const created = await mkdir(dirname(target), { recursive: true });
    await rename(path, target);
    await fsyncDir(dirname(target));
    // A folder made just now is itself a new entry in its parent.
    if (created !== undefined) await fsyncDir(dirname(created));
    this.#hashes.delete(id);
    return size;
  }

  async removeUpload(id: string): Promise<void> {
    if (!isUploadId(id)) return;
    this.#hashes.delete(id);
    await rm(this.paths.upload(id), { force: true });
  }

  async removeBlob(digest: Digest): Promise<void> {
    this.#forget(digest);
    await rm(this.paths.blob(digest), { force: true });
  }

  async *listBlobs(): AsyncIterable<Digest> {
    for (const alg of await readdirOrEmpty(this.paths.blobsDir)) {
      for (const prefix of await readdirOrEmpty(`${this.paths.blobsDir}/${alg}`)) {
        for (const name of await readdirOrEmpty(`${this.paths.blobsDir}/${alg}/${prefix}`)) {
          const digest = `${alg}:${name}`;
          if (isDigest(digest)) yield digest as Digest;
        }
      }
    }
  }

  async *listUploads(): AsyncIterable<{ id: string; modified: Date }> {
    for (const id of await readdirOrEmpty(this.paths.uploadsDir)) {
      if (!isUploadId(id)) continue;
      try {
        yield { id, modified: (await stat(this.paths.upload(id))).mtime };
      } catch (err) {
        if (!isErrnoCode(err, 'ENOENT')) throw err;
      }
    }
  }
}

function sliceRange(bytes: Buffer, range: ByteRange | undefined, digest: Digest): Buffer {
  if (range === undefined) return bytes;
  if (range.end >= bytes.length) throw new Error(`stored blob ${digest} has ${bytes.length} bytes, too few for bytes ${range.start}-${range.end}`);
  return bytes.subarray(range.start, range.end + 1);
}

function bytesContent(bytes: Buffer): BlobContent {
  return {
    length: bytes.length,
    async pipeTo(out: Writable): Promise<void> {
      out.end(bytes);
      await finished(out);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * A range of an open blob file, written out through a few reused buffers: each is filled again only once `out`
 * has handed its bytes to the kernel, so a large blob streams without allocating (and collecting) a buffer per
 * chunk, and at most `sendBuffers` chunks are in flight.
 */
class FileRangeContent implements BlobContent {
  readonly length: number;
  readonly #handle: FileHandle;
  readonly #start: number;
  readonly #digest: Digest;
  readonly #reader: SendReader;
  #closed = false;

  constructor(handle: FileHandle, start: number, length: number, digest: Digest, reader: SendReader) {
    this.#handle = handle;
    this.#reader = reader;
    this.#start = start;
    this.length = length;
    this.#digest = digest;
  }

  async pipeTo(out: Writable): Promise<void> {
    try {
      await this.#write(out);
    } catch (err) {
      out.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      await this.close();
    }
    out.end();
    await finished(out);
  }

  async #write(out: Writable): Promise<void> {
    const free: Buffer[] = [];
    let waiting: (() => void) | undefined;
    let failure: Error | undefined;
    const wake = (): void => {
      const w = waiting;
      waiting = undefined;
      w?.();
    };
    const onClose = (): void => {
      failure ??= new Error('the destination closed before the blob was sent');
      wake();
    };
    out.once('close', onClose);
    try {
      let position = this.#start;
      const end = this.#start + this.length;
      let allocated = 0;
      while (position < end) {
        if (failure !== undefined) throw failure;
        let buf = free.pop();
        if (buf === undefined && allocated < sendBuffers) {
          buf = Buffer.allocUnsafeSlow(Math.min(readChunkBytes, this.length));
          allocated++;
        }
        if (buf === undefined) {
          await new Promise<void>((resolve) => (waiting = resolve));
          continue;
        }
        const read = this.#reader.read(this.#handle.fd, buf, Math.min(buf.length, end - position), position);
        const bytesRead = typeof read === 'number' ? read : await read;
        if (bytesRead === 0) throw new Error(`stored blob ${this.#digest} ended after ${position} bytes, short of its recorded size`);
        position += bytesRead;
        const chunk = buf;
        out.write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead), (err) => {
          if (err !== null && err !== undefined) failure ??= err;
          free.push(chunk);
          wake();
        });
      }
    } finally {
      out.off('close', onClose);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }
}

async function readExactly(handle: FileHandle, length: number, position: number, digest: Digest): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(bytes, got, length - got, position + got);
    if (bytesRead === 0) throw new Error(`stored blob ${digest} ended after ${position + got} bytes, short of its recorded size`);
    got += bytesRead;
  }
  return bytes;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}
