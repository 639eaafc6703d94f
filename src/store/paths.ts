/**
 * The registry's on-disk layout, all of it. Everything lives under one storage root:
 *
 *   <root>/
 *   ├── blobs/
 *   │   └── sha256/
 *   │       └── ab/
 *   │           └── ab12…ef          a committed blob, named by its digest's hex; immutable once here
 *   ├── uploads/
 *   │   └── <upload id>              the bytes received so far for an upload in progress
 *   └── signet.db                    the SQLite metadata (the default; PostgreSQL keeps it elsewhere)
 *
 * A blob reaches `blobs/` only by a rename of a complete upload file that was flushed to disk and whose digest
 * was checked, so a reader never sees part of a blob. Manifests and signatures are metadata and live in the
 * database. Upload ids are generated here and are the only names derived from client input besides digests,
 * which are validated before they become paths.
 */
import { join } from 'node:path';
import { digestAlgorithm, digestHex, type Digest } from '../core/index.js';

export interface StorePaths {
  readonly root: string;
  readonly blobsDir: string;
  readonly uploadsDir: string;
  readonly defaultDatabase: string;
  blob(digest: Digest): string;
  blobDir(digest: Digest): string;
  upload(id: string): string;
}

const uploadIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `id` has the shape of an upload id this store issues (a UUID); anything else is unknown. */
export function isUploadId(id: string): boolean {
  return uploadIdPattern.test(id);
}

export function storePaths(root: string): StorePaths {
  const blobsDir = join(root, 'blobs');
  const uploadsDir = join(root, 'uploads');
  const blobDir = (digest: Digest): string => join(blobsDir, digestAlgorithm(digest), digestHex(digest).slice(0, 2));
  return {
    root,
    blobsDir,
    uploadsDir,
    defaultDatabase: join(root, 'signet.db'),
    blob: (digest) => join(blobDir(digest), digestHex(digest)),
    blobDir,
    upload: (id) => {
      if (!isUploadId(id)) throw new Error(`not an upload id: ${id}`);
      return join(uploadsDir, id);
    },
  };
}
