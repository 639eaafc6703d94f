import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseDigest } from '../../../src/core/index.js';
import {
  buildSignatureManifest,
  COSIGN_SIGNATURE_LAYER_MEDIA_TYPE,
  CosignAnnotations,
  cosignPayload,
  parseSignatureManifest,
  sigTagFor,
} from '../../../src/signature/index.js';
import { expectCode } from '../../helpers/expect-code.js';

const imageDigest = parseDigest(`sha256:${'0f'.repeat(32)}`);
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const payloadA = cosignPayload('registry.example.com/app', imageDigest);
const payloadB = cosignPayload('registry.example.com/app', imageDigest, { build: '7' });
const layerA = { payload: payloadA, annotations: { [CosignAnnotations.signature]: 'c2lnQQ==' } };
const layerB = { payload: payloadB, annotations: { [CosignAnnotations.signature]: 'c2lnQg==', [CosignAnnotations.bundle]: '{}' } };

describe('.sig attachments', () => {
  it('names the tag sha256-<hex>.sig', () => {
    assert.equal(sigTagFor(imageDigest), `sha256-${'0f'.repeat(32)}.sig`);
    assert.throws(() => sigTagFor('sha256:nothex' as typeof imageDigest));
  });

  it('builds a new manifest as containers/image writes it', () => {
    const built = buildSignatureManifest(undefined, [layerA]);
    const configText = `{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":["${sha(payloadA)}"]}}`;
    assert.equal(built.config.toString(), configText);
    assert.equal(
      built.manifest.toString(),
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${sha(configText)}","size":${configText.length}},` +
        `"layers":[{"mediaType":"${COSIGN_SIGNATURE_LAYER_MEDIA_TYPE}","digest":"${sha(payloadA)}","size":${payloadA.length},"annotations":{"dev.cosignproject.cosign/signature":"c2lnQQ=="}}]}`,
    );
    assert.deepEqual(built.blobs, [{ digest: sha(payloadA), bytes: payloadA }]);
  });

  it('builds a new manifest as cosign (go-containerregistry) writes it, on request', () => {
    const built = buildSignatureManifest(undefined, [layerA], { style: 'cosign' });
    const configText = `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${sha(payloadA)}"]},"config":{}}`;
    assert.equal(built.config.toString(), configText);
    assert.equal(
      built.manifest.toString(),
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${configText.length},"digest":"${sha(configText)}"},` +
        `"layers":[{"mediaType":"${COSIGN_SIGNATURE_LAYER_MEDIA_TYPE}","size":${payloadA.length},"digest":"${sha(payloadA)}","annotations":{"dev.cosignproject.cosign/signature":"c2lnQQ=="}}]}`,
    );
  });

  for (const style of ['containers-image', 'cosign'] as const) {
    it(`appends, parses back and deduplicates (${style})`, () => {
      const first = buildSignatureManifest(undefined, [layerA], { style });
      const second = buildSignatureManifest({ manifest: first.manifest, config: first.config }, [layerA, layerB, layerB], { style });
      assert.deepEqual(second.blobs.map((b) => b.digest), [sha(payloadB)]);
      const parsed = parseSignatureManifest(second.manifest);
      assert.deepEqual(
        parsed.layers.map((l) => ({ ...l })),
        [
          { mediaType: COSIGN_SIGNATURE_LAYER_MEDIA_TYPE, digest: sha(payloadA), size: payloadA.length, annotations: layerA.annotations },
          { mediaType: COSIGN_SIGNATURE_LAYER_MEDIA_TYPE, digest: sha(payloadB), size: payloadB.length, annotations: { [CosignAnnotations.bundle]: '{}', [CosignAnnotations.signature]: 'c2lnQg==' } },
        ],
      );
      const config = JSON.parse(second.config.toString()) as { rootfs: { diff_ids: string[] }; history?: unknown[] };
      assert.deepEqual(config.rootfs.diff_ids, [sha(payloadA), sha(payloadB)]);
      if (style === 'cosign') assert.equal(config.history?.length, 2);
      const manifest = JSON.parse(second.manifest.toString()) as { config: { digest: string; size: number } };
      assert.equal(manifest.config.digest, sha(second.config));
      assert.equal(manifest.config.size, second.config.length);
      // Nothing new: the same bytes again.
      const third = buildSignatureManifest({ manifest: second.manifest, config: second.config }, [layerB, layerA], { style });
      assert.deepEqual(third.blobs, []);
      assert.deepEqual(third.manifest, second.manifest);
    });
  }

  it('adds a layer whose payload matches but whose annotations differ', () => {
    const first = buildSignatureManifest(undefined, [layerA]);
    const withCert = { payload: payloadA, annotations: { ...layerA.annotations, [CosignAnnotations.certificate]: 'PEM' } };
    const second = buildSignatureManifest({ manifest: first.manifest, config: first.config }, [withCert]);
    assert.equal(parseSignatureManifest(second.manifest).layers.length, 2);
    assert.equal(second.blobs.length, 1);
  });

  it('keeps other members of an existing manifest and config', () => {
    const first = buildSignatureManifest(undefined, [layerA]);
    const manifest = JSON.parse(first.manifest.toString()) as Record<string, unknown>;
    manifest['annotations'] = { 'org.example': 'x' };
    const config = JSON.parse(first.config.toString()) as Record<string, unknown>;
    config['author'] = 'someone';
    const second = buildSignatureManifest({ manifest: Buffer.from(JSON.stringify(manifest)), config: Buffer.from(JSON.stringify(config)) }, [layerB]);
    assert.deepEqual((JSON.parse(second.manifest.toString()) as Record<string, unknown>)['annotations'], { 'org.example': 'x' });
    assert.equal((JSON.parse(second.config.toString()) as Record<string, unknown>)['author'], 'someone');
  });

  describe('parse refuses garbage, one fault at a time', () => {
    const valid = JSON.parse(buildSignatureManifest(undefined, [layerA]).manifest.toString()) as Record<string, unknown>;
    const clone = () => JSON.parse(JSON.stringify(valid)) as Record<string, unknown> & { layers: Record<string, unknown>[]; config: Record<string, unknown> };
    const cases: [string, string, string | ((m: ReturnType<typeof clone>) => unknown), RegExp][] = [
      ['a Docker schema 2 manifest', 'UNSUPPORTED_FORMAT', (m) => ({ ...m, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' }), /is not "application\/vnd.oci.image.manifest.v1\+json"/],
      ['an OCI index', 'UNSUPPORTED_FORMAT', (m) => ({ ...m, mediaType: 'application/vnd.oci.image.index.v1+json' }), /index/],
      ['a Docker config type', 'UNSUPPORTED_FORMAT', (m) => ({ ...m, config: { ...m.config, mediaType: 'application/vnd.docker.container.image.v1+json' } }), /config media type/],
      ['not JSON', 'MALFORMED_SIGNATURE', '<html>', /invalid JSON/],
      ['an array', 'MALFORMED_SIGNATURE', '[]', /expected an object/],
      ['schemaVersion 1', 'MALFORMED_SIGNATURE', (m) => ({ ...m, schemaVersion: 1 }), /\$\.schemaVersion: expected 2/],
      ['an unknown top-level field', 'MALFORMED_SIGNATURE', (m) => ({ ...m, manifests: [] }), /\$\.manifests: unknown field/],
      ['layers as an object', 'MALFORMED_SIGNATURE', (m) => ({ ...m, layers: {} }), /\$\.layers: expected an array/],
      ['a layer without a digest', 'MALFORMED_SIGNATURE', (m) => { delete m.layers[0]!['digest']; return m; }, /\$\.layers\[0\]\.digest: expected a string/],
      ['a layer with a bad digest', 'MALFORMED_SIGNATURE', (m) => { m.layers[0]!['digest'] = 'sha256:1'; return m; }, /\$\.layers\[0\]\.digest/],
      ['a negative size', 'MALFORMED_SIGNATURE', (m) => { m.layers[0]!['size'] = -1; return m; }, /negative size/],
      ['a fractional size', 'MALFORMED_SIGNATURE', (m) => { m.layers[0]!['size'] = 1.5; return m; }, /expected an integer/],
      ['a numeric annotation', 'MALFORMED_SIGNATURE', (m) => { m.layers[0]!['annotations'] = { a: 1 }; return m; }, /annotations\.a: expected a string/],
      ['a duplicate key', 'MALFORMED_SIGNATURE', JSON.stringify(valid).replace('"schemaVersion":2', '"schemaVersion":2,"schemaVersion":2'), /duplicate key/],
    ];
    for (const [name, code, make, message] of cases) {
      it(`refuses ${name} with ${code}`, () => {
        const bytes = Buffer.from(typeof make === 'string' ? make : JSON.stringify(make(clone())));
        const err = expectCode(() => parseSignatureManifest(bytes), code);
        assert.match(err.message, message);
      });
    }
  });
});
