/**
 * The OCI image layout (image-spec `image-layout.md`), every name relative to the layout directory:
 *
 *   LAYOUT/
 *   ├── oci-layout              {"imageLayoutVersion":"1.0.0"}
 *   ├── index.json              an OCI index; each entry is one image (or index), named by the
 *   │                           `org.opencontainers.image.ref.name` annotation
 *   └── blobs/
 *       └── <alg>/<hex>         every blob: manifests, indexes, configs and layers, by digest
 *
 * Digests are validated before they are turned into paths, so no path can escape `blobs/`.
 */
import { join } from 'node:path';
import { digestAlgorithm, digestHex, parseDigest, type Digest } from '../../core/index.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const BLOBS_DIR = 'blobs';
export const IMAGE_LAYOUT_VERSION = '1.0.0';
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export function ociLayoutPath(dir: string): string {
  return join(dir, OCI_LAYOUT_FILE);
}

export function indexPath(dir: string): string {
  return join(dir, INDEX_FILE);
}

export function blobsDir(dir: string): string {
  return join(dir, BLOBS_DIR);
}

export function blobDir(dir: string, digest: Digest): string {
  return join(dir, BLOBS_DIR, digestAlgorithm(parseDigest(digest, 'blob digest')));
}

export function blobPath(dir: string, digest: Digest): string {
  const checked = parseDigest(digest, 'blob digest');
  return join(dir, BLOBS_DIR, digestAlgorithm(checked), digestHex(checked));
}

/** `oci-layout` file content for a new layout. */
export function ociLayoutContent(): string {
  return JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION });
}
