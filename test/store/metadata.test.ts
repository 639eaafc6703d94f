import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metadata, openDatabase, type ManifestToSave } from '../../src/store/index.js';
import { createDatabase, testBackend } from '../helpers/postgres.js';
import { expectCodeAsync } from '../helpers/expect-code.js';
import { sha256 } from '../helpers/registry-http.js';

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const ociIndex = 'application/vnd.oci.image.index.v1+json';

function manifest(repository: string, seed: string, extra: Partial<ManifestToSave> = {}): ManifestToSave {
  const content = Buffer.from(JSON.stringify({ schemaVersion: 2, seed }));
  return {
    repository,
    digest: sha256(content),
    mediaType: ociManifest,
    artifactType: null,
    subject: null,
    content,
    annotations: null,
    blobs: [],
    manifests: [],
    ...extra,
  };
}

describe(`Metadata (${testBackend() === 'postgres' ? 'PostgreSQL' : 'SQLite'})`, () => {
  let dir: string;
  let meta: Metadata;
  let url: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signet-meta-'));
    url = testBackend() === 'postgres' ? await createDatabase() : `sqlite:${join(dir, 'signet.db')}`;
    const opened = await openDatabase(url);
    assert.equal(opened.dialect, testBackend());
    meta = new Metadata(opened.db, opened.dialect);
  });
  after(async () => {
    await meta?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('migrates a database twice without harm and refuses unknown URLs', async () => {
    const again = await openDatabase(url);
    await again.db.destroy();
    await expectCodeAsync(() => openDatabase('mysql://localhost/db'), 'UNSUPPORTED_DATABASE');
  });

  it('links blobs to repositories', async () => {
    const blob = sha256('blob-a');
    assert.equal(await meta.findBlob(blob), undefined);
    await meta.saveBlob('links/one', blob, 6);
    await meta.saveBlob('links/one', blob, 6);
    assert.equal(await meta.findBlob(blob), 6);
    assert.equal(await meta.findRepositoryBlob('links/one', blob), 6);
    assert.equal(await meta.findRepositoryBlob('links/two', blob), undefined, 'another repository cannot serve it');
    assert.equal(await meta.findRepository('links/one'), true);
    assert.equal(await meta.removeRepositoryBlob('links/one', blob), true);
    assert.equal(await meta.removeRepositoryBlob('links/one', blob), false);
    assert.equal(await meta.findRepositoryBlob('links/one', blob), undefined);
    assert.equal(await meta.findBlob(blob), 6, 'the blob itself stays for garbage collection to decide');
  });

  it('refuses a manifest whose blob is not linked to the repository, writing nothing', async () => {
    const config = sha256('config-1');
    const layer = sha256('layer-1');
    await meta.saveBlob('refuse/other', layer, 7);
    await meta.saveBlob('refuse/app', config, 8);
    const m = manifest('refuse/app', 'needs-blobs', { blobs: [config, layer], tag: 'latest' });
    const outcome = await meta.saveManifest(m);
    assert.deepEqual(outcome, { kind: 'missing-blobs', digests: [layer] });
    assert.equal(await meta.findManifest('refuse/app', m.digest), undefined);
    assert.equal(await meta.findTag('refuse/app', 'latest'), undefined);
    assert.deepEqual(await meta.listTags('refuse/app', 10), []);

    await meta.saveBlob('refuse/app', layer, 7);
    assert.deepEqual(await meta.saveManifest(m), { kind: 'saved' });
    assert.equal(await meta.findTag('refuse/app', 'latest'), m.digest);
    const found = await meta.findManifest('refuse/app', m.digest);
    assert.ok(found !== undefined);
    assert.deepEqual(found.content, m.content);
    assert.equal(found.size, m.content.length);
    assert.equal(found.mediaType, ociManifest);
  });

  it('refuses an index whose child manifest is missing, writing nothing', async () => {
    const child = manifest('index/app', 'child');
    const missing = manifest('index/app', 'never-pushed');
    const index = manifest('index/app', 'index', { mediaType: ociIndex, manifests: [child.digest, missing.digest], tag: 'multi' });
    assert.deepEqual(await meta.saveManifest(child), { kind: 'saved' });
    assert.deepEqual(await meta.saveManifest(index), { kind: 'missing-manifests', digests: [missing.digest] });
    assert.equal(await meta.findManifest('index/app', index.digest), undefined);
    assert.equal(await meta.findTag('index/app', 'multi'), undefined);
    // A child in another repository does not count.
    assert.deepEqual(await meta.saveManifest({ ...missing, repository: 'index/elsewhere' }), { kind: 'saved' });
    assert.equal((await meta.saveManifest(index)).kind, 'missing-manifests');

    assert.deepEqual(await meta.saveManifest(missing), { kind: 'saved' });
    assert.deepEqual(await meta.saveManifest(index), { kind: 'saved' });
    assert.equal(await meta.findManifestParent('index/app', child.digest), index.digest);
  });

  it('moves a tag to another manifest (upsert)', async () => {
    const a = manifest('tags/move', 'a', { tag: 'stable' });
    const b = manifest('tags/move', 'b');
    await meta.saveManifest(a);
    await meta.saveManifest(b);
    assert.equal(await meta.findTag('tags/move', 'stable'), a.digest);
    await meta.saveTag('tags/move', 'stable', b.digest);
    assert.equal(await meta.findTag('tags/move', 'stable'), b.digest);
    assert.deepEqual(await meta.listTagsOf('tags/move', a.digest), []);
    assert.deepEqual(await meta.listTagsOf('tags/move', b.digest), ['stable']);
    // Saving a manifest again with a tag re-points the tag as well.
    await meta.saveManifest({ ...a, tag: 'stable' });
    assert.equal(await meta.findTag('tags/move', 'stable'), a.digest);
    assert.equal(await meta.removeTag('tags/move', 'stable'), true);
    assert.equal(await meta.removeTag('tags/move', 'stable'), false);
    assert.ok((await meta.findManifest('tags/move', a.digest)) !== undefined, 'removing a tag keeps the manifest');
  });

  it('lists tags in lexical order, a page at a time', async () => {
    const m = manifest('tags/pages', 'pages');
    await meta.saveManifest(m);
    const names = ['v10', 'v1', 'latest', 'v2', 'beta', 'v1.1'];
    for (const t of names) await meta.saveTag('tags/pages', t, m.digest);
    const sorted = [...names].sort();
    assert.deepEqual(await meta.listTags('tags/pages', 100), sorted);
    assert.deepEqual(await meta.listTags('tags/pages', 2), sorted.slice(0, 2));
    assert.deepEqual(await meta.listTags('tags/pages', 2, sorted[1]), sorted.slice(2, 4));
    assert.deepEqual(await meta.listTags('tags/pages', 2, sorted[3]), sorted.slice(4, 6));
    assert.deepEqual(await meta.listTags('tags/pages', 2, sorted[5]), []);
    assert.deepEqual(await meta.listTags('tags/pages', 100, 'c'), sorted.filter((t) => t > 'c'));
    assert.deepEqual(await meta.listTags('tags/none', 100), []);
  });

  it('lists repositories a page at a time', async () => {
    const before = await meta.listRepositories(1000);
    assert.deepEqual(before, [...before].sort());
    const page1 = await meta.listRepositories(2);
    assert.deepEqual(page1, before.slice(0, 2));
    assert.deepEqual(await meta.listRepositories(2, page1[1]), before.slice(2, 4));
  });

  it('removes a manifest with its tags and its signatures', async () => {
    const m = manifest('remove/app', 'to-remove', { tag: 'one' });
    const keep = manifest('remove/app', 'to-keep', { tag: 'keep' });
    await meta.saveManifest(m);
    await meta.saveManifest(keep);
    await meta.saveTag('remove/app', 'two', m.digest);
    assert.equal(await meta.saveSignature({ repository: 'remove/app', manifestDigest: m.digest, name: `${m.digest}@${'a'.repeat(32)}`, content: Buffer.from('sig'), signer: null }), true);
    assert.equal(await meta.saveSignature({ repository: 'remove/app', manifestDigest: keep.digest, name: `${keep.digest}@${'b'.repeat(32)}`, content: Buffer.from('sig'), signer: 'ABCD' }), true);
    assert.equal((await meta.listSignatures('remove/app', m.digest)).length, 1);

    assert.equal(await meta.removeManifest('remove/app', m.digest), true);
    assert.equal(await meta.findManifest('remove/app', m.digest), undefined);
    assert.equal(await meta.findTag('remove/app', 'one'), undefined);
    assert.equal(await meta.findTag('remove/app', 'two'), undefined);
    assert.deepEqual(await meta.listSignatures('remove/app', m.digest), []);
    assert.equal(await meta.removeManifest('remove/app', m.digest), false);

    assert.equal(await meta.findTag('remove/app', 'keep'), keep.digest);
    const kept = await meta.listSignatures('remove/app', keep.digest);
    assert.equal(kept.length, 1);
    assert.equal(kept[0]?.signer, 'ABCD');
  });

  it('stores a signature name once per repository', async () => {
    const m = manifest('sigs/app', 'signed');
    await meta.saveManifest(m);
    const name = `${m.digest}@${'c'.repeat(32)}`;
    assert.equal(await meta.saveSignature({ repository: 'sigs/app', manifestDigest: m.digest, name, content: Buffer.from('first'), signer: null }), true);
    assert.equal(await meta.saveSignature({ repository: 'sigs/app', manifestDigest: m.digest, name, content: Buffer.from('second'), signer: null }), false);
    const rows = await meta.listSignatures('sigs/app', m.digest);
    assert.deepEqual(
      rows.map((r) => r.content.toString()),
      ['first'],
    );
  });

  it('finds referrers by subject, within one repository', async () => {
    const subject = manifest('refs/app', 'subject');
    await meta.saveManifest(subject);
    const sbom = manifest('refs/app', 'sbom', { subject: subject.digest, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example.kind': 'sbom' } });
    const sig = manifest('refs/app', 'sig', { subject: subject.digest, artifactType: 'application/vnd.example.sig' });
    const unrelated = manifest('refs/app', 'unrelated', { subject: sha256('another subject'), artifactType: 'application/vnd.example.sbom' });
    const elsewhere = manifest('refs/other', 'elsewhere', { subject: subject.digest, artifactType: 'application/vnd.example.sbom' });
    for (const m of [sbom, sig, unrelated, elsewhere]) assert.deepEqual(await meta.saveManifest(m), { kind: 'saved' });

    const referrers = await meta.listReferrers('refs/app', subject.digest);
    assert.deepEqual(referrers.map((r) => r.digest).sort(), [sbom.digest, sig.digest].sort());
    const found = referrers.find((r) => r.digest === sbom.digest);
    assert.equal(found?.artifactType, 'application/vnd.example.sbom');
    assert.deepEqual(found?.annotations, { 'org.example.kind': 'sbom' });
    assert.equal(found?.size, sbom.content.length);
    assert.deepEqual(await meta.listReferrers('refs/app', sha256('nothing')), []);

    await meta.removeManifest('refs/app', sig.digest);
    assert.deepEqual(
      (await meta.listReferrers('refs/app', subject.digest)).map((r) => r.digest),
      [sbom.digest],
    );
  });

  it('keeps uploads with their repository', async () => {
    const id = '0f0f0f0f-1111-4222-8333-444455556666';
    await meta.saveUpload(id, 'uploads/app');
    const found = await meta.findUpload(id);
    assert.equal(found?.repository, 'uploads/app');
    await meta.removeUpload(id);
    assert.equal(await meta.findUpload(id), undefined);
  });
});
