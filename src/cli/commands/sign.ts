/**
 * `sign IMAGE --key FILE`: an OpenPGP key makes a simple signature, a cosign key a cosign signature (`.sig` tag) or,
 * with `--format bundle`, a sigstore bundle attached as an OCI referrer.
 */
import { readFile } from 'node:fs/promises';
import { CoreInputError, limits } from '../../core/index.js';
import { signImage, type SignRequest } from '../../sign/index.js';
import { KeyError, decryptCosignPrivateKey } from '../../signature/index.js';
import { parseImageName } from '../../transports/index.js';
import { systemContext } from '../context.js';
import { lookasideStagingFor, readFirstLine } from '../inputs.js';
import type { GlobalOptions } from '../options.js';
import { readSecret } from '../prompt.js';
import { version } from '../version.js';

function parseAnnotations(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CoreInputError('INVALID_ARGUMENT', `-a ${v}: expected KEY=VALUE`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export async function runSign(image: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ref = parseImageName(image);
  const keyPath = opts['key'];
  if (typeof keyPath !== 'string') throw new CoreInputError('INVALID_ARGUMENT', 'sign needs --key FILE');
  let key: Buffer;
  try {
    key = await readFile(keyPath);
  } catch (err) {
    throw new CoreInputError('INVALID_ARGUMENT', `--key: cannot read ${keyPath}: ${(err as Error).message}`);
  }
  if (key.length > limits.signatureBytes) throw new KeyError('INVALID_KEY', `--key ${keyPath} is larger than ${limits.signatureBytes} bytes`);
  const isCosignKey = /-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(key.subarray(0, 200).toString('latin1'));
  const format = typeof opts['format'] === 'string' ? opts['format'] : isCosignKey ? 'cosign' : 'simple';
  const annotations = parseAnnotations(Array.isArray(opts['annotation']) ? (opts['annotation'] as string[]) : []);
  const passphraseFile = typeof opts['passphraseFile'] === 'string' ? opts['passphraseFile'] : undefined;

  let request: SignRequest;
  if (format === 'cosign' || format === 'bundle') {
    if (!isCosignKey) throw new KeyError('INVALID_KEY', `${keyPath} is not a cosign private key (ENCRYPTED SIGSTORE PRIVATE KEY)`);
    if (format === 'bundle') {
      if (Object.keys(annotations).length > 0) throw new CoreInputError('INVALID_ARGUMENT', '-a annotations belong to cosign .sig signatures; a bundle signs only the digest');
      if (opts['identity'] !== undefined) throw new CoreInputError('INVALID_ARGUMENT', '--identity has no place in a bundle: its statement names only the manifest digest');
    }
    let password = passphraseFile !== undefined ? await readFirstLine(passphraseFile, '--passphrase-file') : process.env['COSIGN_PASSWORD'];
    if (password === undefined) {
      if (process.stdin.isTTY !== true) throw new KeyError('PASSWORD_REQUIRED', `${keyPath} is encrypted: set COSIGN_PASSWORD, give --passphrase-file, or run on a terminal`);
      password = await readSecret(`Enter password for private key ${keyPath}: `);
    }
    const privateKey = await decryptCosignPrivateKey(key.toString('utf8'), password);
    request = format === 'bundle' ? { format: 'bundle', key: privateKey } : { format: 'cosign', key: privateKey, annotations };
  } else {
    if (isCosignKey) throw new KeyError('INVALID_KEY', `${keyPath} is a cosign key; use --format cosign (the default for such keys) or --format bundle`);
    if (Object.keys(annotations).length > 0) throw new CoreInputError('INVALID_ARGUMENT', '-a annotations belong to cosign signatures; simple signatures have no place for them');
    const passphrase = passphraseFile === undefined ? undefined : await readFirstLine(passphraseFile, '--passphrase-file');
    request = { format: 'simple', signer: { kind: 'key', secretKey: key, ...(passphrase === undefined ? {} : { passphrase }) }, creator: `signet ${version}` };
  }
  let context = systemContext(opts, globals);
  const staging = await lookasideStagingFor(ref, globals);
  if (staging !== undefined) context = { ...context, lookasideStaging: staging };
  const result = await signImage(ref, request, { context, ...(typeof opts['identity'] === 'string' ? { identity: opts['identity'] } : {}) });
  const as = result.identity === undefined ? '' : ` as ${result.identity}`;
  process.stdout.write(
    globals.output === 'json'
      ? JSON.stringify({ image, format, manifestDigest: result.manifestDigest, ...(result.identity === undefined ? {} : { identity: result.identity }), storedAt: result.storedAt }) + '\n'
      : `Signed ${result.manifestDigest}${as} (${format}); stored in ${result.storedAt}\n`,
  );
  return 0;
}
