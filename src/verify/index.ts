/** verify: gather an image's signatures from every place they live and evaluate the trust policy. */
export { verifyImage, verifyInstallable, evaluateSource } from './verify.js';
export type { VerifyOptions } from './verify.js';
export { collectSignatures } from './collect.js';
export type { CollectOptions } from './collect.js';
export { loadPolicy, loadRegistriesD } from './policy-file.js';
export type { LoadedPolicy } from './policy-file.js';
export { fileTrustMaterial } from './trust.js';
export { VerifyError } from './errors.js';
export type { VerifyErrorCode } from './errors.js';
