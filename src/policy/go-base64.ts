/**
 * Base64 as Go's encoding/json decodes a `[]byte` field: the standard alphabet with padding, where carriage
 * returns and newlines are ignored. Anything else is an error.
 */
const grammar = /^[A-Za-z0-9+/]*={0,2}$/;

/** Returns the decoded bytes, or undefined when `text` is not valid padded standard base64. */
export function decodeGoBase64(text: string): Uint8Array | undefined {
  const s = text.replace(/[\r\n]/g, '');
  if (s.length % 4 !== 0 || !grammar.test(s)) return undefined;
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  if (s.slice(0, s.length - padding).includes('=')) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64'));
}
