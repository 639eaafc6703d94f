/**
 * Signing through the system `gpg`, as containers/image does through gpgme for `--sign-by FPR`: the secret key
 * stays in the user's GnuPG home (or agent, smartcard, …) and gpg produces the binary signed message.
 * This is the signature domain's only I/O.
 */
import { spawn } from 'node:child_process';
import { SigningError } from './errors.js';

export interface GpgSignOptions {
  /** GnuPG home directory (`--homedir`); default: `$GNUPGHOME` or `~/.gnupg`, as gpg decides. */
  readonly gnupgHome?: string;
  /** A file whose first line is the passphrase of the secret key. */
  readonly passphraseFile?: string;
  /** Environment of the gpg process (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** The gpg executable (default `gpg` on the PATH). */
  readonly gpgPath?: string;
}

const stderrLimit = 64 * 1024;

/**
 * Sign `content` with the secret key `fingerprint` using `gpg --sign` (binary, not armored). Throws
 * `SigningError('SIGNING_FAILED')` with gpg's messages when gpg fails.
 */
export function signWithGpg(content: Uint8Array, fingerprint: string, options: GpgSignOptions = {}): Promise<Buffer> {
  const args = ['--batch', '--no-tty', '--pinentry-mode', 'loopback'];
  if (options.gnupgHome !== undefined) args.push('--homedir', options.gnupgHome);
  if (options.passphraseFile !== undefined) args.push('--passphrase-file', options.passphraseFile);
  args.push('--no-armor', '--local-user', fingerprint, '--output', '-', '--sign');
  const gpg = options.gpgPath ?? 'gpg';
  return new Promise((resolve, reject) => {
    const child = spawn(gpg, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < stderrLimit) err += d.toString('utf8');
    });
    child.on('error', (e) => reject(new SigningError('SIGNING_FAILED', `cannot run ${gpg}: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      const output = Buffer.concat(out);
      if (code === 0 && output.length > 0) {
        resolve(output);
        return;
      }
      const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
      reject(new SigningError('SIGNING_FAILED', `gpg --sign with key ${fingerprint} ${how}: ${err.trim() || 'no output'}`));
    });
    // gpg may exit before reading its input (unknown key); the resulting EPIPE is reported through "close".
    child.stdin.on('error', () => {});
    child.stdin.end(Buffer.from(content));
  });
}
