/**
 * The file trust material with real keys and real sigstore bundles, through `evaluatePolicy` as `verify --key`
 * runs it (the implicit sigstoreSigned policy, bundles verified): each outcome from one valid bundle broken one way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigest, parseNormalizedNamed, policyConfigurationIdentity, policyConfigurationNamespaces, type Digest } from '../../src/core/index.js';
import { evaluatePolicy, parsePolicy, type CandidateSignature, type Verdict } from '../../src/policy/index.js';
import { createImageSignatureBundle } from '../../src/signature/index.js';
import { fileTrustMaterial } from '../../src/verify/index.js';
import { cosignTestKey } from '../fixtures/cosign-attachments.js';

const trusted = cosignTestKey();
const stranger = cosignTestKey();
const imageDigest = parseDigest(`sha256:${'12'.repeat(32)}`);
const otherDigest = parseDigest(`sha256:${'34'.repeat(32)}`);
const reference = parseNormalizedNamed('registry.example.com/team/app:1');

function candidate(blob: Buffer, annotations: Record<string, string> = { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' }): CandidateSignature {
  return { index: 1, source: 'referrer', format: 'sigstore-bundle', blob, annotations, mimeType: 'application/vnd.dev.sigstore.bundle.v0.3+json' };
}

async function verifyKey(blob: Buffer, options: { verifyBundles?: boolean; digest?: Digest } = {}): Promise<Verdict> {
  const keyData = Buffer.from(trusted.publicPem).toString('base64');
  const policy = parsePolicy(JSON.stringify({ default: [{ type: 'sigstoreSigned', keyData, signedIdentity: { type: 'matchRepository' } }] }), '--key cosign.pub');
  return evaluatePolicy({
    policy,
    policySource: '--key cosign.pub',
    image: {
      name: 'docker://registry.example.com/team/app:1',
      transport: 'docker',
      policyIdentity: policyConfigurationIdentity(reference),
      namespaces: policyConfigurationNamespaces(reference),
      dockerReference: reference,
      manifestDigest: options.digest ?? imageDigest,
    },
    signatures: [candidate(blob)],
    trust: fileTrustMaterial(),
    verifyBundles: options.verifyBundles ?? true,
  });
}

function only(v: Verdict) {
  const s = v.requirements[0]?.signatures[0];
  assert.ok(s !== undefined);
  return s;
}

const { bundle, hint } = await createImageSignatureBundle(imageDigest, trusted.privateKey);

describe('fileTrustMaterial: sigstore bundles under the implicit --key policy', () => {

  it('accepts a bundle by the trusted key about this image', async () => {
    const v = await verifyKey(bundle);
    assert.equal(v.allowed, true);
    assert.equal(only(v).status, 'accepted');
    assert.equal(only(v).signer, `key ${hint}`);
  });

  it('KEY_NOT_TRUSTED for another key, DIGEST_MISMATCH for another image, BAD_SIGNATURE when corrupted', async () => {
    const foreign = (await createImageSignatureBundle(imageDigest, stranger.privateKey)).bundle;
    assert.equal(only(await verifyKey(foreign)).code, 'KEY_NOT_TRUSTED');
    const mismatch = await verifyKey(bundle, { digest: otherDigest });
    assert.equal(only(mismatch).code, 'DIGEST_MISMATCH');
    assert.match(only(mismatch).message, new RegExp(`about ${imageDigest}, not this image's ${otherDigest}`));
    const json = JSON.parse(bundle.toString('utf8')) as { dsseEnvelope: { signatures: { sig: string }[] } };
    const sig = Buffer.from(json.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');
    sig[10] = (sig[10] ?? 0) ^ 0xff;
    (json.dsseEnvelope.signatures[0] as { sig: string }).sig = sig.toString('base64');
    assert.equal(only(await verifyKey(Buffer.from(JSON.stringify(json)))).code, 'BAD_SIGNATURE');
  });

  it('MALFORMED_SIGNATURE for a bundle with an unknown member', async () => {
    const json = JSON.parse(bundle.toString('utf8')) as Record<string, unknown>;
    const v = await verifyKey(Buffer.from(JSON.stringify({ ...json, note: 'x' })));
    assert.equal(only(v).code, 'MALFORMED_SIGNATURE');
    assert.match(only(v).message, /\$\.note: unknown field/);
  });

  it('a policy file (no verifyBundles) does not verify it, whatever it holds', async () => {
    const v = await verifyKey(bundle, { verifyBundles: false });
    assert.equal(v.allowed, false);
    assert.equal(only(v).status, 'not-applicable');
    assert.equal(only(v).code, 'UNSUPPORTED_FORMAT');
  });
});
