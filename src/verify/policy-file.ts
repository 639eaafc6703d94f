/** Where the trust policy and registries.d come from, as the containers tools look for them (SPEC §3). */
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { limits } from '../core/index.js';
import { parsePolicy, parseRegistriesDirectory, type Policy, type RegistriesConfig } from '../policy/index.js';
import { VerifyError } from './errors.js';

export interface LoadedPolicy {
  readonly policy: Policy;
  /** The policy file, or a description such as `--key cosign.pub`. */
  readonly source: string;
  /**
   * Also read sigstore bundles from the image's OCI referrers and verify them under the policy's key-based
   * sigstoreSigned requirements. Only for Signet's implicit policy of `verify --key` with cosign public keys:
   * containers/image policies do not read bundles, so with a policy file they never change the decision.
   */
  readonly verifyBundles?: boolean;
}

function home(env: Readonly<Record<string, string | undefined>>): string {
  return env['HOME'] ?? homedir();
}

/** `--policy FILE`, else `$HOME/.config/containers/policy.json`, else `/etc/containers/policy.json`. */
export async function loadPolicy(path: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): Promise<LoadedPolicy> {
  const candidates = path !== undefined ? [path] : [join(home(env), '.config/containers/policy.json'), '/etc/containers/policy.json'];
  for (const candidate of candidates) {
    let text: Buffer;
    try {
      text = await readFile(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && path === undefined) continue;
      throw new VerifyError(code === 'ENOENT' ? 'POLICY_NOT_FOUND' : 'POLICY_UNREADABLE', `cannot read policy ${candidate}: ${(err as Error).message}`, { cause: err });
    }
    if (text.length > limits.smallJsonBytes) throw new VerifyError('POLICY_UNREADABLE', `policy ${candidate} is larger than ${limits.smallJsonBytes} bytes`);
    return { policy: parsePolicy(text, candidate), source: candidate };
  }
  throw new VerifyError(
    'POLICY_NOT_FOUND',
    `no trust policy: none of ${candidates.join(', ')} exists (give one with --policy, or use --insecure-policy to accept anything)`,
  );
}

/** `--registries.d DIR`, else `$HOME/.config/containers/registries.d` if it exists, else `/etc/containers/registries.d`. */
export async function loadRegistriesD(dir: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): Promise<RegistriesConfig> {
  const candidates = dir !== undefined ? [dir] : [join(home(env), '.config/containers/registries.d'), '/etc/containers/registries.d'];
  for (const candidate of candidates) {
    let names: string[];
    try {
      names = (await readdir(candidate)).filter((n) => n.endsWith('.yaml')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && dir === undefined) continue;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return parseRegistriesDirectory([]);
      throw new VerifyError('POLICY_UNREADABLE', `cannot read registries.d ${candidate}: ${(err as Error).message}`, { cause: err });
    }
    const files = await Promise.all(
      names.map(async (name) => {
        const path = join(candidate, name);
        const bytes = await readFile(path);
        if (bytes.length > limits.smallJsonBytes) throw new VerifyError('POLICY_UNREADABLE', `registries.d file ${path} is larger than ${limits.smallJsonBytes} bytes`);
        return { name: path, text: bytes.toString('utf8') };
      }),
    );
    return parseRegistriesDirectory(files);
  }
  return parseRegistriesDirectory([]);
}
