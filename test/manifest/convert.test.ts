import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import {
  convertIndex,
  convertManifest,
  MediaTypes,
  parseManifest,
  preferredConversionTarget,
  serializeOciIndex,
  type IndexManifest,
  type InstanceUpdate,
  type Manifest,
} from '../../src/manifest/index.js';
import { bytes, descriptor, dockerList, dockerManifest, expectCode, fakeDigest, ociIndex, ociManifest, platformEntry, schema1Manifest, signSchema1, type Json } from './helpers.js';

function parsed(obj: Json): Manifest {
  return parseManifest(bytes(obj));
}

function layers(m: Json): Json[] {
  return m['layers'] as Json[];
}

/** img-docker-all-layer-types: one layer of each Docker layer type, one with urls. */
function dockerAllTypes(): Json {
  const m = dockerManifest();
  m['layers'] = [
    descriptor(MediaTypes.dockerLayerGzip, 'gz', 10),
    descriptor(MediaTypes.dockerLayer, 'tar', 20),
    { ...descriptor(MediaTypes.dockerForeignLayer, 'foreign', 30), urls: ['https://example.com/foreign?a=1&b=2'] },
    descriptor(MediaTypes.dockerForeignLayerGzip, 'foreign-gz', 40),
  ];
  return m;
}

describe('convertManifest: Docker schema 2 → OCI', () => {
  it('writes the OCI manifest as Go would, changing only media types', () => {
    const out = convertManifest(parsed(dockerAllTypes()), MediaTypes.ociManifest);
    const d = (label: string) => fakeDigest(label);
    const expected =
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
      `"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${d('config')}","size":567},` +
      `"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${d('gz')}","size":10},` +
      `{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"${d('tar')}","size":20},` +
      `{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar","digest":"${d('foreign')}","size":30,"urls":["https://example.com/foreign?a=1\\u0026b=2"]},` +
      `{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":"${d('foreign-gz')}","size":40}]}`;
    assert.equal(out.toString('utf8'), expected);
    const back = parseManifest(out, MediaTypes.ociManifest);
    assert.ok(back.kind === 'oci-manifest');
    assert.equal(back.config.digest, fakeDigest('config'), 'the config blob is unchanged');
  });

  it('round-trips: Docker → OCI → Docker gives the Go serialisation of the original', () => {
    const original = parsed(dockerAllTypes());
    const oci = parseManifest(convertManifest(original, MediaTypes.ociManifest));
    const docker = convertManifest(oci, MediaTypes.dockerV2S2Manifest);
    const expected = dockerAllTypes();
    // Go writes Docker descriptors as mediaType, size, digest, urls.
    const goOrder = (x: Json) => ({ mediaType: x['mediaType'], size: x['size'], digest: x['digest'], ...(x['urls'] === undefined ? {} : { urls: x['urls'] }) });
    const goText = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerV2S2Manifest,
      config: goOrder(expected['config'] as Json),
      layers: layers(expected).map(goOrder),
    }).replace(/&/g, '\\u0026');
    assert.equal(docker.toString('utf8'), goText);
    assert.deepEqual(convertManifest(parseManifest(docker), MediaTypes.ociManifest), convertManifest(original, MediaTypes.ociManifest));
  });
});

describe('convertManifest: OCI → Docker schema 2', () => {
  it('maps layer types and drops annotations', () => {
    const obj = ociManifest();
    obj['annotations'] = { a: 'b' };
    layers(obj).push(
      { ...descriptor(MediaTypes.ociLayer, 'tar', 5), annotations: { x: 'y' } },
      descriptor(MediaTypes.ociLayerNondistributable, 'nd', 6),
      descriptor(MediaTypes.ociLayerNondistributableGzip, 'nd-gz', 7),
    );
    const out = parseManifest(convertManifest(parsed(obj), MediaTypes.dockerV2S2Manifest), MediaTypes.dockerV2S2Manifest);
    assert.ok(out.kind === 'docker-v2s2');
    assert.equal(out.config.mediaType, MediaTypes.dockerConfig);
    assert.equal(out.config.digest, fakeDigest('config'));
    assert.deepEqual(
      out.layers.map((l) => l.mediaType),
      [MediaTypes.dockerLayerGzip, MediaTypes.dockerLayerGzip, MediaTypes.dockerLayer, MediaTypes.dockerForeignLayer, MediaTypes.dockerForeignLayerGzip],
    );
    assert.ok(!out.raw.toString().includes('annotations'));
  });

  it('round-trips: OCI → Docker → OCI gives back the same bytes for a Go-serialised OCI manifest', () => {
    const first = convertManifest(parsed(dockerManifest()), MediaTypes.ociManifest);
    const again = convertManifest(parseManifest(convertManifest(parseManifest(first), MediaTypes.dockerV2S2Manifest)), MediaTypes.ociManifest);
    assert.deepEqual(again, first);
  });

  const refusals: [string, (m: Json) => void, RegExp][] = [
    ['a zstd layer', (m) => (layers(m)[1] = descriptor(MediaTypes.ociLayerZstd, 'z')), /layers\[1\].*zstd compression is not supported/],
    ['a nondistributable zstd layer', (m) => (layers(m)[0] = descriptor(MediaTypes.ociLayerNondistributableZstd, 'z')), /layers\[0\].*zstd/],
    ['an encrypted layer', (m) => (layers(m)[0] = descriptor('application/vnd.oci.image.layer.v1.tar+gzip+encrypted', 'e')), /layers\[0\].*no Docker schema 2 equivalent/],
    ['a subject', (m) => (m['subject'] = descriptor(MediaTypes.ociManifest, 's')), /subject/],
    ['an artifactType', (m) => (m['artifactType'] = 'application/vnd.example+json'), /artifactType/],
    ['an artifact config', (m) => ((m['config'] as Json)['mediaType'] = 'application/vnd.example.config+json'), /not an OCI image config/],
  ];
  for (const [name, mutate, message] of refusals) {
    it(`refuses ${name} with UNSUPPORTED_CONVERSION`, () => {
      const obj = ociManifest();
      mutate(obj);
      assert.match(expectCode(() => convertManifest(parsed(obj), MediaTypes.dockerV2S2Manifest), 'UNSUPPORTED_CONVERSION').message, message);
    });
  }
});

describe('convertManifest: other cases', () => {
  it('returns the original bytes when no conversion is needed', () => {
    const raw = Buffer.from(JSON.stringify(ociManifest(), null, 2));
    const m = parseManifest(raw);
    assert.deepEqual(convertManifest(m, MediaTypes.ociManifest), raw);
    assert.deepEqual(convertManifest(m, `${MediaTypes.ociManifest}; charset=utf-8`), raw);
  });

  it('refuses schema 1 either way', () => {
    const { signed } = signSchema1(schema1Manifest());
    for (const s1 of [parsed(schema1Manifest()), parseManifest(signed)]) {
      for (const target of [MediaTypes.ociManifest, MediaTypes.dockerV2S2Manifest, MediaTypes.ociIndex]) {
        assert.match(expectCode(() => convertManifest(s1, target), 'UNSUPPORTED_CONVERSION').message, /schema 1/);
      }
    }
    for (const target of [MediaTypes.dockerV2S1Manifest, MediaTypes.dockerV2S1SignedManifest]) {
      assert.match(expectCode(() => convertManifest(parsed(dockerManifest()), target), 'UNSUPPORTED_CONVERSION').message, /schema 1/);
    }
    expectCode(() => convertManifest(parseManifest(signed), MediaTypes.dockerV2S1Manifest), 'UNSUPPORTED_CONVERSION');
  });

  it('refuses single image ↔ index', () => {
    expectCode(() => convertManifest(parsed(ociManifest()), MediaTypes.ociIndex), 'UNSUPPORTED_CONVERSION');
    expectCode(() => convertManifest(parsed(ociIndex()), MediaTypes.ociManifest), 'UNSUPPORTED_CONVERSION');
  });

  it('refuses unknown targets with UNSUPPORTED_MANIFEST_TYPE', () => {
    expectCode(() => convertManifest(parsed(ociManifest()), 'application/vnd.example+json'), 'UNSUPPORTED_MANIFEST_TYPE');
  });

  it('delegates indexes to convertIndex', () => {
    assert.deepEqual(convertManifest(parsed(dockerList()), MediaTypes.ociIndex), convertIndex(parsed(dockerList()) as IndexManifest, MediaTypes.ociIndex));
  });
});

describe('convertIndex', () => {
  const updates = new Map<Digest, InstanceUpdate>([[fakeDigest('amd64'), { digest: fakeDigest('amd64-oci'), size: 777, mediaType: MediaTypes.ociManifest }]]);

  it('Docker list → OCI index, with converted instances and platform features dropped', () => {
    const obj = dockerList();
    ((obj['manifests'] as Json[])[1] as Json)['platform'] = { architecture: 'arm64', os: 'linux', variant: 'v8', features: ['x'], 'os.features': ['y'] };
    const out = convertIndex(parsed(obj) as IndexManifest, MediaTypes.ociIndex, updates);
    const expected =
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
      `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${fakeDigest('amd64-oci')}","size":777,"platform":{"architecture":"amd64","os":"linux"}},` +
      `{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"${fakeDigest('arm64')}","size":500,"platform":{"architecture":"arm64","os":"linux","os.features":["y"],"variant":"v8"}}]}`;
    assert.equal(out.toString(), expected);
    assert.equal(parseManifest(out, MediaTypes.ociIndex).kind, 'oci-index');
  });

  it('OCI index → Docker list, filling in a platform where there is none', () => {
    const obj = ociIndex();
    (obj['manifests'] as Json[]).push({ ...descriptor(MediaTypes.ociManifest, 'bare', 9), annotations: { a: 'b' }, artifactType: 'application/x.y' });
    obj['annotations'] = { dropped: 'yes' };
    const out = convertIndex(parsed(obj) as IndexManifest, MediaTypes.dockerManifestList, new Map(), { defaultPlatform: { architecture: 's390x', os: 'linux', variant: 'ignored' } });
    const expected =
      `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[` +
      `{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,"digest":"${fakeDigest('amd64')}","platform":{"architecture":"amd64","os":"linux"}},` +
      `{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,"digest":"${fakeDigest('arm64')}","platform":{"architecture":"arm64","os":"linux","variant":"v8"}},` +
      `{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":9,"digest":"${fakeDigest('bare')}","platform":{"architecture":"s390x","os":"linux"}}]}`;
    assert.equal(out.toString(), expected);
    assert.equal(parseManifest(out, MediaTypes.dockerManifestList).kind, 'docker-list');
  });

  it('round-trips Docker list → OCI index → Docker list', () => {
    const original = parsed(dockerList()) as IndexManifest;
    const there = parseManifest(convertIndex(original, MediaTypes.ociIndex)) as IndexManifest;
    const back = convertIndex(there, MediaTypes.dockerManifestList);
    assert.deepEqual(parseManifest(back), { ...original, raw: back });
    assert.deepEqual(convertIndex(parseManifest(back) as IndexManifest, MediaTypes.ociIndex), convertIndex(original, MediaTypes.ociIndex));
  });

  it('round-trips OCI index → Docker list → OCI index', () => {
    const original = parsed(ociIndex()) as IndexManifest;
    const there = parseManifest(convertIndex(original, MediaTypes.dockerManifestList)) as IndexManifest;
    const back = convertIndex(there, MediaTypes.ociIndex);
    assert.deepEqual(parseManifest(back), { ...original, raw: back });
  });

  it('rewrites an index of the same type only when instances changed, keeping OCI extras', () => {
    const obj = ociIndex();
    obj['annotations'] = { 'z.key': 'a<b', 'a.key': 'x' };
    obj['subject'] = descriptor(MediaTypes.ociManifest, 'subject');
    ((obj['manifests'] as Json[])[0] as Json)['annotations'] = { 'io.github.containers.compression.zstd': 'true' };
    const raw = Buffer.from(JSON.stringify(obj, null, 1));
    const m = parseManifest(raw) as IndexManifest;
    assert.deepEqual(convertIndex(m, MediaTypes.ociIndex), raw);
    const same = new Map<Digest, InstanceUpdate>([[fakeDigest('arm64'), { digest: fakeDigest('arm64'), size: 500, mediaType: MediaTypes.ociManifest }]]);
    assert.deepEqual(convertIndex(m, MediaTypes.ociIndex, same), raw);
    const out = convertIndex(m, MediaTypes.ociIndex, updates);
    const text = out.toString();
    assert.ok(text.includes(`"annotations":{"a.key":"x","z.key":"a\\u003cb"}`), text);
    assert.ok(text.includes(`"subject":{"mediaType":"${MediaTypes.ociManifest}","digest":"${fakeDigest('subject')}","size":1234}`), text);
    const re = parseManifest(out);
    assert.ok(re.kind === 'oci-index');
    assert.equal(re.manifests[0]?.digest, fakeDigest('amd64-oci'));
    assert.deepEqual(re.manifests[0]?.annotations, { 'io.github.containers.compression.zstd': 'true' });
  });

  it('updates a Docker list in place', () => {
    const out = convertIndex(parsed(dockerList()) as IndexManifest, MediaTypes.dockerManifestList, updates);
    const re = parseManifest(out);
    assert.ok(re.kind === 'docker-list' && re.manifests[0]?.digest === fakeDigest('amd64-oci') && re.manifests[0].size === 777);
  });

  it('refuses OCI-only content towards a Docker list, and non-index targets', () => {
    const withSubject = { ...ociIndex(), subject: descriptor(MediaTypes.ociManifest, 's') };
    assert.match(expectCode(() => convertIndex(parsed(withSubject) as IndexManifest, MediaTypes.dockerManifestList), 'UNSUPPORTED_CONVERSION').message, /subject/);
    const artifact = { ...ociIndex(), artifactType: 'application/vnd.example+json' };
    assert.match(expectCode(() => convertIndex(parsed(artifact) as IndexManifest, MediaTypes.dockerManifestList), 'UNSUPPORTED_CONVERSION').message, /artifactType/);
    expectCode(() => convertIndex(parsed(ociIndex()) as IndexManifest, MediaTypes.dockerV2S2Manifest), 'UNSUPPORTED_CONVERSION');
    expectCode(() => convertIndex(parsed(ociIndex()) as IndexManifest, 'application/x-nope'), 'UNSUPPORTED_MANIFEST_TYPE');
  });
});

describe('serializeOciIndex', () => {
  it('builds an index that parses back', () => {
    const entries = [platformEntry(MediaTypes.ociManifest, 'one', { architecture: 'amd64', os: 'linux' })];
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: entries }));
    assert.ok(m.kind === 'oci-index');
    const out = serializeOciIndex({ manifests: m.manifests, annotations: { b: '2', a: '1' } });
    assert.equal(
      out.toString(),
      `{"schemaVersion":2,"mediaType":"${MediaTypes.ociIndex}","manifests":[{"mediaType":"${MediaTypes.ociManifest}","digest":"${fakeDigest('one')}","size":500,"platform":{"architecture":"amd64","os":"linux"}}],"annotations":{"a":"1","b":"2"}}`,
    );
  });
});

describe('preferredConversionTarget', () => {
  it('needs no conversion when anything goes or the source type is accepted', () => {
    assert.equal(preferredConversionTarget(MediaTypes.ociManifest, undefined), undefined);
    assert.equal(preferredConversionTarget(MediaTypes.ociManifest, []), undefined);
    assert.equal(preferredConversionTarget(MediaTypes.ociManifest, [MediaTypes.dockerV2S2Manifest, MediaTypes.ociManifest]), undefined);
    assert.equal(preferredConversionTarget(MediaTypes.dockerV2S1SignedManifest, [MediaTypes.dockerV2S1SignedManifest]), undefined);
  });

  it('picks a type the source can become', () => {
    assert.equal(preferredConversionTarget(MediaTypes.ociManifest, [MediaTypes.dockerV2S1SignedManifest, MediaTypes.dockerV2S2Manifest]), MediaTypes.dockerV2S2Manifest);
    assert.equal(preferredConversionTarget(MediaTypes.dockerV2S2Manifest, [MediaTypes.ociIndex, MediaTypes.ociManifest]), MediaTypes.ociManifest);
    assert.equal(preferredConversionTarget(MediaTypes.dockerManifestList, [MediaTypes.ociManifest, MediaTypes.ociIndex]), MediaTypes.ociIndex);
    assert.equal(preferredConversionTarget(MediaTypes.ociIndex, [MediaTypes.dockerV2S2Manifest, MediaTypes.dockerManifestList]), MediaTypes.dockerManifestList);
  });

  it('throws UNSUPPORTED_CONVERSION when nothing accepted can be produced', () => {
    expectCode(() => preferredConversionTarget(MediaTypes.ociManifest, [MediaTypes.dockerV2S1SignedManifest]), 'UNSUPPORTED_CONVERSION');
    expectCode(() => preferredConversionTarget(MediaTypes.dockerV2S1SignedManifest, [MediaTypes.ociManifest, MediaTypes.dockerV2S2Manifest]), 'UNSUPPORTED_CONVERSION');
    expectCode(() => preferredConversionTarget(MediaTypes.ociIndex, [MediaTypes.ociManifest]), 'UNSUPPORTED_CONVERSION');
  });
});
