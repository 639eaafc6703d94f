/** Bounded reads of untrusted streams. */
import type { Readable } from 'node:stream';
import { CoreInputError } from './errors.js';

/** Read a whole stream into memory, failing with `TOO_LARGE` once more than `cap` bytes arrive. */
export async function readAllCapped(stream: Readable | AsyncIterable<Uint8Array>, cap: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > cap) {
      if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
      throw new CoreInputError('TOO_LARGE', `${what} is larger than the limit of ${cap} bytes`);
    }
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total);
}
