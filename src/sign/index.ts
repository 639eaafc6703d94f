/** sign: sign the digest an image resolves to and store the signature where its format belongs. */
export { signImage } from './sign.js';
export type { SignRequest, SignOptions, SignResult } from './sign.js';
export { SignError } from './errors.js';
export type { SignErrorCode } from './errors.js';
