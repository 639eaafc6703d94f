/**
 * `signet tree` lists what is attached to an image in every place: the cosign `.sig` tag written by `signet
 * sign`, an `.att` tag, a referrer found through the tag schema (docker-registry 2.8 has no referrers API), and
 * simple signatures in lookaside storage.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { digestOf, parseNormalizedNamed, type Digest } from '../../src/core/index.js';
import { RegistryClient } from '../../src/transports/index.js';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { GpgHome } from '../fixtures/gpg.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { fileLookasideRegistriesD } from '../helpers/interop-setup.js';
import { peerAvailable } from '../helpers/peers.js';
import { signet } from '../helpers/run.js';

const ready = peerAvailable('docker-registry') && peerAvailable('gpg');
let work: string;
let registry: RunningRegistry;
let image: FixtureImage;
let registriesD: string;

async function pushArtifact(client: RegistryClient, repo: ReturnType<typeof parseNormalizedNamed>, manifest: object, blobs: Buffer[], tag: string): Promise<{ digest: Digest; size: number }> {
  for (const b of blobs) await client.putBlob(repo, Readable.from([b]), { digest: digestOf(b), size: b.length });
  const bytes = Buffer.from(JSON.stringify(manifest));
  await client.putManifest(repo, tag, bytes, 'application/vnd.oci.image.manifest.v1+json');
  return { digest: digestOf(bytes), size: bytes.length };
}

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-tree-'));
  registry = await startDockerRegistry();
  image = makeImage({ seed: 'tree' });
  await writeDirImage(join(work, 'src'), image);
  registriesD = await fileLookasideRegistriesD(work);
});

after(async () => {
  if (!ready) return;
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('signet tree', { skip: !ready }, () => {
  it('lists signatures, attestations, referrers and simple signatures together', async () => {
    const ref = `docker://${registry.host}/team/tree:1`;
    assert.equal((await signet(['--insecure-policy', 'copy', '-q', '--dest-tls-verify=false', `dir:${join(work, 'src')}`, ref])).code, 0);
    const bare = await signet(['--registries.d', registriesD, 'tree', '--tls-verify=false', ref]);
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, /No supply chain security related artifacts found/);

    const env = { ...process.env, COSIGN_PASSWORD: '' };
    assert.equal((await signet(['generate-key-pair', '--output-key-prefix', join(work, 'k')], { env })).code, 0);
    assert.equal((await signet(['--registries.d', registriesD, 'sign', '--tls-verify=false', '--key', join(work, 'k.key'), ref], { env })).code, 0);
    const gpg = await GpgHome.create();
    try {
      const key = await gpg.generateKey('tree');
      await writeFile(join(work, 'gpg.key'), await gpg.exportSecret(key));
      const s = await signet(['--registries.d', registriesD, 'sign', '--tls-verify=false', '--key', join(work, 'gpg.key'), ref]);
      assert.equal(s.code, 0, s.stderr);
    } finally {
      await gpg.cleanup();
    }

    const client = new RegistryClient({ tlsVerify: false });
    try {
      const repo = parseNormalizedNamed(`${registry.host}/team/tree`);
      const empty = Buffer.from('{}');
      const envelope = Buffer.from('{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}');
      const hex = image.manifestDigest.slice(7);
      await pushArtifact(client, repo, {
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(empty), size: 2 },
        layers: [{ mediaType: 'application/vnd.dsse.envelope.v1+json', digest: digestOf(envelope), size: envelope.length, annotations: { predicateType: 'https://slsa.dev/provenance/v1' } }],
      }, [empty, envelope], `sha256-${hex}.att`);
      const bundle = Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');
      const referrer = await pushArtifact(client, repo, {
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(empty), size: 2 },
        layers: [{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', digest: digestOf(bundle), size: bundle.length }],
        subject: { mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifest.length },
      }, [empty, bundle], 'referrer-1');
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: referrer.digest, size: referrer.size, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }] }));
      await client.putManifest(repo, `sha256-${hex}`, index, 'application/vnd.oci.image.index.v1+json');

      const r = await signet(['--registries.d', registriesD, 'tree', '--tls-verify=false', ref]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], `📦 Supply Chain Security Related artifacts for an image: ${ref}`);
      assert.ok(lines.includes(`└── 🔐 Signatures for an image tag: ${registry.host}/team/tree:sha256-${hex}.sig`), r.stdout);
      assert.ok(lines.includes(`└── 💾 Attestations for an image tag: ${registry.host}/team/tree:sha256-${hex}.att`), r.stdout);
      assert.ok(lines.includes(`   └── 🍒 ${digestOf(envelope)}`), r.stdout);
      assert.ok(lines.includes(`└── 🔗 application/vnd.dev.sigstore.bundle.v0.3+json artifacts via OCI referrer: ${referrer.digest}`), r.stdout);
      assert.ok(lines.includes('   └── signature-1 (simple-signing, from lookaside)'), r.stdout);

      const json = await signet(['--registries.d', registriesD, '--output', 'json', 'tree', '--tls-verify=false', ref]);
      const tree = JSON.parse(json.stdout) as { manifestDigest: string; attachments: { kind: string }[]; referrers: { via: string }[]; simpleSignatures: unknown[] };
      assert.equal(tree.manifestDigest, image.manifestDigest);
      assert.deepEqual(tree.attachments.map((a) => a.kind), ['signatures', 'attestations']);
      assert.deepEqual(tree.referrers.map((x) => x.via), ['tag-schema']);
      assert.equal(tree.simpleSignatures.length, 1);
    } finally {
      await client.close();
    }
  });
});
