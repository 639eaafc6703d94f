/**
 * The error base every domain builds on. A `CodedError` carries a stable, machine-readable `code`
 * (SCREAMING_SNAKE) and a `category` that decides how the CLI and the server report it. Callers branch
 * on class and code, never on message text.
 */

/**
 * - `input`: the caller gave something malformed (reference, manifest, policy, path, usage). CLI exit 2.
 * - `integrity`: content did not match the digest or size that names it; a signature did not verify. CLI exit 1.
 * - `unreachable`: the image, registry or file could not be reached or does not exist. CLI exit 3.
 * - `internal`: a bug or an unexpected environment failure. CLI exit 1.
 */
export type ErrorCategory = 'input' | 'integrity' | 'unreachable' | 'internal';

export abstract class CodedError<C extends string = string> extends Error {
  readonly code: C;
  abstract readonly category: ErrorCategory;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

export type CoreErrorCode =
  | 'INVALID_DIGEST'
  | 'UNSUPPORTED_DIGEST_ALGORITHM'
  | 'INVALID_REFERENCE'
  | 'UNKNOWN_TRANSPORT'
  | 'INVALID_ARGUMENT'
  | 'TOO_LARGE'
  | 'INVALID_JSON';

/** Malformed input detected by the core helpers (digests, references, limits, JSON). */
export class CoreInputError extends CodedError<CoreErrorCode> {
  readonly category = 'input' as const;
}

export type IntegrityErrorCode = 'DIGEST_MISMATCH' | 'SIZE_MISMATCH';

/** Content does not match the digest or size that names it. */
export class IntegrityError extends CodedError<IntegrityErrorCode> {
  readonly category = 'integrity' as const;
  readonly expected: string;
  readonly actual: string;

  constructor(code: IntegrityErrorCode, message: string, expected: string, actual: string) {
    super(code, message);
    this.expected = expected;
    this.actual = actual;
  }
}

/** Exit code of the CLI for an error (SPEC §3.1). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CodedError) {
    switch (err.category) {
      case 'input':
        return 2;
      case 'integrity':
        return 1;
      case 'unreachable':
        return 3;
      case 'internal':
        return 1;
    }
  }
  return 1;
}

/** A short description of any thrown value, for messages that wrap a cause. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
