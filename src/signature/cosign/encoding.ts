/** PEM blocks and strict standard base64, as Go's encoding/pem and encoding/base64.StdEncoding read them. */

export interface PemBlock {
  readonly type: string;
  readonly bytes: Buffer;
}

/** Why `decodePemBlocks` / `decodeBase64` refused the input. */
export class EncodingError extends Error {
  override readonly name = 'EncodingError';
}

const base64Grammar = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Standard base64 with padding (RFC 4648 §4). Refuses other alphabets, missing padding and stray characters; Go's
 * decoder skips CR and LF, and so does this one.
 */
export function decodeBase64(text: string, what: string): Buffer {
  const s = text.replace(/[\r\n]/g, '');
  if (!base64Grammar.test(s) || s.length % 4 !== 0) throw new EncodingError(`${what} is not valid base64`);
  return Buffer.from(s, 'base64');
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** PEM as Go's pem.EncodeToMemory writes it: 64-character lines, one trailing newline. */
export function encodePem(type: string, bytes: Uint8Array): string {
  const b64 = encodeBase64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}-----END ${type}-----\n`;
}

const blockPattern = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Every PEM block in `text`, in order; text between blocks is ignored, as Go does. PEM headers are refused. */
export function decodePemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(blockPattern)) {
    const [, type, body, endType] = m as unknown as [string, string, string, string];
    if (type !== endType) throw new EncodingError(`PEM block "${type}" ends with "END ${endType}"`);
    if (body.includes(':')) throw new EncodingError(`PEM block "${type}" has headers, which are not supported`);
    const b64 = body.replace(/[ \t\r\n]/g, '');
    out.push({ type, bytes: decodeBase64(b64, `the body of PEM block "${type}"`) });
  }
  return out;
}
