/**
 * `signet attest` / `verify-attestation` against a real registry: the `.att` tag as cosign lays it out (checked
 * with skopeo), DSSE signatures that openssl verifies over the PAE rebuilt from the pulled envelope, per-type
 * filtering, untrusted keys, statements about another digest, and `signet tree` listing the attestations.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { attTagFor, buildAttestationManifest } from '../../src/attest/index.js';
import { digestOf, parseNormalizedNamed, type Digest } from '../../src/core/index.js';
import { buildStatement, decryptCosignPrivateKey, IN_TOTO_PAYLOAD_TYPE, signDsse } from '../../src/signature/index.js';
import { RegistryClient } from '../../src/transports/index.js';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { fileLookasideRegistriesD, generateKeyPairs, pushDirImages } from '../helpers/interop-setup.js';
import { peerAvailable } from '../helpers/peers.js';
import { run, signet, skopeo } from '../helpers/run.js';

const ready = peerAvailable('docker-registry') && peerAvailable('skopeo') && peerAvailable('openssl');
const env = { ...process.env, COSIGN_PASSWORD: 'attest-pw' };
let work: string;
let registry: RunningRegistry;
let image: FixtureImage;
let other: FixtureImage;
let ref: string;
let registriesD: string;

interface AttManifest {
  mediaType: string;
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[];
}

interface Result {
  allowed: boolean;
  code?: string;
  manifestDigest: string;
  attestations: { index: number; predicateType: string; applicable: boolean; accepted: boolean; code?: string; signer?: string }[];
}

const slsa = 'https://slsa.dev/provenance/v0.2';
const custom = 'https://cosign.sigstore.dev/attestation/v1';

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-attest-'));
  registry = await startDockerRegistry();
  image = makeImage({ seed: 'attest' });
  other = makeImage({ seed: 'attest-other' });
  await writeDirImage(join(work, 'src'), image);
  await writeDirImage(join(work, 'other'), other);
  ref = `docker://${registry.host}/team/attested:1`;
  await pushDirImages(work, [
    ['src', ref],
    ['other', `docker://${registry.host}/team/attested:other`],
  ]);
  await generateKeyPairs(work, ['k', 'stranger'], env);
  registriesD = await fileLookasideRegistriesD(work);
  await writeFile(join(work, 'provenance.json'), JSON.stringify({ builder: { id: 'https://ci.example.com/builder' }, buildType: 'https://example.com/make', invocation: {} }));
  await writeFile(join(work, 'note.txt'), 'reviewed by the release team\n');
});

after(async () => {
  if (!ready) return;
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

async function verifyJson(args: readonly string[]): Promise<{ code: number; result: Result; stderr: string }> {
  const r = await signet(['--output', 'json', 'verify-attestation', '--tls-verify=false', ...args, ref]);
  return { code: r.code, result: JSON.parse(r.stdout) as Result, stderr: r.stderr };
}

describe('signet attest / verify-attestation', { skip: !ready }, () => {
  it('appends one DSSE layer per attestation to the .att tag, with cosign\'s annotations', async () => {
    const a = await signet(['attest', '--tls-verify=false', '--key', join(work, 'k.key'), '--type', 'slsaprovenance', '--predicate', join(work, 'provenance.json'), ref], { env });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, new RegExp(`Attested ${image.manifestDigest} with a ${slsa} statement; stored in ${registry.host}/team/attested:sha256-${image.manifestDigest.slice(7)}\\.att`));
    const passFile = join(work, 'pass.txt');
    await writeFile(passFile, 'attest-pw\n');
    const b = await signet(['--output', 'json', 'attest', '--tls-verify=false', '--key', join(work, 'k.key'), '--passphrase-file', passFile, '--type', 'custom', '--predicate', join(work, 'note.txt'), ref], {
      env: { ...process.env, COSIGN_PASSWORD: 'wrong' },
    });
    assert.equal(b.code, 0, b.stderr);
    assert.equal((JSON.parse(b.stdout) as { predicateType: string }).predicateType, custom);

    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/team/attested:${attTagFor(image.manifestDigest)}`]);
    assert.equal(raw.code, 0, raw.stderr);
    const manifest = JSON.parse(raw.stdout) as AttManifest;
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
    assert.equal(manifest.layers.length, 2);
    assert.deepEqual(
      manifest.layers.map((l) => [l.mediaType, l.annotations]),
      [
        ['application/vnd.dsse.envelope.v1+json', { 'dev.cosignproject.cosign/signature': '', predicateType: slsa }],
        ['application/vnd.dsse.envelope.v1+json', { 'dev.cosignproject.cosign/signature': '', predicateType: custom }],
      ],
    );
    const config = await skopeo(['inspect', '--raw', '--config', '--tls-verify=false', `docker://${registry.host}/team/attested:${attTagFor(image.manifestDigest)}`]);
    assert.equal(config.code, 0, config.stderr);
    assert.deepEqual((JSON.parse(config.stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, manifest.layers.map((l) => l.digest));
  });

  it('openssl verifies each DSSE signature over the PAE rebuilt from the pulled envelope', async () => {
    const pulled = join(work, 'att-dir');
    const copy = await skopeo(['copy', '--insecure-policy', '--src-tls-verify=false', `docker://${registry.host}/team/attested:${attTagFor(image.manifestDigest)}`, `dir:${pulled}`]);
    assert.equal(copy.code, 0, copy.stderr);
    const manifest = JSON.parse(await readFile(join(pulled, 'manifest.json'), 'utf8')) as AttManifest;
    for (const [i, layer] of manifest.layers.entries()) {
      const envelope = JSON.parse(await readFile(join(pulled, layer.digest.slice(7)), 'utf8')) as { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] };
      assert.deepEqual(Object.keys(envelope), ['payloadType', 'payload', 'signatures']);
      assert.equal(envelope.payloadType, IN_TOTO_PAYLOAD_TYPE);
      assert.equal(envelope.signatures.length, 1);
      assert.equal(envelope.signatures[0]?.keyid, '');
      const body = Buffer.from(envelope.payload, 'base64');
      const type = Buffer.from(envelope.payloadType, 'utf8');
      // PAE written here from the DSSE definition, independently of Signet's code.
      const paeBytes = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
      const paeFile = join(work, `pae-${i}.bin`);
      const sigFile = join(work, `sig-${i}.der`);
      await writeFile(paeFile, paeBytes);
      await writeFile(sigFile, Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64'));
      const v = await run('openssl', ['dgst', '-sha256', '-verify', join(work, 'k.pub'), '-signature', sigFile, paeFile]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /Verified OK/);
      const wrong = await run('openssl', ['dgst', '-sha256', '-verify', join(work, 'stranger.pub'), '-signature', sigFile, paeFile]);
      assert.notEqual(wrong.code, 0);

      const statement = JSON.parse(body.toString('utf8')) as { _type: string; subject: { name: string; digest: { sha256: string } }[]; predicateType: string; predicate: Record<string, unknown> };
      assert.equal(statement._type, 'https://in-toto.io/Statement/v0.1');
      assert.deepEqual(statement.subject, [{ name: `${registry.host}/team/attested`, digest: { sha256: image.manifestDigest.slice(7) } }]);
      assert.equal(statement.predicateType, layer.annotations['predicateType']);
      if (statement.predicateType === custom) {
        assert.equal(statement.predicate['Data'], 'reviewed by the release team\n');
        assert.match(String(statement.predicate['Timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      } else {
        assert.deepEqual(statement.predicate, { buildType: 'https://example.com/make', builder: { id: 'https://ci.example.com/builder' }, invocation: {} });
      }
    }
  });

  it('verify-attestation accepts with the signing key, filters by --type, and rejects another key', async () => {
    const all = await verifyJson(['--key', join(work, 'k.pub')]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.result.allowed, true);
    assert.equal(all.result.manifestDigest, image.manifestDigest);
    assert.deepEqual(all.result.attestations.map((a) => [a.predicateType, a.applicable, a.accepted]), [[slsa, true, true], [custom, true, true]]);
    assert.ok(all.result.attestations.every((a) => a.signer?.startsWith('key ') === true));

    const typed = await verifyJson(['--key', join(work, 'k.pub'), '--type', 'slsaprovenance']);
    assert.equal(typed.code, 0);
    assert.deepEqual(typed.result.attestations.map((a) => [a.predicateType, a.applicable, a.accepted]), [[slsa, true, true], [custom, false, false]]);
    const byUri = await verifyJson(['--key', join(work, 'k.pub'), '--type', custom]);
    assert.equal(byUri.code, 0);

    const none = await verifyJson(['--key', join(work, 'k.pub'), '--type', 'cyclonedx']);
    assert.equal(none.code, 1);
    assert.equal(none.result.allowed, false);
    assert.equal(none.result.code, 'NO_SIGNATURES');

    const stranger = await verifyJson(['--key', join(work, 'stranger.pub')]);
    assert.equal(stranger.code, 1);
    assert.equal(stranger.result.code, 'KEY_NOT_TRUSTED');
    assert.ok(stranger.result.attestations.every((a) => !a.accepted && a.code === 'KEY_NOT_TRUSTED'));
    const text = await signet(['verify-attestation', '--tls-verify=false', '--key', join(work, 'stranger.pub'), ref]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /is rejected \(KEY_NOT_TRUSTED\)/);
    assert.equal(text.stdout.match(/^ {2}Attestation \d .*rejected \(KEY_NOT_TRUSTED\)/gm)?.length, 2);

    const either = await signet(['verify-attestation', '--tls-verify=false', '--key', join(work, 'stranger.pub'), '--key', join(work, 'k.pub'), ref]);
    assert.equal(either.code, 0, either.stdout);
    assert.match(either.stdout, /is allowed/);
  });

  it('an image without attestations is NO_SIGNATURES; a statement about another digest is DIGEST_MISMATCH', async () => {
    const otherRef = `docker://${registry.host}/team/attested:other`;
    const bare = await signet(['--output', 'json', 'verify-attestation', '--tls-verify=false', '--key', join(work, 'k.pub'), otherRef]);
    assert.equal(bare.code, 1);
    assert.equal((JSON.parse(bare.stdout) as Result).code, 'NO_SIGNATURES');

    // A validly signed statement about `image`, stored in the .att tag of `other`.
    const keyPem = await readFile(join(work, 'k.key'), 'utf8');
    const key = await decryptCosignPrivateKey(keyPem, 'attest-pw');
    const statement = buildStatement({ predicateType: slsa, predicate: { builder: { id: 'x' } }, subjectName: `${registry.host}/team/attested`, digest: image.manifestDigest });
    const built = buildAttestationManifest(undefined, [{ envelope: signDsse(IN_TOTO_PAYLOAD_TYPE, statement, key), predicateType: slsa }]);
    const client = new RegistryClient({ tlsVerify: false });
    try {
      const repo = parseNormalizedNamed(`${registry.host}/team/attested`);
      for (const b of [...built.blobs.map((x) => x.bytes), built.config]) await client.putBlob(repo, Readable.from([b]), { digest: digestOf(b) as Digest, size: b.length });
      await client.putManifest(repo, attTagFor(other.manifestDigest), built.manifest, 'application/vnd.oci.image.manifest.v1+json');
    } finally {
      await client.close();
    }
    const moved = await signet(['--output', 'json', 'verify-attestation', '--tls-verify=false', '--key', join(work, 'k.pub'), otherRef]);
    assert.equal(moved.code, 1, moved.stderr);
    const result = JSON.parse(moved.stdout) as Result;
    assert.equal(result.code, 'DIGEST_MISMATCH');
    assert.equal(result.attestations[0]?.code, 'DIGEST_MISMATCH');
  });

  it('refuses images outside a registry and bad predicates with input errors (exit 2)', async () => {
    const dir = await signet(['attest', '--key', join(work, 'k.key'), '--predicate', join(work, 'provenance.json'), `dir:${join(work, 'src')}`], { env });
    assert.equal(dir.code, 2);
    assert.match(dir.stderr, /UNSUPPORTED_SOURCE/);
    const notJson = await signet(['attest', '--tls-verify=false', '--key', join(work, 'k.key'), '--type', 'slsaprovenance', '--predicate', join(work, 'note.txt'), ref], { env });
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /INVALID_PREDICATE/);
    const badType = await signet(['attest', '--tls-verify=false', '--key', join(work, 'k.key'), '--type', 'not a type', '--predicate', join(work, 'note.txt'), ref], { env });
    assert.equal(badType.code, 2);
    assert.match(badType.stderr, /INVALID_PREDICATE_TYPE/);
  });

  it('signet tree lists the attestations', async () => {
    const tree = await signet(['--registries.d', registriesD, 'tree', '--tls-verify=false', ref]);
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(tree.stdout, new RegExp(`└── 💾 Attestations for an image tag: ${registry.host}/team/attested:sha256-${image.manifestDigest.slice(7)}\\.att`));
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/team/attested:${attTagFor(image.manifestDigest)}`]);
    for (const l of (JSON.parse(raw.stdout) as AttManifest).layers) assert.ok(tree.stdout.includes(`   └── 🍒 ${l.digest}`), tree.stdout);
  });
});
