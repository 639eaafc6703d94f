import { readFile } from 'node:fs/promises';
import { CoreInputError, limits } from '../../core/index.js';
import { manifestDigest } from '../../manifest/index.js';
import type { GlobalOptions } from '../options.js';

export async function runManifestDigest(file: string, globals: GlobalOptions): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new CoreInputError('INVALID_ARGUMENT', `cannot read manifest file ${file}: ${(err as Error).message}`);
  }
  if (bytes.length > limits.manifestBytes) throw new CoreInputError('TOO_LARGE', `${file} is larger than the manifest limit of ${limits.manifestBytes} bytes`);
  const digest = manifestDigest(bytes);
  process.stdout.write(globals.output === 'json' ? JSON.stringify({ digest }) + '\n' : digest + '\n');
}
