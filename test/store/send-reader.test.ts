import assert from 'node:assert/strict';
import { readSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SendReader } from '../../src/store/index.js';
import { pseudoRandomBytes } from '../fixtures/images.js';

describe('SendReader', () => {
  let dir: string;
  let fd: number;
  let close: () => Promise<void>;
  const content = pseudoRandomBytes('send-reader', 256 * 1024);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signet-send-reader-'));
    await writeFile(join(dir, 'blob'), content);
    const handle = await open(join(dir, 'blob'), 'r');
    fd = handle.fd;
    close = () => handle.close();
  });
  after(async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A reader on a fake clock whose inline reads take `costs[i]` ms each (0 once the list runs out). */
  function fakeReader(costs: number[]): { reader: SendReader; clock: { t: number }; inlineReads: () => number } {
    const clock = { t: 1000 };
    let calls = 0;
    const reader = new SendReader({
      slowMs: 4,
      backOffMs: 10_000,
      now: () => clock.t,
      readSync: (f, b, o, l, p) => {
        clock.t += costs[calls++] ?? 0;
        return readSync(f, b, o, l, p);
      },
    });
    return { reader, clock, inlineReads: () => calls };
  }

  it('reads in the calling thread while reads are fast: the count comes back at once, not as a promise', () => {
    const { reader, inlineReads } = fakeReader([1, 3, 4]);
    for (const position of [0, 1000, content.length - 10]) {
      const buf = Buffer.alloc(4096);
      const n = reader.read(fd, buf, 4096, position);
      assert.equal(typeof n, 'number');
      const expected = content.subarray(position, position + 4096);
      assert.equal(n, expected.length);
      assert.deepEqual(buf.subarray(0, expected.length), expected);
    }
    assert.equal(inlineReads(), 3);
    assert.equal(reader.inline, true, 'a read of exactly slowMs is not slow');
  });

  it('after a slow read, reads go through the thread pool for the back-off period, then inline again', async () => {
    const { reader, clock, inlineReads } = fakeReader([0, 5]);
    assert.equal(typeof reader.read(fd, Buffer.alloc(16), 16, 0), 'number');
    const slow = Buffer.alloc(16);
    assert.equal(reader.read(fd, slow, 16, 16), 16, 'the slow read itself still returns its bytes');
    assert.deepEqual(slow, content.subarray(16, 32));
    assert.equal(reader.inline, false);

    clock.t += 9_000;
    const buf = Buffer.alloc(1000);
    const pending = reader.read(fd, buf, 1000, 5000);
    assert.ok(pending instanceof Promise, 'inside the back-off period the read goes to the thread pool');
    assert.equal(await pending, 1000);
    assert.deepEqual(buf, content.subarray(5000, 6000));
    assert.equal(inlineReads(), 2, 'no inline read was made during the back-off');

    clock.t += 1_001;
    assert.equal(reader.inline, true);
    assert.equal(typeof reader.read(fd, Buffer.alloc(16), 16, 0), 'number');
    assert.equal(inlineReads(), 3);
  });

  it('a read past the end returns the bytes there are, either way; a bad descriptor fails either way', async () => {
    const inline = new SendReader();
    const buf = Buffer.alloc(100);
    assert.equal(inline.read(fd, buf, 100, content.length - 40), 40);
    const pooled = fakeReader([10]).reader;
    pooled.read(fd, Buffer.alloc(1), 1, 0);
    assert.equal(await pooled.read(fd, buf, 100, content.length - 40), 40);
    assert.equal(await pooled.read(fd, buf, 100, content.length), 0);
    assert.throws(() => inline.read(2_000_000_000, buf, 100, 0), { code: 'EBADF' });
    await assert.rejects(async () => pooled.read(2_000_000_000, buf, 100, 0), { code: 'EBADF' });
  });
});
