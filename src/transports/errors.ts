/**
 * Errors raised by the transports. One class, `TransportError`, whose category follows from its code, so
 * callers branch on `code` and the CLI maps the category to an exit status.
 */
import { CodedError, type ErrorCategory } from '../core/index.js';

const categories = {
  /** A local path the user named (a dir: directory, an oci: layout, an archive) does not exist or is not of the right kind. */
  PATH_NOT_FOUND: 'input',
  /** A local file or directory exists but cannot be read (permissions, a directory where a file belongs, I/O error). */
  PATH_UNREADABLE: 'input',
  /** The image (the named entry in a layout, or the manifest in a directory) does not exist. */
  IMAGE_NOT_FOUND: 'unreachable',
  /** A blob named by the image is missing from the location. */
  BLOB_NOT_FOUND: 'unreachable',
  /** A transport reference (`dir:…`, `oci:PATH:REF`, …) is malformed. */
  INVALID_REFERENCE: 'input',
  /** The files on disk are not a valid layout of the transport (bad `index.json`, `oci-layout`, …). */
  INVALID_LAYOUT: 'input',
  /** A tar archive is malformed or contains entries that escape the extraction directory. */
  INVALID_ARCHIVE: 'input',
  /** The destination holds data that does not belong to this transport; it is not overwritten. */
  DESTINATION_NOT_EMPTY: 'input',
  /** An `oci:` layout holds several images and the reference names none of them. */
  AMBIGUOUS_IMAGE: 'input',
  /** The transport cannot do what was asked (signatures in `oci:`, deleting from `dir:`, …). */
  UNSUPPORTED_OPERATION: 'input',
  /** A destination was used out of order (commit without manifest, write after commit). */
  INVALID_STATE: 'internal',
} as const satisfies Record<string, ErrorCategory>;

export type TransportErrorCode = keyof typeof categories;

export class TransportError extends CodedError<TransportErrorCode> {
  readonly category: ErrorCategory;
  /** The file or directory the error is about, when there is one. */
  readonly path: string | undefined;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown; path?: string }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.category = categories[code];
    this.path = options?.path;
  }
}

/** The category a transport error code belongs to. */
export function transportErrorCategory(code: TransportErrorCode): ErrorCategory {
  return categories[code];
}

/** True for a Node.js file-system error with the given `code` (`ENOENT`, `EEXIST`, …). */
export function isErrnoCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && codes.includes((err as NodeJS.ErrnoException).code as string);
}

/**
 * A file-system failure on `path` as a transport error: missing paths are `PATH_NOT_FOUND`, other OS errors
 * `PATH_UNREADABLE`; anything that is not an OS error is returned unchanged (the caller rethrows it).
 */
export function fileSystemError(err: unknown, path: string, what: string): unknown {
  if (!(err instanceof Error) || typeof (err as NodeJS.ErrnoException).code !== 'string' || !(err as NodeJS.ErrnoException).code?.startsWith('E')) {
    return err;
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new TransportError('PATH_NOT_FOUND', `${what}: ${path} does not exist`, { cause: err, path });
  return new TransportError('PATH_UNREADABLE', `${what}: cannot read ${path} (${code})`, { cause: err, path });
}
