/**
 * cosign key files. `cosign.key` is a PEM block `ENCRYPTED SIGSTORE PRIVATE KEY` (legacy: `ENCRYPTED COSIGN PRIVATE
 * KEY`) whose body is go-securesystemslib's "encrypted" JSON: scrypt derives a 32-byte key from the password and a
 * random 32-byte salt, and a NaCl secretbox (XSalsa20-Poly1305, random 24-byte nonce) seals the PKCS#8 DER of the
 * private key. `cosign.pub` is a PEM `PUBLIC KEY` (SPKI).
 */
import type * as Nacl from 'tweetnacl';
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, scrypt, X509Certificate, type KeyObject } from 'node:crypto';
import { goMarshal } from '../../core/index.js';
import { KeyError } from '../errors.js';
import { decodeBase64, decodePemBlocks, encodeBase64, encodePem, EncodingError, type PemBlock } from './encoding.js';
import { childJsonPath, isJsonObject, jsonTypeName, parseStrictJson, StrictJsonError, type JsonValue } from './json.js';

export const SIGSTORE_PRIVATE_KEY_PEM_TYPE = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_KEY_PEM_TYPE = 'ENCRYPTED COSIGN PRIVATE KEY';

/** scrypt cost parameters of an encrypted key file. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** The three parameter sets go-securesystemslib writes and the only ones it (and so cosign) will read. */
export const SCRYPT_PARAMS = {
  legacy: { N: 32768, r: 8, p: 1 },
  standard: { N: 65536, r: 8, p: 1 },
  owasp: { N: 131072, r: 8, p: 1 },
} as const satisfies Record<string, ScryptParams>;

const saltBytes = 32;
const nonceBytes = 24;
const boxKeyBytes = 32;

function acceptedParams(params: ScryptParams): boolean {
  return Object.values(SCRYPT_PARAMS).some((q) => q.N === params.N && q.r === params.r && q.p === params.p);
}

function deriveKey(password: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; allow twice that so N=2^17 fits (Node's default cap is 32 MiB).
  const maxmem = 2 * 128 * params.N * params.r * params.p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(password, 'utf8'), salt, boxKeyBytes, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err === null) resolve(key);
      else reject(err);
    });
  });
}

/**
 * Encrypt a private key as cosign does (`encrypted.Encrypt`): returns the PEM text of `cosign.key`.
 * `params` defaults to N=65536, r=8, p=1; only the three accepted parameter sets can be written.
 */
export async function encryptCosignPrivateKey(
  key: KeyObject,
  password: string,
  params: ScryptParams = SCRYPT_PARAMS.standard,
  pemType: typeof SIGSTORE_PRIVATE_KEY_PEM_TYPE | typeof COSIGN_PRIVATE_KEY_PEM_TYPE = SIGSTORE_PRIVATE_KEY_PEM_TYPE,
): Promise<string> {
  if (key.type !== 'private') throw new KeyError('INVALID_KEY', `expected a private key, got a ${key.type} key`);
  if (!acceptedParams(params)) {
    throw new KeyError('INVALID_KEY', `unsupported scrypt parameters N=${params.N} r=${params.r} p=${params.p}`);
  }
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  const salt = randomBytes(saltBytes);
  const nonce = randomBytes(nonceBytes);
  const boxKey = await deriveKey(password, salt, params);
  const nacl = await loadNacl();
  const ciphertext = nacl.secretbox(pkcs8, nonce, boxKey);
  // Field order and names of go-securesystemslib's `data` struct; Go writes []byte as standard base64.
  const body = goMarshal({
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: encodeBase64(salt) },
    cipher: { name: 'nacl/secretbox', nonce: encodeBase64(nonce) },
    ciphertext: encodeBase64(ciphertext),
  });
  return encodePem(pemType, Buffer.from(body, 'utf8'));
}

/** A fresh cosign key pair, as `cosign generate-key-pair` writes it: ECDSA P-256. */
export async function generateCosignKeyPair(
  password: string,
  options: { curve?: 'P-256' } = {},
): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const namedCurve = options.curve ?? 'P-256';
  const { privateKey, publicKey } = await new Promise<{ privateKey: KeyObject; publicKey: KeyObject }>((resolve, reject) => {
    generateKeyPair('ec', { namedCurve }, (err, pub, priv) => {
      if (err === null) resolve({ privateKey: priv, publicKey: pub });
      else reject(err);
    });
  });
  return {
    privateKeyPem: await encryptCosignPrivateKey(privateKey, password),
    publicKeyPem: publicKeyPem(publicKey),
  };
}

function invalid(message: string, cause?: unknown): KeyError {
  return new KeyError('INVALID_KEY', message, cause === undefined ? undefined : { cause });
}

function firstBlock(pem: string, what: string): PemBlock {
  let blocks: PemBlock[];
  try {
    blocks = decodePemBlocks(pem);
  } catch (err: unknown) {
    throw invalid(`${what}: ${err instanceof EncodingError ? err.message : 'malformed PEM'}`, err);
  }
  const first = blocks[0];
  if (first === undefined) throw invalid(`${what}: no PEM block found`);
  return first;
}

function field(obj: JsonValue, key: string, path: string): JsonValue {
  if (!isJsonObject(obj)) throw new StrictJsonError(path, `expected an object, got ${jsonTypeName(obj)}`);
  const v = Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  if (v === undefined) throw new StrictJsonError(childJsonPath(path, key), 'missing field');
  return v;
}

function stringField(obj: JsonValue, key: string, path: string): string {
  const v = field(obj, key, path);
  if (typeof v !== 'string') throw new StrictJsonError(childJsonPath(path, key), `expected a string, got ${jsonTypeName(v)}`);
  return v;
}

function intField(obj: JsonValue, key: string, path: string): number {
  const v = field(obj, key, path);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new StrictJsonError(childJsonPath(path, key), `expected an integer, got ${typeof v === 'number' ? v : jsonTypeName(v)}`);
  }
  return v;
}

interface EncryptedBody {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
}

function parseEncryptedBody(bytes: Buffer): EncryptedBody {
  const doc = parseStrictJson(bytes);
  const kdf = field(doc, 'kdf', '$');
  const kdfName = stringField(kdf, 'name', '$.kdf');
  if (kdfName !== 'scrypt') throw new StrictJsonError('$.kdf.name', `unknown kdf "${kdfName}" (expected "scrypt")`);
  const p = field(kdf, 'params', '$.kdf');
  const params = { N: intField(p, 'N', '$.kdf.params'), r: intField(p, 'r', '$.kdf.params'), p: intField(p, 'p', '$.kdf.params') };
  const cipher = field(doc, 'cipher', '$');
  const cipherName = stringField(cipher, 'name', '$.cipher');
  if (cipherName !== 'nacl/secretbox') {
    throw new StrictJsonError('$.cipher.name', `unknown cipher "${cipherName}" (expected "nacl/secretbox")`);
  }
  const salt = decodeBase64(stringField(kdf, 'salt', '$.kdf'), '$.kdf.salt');
  const nonce = decodeBase64(stringField(cipher, 'nonce', '$.cipher'), '$.cipher.nonce');
  const ciphertext = decodeBase64(stringField(doc, 'ciphertext', '$'), '$.ciphertext');
  return { params, salt, nonce, ciphertext };
}

/**
 * Decrypt `cosign.key` (PEM `ENCRYPTED SIGSTORE PRIVATE KEY` or `ENCRYPTED COSIGN PRIVATE KEY`) with `password`.
 * Throws `KeyError('WRONG_PASSWORD')` when the secretbox does not open, `KeyError('INVALID_KEY')` for anything
 * malformed, including scrypt parameters other than the three go-securesystemslib accepts.
 */
export async function decryptCosignPrivateKey(pem: string, password: string): Promise<KeyObject> {
  const block = firstBlock(pem, 'cosign private key');
  if (block.type !== SIGSTORE_PRIVATE_KEY_PEM_TYPE && block.type !== COSIGN_PRIVATE_KEY_PEM_TYPE) {
    throw invalid(
      `cosign private key: unsupported PEM type "${block.type}" (expected "${SIGSTORE_PRIVATE_KEY_PEM_TYPE}" or "${COSIGN_PRIVATE_KEY_PEM_TYPE}")`,
    );
  }
  let body: EncryptedBody;
  try {
    body = parseEncryptedBody(block.bytes);
  } catch (err: unknown) {
    if (err instanceof StrictJsonError || err instanceof EncodingError) {
      throw invalid(`cosign private key: ${err.message}`, err);
    }
    throw err;
  }
  if (!acceptedParams(body.params)) {
    throw invalid(
      `cosign private key: unsupported scrypt parameters N=${body.params.N} r=${body.params.r} p=${body.params.p} ` +
        '(accepted: N=32768, 65536 or 131072 with r=8, p=1)',
    );
  }
  if (body.nonce.length !== nonceBytes) {
    throw invalid(`cosign private key: $.cipher.nonce: expected ${nonceBytes} bytes, got ${body.nonce.length}`);
  }
  const nacl = await loadNacl();
  if (body.ciphertext.length < nacl.secretbox.overheadLength) {
    throw invalid(`cosign private key: $.ciphertext: ${body.ciphertext.length} bytes is shorter than the secretbox tag`);
  }
  const boxKey = await deriveKey(password, body.salt, body.params);
  const plain = nacl.secretbox.open(body.ciphertext, body.nonce, boxKey);
  if (plain === null) throw new KeyError('WRONG_PASSWORD', 'cosign private key: decryption failed (wrong password?)');
  try {
    return createPrivateKey({ key: Buffer.from(plain), format: 'der', type: 'pkcs8' });
  } catch (err: unknown) {
    throw invalid('cosign private key: the decrypted data is not a PKCS#8 private key', err);
  }
}

const acceptedCurves: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const acceptedRsaBits = [2048, 3072, 4096];

/** Throws INVALID_KEY unless `key` is of a type and size cosign signs with. */
export function checkCosignKeyType(key: KeyObject, what: string): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    if (acceptedCurves[curve] === undefined) throw invalid(`${what}: ECDSA curve ${curve} is not supported (P-256, P-384, P-521)`);
    return;
  }
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (!acceptedRsaBits.includes(bits)) throw invalid(`${what}: RSA key size ${bits} is not supported (2048, 3072, 4096)`);
    return;
  }
  if (type === 'ed25519') return;
  throw invalid(`${what}: key type ${type ?? 'unknown'} is not supported (ECDSA, RSA, Ed25519)`);
}

/**
 * A public key from PEM: `PUBLIC KEY` (SPKI) or a `CERTIFICATE`, whose key is used. ECDSA P-256/P-384/P-521,
 * RSA 2048/3072/4096 and Ed25519 are accepted; anything else is `KeyError('INVALID_KEY')`.
 */
export function parsePublicKey(pem: string): KeyObject {
  const blocks = (() => {
    try {
      return decodePemBlocks(pem);
    } catch (err: unknown) {
      throw invalid(`public key: ${err instanceof EncodingError ? err.message : 'malformed PEM'}`, err);
    }
  })();
  const block = blocks[0];
  if (block === undefined) throw invalid('public key: no PEM block found');
  if (blocks.length > 1) throw invalid(`public key: expected one PEM block, found ${blocks.length}`);
  let key: KeyObject;
  if (block.type === 'PUBLIC KEY') {
    try {
      key = createPublicKey({ key: block.bytes, format: 'der', type: 'spki' });
    } catch (err: unknown) {
      throw invalid('public key: the PEM block is not a valid SubjectPublicKeyInfo', err);
    }
  } else if (block.type === 'CERTIFICATE') {
    try {
      key = new X509Certificate(block.bytes).publicKey;
    } catch (err: unknown) {
      throw invalid('public key: the PEM block is not a valid X.509 certificate', err);
    }
  } else {
    throw invalid(`public key: unsupported PEM type "${block.type}" (expected "PUBLIC KEY" or "CERTIFICATE")`);
  }
  checkCosignKeyType(key, 'public key');
  return key;
}

/** The SPKI DER of a public key (or of a private key's public half). */
export function publicKeyDer(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' });
}

/** PEM `PUBLIC KEY` of a key, as cosign writes `cosign.pub`. */
export function publicKeyPem(key: KeyObject): string {
  return encodePem('PUBLIC KEY', publicKeyDer(key));
}

/** base64(SHA-256(SPKI DER)): the `publicKey.hint` of a key-based sigstore bundle. */
export function publicKeyHint(key: KeyObject): string {
  return createHash('sha256').update(publicKeyDer(key)).digest('base64');
}

/** NaCl is needed only to encrypt or decrypt a key file: loaded then, not at every start. */
async function loadNacl(): Promise<typeof Nacl> {
  const mod = (await import('tweetnacl')) as typeof Nacl & { default?: typeof Nacl };
  return mod.default ?? mod;
}
