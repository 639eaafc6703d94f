/**
 * cosign: key files, the signature payload, signatures, `.sig` attachment manifests, Rekor SETs and Fulcio
 * certificates. Pure functions of bytes and keys.
 */
export {
  generateCosignKeyPair,
  encryptCosignPrivateKey,
  decryptCosignPrivateKey,
  parsePublicKey,
  publicKeyPem,
  publicKeyHint,
  SCRYPT_PARAMS,
  SIGSTORE_PRIVATE_KEY_PEM_TYPE,
  COSIGN_PRIVATE_KEY_PEM_TYPE,
} from './keys.js';
export type { ScryptParams } from './keys.js';
export { cosignPayload, parseCosignPayload, COSIGN_SIGNATURE_TYPE } from './payload.js';
export type { CosignPayload } from './payload.js';
export { signCosignPayload, verifyCosignSignature } from './sign.js';
export {
  sigTagFor,
  buildSignatureManifest,
  parseSignatureManifest,
  CosignAnnotations,
  COSIGN_SIGNATURE_LAYER_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  OCI_CONFIG_MEDIA_TYPE,
} from './attachment.js';
export type { SignatureLayer, NewSignatureLayer, BuiltSignatureManifest, BuildSignatureManifestOptions } from './attachment.js';
export { verifyRekorSet, REKOR_HASHEDREKORD_API_VERSION } from './rekor.js';
export { verifyFulcioCertificate, FULCIO_OID_ISSUER_V1, FULCIO_OID_ISSUER_V2 } from './fulcio.js';
export type { FulcioIdentity } from './fulcio.js';
export { canonicalJson } from './json.js';
