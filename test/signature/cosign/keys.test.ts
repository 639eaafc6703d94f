import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  decryptCosignPrivateKey,
  encryptCosignPrivateKey,
  generateCosignKeyPair,
  parsePublicKey,
  publicKeyHint,
  publicKeyPem,
  SCRYPT_PARAMS,
} from '../../../src/signature/index.js';
import { expectCode, expectCodeAsync } from '../../helpers/expect-code.js';
import { requirePeer } from '../../helpers/peers.js';
import { openssl, pemBlock, pemBody, sealKeyFile, tempDir } from './helpers.js';

function samePublicKey(a: KeyObject, b: KeyObject): void {
  const der = (k: KeyObject) => (k.type === 'private' ? createPublicKey(k) : k).export({ format: 'der', type: 'spki' });
  assert.deepEqual(der(a), der(b));
}

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPkcs8 = ecKey.privateKey.export({ format: 'der', type: 'pkcs8' });

describe('cosign key files', () => {
  it('generates a P-256 pair whose private key decrypts to the public key', async () => {
    const { privateKeyPem, publicKeyPem: pubPem } = await generateCosignKeyPair('correct horse');
    assert.match(privateKeyPem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n(?:[A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n$/);
    assert.match(pubPem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const priv = await decryptCosignPrivateKey(privateKeyPem, 'correct horse');
    assert.equal(priv.asymmetricKeyType, 'ec');
    assert.equal(priv.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const pub = parsePublicKey(pubPem);
    samePublicKey(priv, pub);
  });

  it('writes the JSON body exactly as go-securesystemslib does', async () => {
    const text = await encryptCosignPrivateKey(ecKey.privateKey, 'pw');
    const body = pemBody(text);
    assert.match(
      body,
      /^\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"[A-Za-z0-9+/]{43}="\},"cipher":\{"name":"nacl\/secretbox","nonce":"[A-Za-z0-9+/]{32}"\},"ciphertext":"[A-Za-z0-9+/]+={0,2}"\}$/,
    );
    const parsed = JSON.parse(body) as { ciphertext: string };
    // secretbox output = 16-byte Poly1305 tag + the PKCS#8 DER
    assert.equal(Buffer.from(parsed.ciphertext, 'base64').length, ecPkcs8.length + 16);
  });

  for (const [name, params] of Object.entries(SCRYPT_PARAMS)) {
    it(`decrypts a key written with the ${name} parameters N=${params.N}`, async () => {
      const text = sealKeyFile(ecPkcs8, 'pw', params);
      samePublicKey(await decryptCosignPrivateKey(text, 'pw'), ecKey.publicKey);
      const ours = await encryptCosignPrivateKey(ecKey.privateKey, 'pw', params);
      assert.match(pemBody(ours), new RegExp(`"params":\\{"N":${params.N},"r":8,"p":1\\}`));
      samePublicKey(await decryptCosignPrivateKey(ours, 'pw'), ecKey.publicKey);
    });
  }

  for (const params of [
    { N: 16384, r: 8, p: 1 },
    { N: 262144, r: 8, p: 1 },
    { N: 65536, r: 16, p: 1 },
    { N: 65536, r: 8, p: 2 },
    { N: 65535, r: 8, p: 1 },
  ]) {
    it(`refuses scrypt parameters N=${params.N} r=${params.r} p=${params.p}`, async () => {
      const err = await expectCodeAsync(() => decryptCosignPrivateKey(sealKeyFile(ecPkcs8, 'pw', params), 'pw'), 'INVALID_KEY');
      assert.match(err.message, /unsupported scrypt parameters/);
    });
  }

  it('refuses to write unsupported scrypt parameters', async () => {
    await expectCodeAsync(() => encryptCosignPrivateKey(ecKey.privateKey, 'pw', { N: 1024, r: 8, p: 1 }), 'INVALID_KEY');
    await expectCodeAsync(() => encryptCosignPrivateKey(ecKey.publicKey, 'pw'), 'INVALID_KEY');
  });

  it('says WRONG_PASSWORD for a wrong password', async () => {
    const text = await encryptCosignPrivateKey(ecKey.privateKey, 'right', SCRYPT_PARAMS.legacy);
    await expectCodeAsync(() => decryptCosignPrivateKey(text, 'wrong'), 'WRONG_PASSWORD');
    await expectCodeAsync(() => decryptCosignPrivateKey(text, ''), 'WRONG_PASSWORD');
  });

  it('accepts an empty password and a non-ASCII one', async () => {
    for (const pw of ['', 'pässwörd ✓']) {
      const text = await encryptCosignPrivateKey(ecKey.privateKey, pw, SCRYPT_PARAMS.legacy);
      samePublicKey(await decryptCosignPrivateKey(text, pw), ecKey.publicKey);
      samePublicKey(await decryptCosignPrivateKey(sealKeyFile(ecPkcs8, pw, SCRYPT_PARAMS.legacy), pw), ecKey.publicKey);
    }
  });

  it('reads the legacy ENCRYPTED COSIGN PRIVATE KEY type, and can write it', async () => {
    const legacy = sealKeyFile(ecPkcs8, 'pw', { ...SCRYPT_PARAMS.legacy, pemType: 'ENCRYPTED COSIGN PRIVATE KEY' });
    samePublicKey(await decryptCosignPrivateKey(legacy, 'pw'), ecKey.publicKey);
    const ours = await encryptCosignPrivateKey(ecKey.privateKey, 'pw', SCRYPT_PARAMS.legacy, 'ENCRYPTED COSIGN PRIVATE KEY');
    assert.match(ours, /^-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n/);
    samePublicKey(await decryptCosignPrivateKey(ours, 'pw'), ecKey.publicKey);
  });

  it('round-trips RSA and Ed25519 private keys too', async () => {
    for (const pair of [generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('ed25519')]) {
      const text = await encryptCosignPrivateKey(pair.privateKey, 'pw', SCRYPT_PARAMS.legacy);
      samePublicKey(await decryptCosignPrivateKey(text, 'pw'), pair.publicKey);
    }
  });

  describe('malformed key files, one fault at a time', () => {
    const legacy = SCRYPT_PARAMS.legacy;
    type Body = Record<string, Record<string, unknown>>;
    const cases: [string, string, RegExp][] = [
      ['no PEM block', 'just text', /no PEM block/],
      ['an unencrypted PEM type', pemBlock('PRIVATE KEY', ecPkcs8), /unsupported PEM type "PRIVATE KEY"/],
      ['a PEM body that is not base64', '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n!!!!\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n', /base64/],
      ['mismatched BEGIN/END', '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', /ends with/],
      ['a body that is not JSON', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: () => 'not json' }), /invalid JSON/],
      ['a body that is a JSON array', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: () => [] }), /expected an object/],
      ['a duplicate key', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => JSON.stringify(b).replace('"ciphertext"', '"ciphertext":"AAAA","ciphertext"') }), /\$\.ciphertext: duplicate key/],
      ['no kdf', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => ({ ...b, kdf: undefined }) }), /\$\.kdf: missing field/],
      ['another kdf', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => { (b as Body)['kdf']!['name'] = 'argon2'; return b; } }), /unknown kdf "argon2"/],
      ['N as a string', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => { ((b as Body)['kdf']!['params'] as Record<string, unknown>)['N'] = '32768'; return b; } }), /\$\.kdf\.params\.N: expected an integer/],
      ['another cipher', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => { (b as Body)['cipher']!['name'] = 'aes-gcm'; return b; } }), /unknown cipher "aes-gcm"/],
      ['a salt that is not base64', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => { (b as Body)['kdf']!['salt'] = 'not base64!'; return b; } }), /\$\.kdf\.salt is not valid base64/],
      ['a short nonce', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => { (b as Body)['cipher']!['nonce'] = 'AAAAAAAA'; return b; } }), /nonce: expected 24 bytes, got 6/],
      ['ciphertext that is not base64', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => ({ ...b, ciphertext: 'ab$' }) }), /\$\.ciphertext is not valid base64/],
      ['ciphertext as a number', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => ({ ...b, ciphertext: 5 }) }), /\$\.ciphertext: expected a string/],
      ['ciphertext shorter than the tag', sealKeyFile(ecPkcs8, 'pw', { ...legacy, mutate: (b) => ({ ...b, ciphertext: 'AAAA' }) }), /shorter than the secretbox tag/],
      ['a sealed payload that is not PKCS#8', sealKeyFile(Buffer.from('not a key'), 'pw', legacy), /not a PKCS#8 private key/],
    ];
    for (const [name, text, message] of cases) {
      it(`refuses ${name} with INVALID_KEY`, async () => {
        const err = await expectCodeAsync(() => decryptCosignPrivateKey(text, 'pw'), 'INVALID_KEY');
        assert.match(err.message, message);
      });
    }
  });
});

describe('public keys', () => {
  const accepted: [string, KeyObject][] = [
    ['ECDSA P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
    ['ECDSA P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
    ['ECDSA P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey],
    ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['Ed25519', generateKeyPairSync('ed25519').publicKey],
  ];
  for (const [name, key] of accepted) {
    it(`parses a ${name} PUBLIC KEY and computes its hint`, () => {
      const text = key.export({ format: 'pem', type: 'spki' }) as string;
      const parsed = parsePublicKey(text);
      samePublicKey(parsed, key);
      assert.equal(publicKeyPem(parsed), text);
      const spki = key.export({ format: 'der', type: 'spki' });
      assert.equal(publicKeyHint(parsed), createHash('sha256').update(spki).digest('base64'));
    });
  }

  const refused: [string, string, RegExp][] = [
    ['RSA 1024', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }) as string, /RSA key size 1024/],
    ['secp256k1', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'pem', type: 'spki' }) as string, /curve secp256k1/],
    ['Ed448', generateKeyPairSync('ed448').publicKey.export({ format: 'pem', type: 'spki' }) as string, /key type ed448/],
    ['a private key', ecKey.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, /unsupported PEM type "PRIVATE KEY"/],
    ['a PKCS#1 RSA public key', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'pkcs1' }) as string, /unsupported PEM type "RSA PUBLIC KEY"/],
    ['garbage in a PUBLIC KEY block', pemBlock('PUBLIC KEY', Buffer.from('garbage')), /not a valid SubjectPublicKeyInfo/],
    ['garbage in a CERTIFICATE block', pemBlock('CERTIFICATE', Buffer.from('garbage')), /not a valid X.509 certificate/],
    ['two keys', `${publicKeyPem(ecKey.publicKey)}${publicKeyPem(ecKey.publicKey)}`, /expected one PEM block, found 2/],
    ['no PEM at all', 'hello', /no PEM block/],
  ];
  for (const [name, text, message] of refused) {
    it(`refuses ${name} with INVALID_KEY`, () => {
      const err = expectCode(() => parsePublicKey(text), 'INVALID_KEY');
      assert.match(err.message, message);
    });
  }

  it('reads keys made by the openssl CLI, and a certificate’s key', (t) => {
    if (!requirePeer('openssl', t)) return;
    const dir = tempDir('signet-cosign-keys-');
    try {
      const specs: [string, string[]][] = [
        ['p256', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']],
        ['p384', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
        ['p521', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']],
        ['rsa3072', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072']],
        ['ed25519', ['genpkey', '-algorithm', 'ED25519']],
      ];
      for (const [name, args] of specs) {
        const priv = openssl(args);
        const pub = openssl(['pkey', '-pubout'], priv).toString();
        const pubDer = openssl(['pkey', '-pubout', '-outform', 'DER'], priv);
        const key = parsePublicKey(pub);
        assert.equal(publicKeyHint(key), createHash('sha256').update(pubDer).digest('base64'), name);
        samePublicKey(key, createPrivateKey(priv));
      }
      const keyFile = join(dir.path, 'k.pem');
      writeFileSync(keyFile, openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']));
      const cert = openssl(['req', '-new', '-x509', '-key', keyFile, '-subj', '/CN=test', '-days', '1']).toString();
      samePublicKey(parsePublicKey(cert), createPrivateKey(openssl(['pkey', '-in', keyFile])));
    } finally {
      dir.remove();
    }
  });
});
