/** The parsed forms of the five manifest formats, as a tagged union on `kind`. */
import type { Digest } from '../core/index.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  /** Docker manifest lists only; OCI dropped it. */
  features?: string[];
}

/** A content descriptor (OCI) or its Docker schema-2 subset (mediaType, size, digest, urls). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Only on the entries of an index or manifest list. */
  platform?: Platform;
  artifactType?: string;
  /** OCI embedded content, base64; checked against `digest` and `size` when parsed. */
  data?: string;
}

interface ManifestBase {
  /** The effective media type: the one the transport reported, or the detected one. */
  mediaType: string;
  /** The exact bytes that were parsed; digests are computed over these. */
  raw: Buffer;
}

export interface OciManifest extends ManifestBase {
  kind: 'oci-manifest';
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface DockerV2S2Manifest extends ManifestBase {
  kind: 'docker-v2s2';
  config: Descriptor;
  layers: Descriptor[];
}

export interface OciIndex extends ManifestBase {
  kind: 'oci-index';
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface DockerManifestList extends ManifestBase {
  kind: 'docker-list';
  manifests: Descriptor[];
}

export interface Schema1FsLayer {
  blobSum: Digest;
}

export interface Schema1History {
  v1Compatibility: string;
}

export interface DockerV2S1Manifest extends ManifestBase {
  kind: 'docker-v2s1';
  name: string;
  tag: string;
  architecture: string;
  /** Top-most layer first, as in the manifest. */
  fsLayers: Schema1FsLayer[];
  /** Parallel to `fsLayers`. */
  history: Schema1History[];
  /** Whether the manifest carries a JWS `signatures` member. */
  signed: boolean;
}

export type Manifest = OciManifest | DockerV2S2Manifest | OciIndex | DockerManifestList | DockerV2S1Manifest;
/** A manifest of one image (as opposed to an index of several). */
export type ImageManifest = OciManifest | DockerV2S2Manifest | DockerV2S1Manifest;
/** An OCI index or Docker manifest list. */
export type IndexManifest = OciIndex | DockerManifestList;
export type ManifestKind = Manifest['kind'];

/** A blob named by a manifest, structurally compatible with the transports' `BlobInfo`. */
export interface BlobRef {
  digest: Digest;
  /** Byte count, or -1 when the manifest does not say (schema 1). */
  size: number;
  mediaType?: string;
  urls?: string[];
  annotations?: Record<string, string>;
}

export interface ImageBlobs {
  /** The config blob; undefined for schema 1, which has none. */
  config: BlobRef | undefined;
  /** Base layer first. May contain duplicates, which are meaningful. */
  layers: BlobRef[];
}
