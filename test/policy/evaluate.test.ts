import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  digestOf,
  parseNormalizedNamed,
  policyConfigurationIdentity,
  policyConfigurationNamespaces,
  tagNameOnly,
  type Digest,
  type DockerReference,
} from '../../src/core/index.js';
import {
  evaluatePolicy,
  parsePolicy,
  renderVerdictJson,
  renderVerdictText,
  type CandidateSignature,
  type PolicyInput,
  type SignedByRequirement,
  type TrustMaterial,
  type Verdict,
} from '../../src/policy/index.js';
import { KeyError, SignatureVerificationError, type VerificationCode } from '../../src/signature/index.js';
import { expectCodeAsync } from '../helpers/expect-code.js';

/**
 * The fake trust material. A signature blob is JSON telling the fake verifier what to do:
 * `{"signer":"VENDOR","digest":"sha256:…","ref":"…"}` verifies as signed by VENDOR with that payload;
 * `{"throw":"BAD_SIGNATURE"}` fails cryptography; `{"signer":"X","payload":"garbage"}` carries an unparseable
 * payload. A keyring is the text `KEYS:FPR1,FPR2`; `gpgKeys` maps key paths to keyrings.
 */
interface FakeBlob {
  signer?: string;
  digest?: string;
  ref?: string;
  payload?: string;
  throw?: VerificationCode;
}

class SignerError extends SignatureVerificationError {
  constructor(code: VerificationCode, message: string, signer: string) {
    super(code, message, { signer });
  }
}

const keyFiles: Record<string, string> = {
  '/etc/pki/vendor.gpg': 'KEYS:VENDOR',
  '/etc/pki/reviewer.gpg': 'KEYS:REVIEWER',
  '/etc/pki/empty.gpg': '',
};

function fakeVerify(blob: Buffer, trusted: readonly string[]): { signer: string; untrustedPayload: Buffer } {
  const b = JSON.parse(blob.toString('utf8')) as FakeBlob;
  if (b.throw !== undefined) throw new SignatureVerificationError(b.throw, `fake verifier: ${b.throw}`);
  const signer = b.signer ?? 'NOBODY';
  if (!trusted.includes(signer)) throw new SignerError('KEY_NOT_TRUSTED', `signature by key ${signer} is not accepted`, signer);
  const payload = b.payload ?? JSON.stringify({ dockerManifestDigest: b.digest, dockerReference: b.ref });
  return { signer, untrustedPayload: Buffer.from(payload) };
}

function fakeTrust(options: { sigstore?: boolean; keyError?: boolean } = {}): TrustMaterial & { parsedFormats: string[] } {
  const parsedFormats: string[] = [];
  const trust: TrustMaterial & { parsedFormats: string[] } = {
    parsedFormats,
    async gpgKeys(req: SignedByRequirement) {
      if (options.keyError === true) throw new KeyError('INVALID_KEY', 'cannot read GPG keyring /etc/pki/missing.gpg');
      if (req.keyData !== undefined) return [req.keyData];
      const paths = req.keyPaths ?? (req.keyPath !== undefined ? [req.keyPath] : []);
      return paths.map((p) => Buffer.from(keyFiles[p] ?? ''));
    },
    async verifySimpleSigning(blob, keyrings) {
      const trusted = keyrings.flatMap((k) => Buffer.from(k).toString('utf8').replace(/^KEYS:/, '').split(','));
      return fakeVerify(blob, trusted);
    },
    parsePayload(untrustedPayload, format) {
      parsedFormats.push(format ?? 'unspecified');
      let v: unknown;
      try {
        v = JSON.parse(untrustedPayload.toString('utf8'));
      } catch {
        throw new SignatureVerificationError('MALFORMED_SIGNATURE', 'payload is not JSON');
      }
      const o = v as { dockerManifestDigest?: unknown; dockerReference?: unknown };
      if (typeof o.dockerManifestDigest !== 'string' || typeof o.dockerReference !== 'string') {
        throw new SignatureVerificationError('MALFORMED_SIGNATURE', 'payload lacks critical.image or critical.identity');
      }
      return { dockerManifestDigest: o.dockerManifestDigest, dockerReference: o.dockerReference };
    },
  };
  if (options.sigstore === true) {
    trust.verifySigstore = async (sig) => fakeVerify(sig.blob, ['COSIGN']);
  }
  return trust;
}

const manifestDigest = digestOf('{"schemaVersion":2}');
const otherDigest = digestOf('{"schemaVersion":2,"tampered":true}');
const imageRef = 'registry.example.com/ns/app:1.2';

function sig(index: number, blob: FakeBlob, extra: Partial<CandidateSignature> = {}): CandidateSignature {
  return { index, source: 'lookaside', format: 'simple-signing', blob: Buffer.from(JSON.stringify(blob)), ...extra };
}

const good = (signer = 'VENDOR', ref = imageRef): FakeBlob => ({ signer, digest: manifestDigest, ref });

function image(ref: string, digest: Digest = manifestDigest): PolicyInput['image'] {
  const r: DockerReference = tagNameOnly(parseNormalizedNamed(ref));
  return {
    name: `docker://${ref}`,
    transport: 'docker',
    policyIdentity: policyConfigurationIdentity(r),
    namespaces: policyConfigurationNamespaces(r),
    dockerReference: r,
    manifestDigest: digest,
  };
}

function policy(requirements: unknown[], scope = 'registry.example.com/ns'): ReturnType<typeof parsePolicy> {
  return parsePolicy(JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [scope]: requirements } } }), '/etc/containers/policy.json');
}

const vendor = { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/vendor.gpg' };
const reviewer = { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/reviewer.gpg' };
const cosign = { type: 'sigstoreSigned', keyPath: '/etc/pki/cosign.pub', signedIdentity: { type: 'matchRepository' } };

async function evaluate(requirements: unknown[], signatures: CandidateSignature[], trust: TrustMaterial = fakeTrust(), img = image(imageRef)): Promise<Verdict> {
  return evaluatePolicy({ policy: policy(requirements), policySource: '/etc/containers/policy.json', image: img, signatures, trust });
}

function onlySignature(v: Verdict, req = 0, i = 0) {
  const s = v.requirements[req]?.signatures[i];
  assert.ok(s !== undefined);
  return s;
}

describe('evaluatePolicy: one signature, every outcome', () => {
  it('accepts a good signature', async () => {
    const v = await evaluate([vendor], [sig(1, good())]);
    assert.equal(v.allowed, true);
    assert.deepEqual(v.policy, { file: '/etc/containers/policy.json', transport: 'docker', scope: 'registry.example.com/ns' });
    assert.equal(v.identity, imageRef);
    assert.equal(v.manifestDigest, manifestDigest);
    const s = onlySignature(v);
    assert.deepEqual(s, { index: 1, source: 'lookaside', format: 'simple-signing', accepted: true, status: 'accepted', signer: 'VENDOR', message: `signed by VENDOR for ${imageRef}` });
    assert.equal(v.nextStep, undefined);
  });

  const rejections: ReadonlyArray<readonly [string, FakeBlob, VerificationCode, RegExp]> = [
    ['a key that is not trusted', good('STRANGER'), 'KEY_NOT_TRUSTED', /not trusted here \(fingerprint STRANGER\)/],
    ['a broken signature', { throw: 'BAD_SIGNATURE' }, 'BAD_SIGNATURE', /BAD_SIGNATURE/],
    ['an expired key', { throw: 'KEY_EXPIRED' }, 'KEY_EXPIRED', /KEY_EXPIRED/],
    ['a revoked key', { throw: 'KEY_REVOKED' }, 'KEY_REVOKED', /KEY_REVOKED/],
    ['an expired signature', { throw: 'SIGNATURE_EXPIRED' }, 'SIGNATURE_EXPIRED', /SIGNATURE_EXPIRED/],
    ['a malformed payload', { signer: 'VENDOR', payload: 'garbage' }, 'MALFORMED_SIGNATURE', /not JSON/],
    ['an unparseable docker-reference', { signer: 'VENDOR', digest: manifestDigest, ref: 'Not A Reference' }, 'MALFORMED_SIGNATURE', /not a valid reference/],
    ['another manifest', { signer: 'VENDOR', digest: otherDigest, ref: imageRef }, 'DIGEST_MISMATCH', new RegExp(`signs manifest ${otherDigest}, not this image's ${manifestDigest}`)],
    ['another image', good('VENDOR', 'registry.example.com/ns/other:1.2'), 'IDENTITY_MISMATCH', /^valid, but it names registry\.example\.com\/ns\/other:1\.2, not registry\.example\.com\/ns\/app:1\.2$/],
  ];
  for (const [name, blob, code, message] of rejections) {
    it(`rejects a signature with ${name}: ${code}`, async () => {
      const v = await evaluate([vendor], [sig(1, blob)]);
      assert.equal(v.allowed, false);
      const s = onlySignature(v);
      assert.equal(s.status, 'rejected');
      assert.equal(s.accepted, false);
      assert.equal(s.code, code);
      assert.match(s.message, message);
      assert.equal(v.requirements[0]?.code, code);
      assert.ok(v.nextStep !== undefined && v.nextStep.length > 0);
    });
  }

  it('NO_SIGNATURES when there is nothing to check', async () => {
    const v = await evaluate([vendor], []);
    assert.equal(v.allowed, false);
    assert.equal(v.requirements[0]?.code, 'NO_SIGNATURES');
    assert.deepEqual(v.requirements[0]?.signatures, []);
  });

  it('REJECTED for a reject requirement, on the requirement and every signature', async () => {
    const v = await evaluate([{ type: 'reject' }], [sig(1, good())]);
    assert.equal(v.allowed, false);
    assert.equal(v.requirements[0]?.code, 'REJECTED');
    assert.equal(onlySignature(v).code, 'REJECTED');
    assert.match(v.nextStep ?? '', /rejects every image in scope "registry\.example\.com\/ns"/);
  });

  it('UNSUPPORTED_FORMAT for keyTypes containers/image does not implement', async () => {
    const v = await evaluate([{ ...vendor, keyType: 'X509Certificates' }], [sig(1, good())]);
    assert.equal(v.allowed, false);
    assert.equal(onlySignature(v).code, 'UNSUPPORTED_FORMAT');
    assert.match(v.nextStep ?? '', /use keyType GPGKeys/);
    // Without signatures, it is still NO_SIGNATURES, as in containers/image.
    assert.equal((await evaluate([{ ...vendor, keyType: 'signedByGPGKeys' }], [])).requirements[0]?.code, 'NO_SIGNATURES');
  });

  it('UNSUPPORTED_FORMAT for sigstore signatures when no sigstore verifier is given', async () => {
    const v = await evaluate([cosign], [sig(1, good('COSIGN'), { format: 'sigstore', source: 'sigstore-attachment' })]);
    assert.equal(onlySignature(v).code, 'UNSUPPORTED_FORMAT');
  });

  it('KEY_NOT_TRUSTED when the keyring holds no keys', async () => {
    const v = await evaluate([{ ...vendor, keyPath: '/etc/pki/empty.gpg' }], [sig(1, good())]);
    assert.equal(onlySignature(v).code, 'KEY_NOT_TRUSTED');
    assert.match(onlySignature(v).message, /no public keys in keyPath \/etc\/pki\/empty\.gpg/);
    const none = await evaluate([{ type: 'signedBy', keyType: 'GPGKeys', keyPaths: [] }], [sig(1, good())]);
    assert.equal(onlySignature(none).code, 'KEY_NOT_TRUSTED');
  });

  it('checks the key before the digest: wrong key and wrong digest reports KEY_NOT_TRUSTED', async () => {
    const v = await evaluate([vendor], [sig(1, { signer: 'STRANGER', digest: otherDigest, ref: 'elsewhere.io/x:1' })]);
    assert.equal(onlySignature(v).code, 'KEY_NOT_TRUSTED');
  });

  it('checks the digest before the identity', async () => {
    const v = await evaluate([vendor], [sig(1, { signer: 'VENDOR', digest: otherDigest, ref: 'elsewhere.io/x:1' })]);
    assert.equal(onlySignature(v).code, 'DIGEST_MISMATCH');
  });

  it('compares the digest as a string', async () => {
    const v = await evaluate([vendor], [sig(1, { signer: 'VENDOR', digest: manifestDigest.toUpperCase(), ref: imageRef })]);
    assert.equal(onlySignature(v).code, 'DIGEST_MISMATCH');
  });

  it('sigstore: TLOG_INVALID and CERTIFICATE_INVALID from the verifier, acceptance otherwise', async () => {
    const trust = fakeTrust({ sigstore: true });
    const attachment = (index: number, blob: FakeBlob): CandidateSignature => sig(index, blob, { format: 'sigstore', source: 'sigstore-attachment' });
    const v = await evaluate(
      [cosign],
      [attachment(1, { throw: 'TLOG_INVALID' }), attachment(2, { throw: 'CERTIFICATE_INVALID' }), attachment(3, { signer: 'COSIGN', digest: manifestDigest, ref: 'registry.example.com/ns/app' })],
      trust,
    );
    assert.deepEqual(
      v.requirements[0]?.signatures.map((s) => [s.status, s.code]),
      [
        ['rejected', 'TLOG_INVALID'],
        ['rejected', 'CERTIFICATE_INVALID'],
        ['accepted', undefined],
      ],
    );
    assert.equal(v.allowed, true);
    assert.deepEqual(trust.parsedFormats, ['sigstore']);
  });

  it('a cosign name-only identity fails the default matchRepoDigestOrExact', async () => {
    const v = await evaluate(
      [{ ...cosign, signedIdentity: undefined }],
      [sig(1, { signer: 'COSIGN', digest: manifestDigest, ref: 'registry.example.com/ns/app' }, { format: 'sigstore', source: 'sigstore-attachment' })],
      fakeTrust({ sigstore: true }),
    );
    assert.equal(onlySignature(v).code, 'IDENTITY_MISMATCH');
    assert.match(onlySignature(v).message, /only the repository/);
  });
});

describe('evaluatePolicy: combining requirements and signatures', () => {
  it('two requirements satisfied by two different signers', async () => {
    const sigs = [sig(1, good('VENDOR')), sig(2, good('REVIEWER'))];
    const v = await evaluate([vendor, reviewer], sigs);
    assert.equal(v.allowed, true);
    assert.deepEqual(
      v.requirements.map((r) => r.signatures.map((s) => s.status)),
      [
        ['accepted', 'rejected'],
        ['rejected', 'accepted'],
      ],
    );
    const onlyVendor = await evaluate([vendor, reviewer], [sigs[0] as CandidateSignature]);
    assert.equal(onlyVendor.allowed, false);
    assert.equal(onlyVendor.requirements[0]?.satisfied, true);
    assert.equal(onlyVendor.requirements[1]?.satisfied, false);
    assert.match(onlyVendor.nextStep ?? '', /signed by VENDOR, which is not in keyPath \/etc\/pki\/reviewer\.gpg/);
  });

  it('any one accepted signature satisfies a requirement', async () => {
    const v = await evaluate([vendor], [sig(1, { throw: 'BAD_SIGNATURE' }), sig(2, good('STRANGER')), sig(3, good())]);
    assert.equal(v.allowed, true);
    assert.equal(v.requirements[0]?.code, undefined);
  });

  it('insecureAcceptAnything allows without accepting signatures; with reject the image is refused', async () => {
    const anything = await evaluate([{ type: 'insecureAcceptAnything' }], [sig(1, good())]);
    assert.equal(anything.allowed, true);
    assert.equal(onlySignature(anything).status, 'not-applicable');
    assert.equal(onlySignature(anything).accepted, false);
    const both = await evaluate([{ type: 'insecureAcceptAnything' }, { type: 'reject' }], []);
    assert.equal(both.allowed, false);
    assert.deepEqual(both.requirements.map((r) => r.satisfied), [true, false]);
    const withSigning = await evaluate([{ type: 'insecureAcceptAnything' }, vendor], []);
    assert.equal(withSigning.allowed, false);
    assert.equal(withSigning.requirements[1]?.code, 'NO_SIGNATURES');
  });

  it('signedBy ignores sigstore signatures and sigstoreSigned ignores simple signatures', async () => {
    const cosignSig = sig(1, good('COSIGN'), { format: 'sigstore', source: 'sigstore-attachment' });
    const gpgSig = sig(2, good());
    const v = await evaluate([vendor, cosign], [cosignSig, gpgSig], fakeTrust({ sigstore: true }));
    assert.equal(v.allowed, true);
    assert.deepEqual(
      v.requirements.map((r) => r.signatures.map((s) => s.status)),
      [
        ['not-applicable', 'accepted'],
        ['accepted', 'not-applicable'],
      ],
    );
    const onlyCosign = await evaluate([vendor], [cosignSig], fakeTrust({ sigstore: true }));
    assert.equal(onlyCosign.requirements[0]?.code, 'NO_SIGNATURES');
    assert.equal(onlySignature(onlyCosign).status, 'not-applicable');
  });

  it('sigstore attachments that are not signatures are not applicable', async () => {
    const sbom = sig(1, good('COSIGN'), { format: 'sigstore', source: 'sigstore-attachment', mimeType: 'application/vnd.cyclonedx+json' });
    const v = await evaluate([cosign], [sbom], fakeTrust({ sigstore: true }));
    assert.equal(onlySignature(v).status, 'not-applicable');
    assert.equal(v.requirements[0]?.code, 'NO_SIGNATURES');
  });

  it('an unreadable blob in lookaside storage fails signing requirements, as containers/image cannot list signatures', async () => {
    const junk: CandidateSignature = { index: 1, source: 'lookaside', format: 'unknown', blob: Buffer.from('-----BEGIN PGP MESSAGE-----') };
    const v = await evaluate([vendor], [junk, sig(2, good())]);
    assert.equal(v.allowed, false);
    assert.deepEqual(v.requirements[0]?.signatures.map((s) => s.status), ['rejected', 'accepted']);
    assert.equal(v.requirements[0]?.code, 'MALFORMED_SIGNATURE');
    assert.match(v.nextStep ?? '', /remove signature 1/);
    // insecureAcceptAnything never reads signatures.
    assert.equal((await evaluate([{ type: 'insecureAcceptAnything' }], [junk])).allowed, true);
    // From a cosign attachment, an unknown layer is merely not applicable.
    const attached = await evaluate([vendor], [{ ...junk, source: 'sigstore-attachment' }, sig(2, good())]);
    assert.equal(attached.allowed, true);
  });

  it('signedBaseLayer refuses every image', async () => {
    const v = await evaluate([{ type: 'signedBaseLayer', baseLayerIdentity: { type: 'matchRepository' } }], [sig(1, good())]);
    assert.equal(v.allowed, false);
    assert.equal(v.requirements[0]?.code, 'UNSUPPORTED_FORMAT');
  });

  it('uses the scope that applies, and the global default otherwise', async () => {
    const v = await evaluatePolicy({
      policy: policy([vendor]),
      policySource: '/etc/containers/policy.json',
      image: image('quay.io/other/app:1'),
      signatures: [sig(1, good('VENDOR', 'quay.io/other/app:1'))],
      trust: fakeTrust(),
    });
    assert.equal(v.policy.scope, 'default');
    assert.equal(v.allowed, false);
    assert.equal(v.requirements[0]?.type, 'reject');
  });

  it('images without a docker identity: only exactReference/exactRepository can match', async () => {
    const dirImage: PolicyInput['image'] = {
      name: 'dir:/srv/images/app',
      transport: 'dir',
      policyIdentity: '/srv/images/app',
      namespaces: ['/srv/images', '/srv'],
      dockerReference: undefined,
      manifestDigest,
    };
    const p = (identity: unknown) =>
      parsePolicy(
        JSON.stringify({ default: [{ type: 'reject' }], transports: { dir: { '/srv/images': [{ ...vendor, signedIdentity: identity }] } } }),
        '/etc/containers/policy.json',
      );
    const run = (identity: unknown) => evaluatePolicy({ policy: p(identity), policySource: 'p', image: dirImage, signatures: [sig(1, good(), { source: 'dir' })], trust: fakeTrust() });
    const repoMatch = await run({ type: 'matchRepository' });
    assert.equal(repoMatch.allowed, false);
    assert.equal(repoMatch.identity, '/srv/images/app');
    assert.equal(repoMatch.policy.scope, '/srv/images');
    assert.equal(onlySignature(repoMatch).code, 'IDENTITY_MISMATCH');
    assert.equal((await run({ type: 'exactReference', dockerReference: imageRef })).allowed, true);
  });

  it('throws, rather than returning a verdict, when key material is unusable', async () => {
    await expectCodeAsync(() => evaluate([vendor], [sig(1, good())], fakeTrust({ keyError: true })), 'INVALID_KEY');
  });

  it('does not read keys when there is nothing to verify', async () => {
    const v = await evaluate([vendor], [], fakeTrust({ keyError: true }));
    assert.equal(v.requirements[0]?.code, 'NO_SIGNATURES');
  });
});

describe('renderVerdictText / renderVerdictJson', () => {
  it('explains a rejection in sentences, ending with the next step', async () => {
    const v = await evaluate([vendor], [sig(1, good('199E2F91FD431D51')), sig(2, good('VENDOR', 'registry.example.com/ns/other:1.2'))]);
    assert.equal(
      renderVerdictText(v),
      [
        'docker://registry.example.com/ns/app:1.2 is rejected by the policy.',
        `Identity registry.example.com/ns/app:1.2, manifest ${manifestDigest}.`,
        'Policy /etc/containers/policy.json, transport "docker", scope "registry.example.com/ns" applied.',
        'Requirement 1 of 1, signedBy: GPG keys from /etc/pki/vendor.gpg — not satisfied (IDENTITY_MISMATCH).',
        '  Signature 1 (simple-signing, from lookaside storage, signer 199E2F91FD431D51): rejected (KEY_NOT_TRUSTED): signed with a key that is not trusted here (fingerprint 199E2F91FD431D51).',
        '  Signature 2 (simple-signing, from lookaside storage, signer VENDOR): rejected (IDENTITY_MISMATCH): valid, but it names registry.example.com/ns/other:1.2, not registry.example.com/ns/app:1.2.',
        'Next step: the signature names registry.example.com/ns/other:1.2 — pull by that reference, or use matchRepository in signedIdentity if any tag of the repository will do.',
        '',
      ].join('\n'),
    );
  });

  it('explains an acceptance and a missing signature', async () => {
    const ok = await evaluate([{ type: 'insecureAcceptAnything' }, vendor], [sig(1, good())]);
    assert.equal(
      renderVerdictText(ok),
      [
        'docker://registry.example.com/ns/app:1.2 is allowed by the policy.',
        `Identity registry.example.com/ns/app:1.2, manifest ${manifestDigest}.`,
        'Policy /etc/containers/policy.json, transport "docker", scope "registry.example.com/ns" applied.',
        'Requirement 1 of 2, insecureAcceptAnything: any image, without looking at signatures — satisfied.',
        '  Signatures are not looked at.',
        'Requirement 2 of 2, signedBy: GPG keys from /etc/pki/vendor.gpg — satisfied.',
        '  Signature 1 (simple-signing, from lookaside storage, signer VENDOR): accepted: signed by VENDOR for registry.example.com/ns/app:1.2.',
        '',
      ].join('\n'),
    );
    const none = await evaluate([vendor], []);
    assert.equal(
      renderVerdictText(none).split('\n').slice(3).join('\n'),
      [
        'Requirement 1 of 1, signedBy: GPG keys from /etc/pki/vendor.gpg — not satisfied (NO_SIGNATURES).',
        '  No signatures were found.',
        'Next step: no signature was found: sign the image with a GPG key, or make registries.d point at the lookaside storage that holds its signatures.',
        '',
      ].join('\n'),
    );
  });

  it('renders the SPEC §3.2 JSON shape', async () => {
    const v = await evaluate([vendor], [sig(1, good('STRANGER'))]);
    const json = JSON.parse(renderVerdictJson(v)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['image', 'identity', 'manifestDigest', 'allowed', 'policy', 'requirements', 'nextStep']);
    assert.deepEqual(json['requirements'], [
      {
        type: 'signedBy',
        summary: 'GPG keys from /etc/pki/vendor.gpg',
        satisfied: false,
        signatures: [
          {
            index: 1,
            source: 'lookaside',
            format: 'simple-signing',
            accepted: false,
            status: 'rejected',
            code: 'KEY_NOT_TRUSTED',
            signer: 'STRANGER',
            message: 'signed with a key that is not trusted here (fingerprint STRANGER)',
          },
        ],
        code: 'KEY_NOT_TRUSTED',
        nextStep: 'signed by STRANGER, which is not in keyPath /etc/pki/vendor.gpg: add that public key there, or sign with a key that is',
      },
    ]);
  });
});

describe('evaluatePolicy: sigstore bundles (OCI referrers)', () => {
  const bundleCalls: string[] = [];
  /** The fake bundle verifier: a trusted COSIGN signer, then the digest; `throw` fails as told. */
  function bundleTrust(): TrustMaterial {
    const trust = fakeTrust({ sigstore: true });
    trust.verifySigstoreBundle = async (s, _req, digest) => {
      const b = JSON.parse(s.blob.toString('utf8')) as FakeBlob;
      bundleCalls.push(digest);
      if (b.throw !== undefined) throw new SignatureVerificationError(b.throw, `fake bundle verifier: ${b.throw}`);
      if (b.signer !== 'COSIGN') throw new SignerError('KEY_NOT_TRUSTED', `bundle by key ${b.signer ?? ''} is not accepted`, `key ${b.signer ?? ''}`);
      if (b.digest !== digest) throw new SignatureVerificationError('DIGEST_MISMATCH', `valid, but its statement is about ${b.digest ?? ''}, not this image's ${digest}`, { signer: 'key COSIGN' });
      return { signer: 'key COSIGN' };
    };
    return trust;
  }
  const bundle = (index: number, blob: FakeBlob, extra: Partial<CandidateSignature> = {}): CandidateSignature =>
    sig(index, blob, { format: 'sigstore-bundle', source: 'referrer', annotations: { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' }, ...extra });
  const cosignSig = (index: number): CandidateSignature => sig(index, good('COSIGN', 'registry.example.com/ns/app'), { format: 'sigstore', source: 'sigstore-attachment' });
  const evaluateImplicit = (signatures: CandidateSignature[], requirements: unknown[] = [cosign]): Promise<Verdict> =>
    evaluatePolicy({ policy: policy(requirements), policySource: '--key cosign.pub', image: image(imageRef), signatures, trust: bundleTrust(), verifyBundles: true });

  it('a policy file never reads them: not applicable, UNSUPPORTED_FORMAT, and the decision is unchanged', async () => {
    bundleCalls.length = 0;
    const good1 = bundle(1, { signer: 'COSIGN', digest: manifestDigest });
    for (const requirements of [[cosign], [vendor], [{ type: 'insecureAcceptAnything' }], [{ type: 'reject' }], [{ type: 'signedBaseLayer', baseLayerIdentity: { type: 'matchRepository' } }]]) {
      const v = await evaluate(requirements, [good1], bundleTrust());
      const s = onlySignature(v);
      assert.equal(s.status, 'not-applicable', JSON.stringify(requirements));
      assert.equal(s.code, 'UNSUPPORTED_FORMAT');
      assert.equal(s.format, 'sigstore-bundle');
      assert.equal(s.source, 'referrer');
      assert.match(s.message, /containers\/image policies do not read sigstore bundles/);
      const without = await evaluate(requirements, [], bundleTrust());
      assert.equal(v.allowed, without.allowed, JSON.stringify(requirements));
    }
    const onlyBundle = await evaluate([cosign], [good1], bundleTrust());
    assert.equal(onlyBundle.requirements[0]?.code, 'NO_SIGNATURES');
    assert.match(onlyBundle.nextStep ?? '', /sigstore bundles, which containers\/image policies do not read/);
    // A good .sig signature decides alone; a bad bundle beside it changes nothing.
    const mixed = await evaluate([cosign], [cosignSig(1), bundle(2, { throw: 'BAD_SIGNATURE' })], bundleTrust());
    assert.equal(mixed.allowed, true);
    assert.deepEqual(bundleCalls, []);
  });

  it('the implicit --key policy verifies them: accepted with the signer, no identity to match', async () => {
    const v = await evaluateImplicit([bundle(1, { signer: 'COSIGN', digest: manifestDigest })]);
    assert.equal(v.allowed, true);
    const s = onlySignature(v);
    assert.equal(s.status, 'accepted');
    assert.equal(s.signer, 'key COSIGN');
    assert.match(s.message, new RegExp(`signed by key COSIGN for ${manifestDigest}`));
  });

  it('the implicit --key policy: KEY_NOT_TRUSTED, BAD_SIGNATURE, DIGEST_MISMATCH and defects are rejections', async () => {
    const v = await evaluateImplicit([
      bundle(1, { signer: 'STRANGER', digest: manifestDigest }),
      bundle(2, { throw: 'BAD_SIGNATURE' }),
      bundle(3, { signer: 'COSIGN', digest: otherDigest }),
      bundle(4, {}, { blob: Buffer.alloc(0), defect: { code: 'MALFORMED_SIGNATURE', message: 'bundle referrer: expected exactly 1 layer (the bundle), got 2' } }),
    ]);
    assert.equal(v.allowed, false);
    assert.deepEqual(
      v.requirements[0]?.signatures.map((s) => [s.status, s.code]),
      [
        ['rejected', 'KEY_NOT_TRUSTED'],
        ['rejected', 'BAD_SIGNATURE'],
        ['rejected', 'DIGEST_MISMATCH'],
        ['rejected', 'MALFORMED_SIGNATURE'],
      ],
    );
    assert.equal(v.requirements[0]?.signatures[0]?.signer, 'key STRANGER');
    assert.match(v.requirements[0]?.signatures[2]?.message ?? '', new RegExp(`about ${otherDigest}, not this image's ${manifestDigest}`));
    assert.equal(v.requirements[0]?.code, 'DIGEST_MISMATCH');
  });

  it('the implicit --key policy: attestation bundles and GPG keys do not count; .sig signatures still do', async () => {
    const provenance = bundle(1, { signer: 'COSIGN', digest: manifestDigest }, { annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' } });
    const v = await evaluateImplicit([provenance]);
    assert.equal(onlySignature(v).status, 'not-applicable');
    assert.match(onlySignature(v).message, /attestation/);
    assert.equal(v.requirements[0]?.code, 'NO_SIGNATURES');
    const gpg = await evaluateImplicit([bundle(1, { signer: 'COSIGN', digest: manifestDigest })], [vendor]);
    assert.equal(onlySignature(gpg).status, 'not-applicable');
    const both = await evaluateImplicit([cosignSig(1), bundle(2, { signer: 'STRANGER', digest: manifestDigest })]);
    assert.equal(both.allowed, true);
  });

  it('UNSUPPORTED_FORMAT when the trust material cannot verify bundles', async () => {
    const v = await evaluatePolicy({
      policy: policy([cosign]),
      policySource: '--key cosign.pub',
      image: image(imageRef),
      signatures: [bundle(1, { signer: 'COSIGN', digest: manifestDigest })],
      trust: fakeTrust({ sigstore: true }),
      verifyBundles: true,
    });
    assert.equal(onlySignature(v).code, 'UNSUPPORTED_FORMAT');
  });
});
