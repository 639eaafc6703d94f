/**
 * File-system access for the local transports. Writes are crash-safe: content is written to a temporary
 * name in the same directory, flushed to disk, and renamed into place, so a reader sees either the old
 * content or the complete new content, never a partial file. Every `dir:` / `oci:` / `oci-archive:` write
 * goes through here; so do their bounded reads of small files.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdtemp, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readAllCapped } from '../core/index.js';
import { fileSystemError, isErrnoCode } from './errors.js';

/** A name in the same directory as `path` that no one else uses: `.NAME.<tag>-<random>`. */
function siblingName(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${randomBytes(6).toString('hex')}`);
}

/**
 * Flush a directory's entries (new names, renames) to disk. File systems that cannot fsync a directory
 * (EINVAL, ENOTSUP, EISDIR, EPERM) are tolerated: there is nothing more we can do there.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, fsConstants.O_RDONLY);
  } catch (err) {
    if (isErrnoCode(err, 'EISDIR', 'EPERM', 'EACCES')) return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (!isErrnoCode(err, 'EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EBADF')) throw err;
  } finally {
    await handle.close();
  }
}

async function writeAtomic(path: string, fill: (handle: FileHandle) => Promise<void>): Promise<void> {
  const temp = siblingName(path, 'tmp');
  const handle = await open(temp, 'wx', 0o644);
  let closed = false;
  try {
    await fill(handle);
    await handle.sync();
    closed = true;
    await handle.close();
    await rename(temp, path);
  } catch (err) {
    if (!closed) await handle.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Write `data` to `path` atomically (temp file, fsync, rename, fsync the directory). */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeAtomic(path, async (handle) => {
    await handle.writeFile(data);
  });
}

/**
 * Write everything `stream` yields to `path` atomically. If the stream errors (e.g. a `DigestVerifier`
 * rejects the content), the temporary file is removed and that original error is rethrown; nothing
 * appears at `path`.
 */
export async function writeStreamAtomic(path: string, stream: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    await writeAtomic(path, (handle) => pipeline(stream, new FileSink(handle)));
  } catch (err) {
    // The stream may not have been consumed at all (e.g. the temp file could not be created).
    if (isDestroyable(stream) && !stream.destroyed) stream.destroy();
    throw err;
  }
}

/** Flush written data to disk every this many bytes while writing, so the final fsync has little left to do. */
const syncEveryBytes = 32 * 1024 * 1024;
/** Gather at least this much before a write. */
const writeBatchBytes = 1024 * 1024;

/**
 * Writes a stream into an open file: chunks are gathered into `writev` calls of at least `writeBatchBytes`, and every `syncEveryBytes`
 * a `datasync` is started (one at a time) so the data reaches the disk while the rest is still arriving. On a
 * large blob this is several times faster than one fsync at the end, which also stalls on dirty-page throttling.
 */
class FileSink extends Writable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private sinceSync = 0;
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly handle: FileHandle) {
    super({ highWaterMark: writeBatchBytes });
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    // Small chunks are gathered into writes of at least `writeBatchBytes` (far fewer system calls).
    if (this.pendingBytes < writeBatchBytes) {
      callback();
      return;
    }
    this.flush().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush()
      .then(() => this.syncing)
      .then(() => callback(), callback);
  }

  private async flush(): Promise<void> {
    let pending = this.pending;
    const total = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    let left = total;
    while (left > 0) {
      const { bytesWritten } = await this.handle.writev(pending);
      left -= bytesWritten;
      if (left > 0) pending = remainderAfter(pending, bytesWritten);
    }
    this.sinceSync += total;
    if (this.sinceSync >= syncEveryBytes) {
      this.sinceSync = 0;
      await this.syncing;
      this.syncing = this.handle.datasync();
      // A failure surfaces at the next sync or in _final; do not leave it unhandled meanwhile.
      this.syncing.catch(() => undefined);
    }
  }
}

/** The buffers that remain after the first `written` bytes of `buffers` (for a partial `writev`). */
export function remainderAfter(buffers: Buffer[], written: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = written;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

function isDestroyable(value: unknown): value is { destroy(): void; destroyed: boolean } {
  return typeof value === 'object' && value !== null && typeof (value as { destroy?: unknown }).destroy === 'function';
}

/** Create an empty, private directory beside `path` (same parent, so it can later be renamed onto `path`). */
export async function makeTempDirBeside(path: string): Promise<string> {
  return mkdtemp(join(dirname(path), `.${basename(path)}.tmp-`));
}

/**
 * Put the fully written directory `tempDir` at `finalDir`: an existing `finalDir` is renamed aside, `tempDir`
 * is renamed into place, and the old one is removed. If `finalDir` does not exist, this is a plain rename.
 * A reader sees the old directory, briefly nothing, or the new directory; never a mixture. If the second
 * rename fails, the old directory is put back and the error rethrown.
 */
export async function replaceDirAtomic(tempDir: string, finalDir: string): Promise<void> {
  const aside = siblingName(finalDir, 'old');
  let movedAside = false;
  try {
    await rename(finalDir, aside);
    movedAside = true;
  } catch (err) {
    if (!isErrnoCode(err, 'ENOENT')) throw err;
  }
  try {
    await rename(tempDir, finalDir);
  } catch (err) {
    if (movedAside) await rename(aside, finalDir).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(finalDir));
  if (movedAside) await rm(aside, { recursive: true, force: true });
}

/** Remove a file or directory tree; a missing path is not an error. */
export async function removePath(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Read a whole file of at most `cap` bytes (`TOO_LARGE` beyond that); undefined when it does not exist. */
export async function readFileCapped(path: string, cap: number, what: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT')) return undefined;
    throw fileSystemError(err, path, what);
  }
  try {
    return await readAllCapped(handle.createReadStream({ autoClose: false }), cap, what);
  } catch (err) {
    throw fileSystemError(err, path, what);
  } finally {
    await handle.close();
  }
}

/** Read size for blob streams: large reads mean fewer chunks to hash and forward. */
export const blobReadChunkBytes = 1024 * 1024;
