/** store: where the registry keeps things — the blob store (files) and the metadata database (SQLite or PostgreSQL). */
export { FsBlobDriver } from './blob-driver.js';
export type { BlobContent, BlobDriver, ByteRange, AppendOptions } from './blob-driver.js';
export { SendReader } from './send-reader.js';
export type { SendReaderOptions } from './send-reader.js';
export { storePaths, isUploadId } from './paths.js';
export type { StorePaths } from './paths.js';
export { openDatabase } from './database.js';
export type { OpenedDatabase } from './database.js';
export { Metadata } from './metadata.js';
export type { ManifestRecord, ManifestToSave, SaveManifestOutcome, SignatureRecord, UserRecord } from './metadata.js';
export type { DialectName } from './migrations.js';
export { StoreError, DatabaseError } from './errors.js';
export type { StoreErrorCode, DatabaseErrorCode } from './errors.js';
