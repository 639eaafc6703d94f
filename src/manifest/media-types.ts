/** Media types of manifests, configs and layers (OCI image-spec and Docker distribution). */

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',

  dockerV2S2Manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',

  dockerV2S1Manifest: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerV2S1SignedManifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** Every manifest media type Signet reads, most preferred first (for an HTTP `Accept` header). */
export const ALL_MANIFEST_MEDIA_TYPES: readonly string[] = Object.freeze([
  MediaTypes.ociIndex,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifestList,
  MediaTypes.dockerV2S2Manifest,
  MediaTypes.dockerV2S1SignedManifest,
  MediaTypes.dockerV2S1Manifest,
]);

/** True for the two multi-image types (OCI index, Docker manifest list). */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList;
}

/** True for the two schema-1 types (signed or not). */
export function isSchema1MediaType(mediaType: string): boolean {
  return mediaType === MediaTypes.dockerV2S1Manifest || mediaType === MediaTypes.dockerV2S1SignedManifest;
}

/** True for every manifest type in `ALL_MANIFEST_MEDIA_TYPES`. */
export function isManifestMediaType(mediaType: string): boolean {
  return ALL_MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/**
 * The bare media type of a `Content-Type` style value: parameters dropped, whitespace trimmed, lower case
 * (`application/vnd.oci.image.manifest.v1+json; charset=utf-8` → `application/vnd.oci.image.manifest.v1+json`).
 */
export function bareMediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
}
