/** Streaming creation of an OCI archive from a layout directory (file contents are never buffered whole). */
import { blobReadChunkBytes } from '../fs-atomic.js';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import tar from 'tar-stream';

type EntryHeader = Parameters<tar.Pack['entry']>[0];
import { TransportError } from '../errors.js';

interface WalkEntry {
  /** Path inside the archive, '/'-separated, no leading "./". */
  readonly name: string;
  readonly path: string;
  readonly isDirectory: boolean;
}

/** Every file and directory under `root`, parents before children, names sorted (a reproducible order). */
async function walk(root: string, prefix = ''): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  const names = (await readdir(prefix === '' ? root : join(root, prefix))).sort();
  for (const name of names) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const path = join(root, rel);
    const st = await lstat(path);
    if (st.isDirectory()) {
      out.push({ name: rel, path, isDirectory: true });
      out.push(...(await walk(root, rel)));
    } else if (st.isFile()) {
      out.push({ name: rel, path, isDirectory: false });
    } else {
      throw new TransportError('INVALID_LAYOUT', `cannot archive ${path}: only regular files and directories are expected in an OCI layout`, {
        path,
      });
    }
  }
  return out;
}

/**
 * A tar stream of the directory tree at `root` (entries named relative to it, as containers/image writes OCI
 * archives). The stream errors if reading any file fails; destroying it stops the producer.
 */
export function packDirectory(root: string): tar.Pack {
  const pack = tar.pack();
  produce(pack, root).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return pack;
}

async function produce(pack: tar.Pack, root: string): Promise<void> {
  for (const entry of await walk(root)) {
    if (isDestroyed(pack)) return;
    const st = await lstat(entry.path);
    if (entry.isDirectory) {
      await addEntry(pack, { name: `${entry.name}/`, type: 'directory', mode: 0o755, mtime: st.mtime });
      continue;
    }
    await addEntry(pack, { name: entry.name, type: 'file', mode: 0o644, mtime: st.mtime, size: st.size }, async (sink) => {
      for await (const chunk of createReadStream(entry.path, { highWaterMark: blobReadChunkBytes })) {
        if (!sink.write(chunk)) await waitDrain(pack, sink);
      }
    });
  }
}

/** Add one entry; `fill` streams its content into the entry's sink. Resolves when the pack accepted it. */
type Sink = ReturnType<tar.Pack['entry']>;

function addEntry(pack: tar.Pack, header: EntryHeader, fill?: (sink: Sink) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    const run = fill === undefined ? Promise.resolve() : fill(sink);
    run.then(
      () => sink.end(undefined),
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        sink.destroy(error);
        reject(error);
      },
    );
  });
}

function waitDrain(pack: tar.Pack, sink: Sink): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      sink.removeListener('drain', onDrain);
      pack.removeListener('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('archive stream closed'));
    };
    sink.once('drain', onDrain);
    pack.once('close', onClose);
  });
}

function isDestroyed(stream: tar.Pack): boolean {
  return stream.destroyed;
}

/** The bytes of a tar stream, as an async iterable of buffers (what `writeStreamAtomic` consumes). */
export async function* tarBytes(pack: tar.Pack): AsyncGenerator<Uint8Array> {
  for await (const chunk of pack) {
    if (!(chunk instanceof Uint8Array)) throw new Error('tar stream produced a non-binary chunk');
    yield chunk;
  }
}
