/**
 * Password hashing with scrypt (node:crypto). A hash is stored as
 *
 *   $scrypt$N=16384,r=8,p=1$<base64 salt>$<base64 key>
 *
 * with standard, padded base64. New hashes use a random 16-byte salt, N=16384, r=8, p=1 and a 32-byte key.
 * Stored hashes may use other parameters within bounds that keep one check cheap enough to serve: N a power
 * of two from 2 to 2^20, r and p from 1 to 16, 128·N·r at most 256 MiB, a salt of 8 to 64 bytes and a key of
 * 16 to 64 bytes.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AuthError } from './errors.js';

export interface PasswordHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const defaults = { N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;
const maxMemory = 256 * 1024 * 1024;

const hashGrammar = /^\$scrypt\$N=([0-9]{1,8}),r=([0-9]{1,3}),p=([0-9]{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function invalidHash(what: string): AuthError {
  return new AuthError('INVALID_PASSWORD_HASH', `invalid password hash: ${what}`);
}

/** Decodes canonical, padded base64 (what `Buffer.toString('base64')` writes) and nothing else. */
function decodeBase64(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw invalidHash(`the ${what} is not canonical padded base64`);
  return bytes;
}

/**
 * Parses a stored hash and checks its parameters (see the module comment). Throws
 * `AuthError('INVALID_PASSWORD_HASH')`; the message never repeats the hash.
 */
export function parsePasswordHash(encoded: string): PasswordHash {
  const m = hashGrammar.exec(encoded);
  if (m === null) throw invalidHash('expected $scrypt$N=<N>,r=<r>,p=<p>$<base64 salt>$<base64 key>');
  const [, nText, rText, pText, saltText, keyText] = m as unknown as [string, string, string, string, string, string];
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  if (N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0) throw invalidHash(`N must be a power of two from 2 to 2^20, got ${N}`);
  if (r < 1 || r > 16) throw invalidHash(`r must be from 1 to 16, got ${r}`);
  if (p < 1 || p > 16) throw invalidHash(`p must be from 1 to 16, got ${p}`);
  if (128 * N * r > maxMemory) throw invalidHash(`N=${N} with r=${r} needs more than ${maxMemory / 1024 / 1024} MiB`);
  const salt = decodeBase64(saltText, 'salt');
  const key = decodeBase64(keyText, 'key');
  if (salt.length < 8 || salt.length > 64) throw invalidHash(`the salt must be 8 to 64 bytes, got ${salt.length}`);
  if (key.length < 16 || key.length > 64) throw invalidHash(`the key must be 16 to 64 bytes, got ${key.length}`);
  return { N, r, p, salt, key };
}

function derive(password: string, salt: Buffer, keyBytes: number, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * params.p + 32 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, options, (err, key) => (err !== null ? reject(err) : resolve(key)));
  });
}

function encode(h: PasswordHash): string {
  return `$scrypt$N=${h.N},r=${h.r},p=${h.p}$${h.salt.toString('base64')}$${h.key.toString('base64')}`;
}

/**
 * Hashes a password with a fresh random salt and the default parameters. The password is normalised to
 * Unicode NFC first, so that the same characters typed on different systems match.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(defaults.saltBytes);
  const key = await derive(password, salt, defaults.keyBytes, defaults);
  return encode({ N: defaults.N, r: defaults.r, p: defaults.p, salt, key });
}

/**
 * Whether `password` matches the stored hash `encoded`, compared in constant time. A malformed hash (see
 * `parsePasswordHash`) is never matched: the answer is false.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  let parsed: PasswordHash;
  try {
    parsed = parsePasswordHash(encoded);
  } catch {
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(key, parsed.key);
}

/** A user's password as configured: in clear text, or as a hash (`hashPassword`'s format). */
export type StoredCredential = { readonly kind: 'password'; readonly password: string } | { readonly kind: 'passwordHash'; readonly passwordHash: string };

/**
 * Whether `password` matches a configured credential. A clear-text password is compared through SHA-256
 * digests in constant time, so neither its length nor its content leaks through timing.
 */
export async function verifyCredential(credential: StoredCredential, password: string): Promise<boolean> {
  if (credential.kind === 'passwordHash') return verifyPassword(password, credential.passwordHash);
  const expected = createHash('sha256').update(credential.password.normalize('NFC'), 'utf8').digest();
  const actual = createHash('sha256').update(password.normalize('NFC'), 'utf8').digest();
  return timingSafeEqual(expected, actual);
}
