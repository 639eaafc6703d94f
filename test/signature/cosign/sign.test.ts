import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseDigest } from '../../../src/core/index.js';
import { cosignPayload, signCosignPayload, verifyCosignSignature } from '../../../src/signature/index.js';
import { expectCode } from '../../helpers/expect-code.js';

const payload = cosignPayload('registry.example.com/app', parseDigest(`sha256:${'cd'.repeat(32)}`));

const makers = {
  'ECDSA P-256': () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  'ECDSA P-384': () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  'ECDSA P-521': () => generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  'RSA 2048': () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  Ed25519: () => generateKeyPairSync('ed25519'),
};
const pairs = {
  'ECDSA P-256': makers['ECDSA P-256'](),
  'ECDSA P-384': makers['ECDSA P-384'](),
  'ECDSA P-521': makers['ECDSA P-521'](),
  'RSA 2048': makers['RSA 2048'](),
  Ed25519: makers.Ed25519(),
};

describe('cosign signatures', () => {
  for (const [name, pair] of Object.entries(pairs)) {
    it(`signs and verifies with ${name}; a tampered payload or another key is BAD_SIGNATURE`, () => {
      const sig = signCosignPayload(payload, pair.privateKey);
      verifyCosignSignature(payload, sig.toString('base64'), pair.publicKey);
      const tampered = Buffer.from(payload);
      tampered[10] = tampered[10]! ^ 1;
      expectCode(() => verifyCosignSignature(tampered, sig.toString('base64'), pair.publicKey), 'BAD_SIGNATURE');
      const other = makers[name as keyof typeof makers]();
      expectCode(() => verifyCosignSignature(payload, sig.toString('base64'), other.publicKey), 'BAD_SIGNATURE');
    });
  }

  it('ECDSA signatures are ASN.1 DER over SHA-256 on every curve', () => {
    for (const name of ['ECDSA P-256', 'ECDSA P-384', 'ECDSA P-521'] as const) {
      const sig = signCosignPayload(payload, pairs[name].privateKey);
      assert.equal(sig[0], 0x30, name);
      assert.ok(verify('sha256', payload, { key: pairs[name].publicKey, dsaEncoding: 'der' }, sig), name);
    }
  });

  it('RSA signatures are PKCS#1 v1.5 over SHA-256; Ed25519 is pure Ed25519', () => {
    const rsa = signCosignPayload(payload, pairs['RSA 2048'].privateKey);
    assert.ok(verify('sha256', payload, pairs['RSA 2048'].publicKey, rsa));
    const ed = signCosignPayload(payload, pairs.Ed25519.privateKey);
    assert.equal(ed.length, 64);
    assert.ok(verify(null, payload, pairs.Ed25519.publicKey, ed));
  });

  it('verifies with the private key’s public half', () => {
    const sig = signCosignPayload(payload, pairs['ECDSA P-256'].privateKey);
    verifyCosignSignature(payload, sig.toString('base64'), pairs['ECDSA P-256'].privateKey);
  });

  it('an undecodable signature is MALFORMED_SIGNATURE', () => {
    const ec = pairs['ECDSA P-256'].publicKey;
    expectCode(() => verifyCosignSignature(payload, 'not base64!', ec), 'MALFORMED_SIGNATURE');
    expectCode(() => verifyCosignSignature(payload, '', ec), 'MALFORMED_SIGNATURE');
    expectCode(() => verifyCosignSignature(payload, Buffer.from('not DER').toString('base64'), ec), 'MALFORMED_SIGNATURE');
    const raw = signCosignPayload(payload, pairs.Ed25519.privateKey).subarray(0, 60);
    expectCode(() => verifyCosignSignature(payload, raw.toString('base64'), pairs.Ed25519.publicKey), 'MALFORMED_SIGNATURE');
  });

  it('a DER signature over other bytes is BAD_SIGNATURE', () => {
    const sig = signCosignPayload(Buffer.from('other'), pairs['ECDSA P-256'].privateKey);
    expectCode(() => verifyCosignSignature(payload, sig.toString('base64'), pairs['ECDSA P-256'].publicKey), 'BAD_SIGNATURE');
  });

  it('refuses to sign with a public key or an unsupported key type', () => {
    expectCode(() => signCosignPayload(payload, pairs['ECDSA P-256'].publicKey), 'INVALID_KEY');
    expectCode(() => signCosignPayload(payload, generateKeyPairSync('x25519').privateKey), 'INVALID_KEY');
  });
});
