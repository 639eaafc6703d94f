/**
 * The transport abstraction: a parsed, immutable `ImageReference` opens an `ImageSource` (manifest, blobs,
 * signatures) or an `ImageDestination` (put blob, put manifest, put signatures, commit). Each transport lives
 * in its own folder and registers itself by name in `registry.ts`.
 */
import type { Readable } from 'node:stream';
import type { Digest, DockerReference } from '../core/index.js';

/** Everything a transport may need from the environment, normalised once by the caller. */
export interface SystemContext {
  /** Verify TLS certificates; when false plain HTTP is also permitted (`--tls-verify=false`). Default true. */
  readonly tlsVerify?: boolean;
  /** `USER:PASS` credentials given on the command line; they win over auth files. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** `--authfile`; otherwise the SPEC order of auth files is searched. */
  readonly authFile?: string;
  /** Environment to read (`REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`, `HOME`); defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Platform choice for manifest lists / indexes. */
  readonly overrideOS?: string;
  readonly overrideArch?: string;
  readonly overrideVariant?: string;
  /** Upper bound on blobs transferred at once. */
  readonly maxParallelTransfers?: number;
  /** User-Agent for registry requests. */
  readonly userAgent?: string;
  /** Upload blobs in chunks of this size (bytes) instead of one monolithic PUT; 0 = monolithic. */
  readonly uploadChunkSize?: number;
  /**
   * Where simple signatures of a registry image are written when the registry has no signature extension:
   * the `lookaside-staging` (else `lookaside`) base URL that registries.d gives for the image. Only `file:`
   * URLs can be written.
   */
  readonly lookasideStaging?: string;
}

/** A blob as named by a descriptor: what we expect to read or write. */
export interface BlobInfo {
  readonly digest: Digest;
  /** Byte count, or -1 when not known. */
  readonly size: number;
  readonly mediaType?: string;
  readonly urls?: readonly string[];
}

export interface ImageTransport {
  /** `docker`, `dir`, `oci`, `oci-archive`. */
  readonly name: string;
  /** Parse the part after `name:` (for docker: after `docker:`, i.e. `//host/repo:tag`). Throws an input error. */
  parseReference(reference: string): ImageReference;
  /** Throws an input error unless `scope` is a valid policy.json scope for this transport. */
  validatePolicyConfigurationScope(scope: string): void;
}

export interface ImageReference {
  readonly transport: ImageTransport;
  /** The reference as the user writes it after `transport:`, e.g. `//quay.io/ns/app:1` or `/tmp/x:latest`. */
  stringWithinTransport(): string;
  /** `transport:stringWithinTransport()`. */
  toString(): string;
  /** The Docker reference this image claims (docker transport; oci with a docker-ish ref name: none). */
  readonly dockerReference: DockerReference | undefined;
  /** The policy.json scope that matches exactly this image, or "" when none. */
  policyConfigurationIdentity(): string;
  /** Less specific policy scopes, most specific first. */
  policyConfigurationNamespaces(): string[];
  newImageSource(ctx: SystemContext): Promise<ImageSource>;
  newImageDestination(ctx: SystemContext): Promise<ImageDestination>;
  /** Delete the image (where the transport supports it). */
  deleteImage?(ctx: SystemContext): Promise<void>;
}

export interface ManifestBytes {
  readonly bytes: Buffer;
  /** The MIME type reported by the source, or detected from content when the source has none. */
  readonly mediaType: string;
}

export interface BlobStream {
  readonly stream: Readable;
  /** Size as reported by the source, or -1. */
  readonly size: number;
}

export interface ImageSource {
  readonly reference: ImageReference;
  /**
   * The top-level manifest (no argument) or the manifest of one instance of an index (by digest).
   * When the reference or `instanceDigest` names a digest, the bytes have been checked against it.
   */
  getManifest(instanceDigest?: Digest): Promise<ManifestBytes>;
  /** A stream of the blob's bytes. The caller verifies digest and size (see `DigestVerifier`). */
  getBlob(info: BlobInfo): Promise<BlobStream>;
  /** Raw signature blobs stored with the image (dir: `signature-N`), in order. */
  getSignatures(instanceDigest?: Digest): Promise<Buffer[]>;
  /** Every tag of the image's repository (transports that have tags: docker). */
  listTags?(): Promise<string[]>;
  close(): Promise<void>;
}

export interface ImageDestination {
  readonly reference: ImageReference;
  /** Manifest MIME types the destination accepts, most preferred first; undefined means any. */
  supportedManifestMediaTypes(): readonly string[] | undefined;
  /** Whether the destination can store signatures (`putSignatures`). */
  supportsSignatures(): boolean;
  /** True if the destination already holds this blob (or mounted it from `sourceRepository`), so no upload is needed. */
  tryReusingBlob(info: BlobInfo, hints?: { readonly sourceReference?: ImageReference }): Promise<boolean>;
  /**
   * Store a blob. `stream` is already wrapped in a verifier by the caller and errors if content does not
   * match `info`; the destination must not make the blob visible unless the stream ended without error.
   */
  putBlob(stream: Readable, info: BlobInfo): Promise<void>;
  /** Store a manifest; `instanceDigest` is set for the per-instance manifests of an index. */
  putManifest(bytes: Buffer, mediaType: string, instanceDigest?: Digest): Promise<void>;
  putSignatures(signatures: readonly Buffer[], instanceDigest?: Digest): Promise<void>;
  /** Make everything written visible at once. Nothing is visible before this. */
  commit(): Promise<void>;
  /** Release resources; without a prior `commit`, discard everything written. */
  close(): Promise<void>;
}
