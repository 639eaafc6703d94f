import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDigest } from '../../../src/core/index.js';
import { cosignPayload, signCosignPayload, verifyCosignSignature, verifyFulcioCertificate, verifyRekorSet } from '../../../src/signature/index.js';
import { expectCode } from '../../helpers/expect-code.js';
import { skipUnlessPeers } from '../../helpers/peers.js';
import { openssl, tempDir } from './helpers.js';

const issuer = 'https://issuer.example.com';
const email = 'signer@example.com';
const hex = (s: string) => Buffer.from(s).toString('hex');

const config = `
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = critical, email:${email}
1.3.6.1.4.1.57264.1.1 = DER:${hex(issuer)}
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:${issuer}
[v3_leaf_v1_only]
extendedKeyUsage = codeSigning
subjectAltName = email:${email}
1.3.6.1.4.1.57264.1.1 = DER:${hex(issuer)}
[v3_leaf_v2_only]
extendedKeyUsage = codeSigning
subjectAltName = email:${email}
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:${issuer}
[v3_leaf_inconsistent]
extendedKeyUsage = codeSigning
subjectAltName = email:${email}
1.3.6.1.4.1.57264.1.1 = DER:${hex('https://other.example.com')}
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:${issuer}
[v3_leaf_no_issuer]
extendedKeyUsage = codeSigning
subjectAltName = email:${email}
[v3_leaf_server_auth]
extendedKeyUsage = serverAuth
subjectAltName = email:${email}
1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:${issuer}
`;

describe('Fulcio certificates', { skip: skipUnlessPeers('openssl') }, () => {
  let dir: { path: string; remove: () => void };
  const pems: Record<string, string> = {};
  /** A moment inside every certificate's validity, set once they exist. */
  let now = new Date();
  const f = (name: string) => join(dir.path, name);

  function key(name: string): void {
    writeFileSync(f(`${name}.key`), openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']));
  }
  function selfSigned(name: string): void {
    key(name);
    openssl(['req', '-new', '-x509', '-config', f('openssl.cnf'), '-extensions', 'v3_ca', '-key', f(`${name}.key`), '-subj', `/CN=${name}`, '-days', '30', '-out', f(`${name}.pem`)]);
    pems[name] = readFileSync(f(`${name}.pem`), 'utf8');
  }
  function issued(name: string, by: string, extensions: string): void {
    key(name);
    openssl(['req', '-new', '-config', f('openssl.cnf'), '-key', f(`${name}.key`), '-subj', `/CN=${name}`, '-out', f(`${name}.csr`)]);
    openssl([
      'x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${by}.pem`), '-CAkey', f(`${by}.key`), '-CAcreateserial',
      '-extfile', f('openssl.cnf'), '-extensions', extensions, '-days', '1', '-out', f(`${name}.pem`),
    ]);
    pems[name] = readFileSync(f(`${name}.pem`), 'utf8');
  }

  before(() => {
    dir = tempDir('signet-fulcio-');
    writeFileSync(f('openssl.cnf'), config);
    selfSigned('root');
    selfSigned('otherroot');
    issued('intermediate', 'root', 'v3_ca');
    issued('leaf', 'root', 'v3_leaf');
    issued('chainedleaf', 'intermediate', 'v3_leaf');
    issued('v1only', 'root', 'v3_leaf_v1_only');
    issued('v2only', 'root', 'v3_leaf_v2_only');
    issued('inconsistent', 'root', 'v3_leaf_inconsistent');
    issued('noissuer', 'root', 'v3_leaf_no_issuer');
    issued('serverauth', 'root', 'v3_leaf_server_auth');
    now = new Date(Date.now() + 60_000);
  });
  after(() => dir.remove());

  const want = { oidcIssuer: issuer, subjectEmail: email };

  it('accepts a leaf issued by the CA, at a time it is valid, and returns its key', () => {
    const key = verifyFulcioCertificate(pems['leaf']!, undefined, [pems['root']!], want, now);
    const expected = openssl(['pkey', '-in', f('leaf.key'), '-pubout', '-outform', 'DER']);
    assert.deepEqual(key.export({ format: 'der', type: 'spki' }), expected);
  });

  it('accepts a leaf through the intermediate of the chain annotation (whose last entry is the root)', () => {
    verifyFulcioCertificate(pems['chainedleaf']!, pems['intermediate']! + pems['root']!, [pems['root']!], want, now);
  });

  it('accepts the issuer from either extension alone', () => {
    verifyFulcioCertificate(pems['v1only']!, undefined, [pems['root']!], want, now);
    verifyFulcioCertificate(pems['v2only']!, undefined, [pems['root']!], want, now);
  });

  const refused: [string, () => unknown, RegExp][] = [
    ['a wrong email', () => verifyFulcioCertificate(pems['leaf']!, undefined, [pems['root']!], { ...want, subjectEmail: 'other@example.com' }, now), /expected email "other@example.com", got "signer@example.com"/],
    ['a wrong issuer', () => verifyFulcioCertificate(pems['leaf']!, undefined, [pems['root']!], { ...want, oidcIssuer: 'https://accounts.example.org' }, now), /expected OIDC issuer "https:\/\/accounts.example.org", got "https:\/\/issuer.example.com"/],
    ['a time after expiry', () => verifyFulcioCertificate(pems['leaf']!, undefined, [pems['root']!], want, new Date(now.getTime() + 3 * 86400_000)), /not valid at/],
    ['a time before issuance', () => verifyFulcioCertificate(pems['leaf']!, undefined, [pems['root']!], want, new Date(now.getTime() - 86400_000)), /not valid at/],
    ['another CA', () => verifyFulcioCertificate(pems['leaf']!, undefined, [pems['otherroot']!], want, now), /does not chain to a trusted CA/],
    ['a missing intermediate', () => verifyFulcioCertificate(pems['chainedleaf']!, undefined, [pems['root']!], want, now), /does not chain/],
    ['a chain whose only entry is the intermediate (taken as the root)', () => verifyFulcioCertificate(pems['chainedleaf']!, pems['intermediate']!, [pems['root']!], want, now), /does not chain/],
    ['the CA certificate itself as leaf', () => verifyFulcioCertificate(pems['intermediate']!, undefined, [pems['root']!], want, now), /OIDC issuer/],
    ['inconsistent issuer extensions', () => verifyFulcioCertificate(pems['inconsistent']!, undefined, [pems['root']!], want, now), /inconsistent OIDC issuer extensions/],
    ['no issuer extension', () => verifyFulcioCertificate(pems['noissuer']!, undefined, [pems['root']!], want, now), /no OIDC issuer extension/],
    ['a leaf not for code signing', () => verifyFulcioCertificate(pems['serverauth']!, undefined, [pems['root']!], want, now), /code signing/],
    ['two leaf certificates', () => verifyFulcioCertificate(pems['leaf']! + pems['v1only']!, undefined, [pems['root']!], want, now), /exactly one certificate, found 2/],
    ['no CA', () => verifyFulcioCertificate(pems['leaf']!, undefined, [], want, now), /no CA certificate/],
    ['garbage', () => verifyFulcioCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', undefined, [pems['root']!], want, now), /certificate/],
  ];
  for (const [name, run, message] of refused) {
    it(`refuses ${name} with CERTIFICATE_INVALID`, () => {
      const err = expectCode(run, 'CERTIFICATE_INVALID');
      assert.match(err.message, message);
    });
  }

  it('runs the keyless flow: signature by the certificate key, Rekor SET over the certificate, chain at integratedTime', () => {
    const rekor = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const payload = cosignPayload('registry.example.com/app', parseDigest(`sha256:${'34'.repeat(32)}`));
    const sig = signCosignPayload(payload, createPrivateKey(readFileSync(f('leaf.key')))).toString('base64');
    const body = JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') } },
        signature: { content: sig, publicKey: { content: Buffer.from(pems['leaf']!).toString('base64') } },
      },
    });
    const t = Math.floor(now.getTime() / 1000);
    const signed = `{"body":"${Buffer.from(body).toString('base64')}","integratedTime":${t},"logID":"00","logIndex":1}`;
    const set = sign('sha256', Buffer.from(signed), { key: rekor.privateKey, dsaEncoding: 'der' }).toString('base64');
    const annotation = JSON.stringify({ SignedEntryTimestamp: set, Payload: JSON.parse(signed) as unknown });
    const { integratedTime } = verifyRekorSet(annotation, [rekor.publicKey], pems['leaf']!, sig, payload);
    const key = verifyFulcioCertificate(pems['leaf']!, undefined, [pems['root']!], want, integratedTime);
    verifyCosignSignature(payload, sig, key);
  });
});
