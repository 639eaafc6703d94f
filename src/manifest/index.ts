/** manifest: media types, parsing, digests, platform choice and format conversion of image manifests. No I/O. */
export {
  MediaTypes,
  ALL_MANIFEST_MEDIA_TYPES,
  isIndexMediaType,
  isSchema1MediaType,
  isManifestMediaType,
  bareMediaType,
} from './media-types.js';
export type {
  Platform,
  Descriptor,
  Manifest,
  ManifestKind,
  ImageManifest,
  IndexManifest,
  OciManifest,
  DockerV2S2Manifest,
  OciIndex,
  DockerManifestList,
  DockerV2S1Manifest,
  Schema1FsLayer,
  Schema1History,
  BlobRef,
  ImageBlobs,
} from './manifest.types.js';
export { ManifestError } from './errors.js';
export type { ManifestErrorCode } from './errors.js';
export { detectManifestMediaType } from './detect.js';
export { parseManifest, effectiveManifestMediaType, isIndexManifest } from './parse.js';
export { MAX_DESCRIPTOR_SIZE } from './validate.js';
export { manifestDigest, matchesDigest, schema1Payload } from './digest.js';
export { currentPlatform, wantedPlatforms, choosePlatformInstance } from './platform.js';
export type { PlatformChoice, ChooseInstanceOptions } from './platform.js';
export { imageBlobs } from './blobs.js';
export { convertManifest, convertIndex, preferredConversionTarget, conversionReencodesConfig } from './convert.js';
export type { InstanceUpdate, ConvertIndexOptions, ConvertManifestOptions } from './convert.js';
export { ociConfigView, renderOciConfig, convertConfigToOci } from './config.js';
export { serializeOciManifest, serializeOciIndex, serializeDockerList } from './serialize.js';
export type { OciManifestParts, OciIndexParts } from './serialize.js';
