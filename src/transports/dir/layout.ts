/**
 * The on-disk layout of the `dir:` transport (skopeo's), every name relative to the image directory:
 *
 *   DIR/
 *   ├── version                  "Directory Transport Version: 1.1\n"
 *   ├── manifest.json            the top-level manifest (an image manifest, or an index for `--all` copies)
 *   ├── signature-1 … -N         signatures of the top-level manifest, numbered from 1 without gaps
 *   ├── <hex>                    every blob (config, layers), named by the hex part of its digest
 *   ├── <hex>.manifest.json      the manifest of each instance of an index, named by its digest's hex
 *   └── <hex>.signature-1 … -N   signatures of that instance
 *
 * The algorithm is not part of blob names (as in containers/image); digests are validated before they are
 * turned into names, so no name can contain a path separator.
 */
import { join } from 'node:path';
import { digestHex, parseDigest, type Digest } from '../../core/index.js';

export const DIR_VERSION = 'Directory Transport Version: 1.1\n';

export function versionPath(dir: string): string {
  return join(dir, 'version');
}

export function manifestPath(dir: string, instanceDigest?: Digest): string {
  if (instanceDigest === undefined) return join(dir, 'manifest.json');
  return join(dir, `${digestHex(parseDigest(instanceDigest, 'instance digest'))}.manifest.json`);
}

export function blobPath(dir: string, digest: Digest): string {
  return join(dir, digestHex(parseDigest(digest, 'blob digest')));
}

/** Path of signature number `index` (zero-based; the file name counts from 1). */
export function signaturePath(dir: string, index: number, instanceDigest?: Digest): string {
  const name = `signature-${index + 1}`;
  if (instanceDigest === undefined) return join(dir, name);
  return join(dir, `${digestHex(parseDigest(instanceDigest, 'instance digest'))}.${name}`);
}
