/**
 * Writing an image into an OCI layout. Blobs (including manifests) are written atomically under
 * `blobs/<alg>/<hex>`; they are content-addressed and unreferenced until `commit()` atomically rewrites
 * `index.json`, so no reader of the layout sees a partial image. A layout directory that does not exist yet is
 * built beside the target and renamed into place on commit. `close()` without commit removes what this
 * destination added.
 */
import { lstat, mkdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { digestOf, verifyBytes, type Digest } from '../../core/index.js';
import { MediaTypes, detectManifestMediaType } from '../../manifest/index.js';
import { TransportError, isErrnoCode } from '../errors.js';
import { fsyncDir, makeTempDirBeside, removePath, writeFileAtomic, writeStreamAtomic } from '../fs-atomic.js';
import type { BlobInfo, ImageDestination, ImageReference } from '../types.js';
import { checkOciLayoutFile, emptyIndexDocument, readLayoutIndex, upsertIndexEntry } from './index-file.js';
import { REF_NAME_ANNOTATION, blobDir, blobPath, blobsDir, indexPath, ociLayoutContent, ociLayoutPath } from './layout.js';

type State = 'open' | 'committed' | 'closed';

interface TopLevelManifest {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
}

const supportedTypes: readonly string[] = Object.freeze([MediaTypes.ociManifest, MediaTypes.ociIndex]);

export class OciImageDestination implements ImageDestination {
  readonly reference: ImageReference;
  /** Where the layout ends up. */
  private readonly finalDir: string;
  /** Where it is written: `finalDir` itself, or a new directory beside it when the layout is new. */
  private readonly workDir: string;
  private readonly fresh: boolean;
  private readonly refName: string;
  /** Blob files and directories this destination created in an existing layout, for rollback. */
  private readonly createdFiles = new Set<string>();
  private readonly createdDirs = new Set<string>();
  private topLevel: TopLevelManifest | undefined;
  private state: State = 'open';

  private constructor(reference: ImageReference, finalDir: string, workDir: string, fresh: boolean, refName: string) {
    this.reference = reference;
    this.finalDir = finalDir;
    this.workDir = workDir;
    this.fresh = fresh;
    this.refName = refName;
  }

  /**
   * Open the layout at `dir` for writing the image named `refName` ('' for an unnamed entry). An existing
   * layout must be valid (`INVALID_LAYOUT` otherwise); a missing one is created on commit.
   */
  static async open(reference: ImageReference, dir: string, refName: string): Promise<OciImageDestination> {
    let exists = true;
    try {
      if (!(await lstat(dir)).isDirectory()) {
        throw new TransportError('INVALID_LAYOUT', `${reference.toString()}: ${dir} exists and is not a directory`, { path: dir });
      }
    } catch (err) {
      if (!isErrnoCode(err, 'ENOENT')) throw err;
      exists = false;
    }
    if (exists) {
      // Fail early on a malformed layout rather than at commit.
      await checkOciLayoutFile(dir);
      await readLayoutIndex(dir);
      return new OciImageDestination(reference, dir, dir, false, refName);
    }
    const workDir = await makeTempDirBeside(dir);
    try {
      await mkdir(blobsDir(workDir));
    } catch (err) {
      await removePath(workDir);
      throw err;
    }
    return new OciImageDestination(reference, dir, workDir, true, refName);
  }

  supportedManifestMediaTypes(): readonly string[] | undefined {
    return supportedTypes;
  }

  supportsSignatures(): boolean {
    return false;
  }

  async tryReusingBlob(info: BlobInfo): Promise<boolean> {
    this.assertOpen('tryReusingBlob');
    return this.hasBlob(info.digest, info.size);
  }

  async putBlob(stream: Readable, info: BlobInfo): Promise<void> {
    this.assertOpen('putBlob');
    if (await this.hasBlob(info.digest, info.size)) {
      // Already stored: consume the stream so the caller's pipeline (and its verification) completes.
      for await (const _chunk of stream) {
        // discard
      }
      return;
    }
    const path = blobPath(this.workDir, info.digest);
    const existed = await pathExists(path);
    await this.ensureBlobDir(info.digest);
    await writeStreamAtomic(path, stream);
    if (!existed) this.createdFiles.add(path);
  }

  async putManifest(bytes: Buffer, mediaType: string, instanceDigest?: Digest): Promise<void> {
    this.assertOpen('putManifest');
    let digest: Digest;
    if (instanceDigest !== undefined) {
      verifyBytes(bytes, instanceDigest, `manifest of instance ${instanceDigest}`);
      digest = instanceDigest;
    } else {
      digest = digestOf(bytes);
    }
    if (!(await this.hasBlob(digest, bytes.length))) {
      const path = blobPath(this.workDir, digest);
      const existed = await pathExists(path);
      await this.ensureBlobDir(digest);
      await writeFileAtomic(path, bytes);
      if (!existed) this.createdFiles.add(path);
    }
    if (instanceDigest === undefined) {
      this.topLevel = { digest, size: bytes.length, mediaType: mediaType || detectManifestMediaType(bytes) };
    }
  }

  async putSignatures(signatures: readonly Buffer[], _instanceDigest?: Digest): Promise<void> {
    this.assertOpen('putSignatures');
    if (signatures.length > 0) {
      throw new TransportError('UNSUPPORTED_OPERATION', `${this.reference.toString()}: oci: layouts cannot store signatures`);
    }
  }

  async commit(): Promise<void> {
    this.assertOpen('commit');
    const top = this.topLevel;
    if (top === undefined) throw new TransportError('INVALID_STATE', `${this.reference.toString()}: commit without a manifest`);

    const document = (await readLayoutIndex(this.workDir))?.document ?? emptyIndexDocument();
    const entry: Record<string, unknown> = { mediaType: top.mediaType, digest: top.digest, size: top.size };
    if (this.refName !== '') entry.annotations = { [REF_NAME_ANNOTATION]: this.refName };
    upsertIndexEntry(document, entry);

    if (!(await checkOciLayoutFile(this.workDir))) await writeFileAtomic(ociLayoutPath(this.workDir), ociLayoutContent());
    await writeFileAtomic(indexPath(this.workDir), JSON.stringify(document));

    if (this.fresh) {
      try {
        await rename(this.workDir, this.finalDir);
      } catch (err) {
        if (isErrnoCode(err, 'ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR')) {
          throw new TransportError(
            'DESTINATION_NOT_EMPTY',
            `${this.reference.toString()}: ${this.finalDir} appeared while the layout was being written; not replacing it`,
            { cause: err, path: this.finalDir },
          );
        }
        throw err;
      }
      await fsyncDir(dirname(this.finalDir));
    }
    this.state = 'committed';
  }

  async close(): Promise<void> {
    if (this.state === 'open') {
      if (this.fresh) {
        await removePath(this.workDir);
      } else {
        for (const file of this.createdFiles) await unlink(file).catch(() => undefined);
        const deepestFirst = [...this.createdDirs].sort((a, b) => b.length - a.length);
        for (const dir of deepestFirst) await rmdir(dir).catch(() => undefined);
      }
    }
    this.state = 'closed';
  }

  /** True if the blob is present with the expected size (any size when `size` is -1). */
  private async hasBlob(digest: Digest, size: number): Promise<boolean> {
    try {
      const st = await stat(blobPath(this.workDir, digest));
      return st.isFile() && (size < 0 || st.size === size);
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) return false;
      throw err;
    }
  }

  private async ensureBlobDir(digest: Digest): Promise<void> {
    for (const dir of [blobsDir(this.workDir), blobDir(this.workDir, digest)]) {
      try {
        await mkdir(dir);
        this.createdDirs.add(dir);
      } catch (err) {
        if (!isErrnoCode(err, 'EEXIST')) throw err;
      }
    }
  }

  private assertOpen(operation: string): void {
    if (this.state !== 'open') {
      throw new TransportError('INVALID_STATE', `${this.reference.toString()}: ${operation} after the destination was ${this.state}`);
    }
  }
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT')) return false;
    throw err;
  }
}
