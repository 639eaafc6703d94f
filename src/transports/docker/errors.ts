/**
 * Errors of the docker transport. A `RegistryError` carries the OCI distribution error code the registry sent
 * (or one of ours when it sent none, or could not be reached) and the HTTP status.
 */
import { CodedError, type ErrorCategory } from '../../core/index.js';

/** Error codes defined by the OCI distribution spec (and the Docker registry before it). */
export const OCI_ERROR_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'MANIFEST_UNVERIFIED',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'TAG_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
  'UNKNOWN',
] as const;

export type OciErrorCode = (typeof OCI_ERROR_CODES)[number];

/**
 * - OCI codes: the registry answered with that code in its JSON error body.
 * - `HTTP_STATUS`: the registry answered with an unexpected status and no (recognised) error body.
 * - `CONNECTION_FAILED`: no HTTP answer at all (refused, reset, TLS failure, DNS).
 * - `INVALID_RESPONSE`: the answer broke the protocol (no `Location` on an upload, a malformed tag list or token).
 * - `TOKEN_REQUEST_FAILED`: the token server refused to issue a bearer token.
 */
export type RegistryErrorCode = OciErrorCode | 'HTTP_STATUS' | 'CONNECTION_FAILED' | 'INVALID_RESPONSE' | 'TOKEN_REQUEST_FAILED';

export interface RegistryErrorDetails {
  /** HTTP status of the answer, when there was one. */
  readonly status?: number | undefined;
  /** `METHOD /path` of the request (no query string: it may carry upload state). */
  readonly request?: string | undefined;
  /** The message the registry gave, if any. */
  readonly registryMessage?: string | undefined;
  /** The error code as the registry spelled it (it may be one we do not know). */
  readonly registryCode?: string | undefined;
  readonly cause?: unknown;
}

/** A registry (or its token server) refused a request, answered nonsense, or could not be reached. */
export class RegistryError extends CodedError<RegistryErrorCode> {
  readonly category: ErrorCategory;
  readonly status: number | undefined;
  readonly request: string | undefined;
  readonly registryMessage: string | undefined;
  readonly registryCode: string | undefined;

  constructor(code: RegistryErrorCode, message: string, details: RegistryErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.request = details.request;
    this.registryMessage = details.registryMessage;
    this.registryCode = details.registryCode;
    this.category = categoryFor(code, details.status);
  }
}

/**
 * Not found, not allowed and not answering are all "could not be reached" (exit 3); a request the registry
 * calls malformed is bad input (exit 2).
 */
function categoryFor(code: RegistryErrorCode, status: number | undefined): ErrorCategory {
  if (code === 'CONNECTION_FAILED' || code === 'INVALID_RESPONSE' || code === 'TOKEN_REQUEST_FAILED') return 'unreachable';
  if (status === undefined) return 'unreachable';
  if (status === 401 || status === 403 || status === 404 || status === 429 || status >= 500) return 'unreachable';
  if (status >= 400) return 'input';
  return 'unreachable';
}

export type AuthFileErrorCode = 'INVALID_AUTH_FILE';

/** An auth file (auth.json, docker config.json) that exists but cannot be used. */
export class AuthFileError extends CodedError<AuthFileErrorCode> {
  readonly category = 'input' as const;
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_AUTH_FILE', `${path}: ${message}`, options);
    this.path = path;
  }
}

export function isOciErrorCode(code: string): code is OciErrorCode {
  return (OCI_ERROR_CODES as readonly string[]).includes(code);
}

/** True for a registry answer meaning "no such manifest, blob or repository" (404 or the OCI codes for it). */
export function isNotFoundError(err: unknown): boolean {
  const e = err as { code?: unknown; status?: unknown };
  return e.status === 404 || e.code === 'MANIFEST_UNKNOWN' || e.code === 'NAME_UNKNOWN' || e.code === 'BLOB_UNKNOWN';
}
