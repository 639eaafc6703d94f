/** transports: where images live (docker registries, dir:, oci:, oci-archive:) behind one interface. */
export type {
  SystemContext,
  BlobInfo,
  ImageTransport,
  ImageReference,
  ImageSource,
  ImageDestination,
  ManifestBytes,
  BlobStream,
} from './types.js';
export { parseImageName, findTransport, listTransports } from './registry.js';
export { dirTransport } from './dir/index.js';
export { ociTransport } from './oci/index.js';
export { ociArchiveTransport } from './oci-archive/index.js';
export { dockerTransport, RegistryClient } from './docker/index.js';
export { DirReference } from './dir/index.js';
export { DockerImageSource, RegistryError } from './docker/index.js';
export type { RegistryErrorCode } from './docker/index.js';
export { writeFileAtomic, fsyncDir, remainderAfter } from './fs-atomic.js';
export { isErrnoCode } from './errors.js';
export { openImage } from './open.js';
export type { OpenedImage } from './open.js';
export { isNotFoundError, listReferrers, attachReferrer, referrersTagFor } from './docker/index.js';
export type { ReferrersList, ReferrersSource, ReferrerToAttach, RepositoryRef } from './docker/index.js';
