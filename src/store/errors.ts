/** Errors of the storage layer. The registry maps each code onto the distribution spec's wire error. */
import { CodedError } from '../core/index.js';

export type StoreErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'UPLOAD_RANGE_INVALID'
  | 'DIGEST_INVALID'
  | 'SIZE_INVALID'
  | 'UPLOAD_ABORTED';

/** A request the store cannot honour because of what the client sent or asked for. */
export class StoreError extends CodedError<StoreErrorCode> {
  readonly category = 'input' as const;
}

export type DatabaseErrorCode = 'UNSUPPORTED_DATABASE' | 'MIGRATION_FAILED';

/** The metadata database cannot be opened or brought up to date. */
export class DatabaseError extends CodedError<DatabaseErrorCode> {
  readonly category = 'internal' as const;
}
