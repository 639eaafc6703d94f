import { CodedError } from '../core/index.js';

export type SignErrorCode = 'IDENTITY_REQUIRED' | 'UNSUPPORTED_DESTINATION' | 'TOO_MANY_SIGNATURES' | 'SIGNATURE_TOO_LARGE' | 'INVALID_SIGNATURE_TAG';

/** A signature cannot be made or stored as asked. */
export class SignError extends CodedError<SignErrorCode> {
  readonly category = 'input' as const;
}
