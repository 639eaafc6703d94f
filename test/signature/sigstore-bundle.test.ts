/**
 * Sigstore bundles of image signatures (cosign v3's key-based "new bundle format"): what Signet builds, checked
 * field by field and against `@sigstore/bundle`'s reader; and what it accepts, starting from a valid bundle made here
 * from the formats' definitions (in-toto Statement v1, DSSE PAE, protojson bundle) and breaking it one way at a time.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { digestOf, parseDigest, type Digest } from '../../src/core/index.js';
import {
  BundleAnnotations,
  buildBundleReferrer,
  COSIGN_SIGN_PREDICATE_TYPE,
  createImageSignatureBundle,
  imageSignatureStatement,
  parseBundleReferrer,
  parseSigstoreBundle,
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  verifyImageSignatureBundle,
} from '../../src/signature/index.js';
import { expectCode, expectCodeAsync } from '../helpers/expect-code.js';

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const trusted = ec();
const stranger = ec();
const ed = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const imageDigest = parseDigest(`sha256:${'ab'.repeat(32)}`);
const otherImageDigest = parseDigest(`sha256:${'cd'.repeat(32)}`);
const inToto = 'application/vnd.in-toto+json';

/** base64(SHA-256(SPKI DER)), computed here from the definition of cosign's key hint. */
function hintOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ format: 'der', type: 'spki' })).digest('base64');
}

/** "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
function paeOf(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
}

function statementFor(digest: Digest, predicateType = COSIGN_SIGN_PREDICATE_TYPE): Buffer {
  return Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: digest.slice('sha256:'.length) } }], predicateType, predicate: {} }),
  );
}

function signWith(key: KeyObject, data: Buffer): Buffer {
  return key.asymmetricKeyType === 'ed25519' ? sign(null, data, key) : sign('sha256', data, key);
}

interface BundleJson {
  mediaType: string;
  verificationMaterial: { publicKey?: { hint: string }; tlogEntries?: unknown[]; [k: string]: unknown };
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
  [k: string]: unknown;
}

/** A key-based bundle as cosign (protojson) writes it: no tlog entries, no empty members. */
function bundleJson(o: { signer?: KeyObject; hintKey?: KeyObject; statement?: Buffer; payloadType?: string } = {}): BundleJson {
  const signer = o.signer ?? trusted.privateKey;
  const statement = o.statement ?? statementFor(imageDigest);
  const payloadType = o.payloadType ?? inToto;
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: hintOf(o.hintKey ?? signer) } },
    dsseEnvelope: { payload: statement.toString('base64'), payloadType, signatures: [{ sig: signWith(signer, paeOf(payloadType, statement)).toString('base64') }] },
  };
}

const bytes = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const verifyWith = (b: unknown, keys: KeyObject[], digest: Digest = imageDigest) => verifyImageSignatureBundle(bytes(b), keys, digest);

describe('createImageSignatureBundle', () => {
  it('writes the statement cosign v3 signs, in DSSE, in a v0.3 bundle with only the key hint', async () => {
    const { bundle, hint } = await createImageSignatureBundle(imageDigest, trusted.privateKey);
    const json = JSON.parse(bundle.toString('utf8')) as BundleJson;
    assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(hint, hintOf(trusted.publicKey));
    assert.deepEqual(json.verificationMaterial.publicKey, { hint: hintOf(trusted.publicKey) });
    assert.deepEqual(json.verificationMaterial.tlogEntries ?? [], []);
    assert.equal(json['messageSignature'], undefined);
    assert.equal(json.dsseEnvelope.payloadType, inToto);
    assert.equal(json.dsseEnvelope.signatures.length, 1);
    const statement = Buffer.from(json.dsseEnvelope.payload, 'base64');
    assert.deepEqual(JSON.parse(statement.toString('utf8')), {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    });
    assert.deepEqual(statement, imageSignatureStatement(imageDigest));
    // The signature is ECDSA over the PAE, as anyone holding cosign.pub can check.
    const sig = Buffer.from(json.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');
    assert.ok(verify('sha256', paeOf(inToto, statement), trusted.publicKey, sig));
    // @sigstore/bundle reads it as a bundle with a DSSE envelope and a public key hint.
    const read = bundleFromJSON(json);
    assert.equal(read.content.$case, 'dsseEnvelope');
    assert.equal(read.verificationMaterial.content.$case, 'publicKey');
  });

  it('signs with Ed25519 and RSA keys too, and each verifies with its own key', async () => {
    for (const pair of [ed, rsa]) {
      const { bundle } = await createImageSignatureBundle(imageDigest, pair.privateKey);
      assert.equal((await verifyImageSignatureBundle(bundle, [pair.publicKey], imageDigest)).signer, `key ${hintOf(pair.publicKey)}`);
    }
  });

  it('refuses a digest that is not sha256 (a cosign subject names sha256 only)', async () => {
    await assert.rejects(() => createImageSignatureBundle(parseDigest(`sha512:${'ab'.repeat(64)}`), trusted.privateKey), TypeError);
  });
});

describe('verifyImageSignatureBundle', () => {
  it('accepts a valid bundle: signer is the key hint, the digest the one asked for', async () => {
    const v = await verifyWith(bundleJson(), [stranger.publicKey, trusted.publicKey]);
    assert.equal(v.signer, `key ${hintOf(trusted.publicKey)}`);
    assert.equal(v.predicateType, COSIGN_SIGN_PREDICATE_TYPE);
    assert.equal(v.manifestDigest, imageDigest);
    assert.equal(v.uncheckedTimestamps, 0);
  });

  it('accepts a bundle Signet built, with the key that made it', async () => {
    const { bundle } = await createImageSignatureBundle(imageDigest, trusted.privateKey);
    assert.equal((await verifyImageSignatureBundle(bundle, [trusted.publicKey], imageDigest)).signer, `key ${hintOf(trusted.publicKey)}`);
  });

  it('KEY_NOT_TRUSTED: signed by a key that is not given; the signer names its hint', async () => {
    const err = await expectCodeAsync(() => verifyWith(bundleJson({ signer: stranger.privateKey }), [trusted.publicKey]), 'KEY_NOT_TRUSTED');
    assert.equal((err as unknown as { signer: string }).signer, `key ${hintOf(stranger.publicKey)}`);
    assert.match(err.message, /not among the 1 given key/);
    const { bundle } = await createImageSignatureBundle(imageDigest, stranger.privateKey);
    await expectCodeAsync(() => verifyImageSignatureBundle(bundle, [trusted.publicKey], imageDigest), 'KEY_NOT_TRUSTED');
    await expectCodeAsync(() => verifyWith(bundleJson(), []), 'KEY_NOT_TRUSTED');
  });

  it('BAD_SIGNATURE: the hint names a given key but the signature is not its (another key, corrupted, altered payload)', async () => {
    await expectCodeAsync(() => verifyWith(bundleJson({ signer: stranger.privateKey, hintKey: trusted.publicKey }), [trusted.publicKey]), 'BAD_SIGNATURE');
    const corrupted = bundleJson();
    const sig = Buffer.from(corrupted.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');
    sig[sig.length - 3] = (sig[sig.length - 3] ?? 0) ^ 0x01;
    corrupted.dsseEnvelope.signatures[0] = { sig: sig.toString('base64') };
    await expectCodeAsync(() => verifyWith(corrupted, [trusted.publicKey]), 'BAD_SIGNATURE');
    const altered = bundleJson();
    altered.dsseEnvelope.payload = statementFor(otherImageDigest).toString('base64');
    await expectCodeAsync(() => verifyWith(altered, [trusted.publicKey]), 'BAD_SIGNATURE');
    const retyped = bundleJson();
    retyped.dsseEnvelope.payloadType = 'application/json';
    await expectCodeAsync(() => verifyWith(retyped, [trusted.publicKey]), 'BAD_SIGNATURE');
  });

  it('a bundle without a hint is tried with every given key', async () => {
    const b = bundleJson();
    b.verificationMaterial.publicKey = { hint: '' };
    assert.equal((await verifyWith(b, [stranger.publicKey, trusted.publicKey])).signer, `key ${hintOf(trusted.publicKey)}`);
    await expectCodeAsync(() => verifyWith(b, [stranger.publicKey]), 'KEY_NOT_TRUSTED');
  });

  it('DIGEST_MISMATCH: a valid signature over a statement about another image, with expected and actual digests', async () => {
    const err = await expectCodeAsync(() => verifyWith(bundleJson({ statement: statementFor(otherImageDigest) }), [trusted.publicKey]), 'DIGEST_MISMATCH');
    assert.match(err.message, new RegExp(`about ${otherImageDigest}, not this image's ${imageDigest}`));
    assert.equal((err as unknown as { signer: string }).signer, `key ${hintOf(trusted.publicKey)}`);
    const { bundle } = await createImageSignatureBundle(otherImageDigest, trusted.privateKey);
    await expectCodeAsync(() => verifyImageSignatureBundle(bundle, [trusted.publicKey], imageDigest), 'DIGEST_MISMATCH');
  });

  it('MALFORMED_SIGNATURE: a signed envelope that is not a cosign image signature statement', async () => {
    const slsa = await expectCodeAsync(() => verifyWith(bundleJson({ statement: statementFor(imageDigest, 'https://slsa.dev/provenance/v1') }), [trusted.publicKey]), 'MALFORMED_SIGNATURE');
    assert.match(slsa.message, /predicate type is "https:\/\/slsa\.dev\/provenance\/v1", expected "https:\/\/sigstore\.dev\/cosign\/sign\/v1"/);
    const type = await expectCodeAsync(() => verifyWith(bundleJson({ payloadType: 'application/json' }), [trusted.publicKey]), 'MALFORMED_SIGNATURE');
    assert.match(type.message, /payload type is "application\/json", expected "application\/vnd\.in-toto\+json"/);
    await expectCodeAsync(() => verifyWith(bundleJson({ statement: Buffer.from('{"_type":"x"}') }), [trusted.publicKey]), 'MALFORMED_SIGNATURE');
  });

  it('transparency-log entries are read strictly but not checked: trust rests on the key', async () => {
    const b = bundleJson();
    b.verificationMaterial.tlogEntries = [
      {
        logIndex: '42',
        logId: { keyId: Buffer.alloc(32, 1).toString('base64') },
        kindVersion: { kind: 'dsse', version: '0.0.1' },
        integratedTime: '1700000000',
        inclusionPromise: { signedEntryTimestamp: Buffer.from('set').toString('base64') },
        inclusionProof: { logIndex: '42', rootHash: Buffer.alloc(32, 2).toString('base64'), treeSize: '43', hashes: [Buffer.alloc(32, 3).toString('base64')], checkpoint: { envelope: 'rekor.example\n43\n' } },
        canonicalizedBody: Buffer.from('{}').toString('base64'),
      },
    ];
    assert.equal((await verifyWith(b, [trusted.publicKey])).uncheckedTimestamps, 1);
    await expectCodeAsync(() => verifyWith(b, [stranger.publicKey]), 'KEY_NOT_TRUSTED');
  });
});

describe('parseSigstoreBundle: strict reading', () => {
  const valid = (): BundleJson => bundleJson();
  it('reads the valid bundle (with or without an empty timestampVerificationData and keyid)', async () => {
    assert.equal((await parseSigstoreBundle(bytes(valid()))).untrustedHint, hintOf(trusted.publicKey));
    const b = valid();
    b.verificationMaterial['timestampVerificationData'] = {};
    b.verificationMaterial.tlogEntries = [];
    b.dsseEnvelope.signatures[0] = { sig: b.dsseEnvelope.signatures[0]?.sig ?? '', keyid: hintOf(trusted.publicKey) };
    assert.equal((await verifyWith(b, [trusted.publicKey])).signer, `key ${hintOf(trusted.publicKey)}`);
  });

  const text = JSON.stringify(valid());
  const cases: [string, (b: BundleJson) => unknown, RegExp][] = [
    ['an unknown top-level member', (b) => ({ ...b, extra: 1 }), /\$\.extra: unknown field/],
    ['an unknown member in the public key', (b) => ({ ...b, verificationMaterial: { publicKey: { hint: 'x', keyId: 'y' } } }), /\$\.verificationMaterial\.publicKey\.keyId: unknown field/],
    ['an unknown member in a DSSE signature', (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, signatures: [{ ...b.dsseEnvelope.signatures[0], extra: '' }] } }), /signatures\[0\]\.extra: unknown field/],
    ['a snake_case member name', (b) => ({ mediaType: b.mediaType, verification_material: b.verificationMaterial, dsseEnvelope: b.dsseEnvelope }), /verification_material: unknown field/],
    ['no mediaType', (b) => ({ verificationMaterial: b.verificationMaterial, dsseEnvelope: b.dsseEnvelope }), /\$\.mediaType: missing field/],
    ['no verification material', (b) => ({ mediaType: b.mediaType, dsseEnvelope: b.dsseEnvelope }), /\$\.verificationMaterial: missing field/],
    ['no content', (b) => ({ mediaType: b.mediaType, verificationMaterial: b.verificationMaterial }), /expected one of dsseEnvelope, messageSignature, got none/],
    ['two contents', (b) => ({ ...b, messageSignature: { signature: 'c2ln' } }), /got dsseEnvelope and messageSignature/],
    ['a key and a certificate', (b) => ({ ...b, verificationMaterial: { ...b.verificationMaterial, certificate: { rawBytes: 'AAAA' } } }), /got publicKey and certificate/],
    ['a null member', (b) => ({ ...b, verificationMaterial: { publicKey: null } }), /publicKey: expected an object, got null/],
    ['a number for a string', (b) => ({ ...b, mediaType: 3 }), /\$\.mediaType: expected a string/],
    ['a payload that is not base64', (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, payload: 'not base64!' } }), /\$\.dsseEnvelope\.payload: not valid base64/],
    ['no signature', (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, signatures: [] } }), /content\.dsseEnvelope\.signatures/],
    ['two signatures', (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, signatures: [b.dsseEnvelope.signatures[0], b.dsseEnvelope.signatures[0]] } }), /content\.dsseEnvelope\.signatures/],
    ['an empty payload', (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, payload: '' } }), /content\.dsseEnvelope\.payload/],
    ['a tlog entry without its log id', (b) => ({ ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: [{ logIndex: '1', integratedTime: '1', canonicalizedBody: '' }] } }), /tlogEntries\[0\]\.logId/],
    ['a tlog index that is not an integer', (b) => ({ ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: [{ logIndex: '1.5' }] } }), /logIndex: expected a 64-bit integer/],
  ];
  for (const [name, breakIt, message] of cases) {
    it(`MALFORMED_SIGNATURE: ${name}`, async () => {
      const err = await expectCodeAsync(() => parseSigstoreBundle(bytes(breakIt(JSON.parse(text) as BundleJson))), 'MALFORMED_SIGNATURE');
      assert.match(err.message, message);
      await expectCodeAsync(() => verifyImageSignatureBundle(bytes(breakIt(JSON.parse(text) as BundleJson)), [trusted.publicKey], imageDigest), 'MALFORMED_SIGNATURE');
    });
  }

  it('MALFORMED_SIGNATURE: a duplicate member, at the top or deep inside, and text that is not JSON', async () => {
    assert.match((await expectCodeAsync(() => parseSigstoreBundle(bytes(text.replace('{"mediaType":', '{"mediaType":"x","mediaType":'))), 'MALFORMED_SIGNATURE')).message, /duplicate/);
    assert.match((await expectCodeAsync(() => parseSigstoreBundle(bytes(text.replace('{"hint":', '{"hint":"x","hint":'))), 'MALFORMED_SIGNATURE')).message, /duplicate/);
    await expectCodeAsync(() => parseSigstoreBundle(bytes(`${text} {}`)), 'MALFORMED_SIGNATURE');
    await expectCodeAsync(() => parseSigstoreBundle(bytes('[]')), 'MALFORMED_SIGNATURE');
    await expectCodeAsync(() => parseSigstoreBundle(Buffer.from([0xff, 0xfe])), 'MALFORMED_SIGNATURE');
  });

  it('UNSUPPORTED_FORMAT: another media type, a message signature, a certificate (keyless)', async () => {
    const b = valid();
    await expectCodeAsync(() => parseSigstoreBundle(bytes({ ...b, mediaType: 'application/vnd.dev.sigstore.bundle.v0.9+json' })), 'UNSUPPORTED_FORMAT');
    const message = { mediaType: b.mediaType, verificationMaterial: b.verificationMaterial, messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: Buffer.alloc(32).toString('base64') }, signature: 'c2ln' } };
    await expectCodeAsync(() => parseSigstoreBundle(bytes(message)), 'UNSUPPORTED_FORMAT');
    const cert = { ...b, verificationMaterial: { certificate: { rawBytes: Buffer.from('not a certificate').toString('base64') } } };
    assert.match((await expectCodeAsync(() => parseSigstoreBundle(bytes(cert)), 'UNSUPPORTED_FORMAT')).message, /certificate/);
  });
});

const { bundle: signedBundle } = await createImageSignatureBundle(imageDigest, trusted.privateKey);

describe('bundle referrer manifest', () => {
  const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: imageDigest, size: 1234 };
  const bundle = signedBundle;
  const built = buildBundleReferrer(bundle, { subject, created: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678)) });

  it('is what cosign v3 attaches: artifactType, empty config, one bundle layer, subject, annotations', () => {
    const m = JSON.parse(built.manifest.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(m, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 },
      layers: [{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', digest: digestOf(bundle), size: bundle.length }],
      subject,
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
        'org.opencontainers.image.created': '2025-01-02T03:04:05Z',
      },
    });
    assert.deepEqual(built.descriptor, {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: digestOf(built.manifest),
      size: built.manifest.length,
      artifactType: SIGSTORE_BUNDLE_MEDIA_TYPE,
      annotations: m['annotations'],
    });
    assert.deepEqual(built.blobs.map((b) => b.bytes.toString('utf8')), ['{}', bundle.toString('utf8')]);
  });

  it('reads back as a bundle attachment; anything else is MALFORMED_SIGNATURE', () => {
    const read = parseBundleReferrer(built.manifest, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(read.layer.digest, digestOf(bundle));
    assert.equal(read.untrustedPredicateType, COSIGN_SIGN_PREDICATE_TYPE);
    assert.equal(read.annotations[BundleAnnotations.content], 'dsse-envelope');
    const m = JSON.parse(built.manifest.toString('utf8')) as { layers: unknown[]; artifactType?: string };
    const twoLayers = bytes({ ...m, layers: [m.layers[0], m.layers[0]] });
    assert.match(expectCode(() => parseBundleReferrer(twoLayers), 'MALFORMED_SIGNATURE').message, /exactly 1 layer/);
    const sig = bytes({ ...m, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' });
    assert.match(expectCode(() => parseBundleReferrer(sig), 'MALFORMED_SIGNATURE').message, /not a sigstore bundle type/);
    expectCode(() => parseBundleReferrer(bytes({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] })), 'MALFORMED_SIGNATURE');
    expectCode(() => parseBundleReferrer(bytes('{')), 'MALFORMED_SIGNATURE');
  });
});
