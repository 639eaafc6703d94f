/**
 * `oci-archive:` source and destination. A source extracts the archive into a private temporary directory
 * and reads it as an OCI layout; a destination writes a layout into a temporary directory and, on commit,
 * streams it into a tar file beside the target that is renamed into place.
 */
import { mkdtemp, lstat, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Digest } from '../../core/index.js';
import { OciImageDestination, OciImageSource } from '../oci/index.js';
import { TransportError, fileSystemError, isErrnoCode } from '../errors.js';
import { removePath, writeStreamAtomic } from '../fs-atomic.js';
import type { BlobInfo, BlobStream, ImageDestination, ImageReference, ImageSource, ManifestBytes } from '../types.js';
import { packDirectory, tarBytes } from './tar.js';
import { extractArchive } from './untar.js';

async function makeWorkDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'signet-oci-archive-'));
}

export class OciArchiveImageSource implements ImageSource {
  readonly reference: ImageReference;
  private readonly layout: OciImageSource;
  private readonly workDir: string;

  private constructor(reference: ImageReference, layout: OciImageSource, workDir: string) {
    this.reference = reference;
    this.layout = layout;
    this.workDir = workDir;
  }

  static async open(reference: ImageReference, archive: string, refName: string): Promise<OciArchiveImageSource> {
    try {
      if (!(await stat(archive)).isFile()) {
        throw new TransportError('PATH_NOT_FOUND', `${reference.toString()}: ${archive} is not a file`, { path: archive });
      }
    } catch (err) {
      if (err instanceof TransportError) throw err;
      throw fileSystemError(err, archive, `${reference.toString()}: archive`);
    }
    const workDir = await makeWorkDir();
    try {
      await extractArchive(archive, workDir);
      const layout = await OciImageSource.open(reference, workDir, { refName, sourceIndex: -1 }, `archive ${archive}`);
      return new OciArchiveImageSource(reference, layout, workDir);
    } catch (err) {
      await removePath(workDir);
      throw err;
    }
  }

  getManifest(instanceDigest?: Digest): Promise<ManifestBytes> {
    return this.layout.getManifest(instanceDigest);
  }

  getBlob(info: BlobInfo): Promise<BlobStream> {
    return this.layout.getBlob(info);
  }

  getSignatures(): Promise<Buffer[]> {
    return this.layout.getSignatures();
  }

  async close(): Promise<void> {
    await this.layout.close();
    await removePath(this.workDir);
  }
}

export class OciArchiveImageDestination implements ImageDestination {
  readonly reference: ImageReference;
  private readonly archive: string;
  private readonly layout: OciImageDestination;
  private readonly workDir: string;
  private readonly layoutDir: string;

  private constructor(reference: ImageReference, archive: string, layout: OciImageDestination, workDir: string, layoutDir: string) {
    this.reference = reference;
    this.archive = archive;
    this.layout = layout;
    this.workDir = workDir;
    this.layoutDir = layoutDir;
  }

  /** The archive is (re)written with only this image, as containers/image does. */
  static async open(reference: ImageReference, archive: string, refName: string): Promise<OciArchiveImageDestination> {
    try {
      if ((await lstat(archive)).isDirectory()) {
        throw new TransportError('DESTINATION_NOT_EMPTY', `${reference.toString()}: ${archive} is a directory, not an archive file`, {
          path: archive,
        });
      }
    } catch (err) {
      if (!isErrnoCode(err, 'ENOENT')) throw err;
    }
    const workDir = await makeWorkDir();
    try {
      const layoutDir = join(workDir, 'layout');
      const layout = await OciImageDestination.open(reference, layoutDir, refName);
      return new OciArchiveImageDestination(reference, archive, layout, workDir, layoutDir);
    } catch (err) {
      await removePath(workDir);
      throw err;
    }
  }

  supportedManifestMediaTypes(): readonly string[] | undefined {
    return this.layout.supportedManifestMediaTypes();
  }

  supportsSignatures(): boolean {
    return false;
  }

  tryReusingBlob(info: BlobInfo): Promise<boolean> {
    return this.layout.tryReusingBlob(info);
  }

  putBlob(stream: Readable, info: BlobInfo): Promise<void> {
    return this.layout.putBlob(stream, info);
  }

  putManifest(bytes: Buffer, mediaType: string, instanceDigest?: Digest): Promise<void> {
    return this.layout.putManifest(bytes, mediaType, instanceDigest);
  }

  putSignatures(signatures: readonly Buffer[], instanceDigest?: Digest): Promise<void> {
    return this.layout.putSignatures(signatures, instanceDigest);
  }

  async commit(): Promise<void> {
    await this.layout.commit();
    const pack = packDirectory(this.layoutDir);
    try {
      await writeStreamAtomic(this.archive, tarBytes(pack));
    } finally {
      if (!pack.destroyed) pack.destroy();
    }
  }

  async close(): Promise<void> {
    await this.layout.close();
    await removePath(this.workDir);
  }
}
