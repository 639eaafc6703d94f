import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject, type KeyPairKeyObjectResult } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseDigest } from '../../../src/core/index.js';
import { canonicalJson, cosignPayload, publicKeyPem, signCosignPayload, verifyRekorSet } from '../../../src/signature/index.js';
import { expectCode } from '../../helpers/expect-code.js';

const rekor = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherRekor = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signerPem = publicKeyPem(signer.publicKey);
const payload = cosignPayload('registry.example.com/app', parseDigest(`sha256:${'12'.repeat(32)}`));
const signature = signCosignPayload(payload, signer.privateKey).toString('base64');
const integratedTime = 1_700_000_000;

interface EntryOptions {
  apiVersion?: string;
  kind?: string;
  hashAlgorithm?: string;
  hashValue?: string;
  signatureContent?: string;
  publicKeyPemText?: string;
  rekorKey?: KeyPairKeyObjectResult;
  integratedTimeSigned?: number;
  integratedTimeDelivered?: number;
  extraPayloadField?: boolean;
  body?: string;
}

/** A bundle annotation made here, independently: the SET signs the hand-sorted compact Payload. */
function bundle(o: EntryOptions = {}): string {
  const body =
    o.body ??
    JSON.stringify({
      apiVersion: o.apiVersion ?? '0.0.1',
      kind: o.kind ?? 'hashedrekord',
      spec: {
        data: { hash: { algorithm: o.hashAlgorithm ?? 'sha256', value: o.hashValue ?? createHash('sha256').update(payload).digest('hex') } },
        signature: { content: o.signatureContent ?? signature, publicKey: { content: Buffer.from(o.publicKeyPemText ?? signerPem).toString('base64') } },
      },
    });
  const bodyB64 = Buffer.from(body).toString('base64');
  const logID = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';
  // Keys in UTF-16 order, no whitespace: this is the JCS form.
  const signed = `{"body":"${bodyB64}","integratedTime":${o.integratedTimeSigned ?? integratedTime},"logID":"${logID}","logIndex":42}`;
  const set = sign('sha256', Buffer.from(signed), { key: (o.rekorKey ?? rekor).privateKey, dsaEncoding: 'der' });
  // Delivered in another member order and with whitespace, as JSON producers may.
  const extra = o.extraPayloadField === true ? ', "extra": 1' : '';
  return `{"SignedEntryTimestamp": "${set.toString('base64')}", "Payload": {"logIndex": 42, "logID": "${logID}", "integratedTime": ${o.integratedTimeDelivered ?? o.integratedTimeSigned ?? integratedTime}, "body": "${bodyB64}"${extra}}}`;
}

function check(annotation: string, keys: KeyObject[] = [rekor.publicKey], keyOrCert = signerPem, sig = signature, data: Buffer = payload) {
  return verifyRekorSet(annotation, keys, keyOrCert, sig, data);
}

describe('Rekor SET', () => {
  it('accepts a SET over a matching hashedrekord entry and returns the integrated time', () => {
    assert.deepEqual(check(bundle()), { integratedTime: new Date(integratedTime * 1000) });
  });

  it('accepts when any one of several Rekor keys signed it', () => {
    check(bundle(), [otherRekor.publicKey, rekor.publicKey]);
  });

  it('accepts a P-384 Rekor key', () => {
    const k384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    check(bundle({ rekorKey: k384 }), [k384.publicKey]);
  });

  const broken: [string, () => unknown, RegExp][] = [
    ['the payload hash', () => check(bundle(), undefined, undefined, undefined, Buffer.concat([payload, Buffer.from(' ')])), /payload hash in the Rekor entry does not match/],
    ['the logged hash', () => check(bundle({ hashValue: '00'.repeat(32) })), /payload hash/],
    ['the hash algorithm', () => check(bundle({ hashAlgorithm: 'sha512' })), /unexpected data.hash.algorithm "sha512"/],
    ['a hash that is not hex', () => check(bundle({ hashValue: 'xyz' })), /invalid data.hash.value/],
    ['the signer key', () => check(bundle(), undefined, publicKeyPem(otherRekor.publicKey)), /public key in the Rekor entry does not match/],
    ['the logged key', () => check(bundle({ publicKeyPemText: publicKeyPem(otherRekor.publicKey) })), /does not match/],
    ['a logged key that is not PEM', () => check(bundle({ publicKeyPemText: 'nope' })), /not in PEM format/],
    ['a logged key with trailing data', () => check(bundle({ publicKeyPemText: `${signerPem}${signerPem}` })), /trailing data/],
    ['the hashedrekord version', () => check(bundle({ apiVersion: '0.0.2' })), /unsupported hashedrekord version "0.0.2"/],
    ['the entry kind', () => check(bundle({ kind: 'rekord' })), /unsupported entry kind "rekord"/],
    ['the integrated time', () => check(bundle({ integratedTimeDelivered: integratedTime + 1 })), /does not verify with any trusted Rekor key/],
    ['the SET signer', () => check(bundle({ rekorKey: otherRekor })), /does not verify with any trusted Rekor key/],
    ['the signature', () => check(bundle({ signatureContent: Buffer.from('other').toString('base64') })), /signature in the Rekor entry does not match/],
    ['the signature given', () => check(bundle(), undefined, undefined, signCosignPayload(payload, signer.privateKey).toString('base64')), /signature in the Rekor entry does not match/],
    ['a body that is not JSON', () => check(bundle({ body: 'garbage' })), /invalid JSON/],
    ['an extra Payload member', () => check(bundle({ extraPayloadField: true })), /./],
    ['a bundle that is not JSON', () => check('{'), /./],
    ['a bundle with an extra member', () => check(bundle().replace(/^\{/, '{"x":1,')), /\$\.x: unknown field/],
    ['a bundle without a SET', () => check(bundle().replace(/"SignedEntryTimestamp": "[^"]*", /, '')), /SignedEntryTimestamp: missing field/],
  ];
  for (const [what, run, message] of broken) {
    it(`refuses a change to ${what} with TLOG_INVALID`, () => {
      const err = expectCode(run, 'TLOG_INVALID');
      assert.match(err.message, message);
    });
  }

  it('refuses a non-ECDSA Rekor key or none as INVALID_KEY', () => {
    expectCode(() => check(bundle(), [generateKeyPairSync('ed25519').publicKey]), 'INVALID_KEY');
    expectCode(() => check(bundle(), []), 'INVALID_KEY');
  });
});

describe('JSON canonicalisation (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, recursively, and drops whitespace', () => {
    const value = JSON.parse('{ "b": [ 1, {"z": true, "a": null} ], "a": "x", "\u00e9": 1, "\ud83d\ude00": 2, "\uff61": 3, "A": 0 }') as Parameters<typeof canonicalJson>[0];
    assert.equal(canonicalJson(value), '{"A":0,"a":"x","b":[1,{"a":null,"z":true}],"\u00e9":1,"\ud83d\ude00":2,"\uff61":3}');
  });

  it('writes numbers in ECMAScript form', () => {
    assert.equal(canonicalJson([1.0, -0, 1e21, 1e-7, 0.1, 100, 123456789012345680000, 5e-324]), '[1,0,1e+21,1e-7,0.1,100,123456789012345680000,5e-324]');
  });

  it('escapes only quote, backslash and control characters', () => {
    assert.equal(canonicalJson('a"b\\c\u0001\n\t/<>\u2028é'), '"a\\"b\\\\c\\u0001\\n\\t/<>\u2028é"');
  });

  it('refuses lone surrogates', () => {
    assert.throws(() => canonicalJson('\ud800'));
  });
});
