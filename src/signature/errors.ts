/** Errors of the signature domain. Verification failures carry the verdict codes of SPEC §3.2. */
import { CodedError, type ErrorCategory } from '../core/index.js';

/** Why a signature was not accepted (the stable codes of a verdict). */
export type VerificationCode =
  | 'NO_SIGNATURES'
  | 'KEY_NOT_TRUSTED'
  | 'BAD_SIGNATURE'
  | 'MALFORMED_SIGNATURE'
  | 'DIGEST_MISMATCH'
  | 'IDENTITY_MISMATCH'
  | 'KEY_EXPIRED'
  | 'KEY_REVOKED'
  | 'SIGNATURE_EXPIRED'
  | 'TLOG_INVALID'
  | 'CERTIFICATE_INVALID'
  | 'UNSUPPORTED_FORMAT'
  | 'REJECTED';

/** A signature did not verify; `code` says why. `signer` names the key when it is known (e.g. an untrusted one). */
export class SignatureVerificationError extends CodedError<VerificationCode> {
  readonly signer: string | undefined;

  constructor(code: VerificationCode, message: string, options?: { cause?: unknown; signer?: string }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.signer = options?.signer;
  }

  get category(): ErrorCategory {
    // A signature that cannot even be parsed is bad input when it is the thing the user handed us.
    return this.code === 'MALFORMED_SIGNATURE' || this.code === 'UNSUPPORTED_FORMAT' ? 'input' : 'integrity';
  }
}

export type KeyErrorCode =
  /** A key, keyring or certificate file cannot be parsed, or holds no usable key. */
  | 'INVALID_KEY'
  /** An encrypted private key could not be decrypted with the password given. */
  | 'WRONG_PASSWORD'
  /** No password was given and none can be asked for. */
  | 'PASSWORD_REQUIRED';

/** Key material is unusable. Always bad input. */
export class KeyError extends CodedError<KeyErrorCode> {
  readonly category = 'input' as const;
}

export type SigningErrorCode = 'SIGNING_FAILED';

/** Producing a signature failed (gpg refused, a key cannot sign). */
export class SigningError extends CodedError<SigningErrorCode> {
  readonly category = 'internal' as const;
}
