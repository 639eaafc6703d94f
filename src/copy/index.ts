/** copy: move an image between any two transports, verifying every byte on the way. */
export { copyImage } from './copy.js';
export { CopyError } from './errors.js';
export type { CopyErrorCode } from './errors.js';
export type { CopyOptions, CopyResult, CopyProgress, CopiedInstance, BlobTransfer, BlobKind } from './types.js';
