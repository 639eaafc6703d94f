/**
 * The OCI referrer that carries a sigstore bundle, as cosign v3 attaches it to an image: an OCI image manifest with
 * `artifactType` = the bundle media type, the empty config (`application/vnd.oci.empty.v1+json`, `{}`), one layer =
 * the bundle JSON, `subject` = the image, and the annotations `dev.sigstore.bundle.content: dsse-envelope`,
 * `dev.sigstore.bundle.predicateType` and `org.opencontainers.image.created`. Pure: building and reading manifests.
 */
import { CodedError, digestOf, limits, type Digest } from '../core/index.js';
import { MediaTypes, parseManifest, serializeOciManifest, type Descriptor } from '../manifest/index.js';
import { SignatureVerificationError } from './errors.js';
import { COSIGN_SIGN_PREDICATE_TYPE, SIGSTORE_BUNDLE_MEDIA_TYPE, SIGSTORE_BUNDLE_MEDIA_TYPES } from './sigstore-bundle.js';

export const BundleAnnotations = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const;

/** The OCI empty JSON blob, the config of an artifact manifest. */
export const OCI_EMPTY_JSON: Buffer = Buffer.from('{}', 'utf8');

export interface BundleReferrerOptions {
  /** The image the bundle is about: its manifest's media type, digest and size. */
  readonly subject: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;
  /** `org.opencontainers.image.created`; RFC 3339 in UTC, whole seconds, as Go's `time.RFC3339` writes it. */
  readonly created: Date;
  /** Default: cosign's image signature predicate type. */
  readonly predicateType?: string;
}

/** A referrer manifest ready to push: the manifest, its descriptor (for a referrers index) and its blobs. */
export interface BuiltReferrer {
  readonly manifest: Buffer;
  /** The manifest's descriptor with its `artifactType` and annotations, as a referrers index lists it. */
  readonly descriptor: Descriptor;
  /** The config and layer blobs. */
  readonly blobs: readonly { readonly digest: Digest; readonly bytes: Buffer }[];
}

/** RFC 3339 in UTC with whole seconds (Go `time.RFC3339` of a UTC time). */
export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The referrer manifest cosign v3 pushes for a bundle, over `bundle` (the bundle JSON). */
export function buildBundleReferrer(bundle: Buffer, options: BundleReferrerOptions): BuiltReferrer {
  const annotations = {
    [BundleAnnotations.content]: 'dsse-envelope',
    [BundleAnnotations.predicateType]: options.predicateType ?? COSIGN_SIGN_PREDICATE_TYPE,
    [BundleAnnotations.created]: rfc3339Seconds(options.created),
  };
  const config: Descriptor = { mediaType: MediaTypes.ociEmpty, digest: digestOf(OCI_EMPTY_JSON), size: OCI_EMPTY_JSON.length };
  const layer: Descriptor = { mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE, digest: digestOf(bundle), size: bundle.length };
  const manifest = serializeOciManifest({
    artifactType: SIGSTORE_BUNDLE_MEDIA_TYPE,
    config,
    layers: [layer],
    subject: { mediaType: options.subject.mediaType, digest: options.subject.digest, size: options.subject.size },
    annotations,
  });
  return {
    manifest,
    descriptor: { mediaType: MediaTypes.ociManifest, digest: digestOf(manifest), size: manifest.length, artifactType: SIGSTORE_BUNDLE_MEDIA_TYPE, annotations },
    blobs: [
      { digest: config.digest, bytes: OCI_EMPTY_JSON },
      { digest: layer.digest, bytes: bundle },
    ],
  };
}

/** A referrer manifest read as a bundle attachment; nothing in it is trusted. */
export interface UntrustedBundleReferrer {
  /** The one layer: the bundle blob's descriptor. */
  readonly layer: Descriptor;
  readonly annotations: Readonly<Record<string, string>>;
  /** The `dev.sigstore.bundle.predicateType` annotation, when present. */
  readonly untrustedPredicateType: string | undefined;
}

/** True when a referrers-index entry (or a manifest) announces a sigstore bundle. */
export function isBundleArtifactType(artifactType: string | undefined): boolean {
  return artifactType !== undefined && SIGSTORE_BUNDLE_MEDIA_TYPES.includes(artifactType);
}

/**
 * Read a referrer manifest as a bundle attachment: an OCI image manifest whose artifact type (its `artifactType`,
 * else its config media type) is a bundle media type, with exactly one layer of a bundle media type no larger than
 * a signature may be. Anything else is `MALFORMED_SIGNATURE` naming what is wrong.
 */
export function parseBundleReferrer(bytes: Uint8Array, mediaType?: string): UntrustedBundleReferrer {
  let parsed;
  try {
    parsed = parseManifest(bytes, mediaType);
  } catch (err: unknown) {
    if (err instanceof CodedError) throw new SignatureVerificationError('MALFORMED_SIGNATURE', `bundle referrer: ${err.message}`, { cause: err });
    throw err;
  }
  const bad = (message: string): SignatureVerificationError => new SignatureVerificationError('MALFORMED_SIGNATURE', `bundle referrer: ${message}`);
  if (parsed.kind !== 'oci-manifest') throw bad(`expected an OCI image manifest, got ${parsed.mediaType}`);
  const artifactType = parsed.artifactType ?? parsed.config.mediaType;
  if (!isBundleArtifactType(artifactType)) throw bad(`artifact type ${JSON.stringify(artifactType)} is not a sigstore bundle type (${SIGSTORE_BUNDLE_MEDIA_TYPES.join(', ')})`);
  if (parsed.layers.length !== 1) throw bad(`expected exactly 1 layer (the bundle), got ${parsed.layers.length}`);
  const layer = parsed.layers[0] as Descriptor;
  if (!SIGSTORE_BUNDLE_MEDIA_TYPES.includes(layer.mediaType)) throw bad(`layer media type ${JSON.stringify(layer.mediaType)} is not a sigstore bundle type`);
  if (layer.size > limits.signatureBytes) throw bad(`the bundle has ${layer.size} bytes, over the ${limits.signatureBytes}-byte limit`);
  const annotations = parsed.annotations ?? {};
  return { layer, annotations, untrustedPredicateType: annotations[BundleAnnotations.predicateType] };
}
