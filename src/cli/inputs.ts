/** Small inputs the commands read from files and configuration, in one place. */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { CoreInputError, limits } from '../core/index.js';
import { defaultLookasideBase, signatureLocationsFor } from '../policy/index.js';
import type { ImageReference } from '../transports/index.js';
import { loadRegistriesD } from '../verify/index.js';
import type { GlobalOptions } from './options.js';

/** A passphrase file's first line without its line ending, as containers/image reads `--sign-passphrase-file`. */
export async function readFirstLine(path: string, flag: string): Promise<string> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    throw new CoreInputError('INVALID_ARGUMENT', `${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
  if (text.length > limits.smallJsonBytes) throw new CoreInputError('TOO_LARGE', `${flag} ${path} is larger than ${limits.smallJsonBytes} bytes`);
  return text.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
}

/**
 * Where simple signatures of a registry image are written when the registry has no signature extension, as
 * containers/image decides: registries.d's lookaside-staging, else its lookaside, else the built-in default.
 * Undefined for images that are not in a registry.
 */
export async function lookasideStagingFor(ref: ImageReference, globals: GlobalOptions): Promise<string | undefined> {
  if (ref.transport.name !== 'docker' || ref.dockerReference === undefined) return undefined;
  const locations = signatureLocationsFor(await loadRegistriesD(globals['registries.d']), ref.dockerReference);
  return locations.lookasideStaging ?? locations.lookaside ?? defaultLookasideBase({ root: process.getuid?.() === 0, home: homedir() });
}
