/**
 * Signatures over cosign payloads: ECDSA (ASN.1 DER) and RSA PKCS#1 v1.5 over SHA-256, as containers/image verifies
 * them for every key size; Ed25519 as pure Ed25519 (what cosign writes without a transparency log and what
 * containers/image verifies).
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { KeyError, SignatureVerificationError, SigningError } from '../errors.js';
import { isEcdsaDerSignature } from './der.js';
import { decodeBase64, EncodingError } from './encoding.js';

/** Sign `payload` with `privateKey`; returns the raw signature (base64 it for the annotation). */
export function signCosignPayload(payload: Uint8Array, privateKey: KeyObject): Buffer {
  if (privateKey.type !== 'private') throw new KeyError('INVALID_KEY', `expected a private key, got a ${privateKey.type} key`);
  try {
    switch (privateKey.asymmetricKeyType) {
      case 'ec':
        return sign('sha256', payload, { key: privateKey, dsaEncoding: 'der' });
      case 'rsa':
        return sign('sha256', payload, privateKey);
      case 'ed25519':
        return sign(null, payload, privateKey);
      default:
        throw new KeyError('INVALID_KEY', `cannot sign with a ${privateKey.asymmetricKeyType ?? 'unknown'} key (ECDSA, RSA, Ed25519)`);
    }
  } catch (err: unknown) {
    if (err instanceof KeyError) throw err;
    throw new SigningError('SIGNING_FAILED', `signing the cosign payload failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Decode a base64 signature annotation; undecodable text is MALFORMED_SIGNATURE. */
export function decodeSignatureBase64(signatureBase64: string): Buffer {
  try {
    const sig = decodeBase64(signatureBase64, 'signature');
    if (sig.length === 0) throw new EncodingError('signature is empty');
    return sig;
  } catch (err: unknown) {
    throw new SignatureVerificationError('MALFORMED_SIGNATURE', err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/**
 * Verify a cosign signature (base64, as in the `dev.cosignproject.cosign/signature` annotation) over `payload`.
 * Throws `SignatureVerificationError('BAD_SIGNATURE')` when it does not verify, `MALFORMED_SIGNATURE` when the
 * signature cannot be decoded.
 */
export function verifyCosignSignature(payload: Uint8Array, signatureBase64: string, publicKey: KeyObject): void {
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const sig = decodeSignatureBase64(signatureBase64);
  let ok: boolean;
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (!isEcdsaDerSignature(sig)) {
        throw new SignatureVerificationError('MALFORMED_SIGNATURE', 'the ECDSA signature is not an ASN.1 DER SEQUENCE of two INTEGERs');
      }
      ok = verify('sha256', payload, { key, dsaEncoding: 'der' }, sig);
      break;
    case 'rsa':
      ok = verify('sha256', payload, key, sig);
      break;
    case 'ed25519':
      if (sig.length !== 64) {
        throw new SignatureVerificationError('MALFORMED_SIGNATURE', `an Ed25519 signature has 64 bytes, got ${sig.length}`);
      }
      ok = verify(null, payload, key, sig);
      break;
    default:
      throw new KeyError('INVALID_KEY', `cannot verify with a ${key.asymmetricKeyType ?? 'unknown'} key (ECDSA, RSA, Ed25519)`);
  }
  if (!ok) throw new SignatureVerificationError('BAD_SIGNATURE', 'the cosign signature does not verify with the given public key');
}
