import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseDigest } from '../../src/core/index.js';
import {
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_V01,
  pae,
  parseDsseEnvelope,
  parseStatement,
  signDsse,
  verifyDsse,
} from '../../src/signature/index.js';
import { expectCode } from '../helpers/expect-code.js';

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signerKeys = ec();
const otherKeys = ec();
const rsaKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const edKeys = generateKeyPairSync('ed25519');
const imageDigest = parseDigest(`sha256:${'ab'.repeat(32)}`);

/** PAE from the DSSE protocol text: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes. */
function paeFromSpec(type: Buffer, body: Buffer): Buffer {
  const sp = Buffer.from([0x20]);
  const len = (b: Buffer) => Buffer.from(String(b.length), 'ascii');
  return Buffer.concat([Buffer.from([0x44, 0x53, 0x53, 0x45, 0x76, 0x31]), sp, len(type), sp, type, sp, len(body), sp, body]);
}

type EnvelopeJson = { payloadType: string; payload: string; signatures: { keyid?: string; sig: string }[] };

function envelopeJson(bytes: Buffer): EnvelopeJson {
  return JSON.parse(bytes.toString('utf8')) as EnvelopeJson;
}

function toBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function keyHint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('base64');
}

describe('DSSE PAE', () => {
  it('encodes the spec test vector and other inputs as the protocol defines', () => {
    assert.equal(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString('latin1'), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    const cases: [string, Buffer][] = [
      ['', Buffer.alloc(0)],
      [IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"a":1}')],
      ['application/x-ünïcödé', Buffer.from([0x00, 0xff, 0x20, 0x0a])],
      ['t', Buffer.alloc(1000, 0x41)],
    ];
    for (const [type, body] of cases) assert.deepEqual(pae(type, body), paeFromSpec(Buffer.from(type, 'utf8'), body), type);
    // Lengths count bytes, not characters.
    assert.match(pae('é', Buffer.from('x')).toString('utf8'), /^DSSEv1 2 é 1 x$/);
  });
});

describe('DSSE envelopes', () => {
  const statement = buildStatement({ predicateType: 'https://example.com/p/v1', predicate: { ok: true }, subjectName: 'registry.example.com/app', digest: imageDigest });
  const envelope = signDsse(IN_TOTO_PAYLOAD_TYPE, statement, signerKeys.privateKey);

  it('writes the envelope as cosign stores it: payloadType, payload, signatures[{keyid:"", sig}]', () => {
    const text = envelope.toString('utf8');
    const sig = envelopeJson(envelope).signatures[0]?.sig ?? '';
    assert.equal(text, `{"payloadType":"${IN_TOTO_PAYLOAD_TYPE}","payload":"${statement.toString('base64')}","signatures":[{"keyid":"","sig":"${sig}"}]}`);
    // The signature is ECDSA ASN.1 DER over SHA-256 of the PAE bytes computed from the spec.
    const signed = paeFromSpec(Buffer.from(IN_TOTO_PAYLOAD_TYPE), statement);
    assert.ok(verify('sha256', signed, { key: signerKeys.publicKey, dsaEncoding: 'der' }, Buffer.from(sig, 'base64')));
  });

  it('round-trips: the verified payload, type and signer come back', () => {
    const verified = verifyDsse(envelope, [otherKeys.publicKey, signerKeys.publicKey]);
    assert.equal(verified.payloadType, IN_TOTO_PAYLOAD_TYPE);
    assert.deepEqual(verified.payload, statement);
    assert.equal(verified.signer, `key ${keyHint(signerKeys.publicKey)}`);
    for (const keys of [rsaKeys, edKeys]) {
      const env = signDsse('application/x-test', Buffer.from('body'), keys.privateKey);
      assert.deepEqual(verifyDsse(env, [keys.publicKey]).payload, Buffer.from('body'));
    }
  });

  it('reads cosign v3.1 envelopes (payload first, no keyid) and URL-safe unpadded base64', () => {
    const e = envelopeJson(envelope);
    const v31 = toBytes({ payload: e.payload, payloadType: e.payloadType, signatures: [{ sig: e.signatures[0]?.sig }] });
    assert.deepEqual(verifyDsse(v31, [signerKeys.publicKey]).payload, statement);
    const urlSafe = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const url = toBytes({ ...e, payload: urlSafe(e.payload), signatures: [{ keyid: '', sig: urlSafe(e.signatures[0]?.sig ?? '') }] });
    assert.deepEqual(verifyDsse(url, [signerKeys.publicKey]).payload, statement);
  });

  it('accepts an envelope when any one of its signatures verifies', () => {
    const e = envelopeJson(envelope);
    const foreign = envelopeJson(signDsse(IN_TOTO_PAYLOAD_TYPE, statement, otherKeys.privateKey));
    const both = toBytes({ ...e, signatures: [...foreign.signatures, ...e.signatures] });
    assert.equal(verifyDsse(both, [signerKeys.publicKey]).signer, `key ${keyHint(signerKeys.publicKey)}`);
  });

  it('a tampered payload, payload type or signature is BAD_SIGNATURE when the keyid names the given key', () => {
    const hinted = envelopeJson(signDsse(IN_TOTO_PAYLOAD_TYPE, statement, signerKeys.privateKey, keyHint(signerKeys.publicKey)));
    const tamperedPayload = Buffer.from(statement);
    tamperedPayload[tamperedPayload.length - 3] ^= 0x01;
    expectCode(() => verifyDsse(toBytes({ ...hinted, payload: tamperedPayload.toString('base64') }), [signerKeys.publicKey]), 'BAD_SIGNATURE');
    expectCode(() => verifyDsse(toBytes({ ...hinted, payloadType: 'application/vnd.in-toto+jsoN' }), [signerKeys.publicKey]), 'BAD_SIGNATURE');
    const sig = Buffer.from(hinted.signatures[0]?.sig ?? '', 'base64');
    sig[sig.length - 1] ^= 0x01; // the last byte of s: the DER structure stays valid
    expectCode(() => verifyDsse(toBytes({ ...hinted, signatures: [{ keyid: hinted.signatures[0]?.keyid, sig: sig.toString('base64') }] }), [signerKeys.publicKey]), 'BAD_SIGNATURE');
    // The hex SHA-256 key id (securesystemslib's) names the key too.
    const hexId = createHash('sha256').update(signerKeys.publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    expectCode(() => verifyDsse(toBytes({ ...hinted, payloadType: 'x', signatures: [{ keyid: hexId, sig: hinted.signatures[0]?.sig }] }), [signerKeys.publicKey]), 'BAD_SIGNATURE');
  });

  it('a tampered RSA-signed envelope is BAD_SIGNATURE without a keyid: the signature opens with the key', () => {
    const e = envelopeJson(signDsse(IN_TOTO_PAYLOAD_TYPE, statement, rsaKeys.privateKey));
    expectCode(() => verifyDsse(toBytes({ ...e, payloadType: 'application/other' }), [rsaKeys.publicKey]), 'BAD_SIGNATURE');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expectCode(() => verifyDsse(toBytes(e), [other.publicKey]), 'KEY_NOT_TRUSTED');
  });

  it('without a keyid an ECDSA tamper cannot be told from a foreign key: KEY_NOT_TRUSTED', () => {
    const e = envelopeJson(envelope);
    expectCode(() => verifyDsse(toBytes({ ...e, payloadType: 'application/other' }), [signerKeys.publicKey]), 'KEY_NOT_TRUSTED');
  });

  it('a signature by another key is KEY_NOT_TRUSTED, naming the signer when the keyid does', () => {
    expectCode(() => verifyDsse(envelope, [otherKeys.publicKey]), 'KEY_NOT_TRUSTED');
    expectCode(() => verifyDsse(envelope, []), 'KEY_NOT_TRUSTED');
    const named = signDsse(IN_TOTO_PAYLOAD_TYPE, statement, signerKeys.privateKey, 'release-2024');
    const err = expectCode(() => verifyDsse(named, [otherKeys.publicKey]), 'KEY_NOT_TRUSTED') as unknown as { signer?: string };
    assert.equal(err.signer, 'release-2024');
    expectCode(() => verifyDsse(envelope, [edKeys.publicKey]), 'KEY_NOT_TRUSTED');
  });

  it('an ECDSA signature that is not DER is MALFORMED_SIGNATURE', () => {
    const raw = sign('sha256', pae(IN_TOTO_PAYLOAD_TYPE, statement), { key: signerKeys.privateKey, dsaEncoding: 'ieee-p1363' });
    const e = envelopeJson(envelope);
    expectCode(() => verifyDsse(toBytes({ ...e, signatures: [{ keyid: '', sig: raw.toString('base64') }] }), [signerKeys.publicKey]), 'MALFORMED_SIGNATURE');
  });

  it('parses strictly: one fault at a time is MALFORMED_SIGNATURE naming the path', () => {
    const valid = envelopeJson(envelope);
    const sig0 = valid.signatures[0] ?? { keyid: '', sig: '' };
    assert.equal(parseDsseEnvelope(toBytes(valid)).signatures.length, 1);
    const faults: [string, unknown, string][] = [
      ['not JSON', '{', '$'],
      ['an array', [], '$'],
      ['unknown top-level key', { ...valid, extra: 1 }, '$.extra'],
      ['missing payloadType', { payload: valid.payload, signatures: valid.signatures }, '$.payloadType'],
      ['missing payload', { payloadType: valid.payloadType, signatures: valid.signatures }, '$.payload'],
      ['missing signatures', { payloadType: valid.payloadType, payload: valid.payload }, '$.signatures'],
      ['payloadType not a string', { ...valid, payloadType: 1 }, '$.payloadType'],
      ['payload not base64', { ...valid, payload: 'not base64!' }, '$.payload'],
      ['payload with bad padding', { ...valid, payload: 'abcde' }, '$.payload'],
      ['payload mixing alphabets', { ...valid, payload: 'ab+_' }, '$.payload'],
      ['signatures not an array', { ...valid, signatures: {} }, '$.signatures'],
      ['no signatures', { ...valid, signatures: [] }, '$.signatures'],
      ['a signature not an object', { ...valid, signatures: ['x'] }, '$.signatures[0]'],
      ['a signature without sig', { ...valid, signatures: [{ keyid: '' }] }, '$.signatures[0].sig'],
      ['unknown signature key', { ...valid, signatures: [{ ...sig0, cert: 'x' }] }, '$.signatures[0].cert'],
      ['keyid not a string', { ...valid, signatures: [{ ...sig0, keyid: null }] }, '$.signatures[0].keyid'],
      ['sig not base64', { ...valid, signatures: [{ ...sig0, sig: '%%%' }] }, '$.signatures[0].sig'],
      ['empty sig', { ...valid, signatures: [{ ...sig0, sig: '' }] }, '$.signatures[0].sig'],
    ];
    for (const [name, value, path] of faults) {
      const bytes = typeof value === 'string' ? Buffer.from(value) : toBytes(value);
      const err = expectCode(() => parseDsseEnvelope(bytes), 'MALFORMED_SIGNATURE');
      assert.ok(err.message.includes(path), `${name}: "${err.message}" should name ${path}`);
      expectCode(() => verifyDsse(bytes, [signerKeys.publicKey]), 'MALFORMED_SIGNATURE');
    }
    const duplicate = Buffer.from(envelope.toString('utf8').replace('{"payloadType":', '{"payloadType":"x","payloadType":'));
    expectCode(() => parseDsseEnvelope(duplicate), 'MALFORMED_SIGNATURE');
  });
});

describe('in-toto statements', () => {
  const hex = 'ab'.repeat(32);

  it('builds the statement as cosign attest does: v0.1, one named subject, predicate keys sorted', () => {
    const bytes = buildStatement({
      predicateType: 'https://slsa.dev/provenance/v0.2',
      predicate: { builder: { id: 'https://ci.example.com' }, buildType: 'make', 'a<b': [1, 2.5, null, 'x&y'] },
      subjectName: '127.0.0.1:5000/team/app',
      digest: imageDigest,
    });
    assert.equal(
      bytes.toString('utf8'),
      `{"_type":"${IN_TOTO_STATEMENT_V01}","subject":[{"name":"127.0.0.1:5000/team/app","digest":{"sha256":"${hex}"}}],` +
        `"predicateType":"https://slsa.dev/provenance/v0.2","predicate":{"a<b":[1,2.5,null,"x&y"],"buildType":"make","builder":{"id":"https://ci.example.com"}}}`,
    );
  });

  it('builds the legacy form for a text predicate (cosign --type spdx): a Go map, keys sorted, HTML escaped', () => {
    const bytes = buildStatement({ predicateType: 'https://spdx.dev/Document', predicate: 'SPDXVersion: SPDX-2.2\n<x>', subjectName: 'r/app', digest: imageDigest });
    assert.equal(
      bytes.toString('utf8'),
      `{"_type":"${IN_TOTO_STATEMENT_V01}","predicate":"SPDXVersion: SPDX-2.2\\n\\u003cx\\u003e","predicateType":"https://spdx.dev/Document","subject":[{"name":"r/app","digest":{"sha256":"${hex}"}}]}`,
    );
    assert.equal(parseStatement(bytes).predicate, 'SPDXVersion: SPDX-2.2\n<x>');
  });

  it('parses what it builds, and v1 statements', () => {
    const built = buildStatement({ predicateType: 'https://example.com/p', predicate: { k: 'v' }, subjectName: 'r/app', digest: imageDigest });
    assert.deepEqual(JSON.parse(JSON.stringify(parseStatement(built))), {
      type: IN_TOTO_STATEMENT_V01,
      subject: [{ name: 'r/app', digest: { sha256: hex } }],
      predicateType: 'https://example.com/p',
      predicate: { k: 'v' },
    });
    const v1 = parseStatement(toBytes({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: hex }, uri: 'x' }], predicateType: 'p' }));
    assert.equal(v1.predicate, undefined);
    assert.equal(v1.subject[0]?.name, undefined);
  });

  it('parses strictly: one fault at a time is MALFORMED_SIGNATURE naming the path', () => {
    const valid = { _type: IN_TOTO_STATEMENT_V01, subject: [{ name: 'r/app', digest: { sha256: hex } }], predicateType: 'p', predicate: {} };
    parseStatement(toBytes(valid));
    const faults: [string, unknown, string][] = [
      ['an array', [valid], '$'],
      ['unknown key', { ...valid, extra: true }, '$.extra'],
      ['missing _type', { subject: valid.subject, predicateType: 'p' }, '$._type'],
      ['unknown _type', { ...valid, _type: 'https://in-toto.io/Statement/v9' }, '$._type'],
      ['missing subject', { _type: valid._type, predicateType: 'p' }, '$.subject'],
      ['empty subject', { ...valid, subject: [] }, '$.subject'],
      ['subject not an object', { ...valid, subject: ['x'] }, '$.subject[0]'],
      ['subject without digest', { ...valid, subject: [{ name: 'x' }] }, '$.subject[0].digest'],
      ['subject with empty digest', { ...valid, subject: [{ name: 'x', digest: {} }] }, '$.subject[0].digest'],
      ['digest value not a string', { ...valid, subject: [{ digest: { sha256: 1 } }] }, '$.subject[0].digest.sha256'],
      ['subject name not a string', { ...valid, subject: [{ name: 1, digest: { sha256: hex } }] }, '$.subject[0].name'],
      ['unknown subject key', { ...valid, subject: [{ digest: { sha256: hex }, size: 1 }] }, '$.subject[0].size'],
      ['missing predicateType', { _type: valid._type, subject: valid.subject }, '$.predicateType'],
      ['empty predicateType', { ...valid, predicateType: '' }, '$.predicateType'],
    ];
    for (const [name, value, path] of faults) {
      const err = expectCode(() => parseStatement(toBytes(value)), 'MALFORMED_SIGNATURE');
      assert.ok(err.message.includes(path), `${name}: "${err.message}" should name ${path}`);
    }
    expectCode(() => parseStatement(Buffer.from('{"_type":"a","_type":"b"}')), 'MALFORMED_SIGNATURE');
  });
});
