/**
 * cosign key files and signatures against independent implementations: Debian's Python with hashlib.scrypt and
 * PyNaCl's SecretBox decrypts and writes key files; openssl loads the PKCS#8 inside and checks signatures.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDigest } from '../../src/core/index.js';
import {
  cosignPayload,
  decryptCosignPrivateKey,
  generateCosignKeyPair,
  parsePublicKey,
  publicKeyPem,
  signCosignPayload,
  verifyCosignSignature,
} from '../../src/signature/index.js';
import { missingPeerMessage, peerAvailable } from '../helpers/peers.js';
import { openssl, tempDir } from '../signature/cosign/helpers.js';

const python = '/usr/bin/python3';

/** Whether Debian's python3 with PyNaCl is there; under CI its absence fails the run. */
function pythonNaclSkip(): string | false {
  const r = spawnSync(python, ['-c', 'import nacl.secret, hashlib; hashlib.scrypt'], { stdio: 'ignore' });
  if (r.status === 0) return false;
  const message = 'python3-nacl not installed: apt-get install python3 python3-nacl';
  if (process.env['CI']) throw new Error(`${message} (required under CI)`);
  return message;
}

function skipReason(): string | false {
  const nacl = pythonNaclSkip();
  if (nacl !== false) return nacl;
  return peerAvailable('openssl') ? false : missingPeerMessage('openssl');
}

const decryptScript = `
import base64, hashlib, json, os, sys
import nacl.secret
text = open(sys.argv[1]).read()
lines = [l.strip() for l in text.strip().splitlines()]
assert lines[0] == '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----', lines[0]
assert lines[-1] == '-----END ENCRYPTED SIGSTORE PRIVATE KEY-----', lines[-1]
doc = json.loads(base64.b64decode(''.join(lines[1:-1])))
assert list(doc) == ['kdf', 'cipher', 'ciphertext'], list(doc)
assert doc['kdf']['name'] == 'scrypt' and doc['cipher']['name'] == 'nacl/secretbox'
params = doc['kdf']['params']
assert params == {'N': 65536, 'r': 8, 'p': 1}, params
salt = base64.b64decode(doc['kdf']['salt'])
nonce = base64.b64decode(doc['cipher']['nonce'])
assert len(salt) == 32 and len(nonce) == 24
key = hashlib.scrypt(os.environ['PW'].encode('utf-8'), salt=salt, n=params['N'], r=params['r'], p=params['p'], maxmem=512 * 1024 * 1024, dklen=32)
der = nacl.secret.SecretBox(key).decrypt(base64.b64decode(doc['ciphertext']), nonce)
open(sys.argv[2], 'wb').write(der)
`;

const encryptScript = `
import base64, hashlib, json, os, sys
import nacl.secret, nacl.utils
der = open(sys.argv[1], 'rb').read()
n = int(sys.argv[3])
salt = os.urandom(32)
nonce = nacl.utils.random(24)
key = hashlib.scrypt(os.environ['PW'].encode('utf-8'), salt=salt, n=n, r=8, p=1, maxmem=512 * 1024 * 1024, dklen=32)
box = nacl.secret.SecretBox(key).encrypt(der, nonce).ciphertext
doc = {'kdf': {'name': 'scrypt', 'params': {'N': n, 'r': 8, 'p': 1}, 'salt': base64.b64encode(salt).decode()},
       'cipher': {'name': 'nacl/secretbox', 'nonce': base64.b64encode(nonce).decode()},
       'ciphertext': base64.b64encode(box).decode()}
b64 = base64.b64encode(json.dumps(doc, separators=(',', ':')).encode()).decode()
body = '\\n'.join(b64[i:i + 64] for i in range(0, len(b64), 64))
open(sys.argv[2], 'w').write('-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\\n' + body + '\\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\\n')
`;

function runPython(script: string, args: string[], password: string): void {
  const r = spawnSync(python, ['-c', script, ...args], { env: { ...process.env, PW: password }, encoding: 'utf8' });
  assert.equal(r.status, 0, `python failed: ${r.stderr}`);
}

describe('cosign keys with independent implementations', { skip: skipReason() }, () => {
  let dir: { path: string; remove: () => void };
  const f = (name: string) => join(dir.path, name);
  const password = 'interop pässword';
  const payload = cosignPayload('registry.example.com/app', parseDigest(`sha256:${'56'.repeat(32)}`));

  before(() => {
    dir = tempDir('signet-cosign-interop-');
  });
  after(() => dir.remove());

  it('a cosign.key written by Signet is decrypted by Python (scrypt + PyNaCl) and loaded by openssl', async () => {
    const { privateKeyPem, publicKeyPem: pub } = await generateCosignKeyPair(password);
    writeFileSync(f('signet.key'), privateKeyPem);
    writeFileSync(f('signet.pub'), pub);
    runPython(decryptScript, [f('signet.key'), f('signet.der')], password);
    const opensslPub = openssl(['pkey', '-inform', 'DER', '-in', f('signet.der'), '-pubout']).toString();
    assert.equal(opensslPub, pub);
    const text = openssl(['pkey', '-inform', 'DER', '-in', f('signet.der'), '-noout', '-text']).toString();
    assert.match(text, /NIST CURVE: P-256|prime256v1/);
  });

  it('a key file written by Python is read by decryptCosignPrivateKey', async () => {
    for (const [name, args] of [
      ['ec', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']],
      ['ed25519', ['genpkey', '-algorithm', 'ED25519']],
    ] as const) {
      // cosign seals PKCS#8; openssl 3.0 writes EC keys as SEC1 unless asked for PKCS#8.
      writeFileSync(f(`${name}.der`), openssl(['pkcs8', '-topk8', '-nocrypt', '-outform', 'DER'], openssl([...args])));
      runPython(encryptScript, [f(`${name}.der`), f(`${name}.key`), '32768'], password);
      const key = await decryptCosignPrivateKey(readFileSync(f(`${name}.key`), 'utf8'), password);
      const expected = openssl(['pkey', '-inform', 'DER', '-in', f(`${name}.der`), '-pubout']).toString();
      assert.equal(publicKeyPem(key), expected, name);
    }
  });

  it('a signature made by Signet verifies with openssl dgst -sha256 -verify cosign.pub', async () => {
    const { privateKeyPem, publicKeyPem: pub } = await generateCosignKeyPair(password);
    const key = await decryptCosignPrivateKey(privateKeyPem, password);
    writeFileSync(f('cosign.pub'), pub);
    writeFileSync(f('payload.json'), payload);
    writeFileSync(f('sig.der'), signCosignPayload(payload, key));
    const out = openssl(['dgst', '-sha256', '-verify', f('cosign.pub'), '-signature', f('sig.der'), f('payload.json')]).toString();
    assert.match(out, /Verified OK/);
    // A changed payload must fail there too.
    writeFileSync(f('payload.json'), Buffer.concat([payload, Buffer.from('\n')]));
    const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', f('cosign.pub'), '-signature', f('sig.der'), f('payload.json')]);
    assert.notEqual(r.status, 0);
  });

  it('signatures made by openssl (ECDSA, RSA) verify in Signet', () => {
    for (const [name, args] of [
      ['ec384', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
      ['rsa', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
    ] as const) {
      writeFileSync(f(`${name}.pem`), openssl([...args]));
      writeFileSync(f('payload.json'), payload);
      const sig = openssl(['dgst', '-sha256', '-sign', f(`${name}.pem`), f('payload.json')]);
      const pub = parsePublicKey(openssl(['pkey', '-in', f(`${name}.pem`), '-pubout']).toString());
      verifyCosignSignature(payload, sig.toString('base64'), pub);
    }
  });
});
