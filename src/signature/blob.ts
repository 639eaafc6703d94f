/**
 * Stored signature blobs, as containers/image internal/signature reads (`FromBlob`) and writes (`Blob`) them:
 *
 * - a raw binary OpenPGP message is a simple signature (the historical format, still what is written for it);
 * - `0x00` + format name + `\n` + data is a typed blob: `simple-signing` (OpenPGP message) or `sigstore-json`
 *   (a JSON object with the payload and annotations of one sigstore signature).
 *
 * Anything else, including ASCII-armored OpenPGP, is not a signature.
 */
import { limits } from '../core/index.js';
import { SignatureVerificationError } from './errors.js';

export type SignatureBlob =
  | { readonly kind: 'simple-signing'; readonly openpgp: Buffer }
  | { readonly kind: 'sigstore-json'; readonly json: Buffer };

/**
 * First bytes that mark a raw OpenPGP message: compressed-data, one-pass-signature and signature packet tags in
 * old and new packet formats. The set is containers/image's, including its `0x3d` where `0x93` (old-format
 * one-pass signature, length type 3) was meant: the same blobs are accepted or refused as there.
 */
const openPgpFirstBytes = new Set([0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x3d, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2]);

function malformed(message: string): SignatureVerificationError {
  return new SignatureVerificationError('MALFORMED_SIGNATURE', message);
}

function hexByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** What an unrecognized blob looks like, for the error message. */
function describeStart(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (/^\s*-----BEGIN PGP SIGNED MESSAGE-----/.test(head)) return 'an OpenPGP cleartext-signed message (gpg --clearsign)';
  if (/^\s*-----BEGIN PGP SIGNATURE-----/.test(head)) return 'an ASCII-armored OpenPGP signature (-----BEGIN PGP SIGNATURE-----)';
  if (/^\s*-----BEGIN PGP/.test(head)) return 'ASCII-armored OpenPGP data (-----BEGIN PGP …)';
  if (/^\s*[{[]/.test(head)) return 'JSON text';
  const first = bytes[0] ?? 0;
  return `data starting with byte ${hexByte(first)}`;
}

/** Sniff a stored signature blob. Throws `MALFORMED_SIGNATURE` (or `UNSUPPORTED_FORMAT` for an unknown typed format). */
export function parseSignatureBlob(bytes: Uint8Array): SignatureBlob {
  if (bytes.length === 0) throw malformed('the signature is empty');
  if (bytes.length > limits.signatureBytes) {
    throw malformed(`the signature is ${bytes.length} bytes, more than the limit of ${limits.signatureBytes}`);
  }
  const first = bytes[0] as number;
  if (openPgpFirstBytes.has(first)) return { kind: 'simple-signing', openpgp: Buffer.from(bytes) };
  if (first === 0x00) {
    const newline = bytes.indexOf(0x0a, 1);
    if (newline < 0) throw malformed('invalid typed signature: the format name is not followed by a newline');
    const nameBytes = bytes.subarray(1, newline);
    for (const b of nameBytes) {
      if (b < 32 || b >= 0x7f) throw malformed(`invalid typed signature: non-ASCII byte ${hexByte(b)} in the format name`);
    }
    const name = Buffer.from(nameBytes).toString('latin1');
    const data = Buffer.from(bytes.subarray(newline + 1));
    if (name === 'simple-signing') return { kind: 'simple-signing', openpgp: data };
    if (name === 'sigstore-json') return { kind: 'sigstore-json', json: data };
    throw new SignatureVerificationError('UNSUPPORTED_FORMAT', `unrecognized signature format ${JSON.stringify(name)}`);
  }
  throw malformed(`not a signature: found ${describeStart(bytes)}; a simple signature is a binary OpenPGP message`);
}

/** The bytes to store for a signature: raw OpenPGP for simple signing, the typed form for sigstore. */
export function signatureBlobForStorage(blob: SignatureBlob): Buffer {
  switch (blob.kind) {
    case 'simple-signing':
      return Buffer.from(blob.openpgp);
    case 'sigstore-json':
      return Buffer.concat([Buffer.from([0]), Buffer.from('sigstore-json\n', 'latin1'), blob.json]);
  }
}
