/**
 * Streaming extraction of an OCI archive into a private directory. Entries are refused (`INVALID_ARCHIVE`)
 * when their names are absolute or contain "..", when a symbolic link's target is absolute or contains "..",
 * when a hard link names something outside the extracted tree, when an entry would be written through a
 * symbolic link, and for device and FIFO entries. Nothing is ever created outside `root`.
 */
import { blobReadChunkBytes } from '../fs-atomic.js';
import { createReadStream, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import tar from 'tar-stream';
import { TransportError } from '../errors.js';

type TarEntry = tar.Extract extends AsyncIterable<infer E> ? E : never;

/** Extract the tar file `archive` into the existing, empty directory `root`. */
export async function extractArchive(archive: string, root: string): Promise<void> {
  const extractor = tar.extract();
  const input = createReadStream(archive, { highWaterMark: blobReadChunkBytes });
  input.on('error', (err) => extractor.destroy(err));
  input.pipe(extractor);
  try {
    for await (const entry of extractor as AsyncIterable<TarEntry>) {
      await extractEntry(archive, root, entry);
    }
  } catch (err) {
    if (err instanceof TransportError || isFsError(err)) throw err;
    throw new TransportError('INVALID_ARCHIVE', `${archive} is not a valid tar archive: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      path: archive,
    });
  } finally {
    input.destroy();
  }
}

function isFsError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** The path components of an entry name, refusing absolute names and ".." (empty for the root itself). */
export function safeEntryComponents(name: string, archive: string, what = 'entry'): string[] {
  if (name.includes('\0')) throw refused(archive, `${what} "${name}" contains a NUL character`);
  if (name.startsWith('/')) throw refused(archive, `${what} "${name}" is an absolute path`);
  const parts = name.split('/');
  if (parts.includes('..')) throw refused(archive, `${what} "${name}" contains ".."`);
  return parts.filter((p) => p !== '' && p !== '.');
}

function refused(archive: string, detail: string): TransportError {
  return new TransportError('INVALID_ARCHIVE', `refusing to extract ${archive}: ${detail}`, { path: archive });
}

async function drain(entry: TarEntry): Promise<void> {
  for await (const _chunk of entry) {
    // discard
  }
}

async function extractEntry(archive: string, root: string, entry: TarEntry): Promise<void> {
  const { header } = entry;
  const parts = safeEntryComponents(header.name, archive);
  const type = header.type ?? 'file';
  if (parts.length === 0) {
    if (type !== 'directory') throw refused(archive, `entry "${header.name}" names the archive root but is not a directory`);
    await drain(entry);
    return;
  }
  await ensureRealParents(archive, root, parts);
  const target = join(root, ...parts);
  const existing = await lstatOrUndefined(target);

  switch (type) {
    case 'directory': {
      if (existing === undefined) await mkdir(target, { mode: 0o755 });
      else if (!existing.isDirectory()) throw refused(archive, `directory entry "${header.name}" collides with a non-directory`);
      await drain(entry);
      return;
    }
    case 'file':
    case 'contiguous-file': {
      if (existing !== undefined) {
        if (!existing.isFile()) throw refused(archive, `file entry "${header.name}" collides with a directory or link`);
        await unlink(target);
      }
      const handle = await open(target, 'wx', 0o644);
      try {
        for await (const data of entry) {
          const chunk = data as Uint8Array;
          let offset = 0;
          while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
        }
      } finally {
        await handle.close();
      }
      return;
    }
    case 'symlink': {
      const linkname = header.linkname ?? '';
      if (linkname === '' || linkname.startsWith('/')) {
        throw refused(archive, `symbolic link "${header.name}" points to "${linkname}", outside the archive`);
      }
      if (linkname.split('/').includes('..')) {
        throw refused(archive, `symbolic link "${header.name}" points to "${linkname}", which may escape the archive`);
      }
      if (existing !== undefined) throw refused(archive, `symbolic link "${header.name}" collides with an existing entry`);
      await symlink(linkname, target);
      await drain(entry);
      return;
    }
    case 'link': {
      const sourceParts = safeEntryComponents(header.linkname ?? '', archive, `hard link target of "${header.name}"`);
      if (sourceParts.length === 0) throw refused(archive, `hard link "${header.name}" has no target`);
      await ensureRealParents(archive, root, sourceParts, false);
      const source = join(root, ...sourceParts);
      const st = await lstatOrUndefined(source);
      if (st === undefined || !st.isFile()) {
        throw refused(archive, `hard link "${header.name}" points to "${header.linkname ?? ''}", which is not a file extracted earlier`);
      }
      if (existing !== undefined) throw refused(archive, `hard link "${header.name}" collides with an existing entry`);
      await link(source, target);
      await drain(entry);
      return;
    }
    default:
      throw refused(archive, `entry "${header.name}" has unsupported type ${type}`);
  }
}

/**
 * Make sure every parent of `parts` under `root` is a real directory (not a symbolic link), creating missing
 * ones when `create` is set; anything else is refused, so nothing is ever written through a link.
 */
async function ensureRealParents(archive: string, root: string, parts: readonly string[], create = true): Promise<void> {
  let current = root;
  for (const part of parts.slice(0, -1)) {
    current = join(current, part);
    const st = await lstatOrUndefined(current);
    if (st === undefined) {
      if (!create) throw refused(archive, `"${parts.join('/')}" is under "${part}", which does not exist`);
      await mkdir(current, { mode: 0o755 });
    } else if (!st.isDirectory()) {
      throw refused(archive, `"${parts.join('/')}" is under "${part}", which is not a directory`);
    }
  }
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
