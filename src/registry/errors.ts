/**
 * The registry's wire errors: one table from the distribution spec's codes (and the signature extension's) to
 * HTTP statuses, one error class, one place that writes them (`errorBody`).
 */
import { CodedError, describeError, parseJsonTree, toPlainValue } from '../core/index.js';

export const wireErrors = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  TAG_INVALID: 400,
  SIGNATURE_INVALID: 400,
  SIGNATURE_EXISTS: 409,
  SIGNATURE_UNKNOWN: 404,
  INVALID_REQUEST: 400,
  NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
} as const;

export type WireErrorCode = keyof typeof wireErrors;

/** A request the registry answers with an error: the spec's code, its status, a message, optional detail. */
export class RegistryHttpError extends CodedError<WireErrorCode> {
  readonly category = 'input' as const;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: WireErrorCode, message: string, options: { detail?: unknown; headers?: Record<string, string>; status?: number; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? wireErrors[code];
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}

/** The spec's error body: `{"errors":[{"code","message","detail"}]}`. */
export function errorBody(err: RegistryHttpError): string {
  const entry: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.detail !== undefined) entry['detail'] = err.detail;
  return JSON.stringify({ errors: [entry] });
}

/**
 * A request body that must be JSON, read strictly: invalid UTF-8 and repeated keys are refused (with `code`),
 * as the security formats it carries are elsewhere.
 */
export function parseJsonBody(body: Uint8Array, code: 'SIGNATURE_INVALID' | 'INVALID_REQUEST', what: string): unknown {
  try {
    return toPlainValue(parseJsonTree(body, { duplicateKeys: 'reject', invalidUtf8: 'reject' }), { nullPrototype: true });
  } catch (err) {
    throw new RegistryHttpError(code, `${what} is not acceptable JSON: ${describeError(err)}`, { cause: err });
  }
}
