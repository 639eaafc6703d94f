/** Opening an image for reading with its top-level manifest already checked against the digest that names it. */
import { IntegrityError, type Digest } from '../core/index.js';
import { manifestDigest, matchesDigest } from '../manifest/index.js';
import type { ImageReference, ImageSource, SystemContext } from './types.js';

export interface OpenedImage {
  /** The open source; the caller closes it. */
  readonly source: ImageSource;
  /** The top-level manifest as stored, and its digest (schema-1 aware): the digest signatures name. */
  readonly manifest: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

export async function openImage(ref: ImageReference, ctx: SystemContext = {}): Promise<OpenedImage> {
  const source = await ref.newImageSource(ctx);
  try {
    const { bytes, mediaType } = await source.getManifest();
    const digest = manifestDigest(bytes);
    const named = ref.dockerReference?.digest;
    if (named !== undefined && !matchesDigest(bytes, named)) {
      throw new IntegrityError('DIGEST_MISMATCH', `manifest: digest mismatch: expected ${named}, got ${digest}`, named, digest);
    }
    return { source, manifest: bytes, mediaType, digest };
  } catch (err) {
    await source.close();
    throw err;
  }
}
