/**
 * Reading an image from an OCI layout. The manifest named by `index.json` is checked against the digest and
 * size of its descriptor before it is returned; so is every instance manifest fetched by digest.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { CoreInputError, IntegrityError, limits, verifyBytes, type Digest } from '../../core/index.js';
import { MediaTypes, detectManifestMediaType, parseManifest, type Descriptor } from '../../manifest/index.js';
import { TransportError, fileSystemError, isErrnoCode } from '../errors.js';
import { blobReadChunkBytes, readFileCapped } from '../fs-atomic.js';
import type { BlobInfo, BlobStream, ImageReference, ImageSource, ManifestBytes } from '../types.js';
import { checkOciLayoutFile, readLayoutIndex } from './index-file.js';
import { REF_NAME_ANNOTATION, blobPath, indexPath } from './layout.js';

/** Which entry of `index.json` to read: by ref name, by position, or the only one. */
export interface ImageSelector {
  /** '' for none. */
  readonly refName: string;
  /** -1 for none. */
  readonly sourceIndex: number;
}

const readableManifestTypes: readonly string[] = [
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
  MediaTypes.dockerV2S2Manifest,
  MediaTypes.dockerManifestList,
];

export class OciImageSource implements ImageSource {
  readonly reference: ImageReference;
  private readonly dir: string;
  /** The `index.json` entry this source reads. */
  readonly descriptor: Descriptor;
  /** Every descriptor whose size and type we know: index.json entries, then (once read) the image's own index. */
  private readonly known: Descriptor[];
  private topLevel: ManifestBytes | undefined;

  private constructor(reference: ImageReference, dir: string, descriptor: Descriptor, indexEntries: Descriptor[]) {
    this.reference = reference;
    this.dir = dir;
    this.descriptor = descriptor;
    this.known = [...indexEntries];
  }

  /**
   * Open the layout at `dir`. `location` names it in messages (the directory, or the archive it came from).
   * Throws `IMAGE_NOT_FOUND` when there is no layout or no matching entry, `INVALID_LAYOUT` when the
   * layout's files are malformed, `AMBIGUOUS_IMAGE` when no ref is given and there are several images.
   */
  static async open(reference: ImageReference, dir: string, selector: ImageSelector, location = dir): Promise<OciImageSource> {
    const name = reference.toString();
    try {
      if (!(await stat(dir)).isDirectory()) {
        throw new TransportError('PATH_NOT_FOUND', `${name}: ${location} is not a directory`, { path: dir });
      }
    } catch (err) {
      if (err instanceof TransportError) throw err;
      throw fileSystemError(err, location, name);
    }
    const hasLayoutFile = await checkOciLayoutFile(dir);
    const index = await readLayoutIndex(dir);
    if (index === undefined) {
      throw new TransportError('IMAGE_NOT_FOUND', `${name}: ${location} is not an OCI layout (it has no index.json)`, { path: indexPath(dir) });
    }
    if (!hasLayoutFile) {
      throw new TransportError('INVALID_LAYOUT', `${name}: ${location} has an index.json but no oci-layout file`, { path: dir });
    }
    const entries = index.parsed.manifests;
    const descriptor = selectEntry(name, location, entries, selector);
    if (!readableManifestTypes.includes(descriptor.mediaType)) {
      throw new TransportError(
        'INVALID_LAYOUT',
        `${name}: the index.json entry for ${descriptor.digest} has media type "${descriptor.mediaType}", not an image manifest or index`,
        { path: indexPath(dir) },
      );
    }
    return new OciImageSource(reference, dir, descriptor, entries);
  }

  async getManifest(instanceDigest?: Digest): Promise<ManifestBytes> {
    if (instanceDigest === undefined) {
      if (this.topLevel === undefined) {
        const bytes = await this.readManifestBlob(this.descriptor.digest, this.descriptor.size);
        this.topLevel = { bytes, mediaType: this.descriptor.mediaType || detectManifestMediaType(bytes) };
        this.learnInstances(this.topLevel);
      }
      return this.topLevel;
    }
    if (this.topLevel === undefined) await this.getManifest();
    const known = this.known.find((d) => d.digest === instanceDigest);
    const bytes = await this.readManifestBlob(instanceDigest, known?.size ?? -1);
    return { bytes, mediaType: known?.mediaType || detectManifestMediaType(bytes) };
  }

  async getBlob(info: BlobInfo): Promise<BlobStream> {
    const path = blobPath(this.dir, info.digest);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw this.missingBlob(info.digest, path, err, (info.urls?.length ?? 0) > 0);
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      return { stream: handle.createReadStream({ highWaterMark: blobReadChunkBytes }), size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async getSignatures(): Promise<Buffer[]> {
    return [];
  }

  async close(): Promise<void> {
    // Nothing held open between calls.
  }

  /** Read a manifest blob and check it against `digest` and (when known) `size` before returning it. */
  private async readManifestBlob(digest: Digest, size: number): Promise<Buffer> {
    const path = blobPath(this.dir, digest);
    const what = `manifest ${digest}`;
    if (size > limits.manifestBytes) {
      throw new CoreInputError('TOO_LARGE', `${what} in ${this.reference.toString()} is ${size} bytes, over the limit of ${limits.manifestBytes}`);
    }
    const bytes = await readFileCapped(path, limits.manifestBytes, `${what} (${path})`);
    if (bytes === undefined) throw this.missingBlob(digest, path, undefined, false);
    if (size >= 0 && bytes.length !== size) {
      throw new IntegrityError(
        'SIZE_MISMATCH',
        `${what} (${path}): size mismatch: expected ${size} bytes, got ${bytes.length}`,
        String(size),
        String(bytes.length),
      );
    }
    verifyBytes(bytes, digest, `${what} (${path})`);
    return bytes;
  }

  /**
   * When the image is an index, remember its entries so instance manifests are read with a known size. A
   * malformed index is left for the caller's own parse to report; the raw bytes are still returned.
   */
  private learnInstances(top: ManifestBytes): void {
    if (top.mediaType !== MediaTypes.ociIndex && top.mediaType !== MediaTypes.dockerManifestList) return;
    let parsed;
    try {
      parsed = parseManifest(top.bytes, top.mediaType);
    } catch {
      return;
    }
    if (parsed.kind === 'oci-index' || parsed.kind === 'docker-list') this.known.unshift(...parsed.manifests);
  }

  private missingBlob(digest: Digest, path: string, cause: unknown, hasUrls: boolean): TransportError {
    const note = hasUrls ? '; external URLs of non-distributable layers are not fetched' : '';
    return new TransportError('BLOB_NOT_FOUND', `${this.reference.toString()}: blob ${digest} not found (${path} does not exist${note})`, {
      cause,
      path,
    });
  }
}

function selectEntry(name: string, location: string, entries: readonly Descriptor[], selector: ImageSelector): Descriptor {
  if (selector.sourceIndex >= 0) {
    const entry = entries[selector.sourceIndex];
    if (entry === undefined) {
      throw new TransportError(
        'IMAGE_NOT_FOUND',
        `${name}: index @${selector.sourceIndex} is out of range; ${location} has ${entries.length} entries in index.json`,
      );
    }
    return entry;
  }
  if (selector.refName !== '') {
    const matches = entries.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === selector.refName);
    const match = matches.find((d) => readableManifestTypes.includes(d.mediaType)) ?? matches[0];
    if (match === undefined) {
      const names = entries.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => n !== undefined);
      const available = names.length > 0 ? `available: ${names.join(', ')}` : 'no entry has a ref name';
      throw new TransportError('IMAGE_NOT_FOUND', `${name}: no image named "${selector.refName}" in ${location} (${available})`);
    }
    return match;
  }
  if (entries.length === 0) throw new TransportError('IMAGE_NOT_FOUND', `${name}: ${location} holds no images`);
  if (entries.length > 1) {
    const names = entries.map((d) => d.annotations?.[REF_NAME_ANNOTATION] ?? d.digest);
    throw new TransportError(
      'AMBIGUOUS_IMAGE',
      `${name}: ${location} holds ${entries.length} images; choose one with PATH:REF or PATH:@N (${names.join(', ')})`,
    );
  }
  return entries[0] as Descriptor;
}
