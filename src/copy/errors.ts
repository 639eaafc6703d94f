import { CodedError, IntegrityError, type Digest } from '../core/index.js';

export type CopyErrorCode =
  | 'WOULD_INVALIDATE_SIGNATURES'
  | 'SIGNATURES_NOT_SUPPORTED'
  | 'UNSUPPORTED_NESTED_INDEX'
  | 'INCOMPLETE_TRANSFER'
  | 'TOO_LARGE';

/** The copy cannot be done as asked (a usage problem), or a destination misbehaved (internal). */
export class CopyError extends CodedError<CopyErrorCode> {
  get category(): 'input' | 'internal' {
    return this.code === 'INCOMPLETE_TRANSFER' ? 'internal' : 'input';
  }
}

export function manifestDigestMismatch(expected: Digest, actual: Digest): IntegrityError {
  return new IntegrityError('DIGEST_MISMATCH', `manifest: digest mismatch: expected ${expected}, got ${actual}`, expected, actual);
}
