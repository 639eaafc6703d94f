/**
 * signature: signature formats and their cryptography — simple signing payloads, OpenPGP, cosign keys and
 * payloads, DSSE, sigstore bundles and their referrer manifests. Pure functions of bytes and keys; the only I/O is
 * running the system `gpg` for `--sign-by`.
 */
export { SignatureVerificationError, KeyError, SigningError } from './errors.js';
export type { VerificationCode, KeyErrorCode, SigningErrorCode } from './errors.js';
export * from './cosign/index.js';
export { parseSimpleSigningPayload, serializeSimpleSigningPayload, simpleSigningType } from './simple-signing.js';
export type { UntrustedSimpleSigningPayload, ParseSimpleSigningOptions, SimpleSigningPayloadInput } from './simple-signing.js';
export { parseSignatureBlob, signatureBlobForStorage } from './blob.js';
export type { SignatureBlob } from './blob.js';
export { loadKeyring, verifyOpenPgpSignature, signOpenPgpWithKey, readOpenPgpSignedMessage } from './openpgp.js';
export type { Keyring, OpenPgpVerification, UntrustedOpenPgpContent } from './openpgp.js';
export { signWithGpg } from './gpg.js';
export type { GpgSignOptions } from './gpg.js';
export { createSimpleSignature, verifySimpleSignature } from './simple-signature.js';
export type { SimpleSigner, CreateSimpleSignatureOptions, SimpleSignatureVerification } from './simple-signature.js';
export {
  pae,
  signDsse,
  parseDsseEnvelope,
  verifyDsse,
  buildStatement,
  parseStatement,
  IN_TOTO_PAYLOAD_TYPE,
  DSSE_ENVELOPE_MEDIA_TYPE,
  IN_TOTO_STATEMENT_V01,
  IN_TOTO_STATEMENT_V1,
} from './dsse.js';
export type { UntrustedDsseEnvelope, UntrustedDsseSignature, VerifiedDsse, UntrustedStatement, StatementSubject, BuildStatementOptions } from './dsse.js';
export {
  createImageSignatureBundle,
  imageSignatureStatement,
  parseSigstoreBundle,
  verifyImageSignatureBundle,
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  SIGSTORE_BUNDLE_MEDIA_TYPES,
  COSIGN_SIGN_PREDICATE_TYPE,
} from './sigstore-bundle.js';
export type { ImageSignatureBundle, UntrustedSigstoreBundle, VerifiedImageSignatureBundle } from './sigstore-bundle.js';
export { buildBundleReferrer, parseBundleReferrer, isBundleArtifactType, rfc3339Seconds, BundleAnnotations, OCI_EMPTY_JSON } from './bundle-referrer.js';
export type { BundleReferrerOptions, BuiltReferrer, UntrustedBundleReferrer } from './bundle-referrer.js';
