/**
 * OpenPGP for simple signatures, on openpgp.js: keyrings (binary or armored, several keys), verification of a
 * binary signed message with the outcomes gpg reports (mapped to verdict codes), and signing with a secret key
 * as `gpg --sign` does. Pure functions of bytes and keys.
 *
 * openpgp.js is stricter than GnuPG 2.2 by default; the configuration below is passed to every call (never set
 * globally) and admits what gpg accepts: RSA keys down to 1024 bits, DSA keys, every curve gpg can create, SHA-1
 * in data and key signatures. MD5 stays refused (gpg refuses it too).
 */
import type * as openpgp from 'openpgp';
import type { Config, Key, PrivateKey, PublicKey, SignaturePacket, Subkey } from 'openpgp';
import { describeError, limits } from '../core/index.js';
import { KeyError, SignatureVerificationError, SigningError } from './errors.js';

interface OpenPgpLib {
  readonly pgp: typeof openpgp;
  /** openpgp.js settings for GnuPG parity (a full config: some lower-level calls require one). */
  readonly config: Config;
}

let loaded: Promise<OpenPgpLib> | undefined;

/**
 * openpgp.js, loaded on first use: it is half a megabyte of code, and commands that check no OpenPGP signature
 * (most copies, inspect) start without it.
 */
function openpgpLib(): Promise<OpenPgpLib> {
  loaded ??= import('openpgp').then((pgp) => ({
    pgp,
    config: {
      ...pgp.config,
      minRSABits: 1024,
      rejectPublicKeyAlgorithms: new Set(),
      rejectCurves: new Set(),
      rejectHashAlgorithms: new Set([pgp.enums.hash.md5]),
      rejectMessageHashAlgorithms: new Set([pgp.enums.hash.md5]),
      enforceGrammar: true,
      // A signed payload is a few hundred bytes; refuse to inflate compression bombs.
      maxDecompressedMessageSize: limits.signatureBytes,
      // Produce signatures shaped like gpg's: no salt notation.
      nonDeterministicSignaturesViaNotation: false,
    },
  }));
  return loaded;
}

/** A set of trusted public keys. Obtain one with `loadKeyring`. */
export interface Keyring {
  /** Uppercase hex fingerprints of the primary keys, in the order they were read. */
  fingerprints(): string[];
}

class OpenPgpKeyring implements Keyring {
  readonly #keys: readonly PublicKey[];
  constructor(keys: readonly PublicKey[]) {
    this.#keys = keys;
  }
  fingerprints(): string[] {
    return this.#keys.map((k) => k.getFingerprint().toUpperCase());
  }
  /** @internal */
  keys(): readonly PublicKey[] {
    return this.#keys;
  }
}

function keysOf(keyring: Keyring): readonly PublicKey[] {
  if (!(keyring instanceof OpenPgpKeyring)) throw new TypeError('keyring must come from loadKeyring()');
  return keyring.keys();
}

const armorHeader = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g;

function looksArmored(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1');
  return /^\s*-----BEGIN PGP /.test(head) || (bytes.length > 0 && ((bytes[0] as number) & 0x80) === 0);
}

/**
 * Read a keyring: binary packets (possibly several keys one after the other) or ASCII armor (possibly several
 * blocks). Secret keys contribute their public part. A key that appears more than once is merged, as
 * `gpg --import` does. Throws `KeyError('INVALID_KEY')` when nothing usable is found.
 */
export async function loadKeyring(bytes: Uint8Array, source: string): Promise<Keyring> {
  const { pgp, config } = await openpgpLib();
  let read: Key[] = [];
  if (Buffer.from(bytes).toString('latin1').trim() === '') throw new KeyError('INVALID_KEY', `${source} holds no public keys`);
  try {
    if (looksArmored(bytes)) {
      const text = Buffer.from(bytes).toString('utf8');
      const blocks = text.match(armorHeader) ?? [];
      for (const block of blocks) read.push(...(await pgp.readKeys({ armoredKeys: block, config: config })));
    } else {
      read = await pgp.readKeys({ binaryKeys: bytes, config: config });
    }
  } catch (err: unknown) {
    throw new KeyError('INVALID_KEY', `${source} is not a valid OpenPGP keyring: ${describeError(err)}`, { cause: err });
  }
  const byFingerprint = new Map<string, PublicKey>();
  for (const key of read) {
    const pub = key.isPrivate() ? key.toPublic() : (key as PublicKey);
    const fpr = pub.getFingerprint();
    const seen = byFingerprint.get(fpr);
    if (seen === undefined) {
      byFingerprint.set(fpr, pub);
    } else {
      try {
        byFingerprint.set(fpr, await seen.update(pub, new Date(), config));
      } catch {
        // Not mergeable: keep the first copy.
      }
    }
  }
  if (byFingerprint.size === 0) throw new KeyError('INVALID_KEY', `${source} holds no public keys`);
  return new OpenPgpKeyring([...byFingerprint.values()]);
}

export interface OpenPgpVerification {
  /** Uppercase hex fingerprint of the primary key of the signer. */
  readonly signer: string;
  /** Uppercase hex fingerprint of the key (primary or subkey) that made the signature. */
  readonly signedBy: string;
  /** The signed content (the literal data). */
  readonly content: Buffer;
  /** The signature's creation time. */
  readonly created: Date;
}

function fail(code: 'MALFORMED_SIGNATURE' | 'KEY_NOT_TRUSTED' | 'BAD_SIGNATURE' | 'KEY_EXPIRED' | 'KEY_REVOKED' | 'SIGNATURE_EXPIRED', message: string, cause?: unknown): SignatureVerificationError {
  return new SignatureVerificationError(code, message, cause === undefined ? undefined : { cause });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** What a blob that is not a binary OpenPGP message looks like. */
function describeNonBinary(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (/^\s*-----BEGIN PGP SIGNED MESSAGE-----/.test(head)) return 'a cleartext-signed message (gpg --clearsign)';
  if (/^\s*-----BEGIN PGP/.test(head)) return 'ASCII-armored OpenPGP data';
  return `data starting with byte 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}`;
}

/** `Subkey.isRevoked` with no particular binding signature: any valid revocation of the subkey counts. */
async function subkeyRevoked(subkey: Subkey, now: Date, config: Config): Promise<boolean> {
  const isRevoked = subkey.isRevoked as unknown as (this: Subkey, s: SignaturePacket | null, k: null, d: Date, c: Config) => Promise<boolean>;
  return isRevoked.call(subkey, null, null, now, config);
}

function isExpiredAt(expiry: Date | number | null, now: Date): boolean {
  return expiry instanceof Date && now.getTime() >= expiry.getTime();
}

/**
 * Verify a simple signature's OpenPGP message against a keyring, with the checks and outcomes of gpg (as
 * containers/image uses it through gpgme):
 *
 * - not a binary signed message (cleartext, detached, armored, garbage, truncated), or not exactly one signature
 *   → `MALFORMED_SIGNATURE`;
 * - signer not in the keyring → `KEY_NOT_TRUSTED`;
 * - signature does not verify → `BAD_SIGNATURE`;
 * - then, in gpg's order of precedence: signature expired → `SIGNATURE_EXPIRED`; key (or signing subkey) expired →
 *   `KEY_EXPIRED`; key or signing subkey revoked → `KEY_REVOKED`.
 *
 * A signature made by a subkey is reported with its primary key's fingerprint as `signer`.
 */
export async function verifyOpenPgpSignature(blob: Uint8Array, keyring: Keyring, now: Date = new Date()): Promise<OpenPgpVerification> {
  const keys = keysOf(keyring);
  if (blob.length === 0) throw fail('MALFORMED_SIGNATURE', 'the signature is empty');
  if (((blob[0] as number) & 0x80) === 0) {
    throw fail('MALFORMED_SIGNATURE', `not a binary OpenPGP signed message: found ${describeNonBinary(blob)}`);
  }
  const { pgp, config } = await openpgpLib();

  let literal: openpgp.LiteralDataPacket | undefined;
  let sig: SignaturePacket;
  let verified: Promise<true>;
  let content: Uint8Array;
  try {
    const message = await pgp.readMessage({ binaryMessage: blob, config: config });
    const inner = message.unwrapCompressed();
    const literals = inner.packets.filterByTag(pgp.enums.packet.literalData);
    if (literals.length === 0) {
      throw fail('MALFORMED_SIGNATURE', 'the OpenPGP data holds no signed content (a detached signature?); a simple signature is a signed message');
    }
    literal = literals[0] as openpgp.LiteralDataPacket;
    const result = await pgp.verify({ message, verificationKeys: [...keys], format: 'binary', date: now, config: config });
    if (result.signatures.length !== 1) {
      throw fail('MALFORMED_SIGNATURE', `expected exactly 1 signature in the OpenPGP message, got ${result.signatures.length}`);
    }
    content = result.data;
    const only = result.signatures[0] as (typeof result.signatures)[number];
    verified = only.verified;
    const packet = (await only.signature).packets[0];
    if (packet === undefined) throw fail('MALFORMED_SIGNATURE', 'the OpenPGP message has no signature packet');
    sig = packet;
  } catch (err: unknown) {
    if (err instanceof SignatureVerificationError) throw err;
    throw fail('MALFORMED_SIGNATURE', `not a valid OpenPGP signed message: ${describeError(err)}`, err);
  }

  // Which trusted key made it?
  const issuerFingerprint = sig.issuerFingerprint === null || sig.issuerFingerprint === undefined ? undefined : hex(sig.issuerFingerprint);
  let primary: PublicKey | undefined;
  let signingKey: PublicKey | Subkey | undefined;
  for (const key of keys) {
    const candidates = key.getKeys(sig.issuerKeyID).filter((k) => issuerFingerprint === undefined || k.getFingerprint().toUpperCase() === issuerFingerprint);
    if (candidates.length > 0) {
      primary = key;
      signingKey = candidates[0];
      break;
    }
  }
  if (primary === undefined || signingKey === undefined) {
    const named = issuerFingerprint ?? sig.issuerKeyID.toHex().toUpperCase();
    throw new SignatureVerificationError(
      'KEY_NOT_TRUSTED',
      `signed with a key that is not trusted here (${issuerFingerprint === undefined ? 'key ID' : 'fingerprint'} ${named})`,
      { signer: named },
    );
  }
  const signer = primary.getFingerprint().toUpperCase();
  const signedBy = signingKey.getFingerprint().toUpperCase();
  const byWhat = signedBy === signer ? `key ${signer}` : `subkey ${signedBy} of key ${signer}`;

  // openpgp.js's full check (mathematics, key binding, signing capability, times) is already running; when it
  // passes, the mathematics hold. Only when it fails is the mathematics checked alone, at no particular time,
  // to tell a bad signature from the validity codes below — the same outcomes, one verification on success.
  const fullCheckError = await verified.then(
    () => undefined,
    (err: unknown) => err ?? new Error('verification failed'),
  );
  if (fullCheckError !== undefined) {
    try {
      await sig.verify(signingKey.keyPacket, sig.signatureType as openpgp.enums.signature, literal, null as unknown as Date, false, config);
    } catch (err: unknown) {
      throw fail('BAD_SIGNATURE', `the signature by ${byWhat} does not verify: ${describeError(err)}`, err);
    }
  }

  // Validity now, in gpg's order: EXPSIG, EXPKEYSIG, REVKEYSIG.
  const sigExpiry = sig.getExpirationTime();
  if (isExpiredAt(sigExpiry, now)) {
    throw fail('SIGNATURE_EXPIRED', `the signature by ${byWhat} expired on ${(sigExpiry as Date).toISOString()}`);
  }
  const primaryRevoked = await primary.isRevoked(undefined, undefined, now, config);
  const subkeyIsRevoked = signingKey !== primary && !primaryRevoked && (await subkeyRevoked(signingKey as Subkey, now, config));
  if (!primaryRevoked && !subkeyIsRevoked) {
    const primaryExpiry = await primary.getExpirationTime(undefined, config);
    if (isExpiredAt(primaryExpiry, now)) {
      throw fail('KEY_EXPIRED', `key ${signer} expired on ${(primaryExpiry as Date).toISOString()}`);
    }
    if (signingKey !== primary) {
      const subkeyExpiry = await (signingKey as Subkey).getExpirationTime(now, config);
      if (isExpiredAt(subkeyExpiry, now)) {
        throw fail('KEY_EXPIRED', `subkey ${signedBy} of key ${signer} expired on ${(subkeyExpiry as Date).toISOString()}`);
      }
    }
  }
  if (primaryRevoked) throw fail('KEY_REVOKED', `key ${signer} has been revoked`);
  if (subkeyIsRevoked) throw fail('KEY_REVOKED', `subkey ${signedBy} of key ${signer} has been revoked`);

  // Everything else openpgp.js checks (key binding, signing capability, key newer than the signature, …).
  if (fullCheckError !== undefined) {
    throw fail('BAD_SIGNATURE', `the signature by ${byWhat} is not valid: ${describeError(fullCheckError)}`, fullCheckError);
  }
  return { signer, signedBy, content: Buffer.from(content), created: sig.created ?? new Date(0) };
}

async function readSecretKey(bytes: Uint8Array): Promise<PrivateKey> {
  const { pgp, config } = await openpgpLib();
  const armored = looksArmored(bytes);
  try {
    return armored
      ? await pgp.readPrivateKey({ armoredKey: Buffer.from(bytes).toString('utf8'), config: config })
      : await pgp.readPrivateKey({ binaryKey: bytes, config: config });
  } catch (err: unknown) {
    let isPublic = false;
    try {
      const keys = armored
        ? await pgp.readKeys({ armoredKeys: Buffer.from(bytes).toString('utf8'), config: config })
        : await pgp.readKeys({ binaryKeys: bytes, config: config });
      isPublic = keys.length > 0 && keys.every((k) => !k.isPrivate());
    } catch {
      // neither
    }
    if (isPublic) throw new KeyError('INVALID_KEY', 'the key is a public key; signing needs the secret key', { cause: err });
    throw new KeyError('INVALID_KEY', `not an OpenPGP secret key: ${describeError(err)}`, { cause: err });
  }
}

/**
 * Sign `content` with an OpenPGP secret key (armored or binary, as `gpg --export-secret-keys` writes it), giving
 * a binary signed message like `gpg --sign`: one-pass signature, literal data, signature. The key's preferred
 * signing key is used (a signing subkey when there is one, as gpg does).
 */
export async function signOpenPgpWithKey(content: Uint8Array, armoredOrBinarySecretKey: Uint8Array, passphrase?: string): Promise<Buffer> {
  const { pgp, config } = await openpgpLib();
  let key = await readSecretKey(armoredOrBinarySecretKey);
  if (!key.isDecrypted()) {
    if (passphrase === undefined) throw new KeyError('PASSWORD_REQUIRED', `secret key ${key.getFingerprint().toUpperCase()} is protected by a passphrase`);
    try {
      key = await pgp.decryptKey({ privateKey: key, passphrase, config: config });
    } catch (err: unknown) {
      throw new KeyError('WRONG_PASSWORD', `cannot unlock secret key ${key.getFingerprint().toUpperCase()}: ${describeError(err)}`, { cause: err });
    }
  }
  try {
    const message = await pgp.createMessage({ binary: content, format: 'binary' });
    const signed = await pgp.sign({ message, signingKeys: key, format: 'binary', config: config });
    return Buffer.from(signed);
  } catch (err: unknown) {
    throw new SigningError('SIGNING_FAILED', `signing with key ${key.getFingerprint().toUpperCase()} failed: ${describeError(err)}`, { cause: err });
  }
}

export interface UntrustedOpenPgpContent {
  /** The signed content, not verified against any key. */
  readonly untrustedContent: Buffer;
  /** The issuer named in the signature packet (fingerprint when present, else key ID), upper-case hex. */
  readonly untrustedIssuer: string;
}

/**
 * Read a binary OpenPGP signed message (one signature, literal data) without verifying it: what a server
 * needs to check the shape of an uploaded simple signature before storing it. Throws `MALFORMED_SIGNATURE`.
 */
export async function readOpenPgpSignedMessage(blob: Uint8Array): Promise<UntrustedOpenPgpContent> {
  if (blob.length === 0) throw fail('MALFORMED_SIGNATURE', 'the signature is empty');
  if (((blob[0] as number) & 0x80) === 0) {
    throw fail('MALFORMED_SIGNATURE', `not a binary OpenPGP signed message: found ${describeNonBinary(blob)}`);
  }
  const { pgp, config } = await openpgpLib();
  try {
    const message = await pgp.readMessage({ binaryMessage: blob, config: config });
    const inner = message.unwrapCompressed();
    const literals = inner.packets.filterByTag(pgp.enums.packet.literalData);
    if (literals.length !== 1) throw fail('MALFORMED_SIGNATURE', `expected one literal data packet in the OpenPGP message, got ${literals.length}`);
    // With no keys, verify() still reads every signature (each one's check fails for want of a key).
    const result = await pgp.verify({ message, verificationKeys: [], format: 'binary', config: config });
    if (result.signatures.length !== 1) {
      throw fail('MALFORMED_SIGNATURE', `expected exactly 1 signature in the OpenPGP message, got ${result.signatures.length}`);
    }
    const only = result.signatures[0] as (typeof result.signatures)[number];
    only.verified.catch(() => undefined);
    const sig = (await only.signature).packets[0];
    if (sig === undefined) throw fail('MALFORMED_SIGNATURE', 'the OpenPGP message has no signature packet');
    const content = result.data;
    const issuer = sig.issuerFingerprint === null || sig.issuerFingerprint === undefined ? sig.issuerKeyID.toHex().toUpperCase() : hex(sig.issuerFingerprint);
    return { untrustedContent: Buffer.from(content), untrustedIssuer: issuer };
  } catch (err: unknown) {
    if (err instanceof SignatureVerificationError) throw err;
    throw fail('MALFORMED_SIGNATURE', `not a valid OpenPGP signed message: ${describeError(err)}`, err);
  }
}
