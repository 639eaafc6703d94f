/**
 * The `sha256-<hex>.att` tag: an OCI image manifest whose layers are DSSE envelopes
 * (`application/vnd.dsse.envelope.v1+json`), each annotated with its `predicateType` and an empty
 * `dev.cosignproject.cosign/signature` (the signature is inside the envelope), as cosign's `static.NewAttestation`
 * and go-containerregistry write it. The config is an OCI image config whose `rootfs.diff_ids` list the layers.
 */
import type { Digest } from '../core/index.js';
import { CosignAnnotations, DSSE_ENVELOPE_MEDIA_TYPE, buildSignatureManifest, sigTagFor } from '../signature/index.js';
import { AttestError } from './errors.js';

/** The layer annotation that names an attestation's predicate type. */
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';

/** The tag cosign uses for the attestations of `manifestDigest`: `sha256-<hex>.att`. */
export function attTagFor(manifestDigest: Digest): string {
  return sigTagFor(manifestDigest).replace(/\.sig$/, '.att');
}

export interface NewAttestationLayer {
  readonly envelope: Buffer;
  readonly predicateType: string;
}

export interface BuiltAttestationManifest {
  readonly manifest: Buffer;
  readonly config: Buffer;
  /** The envelope blobs of the layers added; layers already present are not repeated. */
  readonly blobs: { digest: Digest; bytes: Buffer }[];
}

/**
 * Append attestation layers to a `.att` manifest (or start one), with cosign's layout; the same builder as the
 * `.sig` tag's, with DSSE-envelope layers annotated with their `predicateType` and an empty
 * `dev.cosignproject.cosign/signature` (the signature is inside the envelope), as cosign's
 * `static.NewAttestation` writes them.
 */
export function buildAttestationManifest(existing: { manifest: Uint8Array; config: Uint8Array } | undefined, newLayers: readonly NewAttestationLayer[]): BuiltAttestationManifest {
  try {
    return buildSignatureManifest(
      existing,
      newLayers.map((l) => ({
        payload: l.envelope,
        mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
        annotations: { [CosignAnnotations.signature]: '', [PREDICATE_TYPE_ANNOTATION]: l.predicateType },
      })),
      { style: 'cosign' },
    );
  } catch (err: unknown) {
    throw new AttestError('INVALID_ATTESTATION_TAG', `attestation tag: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
