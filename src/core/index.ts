/** core: digests, docker references, limits and the error base. No I/O. */
export { CodedError, CoreInputError, IntegrityError, exitCodeFor, describeError } from './errors.js';
export type { ErrorCategory, CoreErrorCode, IntegrityErrorCode } from './errors.js';
export { limits } from './limits.js';
export type { LimitName } from './limits.js';
export {
  parseDigest,
  isDigest,
  isSupportedAlgorithm,
  digestAlgorithm,
  digestHex,
  shortDigest,
  digestOf,
  verifyBytes,
  DigestVerifier,
  DigestComputer,
} from './digest.js';
export type { Digest, DigestAlgorithm, DigestVerifierOptions } from './digest.js';
export { readAllCapped } from './read.js';
export {
  parseNormalizedNamed,
  parseNamed,
  referenceName,
  referenceString,
  familiarName,
  familiarString,
  isNameOnly,
  tagNameOnly,
  withTag,
  withDigest,
  policyConfigurationIdentity,
  policyConfigurationNamespaces,
} from './reference.js';
export type { DockerReference } from './reference.js';
export { goMap, goMarshal, goMarshalIndent, goTimeString } from './go-json.js';
export { lookasideSignatureUrl } from './lookaside.js';
export { parseJsonTree, toPlainValue, formatJsonPath, JsonParseError } from './strict-json.js';
export type { JsonNode, JsonPath, JsonValue, JsonObject, JsonParseReason, ParseJsonTreeOptions, ToPlainValueOptions } from './strict-json.js';
