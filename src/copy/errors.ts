import { CodedError, IntegrityError, type Digest } from '../core/index.js';

export type CopyErrorCode =
  | 'WOULD_INVALIDATE_SIGNATURES'
  | 'SIGNATURES_NOT_SUPPORTED'
  | 'UNSUPPORTED_NESTED_INDEX'
  | 'INCOMPLETE_TRANSFER';

/** The copy cannot be done as asked (a usage problem, not a failure of the content). */
export class CopyError extends CodedError<CopyErrorCode> {
  readonly category = 'input' as const;
}

export function manifestDigestMismatch(expected: Digest, actual: Digest): IntegrityError {
  return new IntegrityError('DIGEST_MISMATCH', `manifest: digest mismatch: expected ${expected}, got ${actual}`, expected, actual);
}
