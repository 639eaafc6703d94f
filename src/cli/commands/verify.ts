import { readFile } from 'node:fs/promises';
import { CoreInputError, limits } from '../../core/index.js';
import { parsePolicy, renderVerdictJson, renderVerdictText, type Verdict } from '../../policy/index.js';
import { loadKeyring } from '../../signature/index.js';
import { parseImageName } from '../../transports/index.js';
import { verifyImage, verifyInstallable, type VerifyOptions } from '../../verify/index.js';
import { systemContext } from '../context.js';
import type { GlobalOptions } from '../options.js';

/**
 * `--key PUB…`: an implicit policy that trusts exactly these keys for every image. PEM public keys are cosign
 * keys (sigstoreSigned, identity matchRepository as cosign signs repositories), which also verify sigstore bundles
 * attached as OCI referrers (cosign v3's default format); anything else is a GPG keyring.
 */
async function implicitPolicy(keys: readonly string[]): Promise<NonNullable<VerifyOptions['policy']>> {
  const kinds = await Promise.all(
    keys.map(async (k) => {
      let bytes: Buffer;
      try {
        bytes = await readFile(k);
      } catch (err) {
        throw new CoreInputError('INVALID_ARGUMENT', `--key ${k}: ${(err as Error).message}`);
      }
      if (bytes.length > limits.signatureBytes) throw new CoreInputError('TOO_LARGE', `--key ${k} is larger than ${limits.signatureBytes} bytes`);
      if (bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN PUBLIC KEY-----')) return 'cosign';
      // A keyring given on the command line that holds no key is bad input, not a rejection.
      await loadKeyring(bytes, `--key ${k}`);
      return 'gpg';
    }),
  );
  if (new Set(kinds).size > 1) throw new CoreInputError('INVALID_ARGUMENT', '--key: give either GPG keyrings or cosign public keys, not both');
  const requirement =
    kinds[0] === 'cosign'
      ? { type: 'sigstoreSigned', keyPaths: keys, signedIdentity: { type: 'matchRepository' } }
      : { type: 'signedBy', keyType: 'GPGKeys', keyPaths: keys };
  const source = `--key ${keys.join(' --key ')}`;
  return { policy: parsePolicy(JSON.stringify({ default: [requirement] }), source), source, ...(kinds[0] === 'cosign' ? { verifyBundles: true } : {}) };
}

function print(verdict: Verdict, globals: GlobalOptions): number {
  process.stdout.write(globals.output === 'json' ? renderVerdictJson(verdict) : renderVerdictText(verdict));
  return verdict.allowed ? 0 : 1;
}

export async function runVerify(image: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const ref = parseImageName(image);
  const keys = Array.isArray(opts['key']) ? (opts['key'] as string[]) : [];
  const options: { -readonly [K in keyof VerifyOptions]: VerifyOptions[K] } = { context: systemContext(opts, globals) };
  if (keys.length > 0) options.policy = await implicitPolicy(keys);
  else if (globals.policy !== undefined) options.policyPath = globals.policy;
  if (globals['registries.d'] !== undefined) options.registriesDir = globals['registries.d'];
  if (typeof opts['identity'] === 'string') options.identity = opts['identity'];
  return print(await verifyImage(ref, options), globals);
}

export async function runVerifyInstallable(dir: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const identity = opts['identity'];
  if (typeof identity !== 'string') throw new CoreInputError('INVALID_ARGUMENT', 'verify-installable needs --identity REF');
  const options: { -readonly [K in keyof VerifyOptions]: VerifyOptions[K] } = {};
  if (globals.policy !== undefined) options.policyPath = globals.policy;
  return print(await verifyInstallable(dir.startsWith('dir:') ? dir.slice(4) : dir, identity, options), globals);
}
