/**
 * attest: in-toto attestations in DSSE envelopes, stored as cosign stores them (the `sha256-<hex>.att` tag) and
 * verified per layer with a result for each.
 */
export { attestImage, predicateFor, subjectNameFor } from './attest.js';
export type { AttestRequest, AttestOptions, AttestResult } from './attest.js';
export { verifyAttestations, evaluateAttestationEnvelope } from './verify.js';
export type { AttestationVerdict, AttestationVerification, VerifyAttestationsRequest, VerifyAttestationsOptions } from './verify.js';
export { attTagFor, buildAttestationManifest, PREDICATE_TYPE_ANNOTATION } from './attachment.js';
export type { NewAttestationLayer, BuiltAttestationManifest } from './attachment.js';
export { resolvePredicateType, predicateTypeNames, PREDICATE_CUSTOM } from './predicate-types.js';
export { AttestError } from './errors.js';
export type { AttestErrorCode } from './errors.js';
