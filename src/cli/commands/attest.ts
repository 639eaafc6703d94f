/**
 * `attest IMAGE --predicate FILE --type T --key FILE` and `verify-attestation IMAGE --key PUB [--type T]`:
 * cosign-format in-toto attestations in the image's `sha256-<hex>.att` tag.
 */
import { readFile } from 'node:fs/promises';
import { attestImage, verifyAttestations, type AttestationVerdict, type AttestationVerification } from '../../attest/index.js';
import { CoreInputError, limits } from '../../core/index.js';
import { KeyError, decryptCosignPrivateKey, parsePublicKey } from '../../signature/index.js';
import { parseImageName } from '../../transports/index.js';
import { systemContext } from '../context.js';
import type { GlobalOptions } from '../options.js';
import { readSecret } from '../prompt.js';

async function readInput(path: string, flag: string, cap: number): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new CoreInputError('INVALID_ARGUMENT', `${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
  if (bytes.length > cap) throw new CoreInputError('TOO_LARGE', `${flag} ${path} has ${bytes.length} bytes, over the ${cap}-byte limit`);
  return bytes;
}

async function cosignPassword(keyPath: string, passphraseFile: string | undefined): Promise<string> {
  if (passphraseFile !== undefined) return (await readInput(passphraseFile, '--passphrase-file', limits.smallJsonBytes)).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  const env = process.env['COSIGN_PASSWORD'];
  if (env !== undefined) return env;
  if (process.stdin.isTTY !== true) throw new KeyError('PASSWORD_REQUIRED', `${keyPath} is encrypted: set COSIGN_PASSWORD, give --passphrase-file, or run on a terminal`);
  return readSecret(`Enter password for private key ${keyPath}: `);
}

export async function runAttest(image: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ref = parseImageName(image);
  const keyPath = opts['key'];
  const predicatePath = opts['predicate'];
  if (typeof keyPath !== 'string') throw new CoreInputError('INVALID_ARGUMENT', 'attest needs --key FILE');
  if (typeof predicatePath !== 'string') throw new CoreInputError('INVALID_ARGUMENT', 'attest needs --predicate FILE');
  const predicateType = typeof opts['type'] === 'string' ? opts['type'] : 'custom';
  const keyPem = (await readInput(keyPath, '--key', limits.smallJsonBytes)).toString('utf8');
  if (!/-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(keyPem)) {
    throw new KeyError('INVALID_KEY', `${keyPath} is not a cosign private key (ENCRYPTED SIGSTORE PRIVATE KEY)`);
  }
  const predicate = await readInput(predicatePath, '--predicate', limits.signatureBytes);
  const passphraseFile = typeof opts['passphraseFile'] === 'string' ? opts['passphraseFile'] : undefined;
  const key = await decryptCosignPrivateKey(keyPem, await cosignPassword(keyPath, passphraseFile));
  const result = await attestImage(ref, { predicate, predicateType, key }, { context: systemContext(opts, globals) });
  process.stdout.write(
    globals.output === 'json'
      ? JSON.stringify({ image, manifestDigest: result.manifestDigest, predicateType: result.predicateType, storedAt: result.storedAt, layerDigest: result.layerDigest }) + '\n'
      : `Attested ${result.manifestDigest} with a ${result.predicateType} statement; stored in ${result.storedAt}\n`,
  );
  return 0;
}

function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

function attestationLine(a: AttestationVerdict): string {
  const type = a.predicateType === '' ? 'no predicate type' : a.predicateType;
  const signer = a.signer !== undefined ? `, signer ${a.signer}` : '';
  const state = !a.applicable ? 'not applicable' : a.accepted ? 'accepted' : `rejected${a.code !== undefined ? ` (${a.code})` : ''}`;
  return `  Attestation ${a.index} (${type}, layer ${a.layerDigest}${signer}): ${state}: ${sentence(a.message)}`;
}

/** The result in sentences: the decision, then one line per `.att` layer with why. */
export function renderAttestationText(v: AttestationVerification): string {
  const lines = [
    `${v.image} is ${v.allowed ? 'allowed' : 'rejected'}${v.code !== undefined ? ` (${v.code})` : ''}: ${sentence(v.message)}`,
    `Manifest ${v.manifestDigest}, attestations in ${v.tag}${v.predicateType !== undefined ? `, predicate type ${v.predicateType}` : ''}.`,
    ...v.attestations.map(attestationLine),
  ];
  return `${lines.join('\n')}\n`;
}

export async function runVerifyAttestation(image: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ref = parseImageName(image);
  const keyPaths = Array.isArray(opts['key']) ? (opts['key'] as string[]) : typeof opts['key'] === 'string' ? [opts['key']] : [];
  if (keyPaths.length === 0) throw new CoreInputError('INVALID_ARGUMENT', 'verify-attestation needs --key PUB');
  const keys = await Promise.all(keyPaths.map(async (p) => parsePublicKey((await readInput(p, '--key', limits.smallJsonBytes)).toString('utf8'))));
  const result = await verifyAttestations(
    ref,
    { keys, ...(typeof opts['type'] === 'string' ? { predicateType: opts['type'] } : {}) },
    { context: systemContext(opts, globals) },
  );
  process.stdout.write(globals.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderAttestationText(result));
  return result.allowed ? 0 : 1;
}
