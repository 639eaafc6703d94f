import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { createSimpleSignature } from '../../src/signature/index.js';
import { makeImage } from '../fixtures/images.js';
import { bearer, call, errorCode, expectError, fetchToken, hexOf, pushBlob, pushImage, putManifest, sha256 } from '../helpers/registry-http.js';
import { adminUser, basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const signer = { name: 'signer', password: 'signer-secret', roles: [{ repository: 'team/*', role: 'push' }, { repository: 'team/*', role: 'sign' }] };
const pushOnly = { name: 'pusher', password: 'pusher-secret', roles: [{ repository: 'team/*', role: 'push' }] };

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const cosignLayerType = 'application/vnd.dev.cosign.simplesigning.v1+json';

interface ExtensionEntry {
  schemaVersion: number;
  type: string;
  name: string;
  content: string;
}

function entry(digest: string, content: Buffer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemaVersion: 2, type: 'atomic', name: `${digest}@${randomBytes(16).toString('hex')}`, content: content.toString('base64'), ...extra };
}

describe('registry: signatures', () => {
  let registry: TestRegistry;
  let admin: string;
  let secretKey: Uint8Array;
  const image = makeImage({ seed: 'signed', layers: 1, layerBytes: 512 });
  const other = makeImage({ seed: 'signed-other', layers: 1, layerBytes: 512 });

  async function sign(digest: string, reference = `${registry.address}/team/app:v1`): Promise<Buffer> {
    return createSimpleSignature({ manifestDigest: digest, dockerReference: reference, signer: { kind: 'key', secretKey }, creator: 'signet test' });
  }

  function putSignature(name: string, digest: string, body: unknown, auth: string | undefined = admin): Promise<Response> {
    return call(registry.url, `/extensions/v2/${name}/signatures/${digest}`, {
      method: 'PUT',
      auth,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function listSignatures(name: string, digest: string): Promise<ExtensionEntry[]> {
    const res = await call(registry.url, `/extensions/v2/${name}/signatures/${digest}`, { auth: admin });
    assert.equal(res.status, 200);
    return ((await res.json()) as { signatures: ExtensionEntry[] }).signatures;
  }

  before(async () => {
    registry = await startSignetRegistry({ users: [adminUser, signer, pushOnly] });
    admin = basicAuth(adminUser.name, adminUser.password);
    const key = await openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name: 'Signet Test', email: 'signer@signet.test' }], format: 'binary' });
    secretKey = key.privateKey;
    await pushImage(registry.url, admin, 'team/app', image, 'v1');
    await pushImage(registry.url, admin, 'team/app', other, 'v2');
  });
  after(async () => {
    await registry?.stop();
  });

  it('announces the extension on /v2/', async () => {
    const res = await call(registry.url, '/v2/', { auth: admin });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-registry-supports-signatures'), '1');
    await res.arrayBuffer();
  });

  it('stores a real simple signature (201), lists it, refuses it again (409), and serves it in the lookaside view', async () => {
    const signature = await sign(image.manifestDigest);
    const body = entry(image.manifestDigest, signature);
    const res = await putSignature('team/app', image.manifestDigest, body);
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    assert.deepEqual(await listSignatures('team/app', image.manifestDigest), [body]);

    await expectError(await putSignature('team/app', image.manifestDigest, body), 409, 'SIGNATURE_EXISTS');
    await expectError(await putSignature('team/app', image.manifestDigest, entry(image.manifestDigest, signature)), 409, 'SIGNATURE_EXISTS');
    assert.equal((await listSignatures('team/app', image.manifestDigest)).length, 1);

    const hex = hexOf(image.manifestDigest);
    const one = await call(registry.url, `/sigstore/team/app@sha256=${hex}/signature-1`, { auth: admin });
    assert.equal(one.status, 200);
    assert.deepEqual(Buffer.from(await one.arrayBuffer()), signature);
    await expectError(await call(registry.url, `/sigstore/team/app@sha256=${hex}/signature-2`, { auth: admin }), 404, 'SIGNATURE_UNKNOWN');
    await expectError(await call(registry.url, `/sigstore/team/app@sha256=${hexOf(other.manifestDigest)}/signature-1`, { auth: admin }), 404, 'SIGNATURE_UNKNOWN');
    const anonymous = await call(registry.url, `/sigstore/team/app@sha256=${hex}/signature-1`);
    assert.equal(anonymous.status, 401);
    await anonymous.arrayBuffer();

    // A second signature becomes signature-2.
    const second = await sign(image.manifestDigest, `${registry.address}/team/app:latest`);
    const res2 = await putSignature('team/app', image.manifestDigest, entry(image.manifestDigest, second));
    await res2.arrayBuffer();
    assert.equal(res2.status, 201);
    const two = await call(registry.url, `/sigstore/team/app@sha256=${hex}/signature-2`, { auth: admin });
    assert.deepEqual(Buffer.from(await two.arrayBuffer()), second);
  });

  it('lets a user with the sign role store signatures, and refuses a push-only user', async () => {
    const signature = await sign(other.manifestDigest);
    const pusherBasic = basicAuth(pushOnly.name, pushOnly.password);
    await expectError(await putSignature('team/app', other.manifestDigest, entry(other.manifestDigest, signature), pusherBasic), 403, 'DENIED');
    const pusherToken = await fetchToken(registry.url, 'repository:team/app:pull,push', pushOnly.name, pushOnly.password);
    const refused = await putSignature('team/app', other.manifestDigest, entry(other.manifestDigest, signature), bearer(pusherToken));
    assert.ok(refused.status === 401 || refused.status === 403, `got ${refused.status}`);
    assert.ok(['UNAUTHORIZED', 'DENIED'].includes(await errorCode(refused)));
    assert.deepEqual(await listSignatures('team/app', other.manifestDigest), []);

    const signerToken = await fetchToken(registry.url, 'repository:team/app:pull,push', signer.name, signer.password);
    const ok = await putSignature('team/app', other.manifestDigest, entry(other.manifestDigest, signature), bearer(signerToken));
    await ok.arrayBuffer();
    assert.equal(ok.status, 201);
    const byBasic = await putSignature('team/app', other.manifestDigest, entry(other.manifestDigest, await sign(other.manifestDigest, 'example.com/x:y')), basicAuth(signer.name, signer.password));
    await byBasic.arrayBuffer();
    assert.equal(byBasic.status, 201);
    assert.equal((await listSignatures('team/app', other.manifestDigest)).length, 2);
  });

  describe('refuses bad signatures, storing nothing', () => {
    const target = makeImage({ seed: 'refusals', layers: 1, layerBytes: 128 });
    let valid: Buffer;
    before(async () => {
      await pushImage(registry.url, admin, 'team/refusals', target, 'v1');
      valid = await sign(target.manifestDigest);
    });
    const digest = target.manifestDigest;
    const cases: [string, () => Promise<unknown>, number, string][] = [
      ['garbage content', async () => entry(digest, Buffer.from('this is not a signature')), 400, 'SIGNATURE_INVALID'],
      ['content that is not base64', async () => ({ ...entry(digest, Buffer.alloc(0)), content: '!!not base64!!' }), 400, 'SIGNATURE_INVALID'],
      ['empty content', async () => entry(digest, Buffer.alloc(0)), 400, 'SIGNATURE_INVALID'],
      ['an OpenPGP message that is cut short', async () => entry(digest, valid.subarray(0, valid.length - 20)), 400, 'SIGNATURE_INVALID'],
      ['a signature of another digest', async () => entry(digest, await sign(other.manifestDigest)), 400, 'SIGNATURE_INVALID'],
      ['schemaVersion 1', async () => entry(digest, valid, { schemaVersion: 1 }), 400, 'SIGNATURE_INVALID'],
      ['schemaVersion "2"', async () => entry(digest, valid, { schemaVersion: '2' }), 400, 'SIGNATURE_INVALID'],
      ['an unknown key', async () => entry(digest, valid, { extra: true }), 400, 'SIGNATURE_INVALID'],
      ['another type', async () => entry(digest, valid, { type: 'cosign' }), 400, 'SIGNATURE_INVALID'],
      ['a name of another digest', async () => entry(digest, valid, { name: `${other.manifestDigest}@${'a'.repeat(32)}` }), 400, 'SIGNATURE_INVALID'],
      ['a name without an id', async () => entry(digest, valid, { name: digest }), 400, 'SIGNATURE_INVALID'],
      ['a name with a path in its id', async () => entry(digest, valid, { name: `${digest}@../../x` }), 400, 'SIGNATURE_INVALID'],
      ['an array', async () => [entry(digest, valid)], 400, 'SIGNATURE_INVALID'],
      ['malformed JSON', async () => '{"schemaVersion": 2,', 400, 'SIGNATURE_INVALID'],
      // A lenient reader would keep the later, valid content; a repeated key is refused instead.
      ['a repeated key', async () => JSON.stringify(entry(digest, valid)).replace('{', '{"content":"AAAA",'), 400, 'SIGNATURE_INVALID'],
    ];
    for (const [what, body, status, code] of cases) {
      it(what, async () => {
        await expectError(await putSignature('team/refusals', digest, await body()), status, code);
        assert.deepEqual(await listSignatures('team/refusals', digest), []);
        const lookaside = await call(registry.url, `/sigstore/team/refusals@sha256=${hexOf(digest)}/signature-1`, { auth: admin });
        assert.equal(lookaside.status, 404);
        await lookaside.arrayBuffer();
      });
    }

    it('a signature of a manifest that does not exist', async () => {
      const absent = sha256('no such manifest');
      const res = await putSignature('team/refusals', absent, entry(absent, await sign(absent)));
      assert.ok(res.status === 404 || res.status === 400, `got ${res.status}`);
      assert.ok(['MANIFEST_UNKNOWN', 'SIGNATURE_INVALID'].includes(await errorCode(res)));
      await expectError(await call(registry.url, `/extensions/v2/team/refusals/signatures/${absent}`, { auth: admin }), 404, 'MANIFEST_UNKNOWN');
      // The manifest exists in another repository only.
      const elsewhere = await putSignature('team/empty', digest, entry(digest, valid));
      assert.equal(elsewhere.status, 404);
      assert.equal(await errorCode(elsewhere), 'MANIFEST_UNKNOWN');
    });

    it('an invalid digest in the path', async () => {
      const res = await putSignature('team/refusals', 'sha256:1234', entry(digest, valid));
      assert.equal(res.status, 400);
      await res.arrayBuffer();
    });
  });

  describe('lists every signature of an image together', () => {
    const subject = makeImage({ seed: 'all-signatures', layers: 1, layerBytes: 256 });
    let simple: Record<string, unknown>;
    let sigManifest: Buffer;
    let referrerManifest: Buffer;

    before(async () => {
      await pushImage(registry.url, admin, 'team/all', subject, 'v1');
      simple = entry(subject.manifestDigest, await sign(subject.manifestDigest));
      const put = await putSignature('team/all', subject.manifestDigest, simple);
      await put.arrayBuffer();
      assert.equal(put.status, 201);

      // A cosign `.sig` tag: an OCI manifest whose layers are simple-signing payloads.
      const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } }));
      const payloads = [1, 2].map((n) =>
        Buffer.from(
          JSON.stringify({
            critical: { identity: { 'docker-reference': 'team/all' }, image: { 'docker-manifest-digest': subject.manifestDigest }, type: 'cosign container image signature' },
            optional: { n: String(n) },
          }),
        ),
      );
      await pushBlob(registry.url, admin, 'team/all', config);
      for (const p of payloads) await pushBlob(registry.url, admin, 'team/all', p);
      sigManifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: ociManifest,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
          layers: payloads.map((p) => ({
            mediaType: cosignLayerType,
            digest: sha256(p),
            size: p.length,
            annotations: { 'dev.cosignproject.cosign/signature': randomBytes(64).toString('base64') },
          })),
        }),
      );
      const sigTag = `sha256-${hexOf(subject.manifestDigest)}.sig`;
      const sigPut = await putManifest(registry.url, admin, 'team/all', sigTag, sigManifest, ociManifest);
      await sigPut.arrayBuffer();
      assert.equal(sigPut.status, 201);

      // An OCI 1.1 referrer.
      const empty = Buffer.from('{}');
      const bundle = Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');
      await pushBlob(registry.url, admin, 'team/all', empty);
      await pushBlob(registry.url, admin, 'team/all', bundle);
      referrerManifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: ociManifest,
          artifactType: 'application/vnd.example.signature',
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: empty.length },
          layers: [{ mediaType: 'application/octet-stream', digest: sha256(bundle), size: bundle.length }],
          subject: { mediaType: subject.mediaType, digest: subject.manifestDigest, size: subject.manifest.length },
        }),
      );
      const refPut = await putManifest(registry.url, admin, 'team/all', sha256(referrerManifest), referrerManifest, ociManifest);
      await refPut.arrayBuffer();
      assert.equal(refPut.status, 201);
      assert.equal(refPut.headers.get('oci-subject'), subject.manifestDigest);
    });

    it('through /api/v1/…/signatures', async () => {
      const res = await call(registry.url, `/api/v1/repositories/team/all/manifests/${subject.manifestDigest}/signatures`, { auth: admin });
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        repository: string;
        digest: string;
        lookaside: string;
        signatures: { format: string; location: string; name: string; mediaType?: string; layer?: number; artifactType?: string; lookasideIndex?: number; signer?: string }[];
      };
      assert.equal(body.repository, 'team/all');
      assert.equal(body.digest, subject.manifestDigest);
      assert.equal(body.lookaside, `/sigstore/team/all@sha256=${hexOf(subject.manifestDigest)}`);

      const simpleOnes = body.signatures.filter((s) => s.location === 'extension-api');
      assert.equal(simpleOnes.length, 1);
      assert.equal(simpleOnes[0]?.format, 'simple-signing');
      assert.equal(simpleOnes[0]?.name, simple['name']);
      assert.equal(simpleOnes[0]?.lookasideIndex, 1);
      assert.match(simpleOnes[0]?.signer ?? '', /^[0-9A-F]{16,40}$/);

      const cosign = body.signatures.filter((s) => s.location === 'sig-tag');
      assert.deepEqual(
        cosign.map((s) => [s.format, s.name, s.mediaType, s.layer]),
        [
          ['cosign', sha256(sigManifest), cosignLayerType, 0],
          ['cosign', sha256(sigManifest), cosignLayerType, 1],
        ],
      );

      const referrers = body.signatures.filter((s) => s.location === 'referrers');
      assert.equal(referrers.length, 1);
      assert.equal(referrers[0]?.name, sha256(referrerManifest));
      assert.equal(referrers[0]?.artifactType, 'application/vnd.example.signature');
      assert.equal(body.signatures.length, 4);
    });

    it('refuses the listing without pull permission and for unknown manifests', async () => {
      const anonymous = await call(registry.url, `/api/v1/repositories/team/all/manifests/${subject.manifestDigest}/signatures`);
      assert.equal(anonymous.status, 401);
      await anonymous.arrayBuffer();
      await expectError(await call(registry.url, `/api/v1/repositories/team/all/manifests/${sha256('absent')}/signatures`, { auth: admin }), 404, 'MANIFEST_UNKNOWN');
      await expectError(await call(registry.url, '/api/v1/repositories/team/all/manifests/v1/signatures', { auth: admin }), 404, 'MANIFEST_UNKNOWN');
    });

    it('removes the simple signatures with the manifest', async () => {
      const del = await call(registry.url, `/v2/team/all/manifests/${subject.manifestDigest}`, { method: 'DELETE', auth: admin });
      await del.arrayBuffer();
      assert.equal(del.status, 202);
      await expectError(await call(registry.url, `/extensions/v2/team/all/signatures/${subject.manifestDigest}`, { auth: admin }), 404, 'MANIFEST_UNKNOWN');
      await expectError(await call(registry.url, `/sigstore/team/all@sha256=${hexOf(subject.manifestDigest)}/signature-1`, { auth: admin }), 404, 'SIGNATURE_UNKNOWN');
      // Pushed again, the image has no signatures left over.
      const again = await putManifest(registry.url, admin, 'team/all', 'v1', subject.manifest, subject.mediaType);
      await again.arrayBuffer();
      assert.equal(again.status, 201);
      assert.deepEqual(await listSignatures('team/all', subject.manifestDigest), []);
    });
  });

  it('keeps signatures of one repository out of another', async () => {
    await pushImage(registry.url, admin, 'team/copy', image, 'v1');
    assert.deepEqual(await listSignatures('team/copy', image.manifestDigest), []);
    await expectError(await call(registry.url, `/sigstore/team/copy@sha256=${hexOf(image.manifestDigest)}/signature-1`, { auth: admin }), 404, 'SIGNATURE_UNKNOWN');
  });
});
