import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  makeTempDirBeside,
  readFileCapped,
  replaceDirAtomic,
  writeFileAtomic,
  writeStreamAtomic,
} from '../../../src/transports/fs-atomic.js';
import { expectCodeAsync } from '../../helpers/expect-code.js';
import { failingStream, listDir, streamOf, tempDir } from './image-io.js';

describe('fs-atomic', () => {
  it('writeFileAtomic replaces content and leaves no temporary file', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'f');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, Buffer.from('two'));
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.deepEqual(await listDir(dir), ['f']);
  });

  it('writeStreamAtomic writes the whole stream, or nothing and rethrows the stream error', async (t) => {
    const dir = await tempDir(t);
    const data = Buffer.alloc(300_000, 7);
    await writeStreamAtomic(join(dir, 'ok'), streamOf(data));
    assert.deepEqual(await readFile(join(dir, 'ok')), data);

    const boom = new Error('boom');
    await assert.rejects(writeStreamAtomic(join(dir, 'bad'), failingStream(data, 1000, boom)), (err) => err === boom);
    await writeFile(join(dir, 'existing'), 'keep me');
    await assert.rejects(writeStreamAtomic(join(dir, 'existing'), failingStream(data, 1000, boom)), (err) => err === boom);
    assert.equal(await readFile(join(dir, 'existing'), 'utf8'), 'keep me');
    assert.deepEqual(await listDir(dir), ['existing', 'ok']);
  });

  it('writeStreamAtomic into a missing directory fails and releases the stream', async (t) => {
    const dir = await tempDir(t);
    const stream = streamOf(Buffer.from('x'));
    await expectCodeAsync(() => writeStreamAtomic(join(dir, 'missing', 'f'), stream), 'ENOENT');
    assert.equal(stream.destroyed, true);
  });

  it('makeTempDirBeside + replaceDirAtomic put a directory in place, replacing any previous one', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'target');
    const first = await makeTempDirBeside(target);
    assert.equal(dirname(first), root);
    assert.ok(basename(first).startsWith('.target.'));
    await writeFile(join(first, 'a'), '1');
    await replaceDirAtomic(first, target);
    assert.deepEqual(await listDir(target), ['a']);

    const second = await makeTempDirBeside(target);
    await writeFile(join(second, 'b'), '2');
    await replaceDirAtomic(second, target);
    assert.deepEqual(await listDir(target), ['b']);
    assert.deepEqual(await listDir(root), ['target']);
  });

  it('replaceDirAtomic puts the old directory back when the new one cannot be moved', async (t) => {
    const root = await tempDir(t);
    const target = join(root, 'target');
    await mkdir(target);
    await writeFile(join(target, 'old'), 'old');
    await expectCodeAsync(() => replaceDirAtomic(join(root, 'does-not-exist'), target), 'ENOENT');
    assert.deepEqual(await listDir(target), ['old']);
    assert.deepEqual(await listDir(root), ['target']);
  });

  it('readFileCapped returns undefined for a missing file and refuses oversized ones', async (t) => {
    const dir = await tempDir(t);
    assert.equal(await readFileCapped(join(dir, 'none'), 10, 'none'), undefined);
    await writeFile(join(dir, 'big'), Buffer.alloc(11));
    await expectCodeAsync(() => readFileCapped(join(dir, 'big'), 10, 'big'), 'TOO_LARGE');
    await writeFile(join(dir, 'ok'), Buffer.alloc(10, 1));
    assert.equal((await readFileCapped(join(dir, 'ok'), 10, 'ok'))?.length, 10);
  });
});
