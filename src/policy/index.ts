/**
 * policy: containers-policy.json and registries.d with the semantics of containers/image, identity matching,
 * and evaluation into a verdict that explains itself. Pure: no file or network I/O; keys come in as
 * `TrustMaterial`.
 */
export { PolicyError } from './errors.js';
export type { PolicyErrorCode } from './errors.js';
export { parsePolicy, scopeProblem, isValidRemapPrefix } from './parse.js';
export type {
  Policy,
  Requirement,
  RequirementType,
  TransportScopes,
  InsecureAcceptAnythingRequirement,
  RejectRequirement,
  SignedByRequirement,
  SignedByKeyType,
  SignedBaseLayerRequirement,
  SigstoreSignedRequirement,
  SigstoreFulcio,
  SigstorePki,
  SignedIdentity,
  SignedIdentityType,
} from './policy.types.js';
export { requirementsFor } from './scope.js';
export type { PolicyImage, AppliedRequirements, ScopeLevel } from './scope.js';
export { matchesSignedIdentity, explainIdentityMismatch, describeSignedIdentity, remapReference } from './identity.js';
export type { RemapResult } from './identity.js';
export { parseRegistriesDirectory, signatureLocationsFor, lookasideUrl, defaultLookasideBase } from './registries-d.js';
export type { RegistriesConfig, RegistryNamespace, SignatureLocations } from './registries-d.js';
export { evaluatePolicy, sigstoreSignatureMimeType } from './evaluate.js';
export type { PolicyInput, CandidateSignature, TrustMaterial, UntrustedClaims } from './evaluate.js';
export { renderVerdictText, renderVerdictJson } from './render.js';
export type { Verdict, RequirementVerdict, SignatureVerdict, SignatureStatus, SignatureSource, SignatureFormat } from './verdict.types.js';
