/** docker: images in registries speaking the OCI distribution API, and the registry client behind them. */
export { dockerTransport, DockerImageReference, parseDockerReference, newDockerImageReference } from './transport.js';
export type { DockerOpenOptions } from './transport.js';
export { DockerImageSource } from './source.js';
export { DockerImageDestination } from './destination.js';
export { RegistryClient, registryApiHost, repositoryScope, checkRepositoryPath, withDigestQuery } from './client.js';
export type {
  RepositoryRef,
  RetryOptions,
  RegistryClientOptions,
  PingResult,
  HttpMethod,
  RegistryRequest,
  RegistryResponse,
  ManifestHead,
  PutBlobOptions,
  ListTagsOptions,
} from './client.js';
export { listReferrers, attachReferrer, referrersTagFor } from './referrers.js';
export type { ReferrersList, ReferrersSource, ReferrerToAttach } from './referrers.js';
export { RegistryError, AuthFileError, OCI_ERROR_CODES, isOciErrorCode, isNotFoundError } from './errors.js';
export type { RegistryErrorCode, OciErrorCode, AuthFileErrorCode, RegistryErrorDetails } from './errors.js';
export { findCredentials, authFileLocations, authKeyLookupOrder, normalizeAuthFileKey } from './auth-file.js';
export type { RegistryCredentials, AuthFileLocation } from './auth-file.js';
export { parseChallenges, parseScope } from './www-authenticate.js';
export type { Challenge, ScopeParts } from './www-authenticate.js';
