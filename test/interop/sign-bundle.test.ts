/**
 * `signet sign --format bundle` against a real registry (docker-registry 2.8, which has no referrers API): the
 * referrer manifest and the `sha256-<hex>` referrers index as cosign v3 writes them, a DSSE signature that openssl
 * verifies over the PAE rebuilt here from the pulled bundle, `verify --key` accepting it and rejecting other keys and
 * a bundle about another image, a policy file that lists it without letting it decide, and `tree` showing it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { fileLookasideRegistriesD, generateKeyPairs, pushDirImages } from '../helpers/interop-setup.js';
import { peerAvailable } from '../helpers/peers.js';
import { run, signet, type RunResult } from '../helpers/run.js';

const ready = peerAvailable('docker-registry') && peerAvailable('openssl');
const env = { ...process.env, COSIGN_PASSWORD: 'bundle-pw' };
const bundleType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const signPredicate = 'https://sigstore.dev/cosign/sign/v1';
let work: string;
let registry: RunningRegistry;
let image: FixtureImage;
let other: FixtureImage;
let registriesD: string;
let ref: string;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}
interface ReferrerManifest {
  schemaVersion: number;
  mediaType: string;
  artifactType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject: Descriptor;
  annotations: Record<string, string>;
}
interface Bundle {
  mediaType: string;
  verificationMaterial: { publicKey: { hint: string }; tlogEntries?: unknown[] };
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
}
interface VerdictJson {
  allowed: boolean;
  requirements: { type: string; code?: string; signatures: { index: number; source: string; format: string; status: string; accepted: boolean; code?: string; signer?: string; message: string }[] }[];
}

/** GET from the registry's HTTP API (plain HTTP, no auth), as any OCI client would. */
async function registryGet(path: string, accept: string): Promise<{ status: number; body: Buffer; contentType: string }> {
  const res = await fetch(`${registry.url}${path}`, { headers: { accept } });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? '' };
}

async function referrersIndex(repo: string, digest: string): Promise<{ status: number; manifests: Descriptor[]; raw: Buffer }> {
  const r = await registryGet(`/v2/${repo}/manifests/sha256-${digest.slice(7)}`, 'application/vnd.oci.image.index.v1+json');
  if (r.status !== 200) return { status: r.status, manifests: [], raw: r.body };
  const index = JSON.parse(r.body.toString('utf8')) as { mediaType: string; manifests: Descriptor[] };
  assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  return { status: r.status, manifests: index.manifests, raw: r.body };
}

function verdictOf(r: RunResult): VerdictJson {
  try {
    return JSON.parse(r.stdout) as VerdictJson;
  } catch {
    assert.fail(`not a JSON verdict (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
}

const verifyKey = (key: string, target = ref): Promise<RunResult> =>
  signet(['--registries.d', registriesD, '--output', 'json', 'verify', '--tls-verify=false', '--key', join(work, key), target]);

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-sign-bundle-'));
  registry = await startDockerRegistry();
  image = makeImage({ seed: 'bundle' });
  other = makeImage({ seed: 'bundle-other' });
  await writeDirImage(join(work, 'src'), image);
  await writeDirImage(join(work, 'other'), other);
  ref = `docker://${registry.host}/team/bundled:1`;
  const pushes: [string, string][] = [
    ['src', ref],
    ['src', `docker://${registry.host}/team/replay:image`],
    ['other', `docker://${registry.host}/team/replay:other`],
  ];
  await pushDirImages(work, pushes);
  await generateKeyPairs(work, ['k', 'stranger'], env);
  registriesD = await fileLookasideRegistriesD(work);
});

after(async () => {
  if (!ready) return;
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('signet sign --format bundle', { skip: !ready }, () => {
  it('pushes the bundle as an OCI referrer, listed in the sha256-<hex> referrers index', async () => {
    assert.equal((await referrersIndex('team/bundled', image.manifestDigest)).status, 404);
    const r = await signet(['--registries.d', registriesD, '--output', 'json', 'sign', '--tls-verify=false', '--format', 'bundle', '--key', join(work, 'k.key'), ref], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { format: string; manifestDigest: string; identity?: string; storedAt: string };
    assert.equal(out.format, 'bundle');
    assert.equal(out.manifestDigest, image.manifestDigest);
    assert.equal(out.identity, undefined);
    assert.match(out.storedAt, new RegExp(`^${registry.host}/team/bundled@sha256:[0-9a-f]{64} \\(an OCI referrer, listed in ${registry.host}/team/bundled:sha256-${image.manifestDigest.slice(7)}\\)$`));

    const index = await referrersIndex('team/bundled', image.manifestDigest);
    assert.equal(index.manifests.length, 1);
    const entry = index.manifests[0] as Descriptor;
    assert.equal(entry.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(entry.artifactType, bundleType);
    assert.equal(entry.annotations?.['dev.sigstore.bundle.predicateType'], signPredicate);

    const got = await registryGet(`/v2/team/bundled/manifests/${entry.digest}`, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(got.status, 200);
    assert.equal(`sha256:${createHash('sha256').update(got.body).digest('hex')}`, entry.digest);
    assert.equal(got.body.length, entry.size);
    const m = JSON.parse(got.body.toString('utf8')) as ReferrerManifest;
    assert.equal(m.schemaVersion, 2);
    assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(m.artifactType, bundleType);
    assert.deepEqual(m.config, { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 });
    assert.equal((await registryGet(`/v2/team/bundled/blobs/${m.config.digest}`, '*/*')).body.toString(), '{}');
    assert.deepEqual(m.subject, { mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifest.length });
    assert.equal(m.layers.length, 1);
    assert.equal(m.layers[0]?.mediaType, bundleType);
    assert.equal(m.annotations['dev.sigstore.bundle.content'], 'dsse-envelope');
    assert.equal(m.annotations['dev.sigstore.bundle.predicateType'], signPredicate);
    assert.match(m.annotations['org.opencontainers.image.created'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(entry.annotations, m.annotations);
  });

  it('openssl verifies the DSSE signature over the PAE rebuilt from the pulled bundle, with cosign.pub only', async () => {
    const [entry] = (await referrersIndex('team/bundled', image.manifestDigest)).manifests;
    const m = JSON.parse((await registryGet(`/v2/team/bundled/manifests/${entry?.digest ?? ''}`, 'application/vnd.oci.image.manifest.v1+json')).body.toString('utf8')) as ReferrerManifest;
    const blob = await registryGet(`/v2/team/bundled/blobs/${m.layers[0]?.digest ?? ''}`, '*/*');
    assert.equal(blob.status, 200);
    const bundle = JSON.parse(blob.body.toString('utf8')) as Bundle;
    assert.equal(bundle.mediaType, bundleType);
    assert.deepEqual(bundle.verificationMaterial.tlogEntries ?? [], []);
    // The hint is base64(SHA-256(SPKI DER of cosign.pub)); openssl writes the DER.
    const der = join(work, 'k.der');
    const toDer = await run('openssl', ['pkey', '-pubin', '-in', join(work, 'k.pub'), '-outform', 'DER', '-out', der]);
    assert.equal(toDer.code, 0, toDer.stderr);
    assert.equal(bundle.verificationMaterial.publicKey.hint, createHash('sha256').update(await readFile(der)).digest('base64'));

    const envelope = bundle.dsseEnvelope;
    assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
    assert.equal(envelope.signatures.length, 1);
    const body = Buffer.from(envelope.payload, 'base64');
    assert.deepEqual(JSON.parse(body.toString('utf8')), {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: image.manifestDigest.slice(7) } }],
      predicateType: signPredicate,
      predicate: {},
    });
    const type = Buffer.from(envelope.payloadType, 'utf8');
    // PAE written here from the DSSE definition, independently of Signet's code.
    const paeFile = join(work, 'bundle-pae.bin');
    const sigFile = join(work, 'bundle-sig.der');
    await writeFile(paeFile, Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]));
    await writeFile(sigFile, Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64'));
    const ok = await run('openssl', ['dgst', '-sha256', '-verify', join(work, 'k.pub'), '-signature', sigFile, paeFile]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /Verified OK/);
    const wrong = await run('openssl', ['dgst', '-sha256', '-verify', join(work, 'stranger.pub'), '-signature', sigFile, paeFile]);
    assert.notEqual(wrong.code, 0);
  });

  it('verify --key cosign.pub accepts it from the referrers tag; another key is KEY_NOT_TRUSTED', async () => {
    const good = await verifyKey('k.pub');
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const v = verdictOf(good);
    assert.equal(v.allowed, true);
    const s = v.requirements[0]?.signatures[0];
    assert.equal(v.requirements[0]?.type, 'sigstoreSigned');
    assert.equal(s?.source, 'referrer');
    assert.equal(s?.format, 'sigstore-bundle');
    assert.equal(s?.status, 'accepted');
    assert.match(s?.signer ?? '', /^key [A-Za-z0-9+/]{43}=$/);

    const bad = await verifyKey('stranger.pub');
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    const w = verdictOf(bad);
    assert.equal(w.allowed, false);
    assert.equal(w.requirements[0]?.code, 'KEY_NOT_TRUSTED');
    assert.equal(w.requirements[0]?.signatures[0]?.code, 'KEY_NOT_TRUSTED');
    assert.equal(w.requirements[0]?.signatures[0]?.signer, s?.signer);

    const text = await signet(['--registries.d', registriesD, 'verify', '--tls-verify=false', '--key', join(work, 'k.pub'), ref]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Signature 1 \(sigstore-bundle, from an OCI referrer, signer key .*\): accepted/);
  });

  it('a second bundle is added to the referrers index, keeping the first', async () => {
    const before = (await referrersIndex('team/bundled', image.manifestDigest)).manifests;
    const r = await signet(['--registries.d', registriesD, 'sign', '--tls-verify=false', '--format', 'bundle', '--key', join(work, 'stranger.key'), ref], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Signed ${image.manifestDigest} \\(bundle\\); stored in `));
    const after = (await referrersIndex('team/bundled', image.manifestDigest)).manifests;
    assert.equal(after.length, 2);
    assert.deepEqual(after[0], before[0]);
    const v = verdictOf(await verifyKey('k.pub'));
    assert.equal(v.allowed, true);
    assert.deepEqual(v.requirements[0]?.signatures.map((s) => [s.status, s.code]), [['accepted', undefined], ['rejected', 'KEY_NOT_TRUSTED']]);
  });

  it('DIGEST_MISMATCH: a valid bundle about another image, listed among this image\'s referrers', async () => {
    const replay = `docker://${registry.host}/team/replay`;
    const s = await signet(['--registries.d', registriesD, 'sign', '--tls-verify=false', '--format', 'bundle', '--key', join(work, 'k.key'), `${replay}:other`], { env });
    assert.equal(s.code, 0, s.stderr);
    const index = await referrersIndex('team/replay', other.manifestDigest);
    assert.equal(index.manifests.length, 1);
    // Copy the other image's referrers index to this image's referrers tag.
    const put = await fetch(`${registry.url}/v2/team/replay/manifests/sha256-${image.manifestDigest.slice(7)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
      body: index.raw,
    });
    assert.equal(put.status, 201);
    const r = await verifyKey('k.pub', `${replay}:image`);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const v = verdictOf(r);
    assert.equal(v.requirements[0]?.code, 'DIGEST_MISMATCH');
    const sig = v.requirements[0]?.signatures[0];
    assert.equal(sig?.code, 'DIGEST_MISMATCH');
    assert.match(sig?.message ?? '', new RegExp(`about sha256:${other.manifestDigest.slice(7)}, not this image's ${image.manifestDigest}`));
  });

  it('a policy file does not read bundles: listed as UNSUPPORTED_FORMAT, not allowed by them', async () => {
    const policy = join(work, 'policy.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'sigstoreSigned', keyPath: join(work, 'k.pub'), signedIdentity: { type: 'matchRepository' } }] }));
    const sigstoreD = join(work, 'registries.d-sigstore');
    await mkdir(sigstoreD, { recursive: true });
    await writeFile(join(sigstoreD, 'd.yaml'), `default-docker:\n  lookaside: file://${join(work, 'lookaside')}\n  use-sigstore-attachments: true\n`);
    const r = await signet(['--policy', policy, '--registries.d', sigstoreD, '--output', 'json', 'verify', '--tls-verify=false', ref]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const v = verdictOf(r);
    assert.equal(v.allowed, false);
    assert.equal(v.requirements[0]?.code, 'NO_SIGNATURES');
    assert.deepEqual(v.requirements[0]?.signatures.map((s) => [s.format, s.source, s.status, s.code]), [
      ['sigstore-bundle', 'referrer', 'not-applicable', 'UNSUPPORTED_FORMAT'],
      ['sigstore-bundle', 'referrer', 'not-applicable', 'UNSUPPORTED_FORMAT'],
    ]);
    assert.match(v.requirements[0]?.signatures[0]?.message ?? '', /containers\/image policies do not read sigstore bundles/);
    // Without use-sigstore-attachments the verdict does not look for them at all.
    const plain = verdictOf(await signet(['--policy', policy, '--registries.d', registriesD, '--output', 'json', 'verify', '--tls-verify=false', ref]));
    assert.equal(plain.allowed, false);
    assert.deepEqual(plain.requirements[0]?.signatures, []);
  });

  it('tree lists the bundle referrers', async () => {
    const entries = (await referrersIndex('team/bundled', image.manifestDigest)).manifests;
    const r = await signet(['--registries.d', registriesD, 'tree', '--tls-verify=false', ref]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    for (const e of entries) assert.ok(lines.includes(`└── 🔗 ${bundleType} artifacts via OCI referrer: ${e.digest}`), r.stdout);
    const json = await signet(['--registries.d', registriesD, '--output', 'json', 'tree', '--tls-verify=false', ref]);
    const tree = JSON.parse(json.stdout) as { referrers: { digest: string; artifactType: string; via: string }[]; simpleSignatures: unknown[] };
    assert.deepEqual(tree.referrers, entries.map((e) => ({ digest: e.digest, artifactType: bundleType, via: 'tag-schema' })));
    assert.deepEqual(tree.simpleSignatures, []);
  });

  it('refuses what a bundle cannot be: a dir: image, a GPG key, -a and --identity', async () => {
    const dir = await signet(['--output', 'json', 'sign', '--format', 'bundle', '--key', join(work, 'k.key'), `dir:${join(work, 'src')}`], { env });
    assert.equal(dir.code, 2, dir.stdout + dir.stderr);
    assert.match(dir.stderr, /"code":"UNSUPPORTED_DESTINATION"/);
    await writeFile(join(work, 'not-cosign.key'), '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n-----END PGP PRIVATE KEY BLOCK-----\n');
    const gpg = await signet(['--output', 'json', 'sign', '--tls-verify=false', '--format', 'bundle', '--key', join(work, 'not-cosign.key'), ref], { env });
    assert.equal(gpg.code, 2);
    assert.match(gpg.stderr, /"code":"INVALID_KEY"/);
    for (const extra of [['-a', 'k=v'], ['--identity', `${registry.host}/team/bundled:1`]]) {
      const r = await signet(['--output', 'json', 'sign', '--tls-verify=false', '--format', 'bundle', ...extra, '--key', join(work, 'k.key'), ref], { env });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /"code":"INVALID_ARGUMENT"/);
    }
  });
});
