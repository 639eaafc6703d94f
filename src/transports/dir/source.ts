/** Reading an image from a `dir:` directory. */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { CoreInputError, limits, verifyBytes, type Digest } from '../../core/index.js';
import { detectManifestMediaType } from '../../manifest/index.js';
import { TransportError, fileSystemError, isErrnoCode } from '../errors.js';
import { blobReadChunkBytes, readFileCapped } from '../fs-atomic.js';
import type { BlobInfo, BlobStream, ImageReference, ImageSource, ManifestBytes } from '../types.js';
import { blobPath, manifestPath, signaturePath } from './layout.js';

export class DirImageSource implements ImageSource {
  readonly reference: ImageReference;
  private readonly dir: string;

  private constructor(reference: ImageReference, dir: string) {
    this.reference = reference;
    this.dir = dir;
  }

  /** Opens `dir`, which must be a directory holding a `manifest.json`; otherwise `IMAGE_NOT_FOUND`. */
  static async open(reference: ImageReference, dir: string): Promise<DirImageSource> {
    let isDir: boolean;
    try {
      isDir = (await stat(dir)).isDirectory();
    } catch (err) {
      throw fileSystemError(err, dir, `${reference.toString()}: directory`);
    }
    if (!isDir) {
      throw new TransportError('PATH_NOT_FOUND', `${reference.toString()}: ${dir} is not a directory`, { path: dir });
    }
    const manifest = manifestPath(dir);
    try {
      await stat(manifest);
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) {
        throw new TransportError('IMAGE_NOT_FOUND', `${reference.toString()}: no image in ${dir} (${manifest} does not exist)`, {
          cause: err,
          path: manifest,
        });
      }
      throw fileSystemError(err, manifest, reference.toString());
    }
    return new DirImageSource(reference, dir);
  }

  async getManifest(instanceDigest?: Digest): Promise<ManifestBytes> {
    const path = manifestPath(this.dir, instanceDigest);
    const what = instanceDigest === undefined ? `manifest ${path}` : `manifest ${instanceDigest} (${path})`;
    const bytes = await readFileCapped(path, limits.manifestBytes, what);
    if (bytes === undefined) {
      const message =
        instanceDigest === undefined
          ? `${this.reference.toString()}: ${path} does not exist`
          : `${this.reference.toString()}: no manifest for instance ${instanceDigest} (${path} does not exist)`;
      throw new TransportError('IMAGE_NOT_FOUND', message, { path });
    }
    if (instanceDigest !== undefined) verifyBytes(bytes, instanceDigest, what);
    return { bytes, mediaType: detectManifestMediaType(bytes) };
  }

  async getBlob(info: BlobInfo): Promise<BlobStream> {
    const path = blobPath(this.dir, info.digest);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) {
        throw new TransportError('BLOB_NOT_FOUND', `${this.reference.toString()}: blob ${info.digest} not found (${path} does not exist)`, {
          cause: err,
          path,
        });
      }
      throw fileSystemError(err, path, `${this.reference.toString()}: blob ${info.digest}`);
    }
    try {
      const size = (await handle.stat()).size;
      return { stream: handle.createReadStream({ highWaterMark: blobReadChunkBytes }), size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async getSignatures(instanceDigest?: Digest): Promise<Buffer[]> {
    const signatures: Buffer[] = [];
    for (let i = 0; ; i++) {
      const path = signaturePath(this.dir, i, instanceDigest);
      const bytes = await readFileCapped(path, limits.signatureBytes, `signature ${path}`);
      if (bytes === undefined) break;
      if (i >= limits.signatureCount) {
        throw new CoreInputError(
          'TOO_LARGE',
          `${this.reference.toString()}: more than ${limits.signatureCount} signatures (found ${path})`,
        );
      }
      signatures.push(bytes);
    }
    return signatures;
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }
}
