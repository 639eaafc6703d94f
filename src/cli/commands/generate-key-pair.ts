/** `generate-key-pair`: cosign-compatible `P.key` (encrypted) and `P.pub`. */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { CoreInputError } from '../../core/index.js';
import { KeyError, generateCosignKeyPair } from '../../signature/index.js';
import type { GlobalOptions } from '../options.js';
import { readSecret } from '../prompt.js';

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  let handle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CoreInputError('INVALID_ARGUMENT', `${path} already exists; not overwriting it`);
    throw new CoreInputError('INVALID_ARGUMENT', `cannot create ${path}: ${(err as Error).message}`);
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function runGenerateKeyPair(opts: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const prefix = typeof opts['outputKeyPrefix'] === 'string' ? opts['outputKeyPrefix'] : 'cosign';
  let password = process.env['COSIGN_PASSWORD'];
  if (password === undefined) {
    if (process.stdin.isTTY !== true) {
      throw new KeyError('PASSWORD_REQUIRED', 'no password: set COSIGN_PASSWORD (it may be empty) or run on a terminal to be asked');
    }
    password = await readSecret('Enter password for private key: ');
    const again = await readSecret('Enter password for private key again: ');
    if (again !== password) throw new KeyError('WRONG_PASSWORD', 'the two passwords differ');
  }
  const pair = await generateCosignKeyPair(password);
  await writeNew(`${prefix}.key`, pair.privateKeyPem, 0o600);
  await writeNew(`${prefix}.pub`, pair.publicKeyPem, 0o644);
  const lines = globals.output === 'json' ? JSON.stringify({ privateKey: `${prefix}.key`, publicKey: `${prefix}.pub` }) : `Private key written to ${prefix}.key\nPublic key written to ${prefix}.pub`;
  process.stdout.write(lines + '\n');
  return 0;
}
