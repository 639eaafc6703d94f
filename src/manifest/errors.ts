/** Errors of the manifest domain. Callers branch on `code`, never on the message. */
import { CodedError } from '../core/index.js';

export type ManifestErrorCode =
  /** The bytes are not a well-formed manifest of their type; the message names the JSON path. */
  | 'INVALID_MANIFEST'
  /** The media type is not one Signet understands (or could not be determined from the content). */
  | 'UNSUPPORTED_MANIFEST_TYPE'
  /** The content says it is of a different type than the one it was delivered as. */
  | 'MANIFEST_TYPE_MISMATCH'
  /** The manifest is larger than `limits.manifestBytes`. */
  | 'TOO_LARGE'
  /** No instance of an index matches the wanted platform. */
  | 'NO_MATCHING_PLATFORM'
  /** The manifest cannot be represented in the requested format. */
  | 'UNSUPPORTED_CONVERSION'
  /** An image config blob is not a JSON object. */
  | 'INVALID_CONFIG';

/** A manifest could not be parsed, matched or converted. All of these are caused by the input. */
export class ManifestError extends CodedError<ManifestErrorCode> {
  readonly category = 'input' as const;
}
