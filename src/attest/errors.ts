import { CodedError } from '../core/index.js';

export type AttestErrorCode =
  /** Attestations live in a registry (`sha256-<hex>.att`); the image is not a registry image. */
  | 'UNSUPPORTED_SOURCE'
  /** `--type` is neither one of cosign's names nor a URI. */
  | 'INVALID_PREDICATE_TYPE'
  /** The predicate file is not what its type needs (JSON object, UTF-8 text). */
  | 'INVALID_PREDICATE'
  /** The existing `.att` tag cannot be extended: not an OCI manifest with an OCI config. */
  | 'INVALID_ATTESTATION_TAG';

/** An attestation cannot be made, stored or looked for as asked. Always bad input. */
export class AttestError extends CodedError<AttestErrorCode> {
  readonly category = 'input' as const;
}
