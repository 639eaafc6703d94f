/**
 * OCI referrers against a fake registry that has the referrers API or not: listing (API, else the `sha256-<hex>`
 * tag schema) and attaching (manifest by digest; the tag index read, extended and written only without the API,
 * keeping the entries already there and never listing a referrer twice).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { digestOf, type Digest } from '../../../src/core/index.js';
import { attachReferrer, listReferrers, referrersTagFor, RegistryClient, type RepositoryRef } from '../../../src/transports/docker/index.js';
import { expectCodeAsync } from '../../helpers/expect-code.js';
import { sendJson, startFakeServer, type FakeServer } from './helpers.js';

const subject = digestOf('the image manifest');
const indexType = 'application/vnd.oci.image.index.v1+json';
const manifestType = 'application/vnd.oci.image.manifest.v1+json';
const empty = Buffer.from('{}');

interface State {
  referrersApi: boolean;
  manifests: Map<string, { bytes: Buffer; type: string }>;
}

const state: State = { referrersApi: false, manifests: new Map() };
let server: FakeServer;
let client: RegistryClient;
let repo: RepositoryRef;

function referrer(n: number): { manifest: Buffer; descriptor: { mediaType: string; digest: Digest; size: number; artifactType: string; annotations: Record<string, string> }; blobs: { digest: Digest; bytes: Buffer }[] } {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestType,
      artifactType: 'application/vnd.example+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(empty), size: 2 },
      layers: [],
      subject: { mediaType: manifestType, digest: subject, size: 18 },
      annotations: { n: String(n) },
    }),
  );
  return {
    manifest,
    descriptor: { mediaType: manifestType, digest: digestOf(manifest), size: manifest.length, artifactType: 'application/vnd.example+json', annotations: { n: String(n) } },
    blobs: [{ digest: digestOf(empty), bytes: empty }],
  };
}

before(async () => {
  server = await startFakeServer((req, res, body) => {
    const url = req.url ?? '';
    if (url === '/v2/') return sendJson(res, 200, {});
    if (req.method === 'HEAD' && url.startsWith('/v2/ns/app/blobs/')) {
      res.writeHead(200, { 'content-length': '2' }).end();
      return;
    }
    const referrers = /^\/v2\/ns\/app\/referrers\/(sha256:[0-9a-f]{64})$/.exec(url);
    if (referrers !== null) {
      if (!state.referrersApi) return sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'no such route' }] });
      const manifests = [...state.manifests.values()].filter((m) => m.type === manifestType).map((m) => ({ mediaType: manifestType, digest: digestOf(m.bytes), size: m.bytes.length, artifactType: 'application/vnd.example+json' }));
      return sendJson(res, 200, { schemaVersion: 2, mediaType: indexType, manifests }, { 'content-type': indexType });
    }
    const manifest = /^\/v2\/ns\/app\/manifests\/(.+)$/.exec(url);
    if (manifest !== null) {
      const key = manifest[1] as string;
      if (req.method === 'PUT') {
        state.manifests.set(key, { bytes: body, type: String(req.headers['content-type']) });
        res.writeHead(201, { 'docker-content-digest': digestOf(body) }).end();
        return;
      }
      const found = state.manifests.get(key);
      if (found === undefined) return sendJson(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'unknown' }] });
      res.writeHead(200, { 'content-type': found.type, 'content-length': String(found.bytes.length) }).end(found.bytes);
      return;
    }
    return sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: url }] });
  });
  client = new RegistryClient({ tlsVerify: false });
  repo = { domain: server.host, path: 'ns/app' };
});

after(async () => {
  await client?.close();
  await server?.close();
});

afterEach(() => {
  state.manifests.clear();
  server.requests.length = 0;
});

const tag = referrersTagFor(subject);
const tagPuts = (): number => server.requests.filter((r) => r.method === 'PUT' && r.url.endsWith(`/manifests/${tag}`)).length;

describe('referrers', () => {
  it('the referrers tag is <alg>-<hex>', () => {
    assert.equal(tag, `sha256-${subject.slice(7)}`);
  });

  it('with the referrers API: the manifest is pushed by digest and no tag index is written', async () => {
    state.referrersApi = true;
    const r = referrer(1);
    assert.deepEqual(await attachReferrer(client, repo, subject, r), { via: 'referrers-api' });
    assert.deepEqual(state.manifests.get(r.descriptor.digest)?.bytes, r.manifest);
    assert.equal(tagPuts(), 0);
    const list = await listReferrers(client, repo, subject);
    assert.equal(list.via, 'referrers-api');
    assert.deepEqual(list.manifests.map((m) => m.digest), [r.descriptor.digest]);
  });

  it('without it: the tag index is created, extended keeping its entries, and never lists a referrer twice', async () => {
    state.referrersApi = false;
    assert.deepEqual(await listReferrers(client, repo, subject), { via: 'tag-schema', manifests: [] });
    const foreign = { mediaType: manifestType, digest: digestOf('someone else'), size: 12, artifactType: 'application/vnd.other', annotations: { keep: 'me' } };
    state.manifests.set(tag, { bytes: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: indexType, manifests: [foreign] })), type: indexType });
    const one = referrer(1);
    const two = referrer(2);
    assert.deepEqual(await attachReferrer(client, repo, subject, one), { via: 'tag-schema' });
    assert.deepEqual(await attachReferrer(client, repo, subject, two), { via: 'tag-schema' });
    assert.deepEqual(await attachReferrer(client, repo, subject, one), { via: 'tag-schema' });
    assert.equal(tagPuts(), 2);
    const index = JSON.parse(state.manifests.get(tag)?.bytes.toString('utf8') ?? '') as { mediaType: string; manifests: unknown[] };
    assert.equal(index.mediaType, indexType);
    assert.deepEqual(index.manifests, [foreign, one.descriptor, two.descriptor]);
    const list = await listReferrers(client, repo, subject);
    assert.deepEqual(list.manifests.map((m) => m.annotations), [{ keep: 'me' }, { n: '1' }, { n: '2' }]);
  });

  it('a referrers tag that is not an OCI index is an error, and is not overwritten', async () => {
    state.referrersApi = false;
    const bogus = referrer(9).manifest;
    state.manifests.set(tag, { bytes: bogus, type: manifestType });
    await assert.rejects(listReferrers(client, repo, subject));
    await expectCodeAsync(() => attachReferrer(client, repo, subject, referrer(1)), 'MANIFEST_TYPE_MISMATCH');
    assert.deepEqual(state.manifests.get(tag)?.bytes, bogus);
  });
});
