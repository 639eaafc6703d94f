/** Shared helpers for the cosign tests: raw key-file sealing with any parameters, openssl runs, temp dirs. */
import { randomBytes, scryptSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';

export interface SealOptions {
  readonly N?: number;
  readonly r?: number;
  readonly p?: number;
  readonly pemType?: string;
  /** Replace the JSON body before PEM encoding (to break it one way at a time). */
  readonly mutate?: (body: Record<string, unknown>) => unknown;
}

function pem(type: string, bytes: Buffer): string {
  const b64 = bytes.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;
}

/** An encrypted key file built independently of the code under test; any scrypt parameters. */
export function sealKeyFile(plaintext: Buffer, password: string, options: SealOptions = {}): string {
  const N = options.N ?? 65536;
  const r = options.r ?? 8;
  const p = options.p ?? 1;
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  // Only the accepted parameter sets are ever derived; others must be refused before any work is done.
  const key = [32768, 65536, 131072].includes(N) && r === 8 && p === 1 ? scryptSync(password, salt, 32, { N, r, p, maxmem: 512 * 1024 * 1024 }) : randomBytes(32);
  const ciphertext = Buffer.from(nacl.secretbox(plaintext, nonce, key));
  const body: Record<string, unknown> = {
    kdf: { name: 'scrypt', params: { N, r, p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: ciphertext.toString('base64'),
  };
  const final = options.mutate === undefined ? body : options.mutate(body);
  const text = typeof final === 'string' ? final : JSON.stringify(final);
  return pem(options.pemType ?? 'ENCRYPTED SIGSTORE PRIVATE KEY', Buffer.from(text, 'utf8'));
}

export function pemBlock(type: string, bytes: Buffer): string {
  return pem(type, bytes);
}

/** The JSON body of an encrypted key file's PEM block. */
export function pemBody(text: string): string {
  const m = /-----BEGIN [A-Z ]+-----\n([\s\S]*?)-----END/.exec(text);
  if (m === null) throw new Error('no PEM block');
  return Buffer.from(m[1]!.replace(/\s/g, ''), 'base64').toString('utf8');
}

export function openssl(args: string[], input?: Buffer | string, cwd?: string): Buffer {
  return execFileSync('openssl', args, { input, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
