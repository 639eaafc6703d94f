/**
 * Simple signatures end to end: payload + OpenPGP. Creating one signs the serialized payload with a secret key
 * or through gpg; verifying one checks, in containers/image's order, the cryptography, that the key is one of
 * the trusted keys, and the payload's syntax. The digest and the identity are the policy's to check.
 */
import { verifyOpenPgpSignature, signOpenPgpWithKey, type Keyring } from './openpgp.js';
import { signWithGpg } from './gpg.js';
import { parseSimpleSigningPayload, serializeSimpleSigningPayload, type UntrustedSimpleSigningPayload } from './simple-signing.js';

export type SimpleSigner =
  | { readonly kind: 'key'; readonly secretKey: Uint8Array; readonly passphrase?: string }
  | { readonly kind: 'gpg'; readonly fingerprint: string; readonly gnupgHome?: string; readonly passphraseFile?: string };

export interface CreateSimpleSignatureOptions {
  readonly manifestDigest: string;
  readonly dockerReference: string;
  readonly signer: SimpleSigner;
  /** `optional.creator`; omitted when not given. */
  readonly creator?: string;
  /** `optional.timestamp` in seconds; default: now. */
  readonly timestamp?: number;
}

/** A signed simple-signing blob (a binary OpenPGP message), as stored in `signature-N` files. */
export async function createSimpleSignature(options: CreateSimpleSignatureOptions): Promise<Buffer> {
  const payload = serializeSimpleSigningPayload({
    dockerManifestDigest: options.manifestDigest,
    dockerReference: options.dockerReference,
    ...(options.creator === undefined ? {} : { creator: options.creator }),
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
  const signer = options.signer;
  switch (signer.kind) {
    case 'key':
      return signOpenPgpWithKey(payload, signer.secretKey, signer.passphrase);
    case 'gpg':
      return signWithGpg(payload, signer.fingerprint, {
        ...(signer.gnupgHome === undefined ? {} : { gnupgHome: signer.gnupgHome }),
        ...(signer.passphraseFile === undefined ? {} : { passphraseFile: signer.passphraseFile }),
      });
  }
}

export interface SimpleSignatureVerification {
  /** Uppercase hex fingerprint of the (primary) key that signed. */
  readonly signer: string;
  /** The payload: signed by a trusted key, but its digest and identity are not checked yet. */
  readonly payload: UntrustedSimpleSigningPayload;
}

/**
 * Verify a simple signature's cryptography against trusted keys and parse its payload. Throws
 * `SignatureVerificationError` with the verdict code.
 */
export async function verifySimpleSignature(blob: Uint8Array, keyring: Keyring, now?: Date): Promise<SimpleSignatureVerification> {
  const verified = await verifyOpenPgpSignature(blob, keyring, now);
  // The keyring holds only trusted keys, so a signer found in it is accepted.
  const payload = parseSimpleSigningPayload(verified.content);
  return { signer: verified.signer, payload };
}
