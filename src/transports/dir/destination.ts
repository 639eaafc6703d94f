/**
 * Writing an image to a `dir:` directory. The whole image is assembled in a private directory beside the
 * target and swapped into place by `commit()`, so the target holds either the previous image or the complete
 * new one. Like containers/image, a non-empty directory that is not a `dir:` layout is never overwritten.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { limits, verifyBytes, type Digest } from '../../core/index.js';
import { TransportError, isErrnoCode } from '../errors.js';
import { makeTempDirBeside, readFileCapped, removePath, replaceDirAtomic, writeFileAtomic, writeStreamAtomic } from '../fs-atomic.js';
import type { BlobInfo, ImageDestination, ImageReference } from '../types.js';
import { DIR_VERSION, blobPath, manifestPath, signaturePath, versionPath } from './layout.js';

type State = 'open' | 'committed' | 'closed';

export class DirImageDestination implements ImageDestination {
  readonly reference: ImageReference;
  private readonly finalDir: string;
  private readonly workDir: string;
  private state: State = 'open';

  private constructor(reference: ImageReference, finalDir: string, workDir: string) {
    this.reference = reference;
    this.finalDir = finalDir;
    this.workDir = workDir;
  }

  /** Checks that `dir` may be (over)written and prepares the private work directory beside it. */
  static async open(reference: ImageReference, dir: string): Promise<DirImageDestination> {
    await assertOverwritable(reference, dir);
    const workDir = await makeTempDirBeside(dir);
    try {
      await writeFileAtomic(versionPath(workDir), DIR_VERSION);
    } catch (err) {
      await removePath(workDir);
      throw err;
    }
    return new DirImageDestination(reference, dir, workDir);
  }

  supportedManifestMediaTypes(): readonly string[] | undefined {
    return undefined;
  }

  supportsSignatures(): boolean {
    return true;
  }

  async tryReusingBlob(info: BlobInfo): Promise<boolean> {
    this.assertOpen('tryReusingBlob');
    try {
      const st = await stat(blobPath(this.workDir, info.digest));
      return st.isFile() && (info.size < 0 || st.size === info.size);
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async putBlob(stream: Readable, info: BlobInfo): Promise<void> {
    this.assertOpen('putBlob');
    await writeStreamAtomic(blobPath(this.workDir, info.digest), stream);
  }

  async putManifest(bytes: Buffer, _mediaType: string, instanceDigest?: Digest): Promise<void> {
    this.assertOpen('putManifest');
    if (instanceDigest !== undefined) verifyBytes(bytes, instanceDigest, `manifest of instance ${instanceDigest}`);
    await writeFileAtomic(manifestPath(this.workDir, instanceDigest), bytes);
  }

  async putSignatures(signatures: readonly Buffer[], instanceDigest?: Digest): Promise<void> {
    this.assertOpen('putSignatures');
    for (const [i, signature] of signatures.entries()) {
      await writeFileAtomic(signaturePath(this.workDir, i, instanceDigest), signature);
    }
    // A second call with fewer signatures must not leave the earlier extra ones behind.
    for (let i = signatures.length; ; i++) {
      const path = signaturePath(this.workDir, i, instanceDigest);
      try {
        await lstat(path);
      } catch (err) {
        if (isErrnoCode(err, 'ENOENT')) break;
        throw err;
      }
      await removePath(path);
    }
  }

  async commit(): Promise<void> {
    this.assertOpen('commit');
    try {
      await stat(manifestPath(this.workDir));
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) {
        throw new TransportError('INVALID_STATE', `${this.reference.toString()}: commit without a manifest`, { cause: err });
      }
      throw err;
    }
    // The directory may have changed since the destination was opened.
    await assertOverwritable(this.reference, this.finalDir);
    await replaceDirAtomic(this.workDir, this.finalDir);
    this.state = 'committed';
  }

  async close(): Promise<void> {
    if (this.state === 'open') await removePath(this.workDir);
    this.state = 'closed';
  }

  private assertOpen(operation: string): void {
    if (this.state !== 'open') {
      throw new TransportError('INVALID_STATE', `${this.reference.toString()}: ${operation} after the destination was ${this.state}`);
    }
  }
}

/**
 * A missing path or an empty directory may be written; so may a directory holding a previous `dir:` image
 * (its `version` file says so). Anything else is refused with `DESTINATION_NOT_EMPTY`.
 */
async function assertOverwritable(reference: ImageReference, dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await lstat(dir)).isDirectory();
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT')) return;
    throw err;
  }
  if (!isDir) {
    throw new TransportError('DESTINATION_NOT_EMPTY', `${reference.toString()}: ${dir} exists and is not a directory; refusing to overwrite it`, {
      path: dir,
    });
  }
  if ((await readdir(dir)).length === 0) return;
  const version = await readFileCapped(versionPath(dir), limits.versionFileBytes, `${versionPath(dir)}`).catch(() => undefined);
  if (version === undefined || version.toString('utf8') !== DIR_VERSION) {
    throw new TransportError(
      'DESTINATION_NOT_EMPTY',
      `${reference.toString()}: ${dir} is not empty and is not a dir: image layout (no valid "version" file); refusing to overwrite it`,
      { path: dir },
    );
  }
}
