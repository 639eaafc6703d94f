/** `standalone-sign` / `standalone-verify`: skopeo's local-file signing commands, same arguments and output. */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CoreInputError, limits, parseNormalizedNamed, referenceString } from '../../core/index.js';
import { manifestDigest, matchesDigest } from '../../manifest/index.js';
import {
  KeyError,
  SignatureVerificationError,
  createSimpleSignature,
  loadKeyring,
  verifySimpleSignature,
} from '../../signature/index.js';
import type { GlobalOptions } from '../options.js';
import { version } from '../version.js';

async function readInput(path: string, what: string, cap: number): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new CoreInputError('INVALID_ARGUMENT', `cannot read ${what} ${path}: ${(err as Error).message}`);
  }
  if (bytes.length > cap) throw new CoreInputError('TOO_LARGE', `${what} ${path} is larger than ${cap} bytes`);
  return bytes;
}

function normalised(ref: string, what: string): string {
  try {
    return referenceString(parseNormalizedNamed(ref));
  } catch (err) {
    throw new CoreInputError('INVALID_REFERENCE', `${what}: ${(err as Error).message}`);
  }
}

export async function runStandaloneSign(manifestPath: string, dockerReference: string, fingerprint: string, opts: Record<string, unknown>, _globals: GlobalOptions): Promise<number> {
  const output = opts['output'];
  if (typeof output !== 'string') throw new CoreInputError('INVALID_ARGUMENT', 'standalone-sign needs --output SIGNATURE');
  const manifest = await readInput(manifestPath, 'manifest', limits.manifestBytes);
  const passphraseFile = typeof opts['passphraseFile'] === 'string' ? opts['passphraseFile'] : undefined;
  const signature = await createSimpleSignature({
    manifestDigest: manifestDigest(manifest),
    dockerReference: normalised(dockerReference, 'docker reference'),
    signer: { kind: 'gpg', fingerprint, ...(passphraseFile === undefined ? {} : { passphraseFile }) },
    creator: `signet ${version}`,
  });
  await writeFile(output, signature);
  return 0;
}

/** The user's GnuPG public keyring (what gpgme would use), exported by the system gpg. */
async function localKeyring(): Promise<Buffer> {
  try {
    const { stdout } = await promisify(execFile)('gpg', ['--batch', '--no-tty', '--export'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    throw new KeyError('INVALID_KEY', `cannot read the local GPG keyring (gpg --export): ${(err as Error).message}`);
  }
}

export async function runStandaloneVerify(
  manifestPath: string,
  dockerReference: string,
  fingerprints: string,
  signaturePath: string,
  opts: Record<string, unknown>,
  _globals: GlobalOptions,
): Promise<number> {
  const publicKeyFile = typeof opts['publicKeyFile'] === 'string' ? opts['publicKeyFile'] : undefined;
  let expected = fingerprints.split(',').map((f) => f.trim().toUpperCase());
  if (publicKeyFile === undefined && expected.length === 1 && expected[0] === 'ANY') {
    throw new CoreInputError('INVALID_ARGUMENT', 'cannot use "any" fingerprint without --public-key-file');
  }
  const manifest = await readInput(manifestPath, 'manifest', limits.manifestBytes);
  const signature = await readInput(signaturePath, 'signature', limits.signatureBytes);
  const keyring = await loadKeyring(publicKeyFile === undefined ? await localKeyring() : await readInput(publicKeyFile, 'public key file', limits.signatureBytes), publicKeyFile ?? 'the local GPG keyring');
  if (expected.length === 1 && expected[0] === 'ANY') expected = keyring.fingerprints();
  const { signer, payload } = await verifySimpleSignature(signature, keyring);
  if (!expected.includes(signer)) {
    throw new SignatureVerificationError('KEY_NOT_TRUSTED', `signature by key ${signer} does not match the expected fingerprints ${expected.join(', ')}`);
  }
  if (!matchesDigest(manifest, payload.dockerManifestDigest)) {
    throw new SignatureVerificationError('DIGEST_MISMATCH', `the signature is for manifest digest ${payload.dockerManifestDigest}, but ${manifestPath} has digest ${manifestDigest(manifest)}`);
  }
  const want = normalised(dockerReference, 'docker reference');
  let got: string;
  try {
    got = referenceString(parseNormalizedNamed(payload.dockerReference));
  } catch (err) {
    throw new SignatureVerificationError('MALFORMED_SIGNATURE', `the signature names an invalid reference: ${(err as Error).message}`);
  }
  if (got !== want) throw new SignatureVerificationError('IDENTITY_MISMATCH', `the signature is for ${got}, not ${want}`);
  process.stdout.write(`Signature verified using fingerprint ${signer}, digest ${payload.dockerManifestDigest}\n`);
  return 0;
}
