/**
 * How a large blob's file is read while it is sent.
 *
 * A read through Node's thread pool costs a hand-off to a worker thread and back for every chunk. When the blob
 * is in the page cache (it usually is: it was just written or just served) that hand-off costs more than the read
 * itself, and on a small machine the extra thread competes with the client for the cores: skopeo pulling a large
 * layer is a few per cent slower (`bench/registry`).
 *
 * A read in the calling thread blocks every other request while it runs, which is fine for a page-cache copy
 * (a fraction of a millisecond per MiB) and not for a cold disk or a network file system. So each read in the
 * calling thread is timed, and one that takes longer than `slowMs` sends every read of this process to the thread
 * pool for the next `backOffMs`; then the calling thread is tried again. A slow store costs at most one slow read
 * per back-off period, and a fast one never pays for the thread pool.
 */
import { read, readSync } from 'node:fs';

export interface SendReaderOptions {
  /** A read in the calling thread that takes longer than this (ms) is slow. */
  readonly slowMs?: number;
  /** After a slow read, read through the thread pool for this long (ms). */
  readonly backOffMs?: number;
  /** Monotonic milliseconds. */
  readonly now?: () => number;
  readonly readSync?: (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;
}

export class SendReader {
  readonly #slowMs: number;
  readonly #backOffMs: number;
  readonly #now: () => number;
  readonly #readSync: (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;
  /** Until when reads go through the thread pool. */
  #poolUntil = Number.NEGATIVE_INFINITY;

  constructor(options: SendReaderOptions = {}) {
    this.#slowMs = options.slowMs ?? 4;
    this.#backOffMs = options.backOffMs ?? 10_000;
    this.#now = options.now ?? (() => performance.now());
    this.#readSync = options.readSync ?? readSync;
  }

  /** Whether the next read runs in the calling thread. */
  get inline(): boolean {
    return this.#now() >= this.#poolUntil;
  }

  /**
   * Read up to `length` bytes at `position` into the start of `buffer`: the byte count, or a promise of it when
   * the read goes through the thread pool.
   */
  read(fd: number, buffer: Buffer, length: number, position: number): number | Promise<number> {
    const start = this.#now();
    if (start < this.#poolUntil) return readInPool(fd, buffer, length, position);
    const n = this.#readSync(fd, buffer, 0, length, position);
    const end = this.#now();
    if (end - start > this.#slowMs) this.#poolUntil = end + this.#backOffMs;
    return n;
  }
}

function readInPool(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, length, position, (err, n) => (err === null ? resolve(n) : reject(err)));
  });
}
