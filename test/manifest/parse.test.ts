import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limits } from '../../src/core/index.js';
import { isIndexManifest, MediaTypes, parseManifest, type Manifest } from '../../src/manifest/index.js';
import {
  bytes,
  clone,
  descriptor,
  dockerList,
  dockerManifest,
  expectCode,
  fakeDigest,
  ociIndex,
  ociManifest,
  schema1Manifest,
  signSchema1,
  v1Id,
  type Json,
} from './helpers.js';

type Break = [name: string, mutate: (m: Json) => void, message: RegExp];

function layer(m: Json, i: number): Json {
  return (m['layers'] as Json[])[i] as Json;
}
function entry(m: Json, i: number): Json {
  return (m['manifests'] as Json[])[i] as Json;
}

/** Apply each break to a fresh copy of `valid` and expect INVALID_MANIFEST with a message matching. */
function expectInvalid(valid: () => Json, mediaType: string, cases: readonly Break[]): void {
  for (const [name, mutate, message] of cases) {
    it(`rejects: ${name}`, () => {
      const m = clone(valid());
      mutate(m);
      const err = expectCode(() => parseManifest(bytes(m), mediaType), 'INVALID_MANIFEST');
      assert.match(err.message, message);
    });
  }
}

describe('parseManifest: OCI image manifest', () => {
  it('parses a valid manifest', () => {
    const raw = bytes(ociManifest());
    const m = parseManifest(raw, MediaTypes.ociManifest);
    assert.equal(m.kind, 'oci-manifest');
    assert.equal(m.mediaType, MediaTypes.ociManifest);
    assert.deepEqual(m.raw, raw);
    raw[0] = 0x20;
    assert.equal(m.raw[0], 0x7b, 'raw is a copy');
    if (m.kind !== 'oci-manifest') return;
    assert.deepEqual(m.config, { mediaType: MediaTypes.ociConfig, digest: fakeDigest('config'), size: 567 });
    assert.equal(m.layers.length, 2);
    assert.equal(m.layers[1]?.size, 2000);
    assert.equal(isIndexManifest(m), false);
  });

  it('detects the type when none, text/plain or application/json is given', () => {
    for (const given of [undefined, '', 'text/plain', 'application/json', 'text/plain; charset=utf-8']) {
      assert.equal(parseManifest(bytes(ociManifest()), given).kind, 'oci-manifest', String(given));
    }
  });

  it('accepts a media type with parameters', () => {
    assert.equal(parseManifest(bytes(ociManifest()), `${MediaTypes.ociManifest}; charset=utf-8`).mediaType, MediaTypes.ociManifest);
  });

  it('accepts a manifest without a mediaType member (image-spec < 1.0.2)', () => {
    const obj = ociManifest();
    delete obj['mediaType'];
    assert.equal(parseManifest(bytes(obj), MediaTypes.ociManifest).kind, 'oci-manifest');
    assert.equal(parseManifest(bytes(obj)).kind, 'oci-manifest');
  });

  it('ignores unknown members and treats null optional members as absent', () => {
    const obj = ociManifest();
    obj['x-future'] = { anything: [1, 2] };
    obj['annotations'] = null;
    layer(obj, 0)['x-extra'] = true;
    layer(obj, 0)['urls'] = null;
    const m = parseManifest(bytes(obj));
    assert.ok(m.kind === 'oci-manifest' && m.annotations === undefined && m.layers[0]?.urls === undefined);
  });

  it('keeps subject, artifactType, annotations and descriptor extras', () => {
    const obj = ociManifest();
    obj['artifactType'] = 'application/vnd.example.sbom+json';
    obj['subject'] = descriptor(MediaTypes.ociManifest, 'subject', 99);
    obj['annotations'] = { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' };
    obj['config'] = { ...descriptor(MediaTypes.ociEmpty, 'ignored', 2), digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', data: 'e30=' };
    Object.assign(layer(obj, 0), { urls: ['https://example.com/blob'], annotations: { a: 'b' }, artifactType: 'application/x.y' });
    const m = parseManifest(bytes(obj));
    assert.equal(m.kind, 'oci-manifest');
    if (m.kind !== 'oci-manifest') return;
    assert.equal(m.artifactType, 'application/vnd.example.sbom+json');
    assert.equal(m.subject?.digest, fakeDigest('subject'));
    assert.deepEqual(m.annotations, { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' });
    assert.equal(m.config.data, 'e30=');
    assert.deepEqual(m.layers[0], { ...descriptor(MediaTypes.ociLayerGzip, 'layer-0', 1000), urls: ['https://example.com/blob'], annotations: { a: 'b' }, artifactType: 'application/x.y' });
  });

  it('accepts sha512 digests and sizes up to 2^50', () => {
    const obj = ociManifest();
    layer(obj, 0)['digest'] = `sha512:${'ab'.repeat(64)}`;
    layer(obj, 1)['size'] = 2 ** 50;
    const m = parseManifest(bytes(obj));
    assert.ok(m.kind === 'oci-manifest' && m.layers[1]?.size === 2 ** 50);
  });

  expectInvalid(ociManifest, MediaTypes.ociManifest, [
    ['schemaVersion missing', (m) => delete m['schemaVersion'], /schemaVersion: required/],
    ['schemaVersion 1', (m) => (m['schemaVersion'] = 1), /schemaVersion: expected 2, got 1/],
    ['schemaVersion a string', (m) => (m['schemaVersion'] = '2'), /schemaVersion: expected 2, got "2"/],
    ['mediaType not a string', (m) => (m['mediaType'] = 7), /mediaType: must be a string, got 7/],
    ['config missing', (m) => delete m['config'], /manifest: config: must be an object, got nothing/],
    ['config an array', (m) => (m['config'] = []), /config: must be an object, got an array/],
    ['config.mediaType missing', (m) => delete (m['config'] as Json)['mediaType'], /config\.mediaType: required/],
    ['config.mediaType not a media type', (m) => ((m['config'] as Json)['mediaType'] = 'not a type'), /config\.mediaType: "not a type" is not a valid media type/],
    ['config.digest missing', (m) => delete (m['config'] as Json)['digest'], /config\.digest: required/],
    ['layers missing', (m) => delete m['layers'], /manifest: layers: required/],
    ['layers an object', (m) => (m['layers'] = {}), /layers: must be an array, got an object/],
    ['a layer null', (m) => ((m['layers'] as unknown[])[1] = null), /layers\[1\]: must be an object, got null/],
    ['a bad digest', (m) => (layer(m, 1)['digest'] = 'sha256:zz'), /^manifest: layers\[1\]\.digest: "sha256:zz" is not a valid digest$/],
    ['an uppercase digest', (m) => (layer(m, 0)['digest'] = fakeDigest('x').toUpperCase()), /layers\[0\]\.digest: .* is not a valid digest/],
    ['an unsupported digest algorithm', (m) => (layer(m, 0)['digest'] = 'md5:2872f31c5c1f62a694fbd20c1e85257c'), /layers\[0\]\.digest: .*unsupported algorithm/],
    ['a digest that is a number', (m) => (layer(m, 0)['digest'] = 5), /layers\[0\]\.digest: must be a digest string, got 5/],
    ['a negative size', (m) => (layer(m, 0)['size'] = -5), /^manifest: layers\[0\]\.size: must be a non-negative integer, got -5$/],
    ['a fractional size', (m) => (layer(m, 0)['size'] = 1.5), /layers\[0\]\.size: must be a non-negative integer, got 1\.5/],
    ['a size as a string', (m) => (layer(m, 0)['size'] = '12'), /layers\[0\]\.size: must be a non-negative integer, got "12"/],
    ['an absurd size', (m) => (layer(m, 0)['size'] = 2 ** 50 + 1), /layers\[0\]\.size: must be at most 2\^50/],
    ['an unsafe integer size', (m) => (layer(m, 0)['size'] = 2 ** 60), /layers\[0\]\.size: must be a non-negative integer/],
    ['size missing', (m) => delete layer(m, 0)['size'], /layers\[0\]\.size: required/],
    ['urls not an array', (m) => (layer(m, 0)['urls'] = 'https://x'), /layers\[0\]\.urls: must be an array of strings/],
    ['a url not a string', (m) => (layer(m, 0)['urls'] = [1]), /layers\[0\]\.urls\[0\]: must be a string/],
    ['a url not a URL', (m) => (layer(m, 0)['urls'] = ['not a url']), /layers\[0\]\.urls\[0\]: "not a url" is not a valid URL/],
    ['annotations not an object', (m) => (m['annotations'] = ['a']), /annotations: must be an object, got an array/],
    ['an annotation value not a string', (m) => (m['annotations'] = { a: 1 }), /annotations\["a"\]: must be a string, got 1/],
    ['a layer annotation value not a string', (m) => (layer(m, 0)['annotations'] = { k: null }), /layers\[0\]\.annotations\["k"\]: must be a string, got null/],
    ['a layer that is an index', (m) => (layer(m, 1)['mediaType'] = MediaTypes.ociIndex), /layers\[1\]\.mediaType: .* is a manifest type, not a layer type/],
    ['a layer that is a manifest', (m) => (layer(m, 0)['mediaType'] = MediaTypes.dockerV2S2Manifest), /layers\[0\]\.mediaType: .* is a manifest type/],
    ['subject without digest', (m) => (m['subject'] = { mediaType: MediaTypes.ociManifest, size: 1 }), /subject\.digest: required/],
    ['artifactType not a string', (m) => (m['artifactType'] = {}), /artifactType: must be a string, got an object/],
    ['artifactType not a media type', (m) => (m['artifactType'] = 'sbom'), /artifactType: "sbom" is not a valid media type/],
    ['data not base64', (m) => ((m['config'] as Json)['data'] = '***'), /config\.data: must be base64/],
    ['data of the wrong size', (m) => ((m['config'] as Json)['data'] = 'e30='), /config\.data: holds 2 bytes but size is 567/],
    [
      'data with the wrong digest',
      (m) => Object.assign(m['config'] as Json, { data: 'e30=', size: 2 }),
      /config\.data: content has digest sha256:44136fa3.*, expected sha256:/,
    ],
    ['a member differing only in case', (m) => (m['Layers'] = []), /manifest: Layers: member name differs only in case from "layers"/],
    ['a descriptor member differing only in case', (m) => (layer(m, 0)['Digest'] = fakeDigest('evil')), /layers\[0\]\.Digest: member name differs only in case from "digest"/],
    ['a member differing by Unicode case folding', (m) => (m['ſchemaVersion'] = 1), /ſchemaVersion: member name differs only in case from "schemaVersion"/],
  ]);

  it('rejects text that is not JSON, not UTF-8, or not an object', () => {
    assert.match(expectCode(() => parseManifest(Buffer.from('{"schemaVersion": 2,'), MediaTypes.ociManifest), 'INVALID_MANIFEST').message, /not valid JSON/);
    expectCode(() => parseManifest(Buffer.from([0x7b, 0xff, 0x7d]), MediaTypes.ociManifest), 'INVALID_MANIFEST');
    expectCode(() => parseManifest(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(ociManifest())]), MediaTypes.ociManifest), 'INVALID_MANIFEST');
    assert.match(expectCode(() => parseManifest(bytes([ociManifest()]), MediaTypes.ociManifest), 'INVALID_MANIFEST').message, /must be a JSON object, got an array/);
    assert.match(expectCode(() => parseManifest(Buffer.from('null')), 'INVALID_MANIFEST').message, /got null/);
  });

  it('rejects a manifest larger than limits.manifestBytes with TOO_LARGE', () => {
    const raw = Buffer.concat([bytes(ociManifest()), Buffer.alloc(limits.manifestBytes, 0x20)]);
    expectCode(() => parseManifest(raw, MediaTypes.ociManifest), 'TOO_LARGE');
  });
});

describe('parseManifest: types', () => {
  it('rejects unknown media types with UNSUPPORTED_MANIFEST_TYPE', () => {
    assert.match(expectCode(() => parseManifest(bytes(ociManifest()), 'application/vnd.example+json'), 'UNSUPPORTED_MANIFEST_TYPE').message, /application\/vnd\.example\+json/);
    expectCode(() => parseManifest(bytes(ociManifest()), MediaTypes.ociConfig), 'UNSUPPORTED_MANIFEST_TYPE');
  });

  it('rejects content whose type cannot be detected with UNSUPPORTED_MANIFEST_TYPE', () => {
    expectCode(() => parseManifest(bytes({ schemaVersion: 3 })), 'UNSUPPORTED_MANIFEST_TYPE');
    expectCode(() => parseManifest(bytes({ schemaVersion: 3 }), 'text/plain'), 'UNSUPPORTED_MANIFEST_TYPE');
  });

  const mismatches: [string, () => Json, string][] = [
    ['a Docker manifest delivered as OCI', dockerManifest, MediaTypes.ociManifest],
    ['an OCI manifest delivered as Docker', ociManifest, MediaTypes.dockerV2S2Manifest],
    ['an OCI index delivered as an OCI manifest', ociIndex, MediaTypes.ociManifest],
    ['an OCI manifest delivered as an index', ociManifest, MediaTypes.ociIndex],
    ['a Docker list delivered as an OCI index', dockerList, MediaTypes.ociIndex],
    ['a manifest that says OCI delivered as schema 1', () => ({ ...schema1Manifest(), mediaType: MediaTypes.ociManifest }), MediaTypes.dockerV2S1Manifest],
  ];
  for (const [name, build, given] of mismatches) {
    it(`rejects ${name} with MANIFEST_TYPE_MISMATCH`, () => {
      const err = expectCode(() => parseManifest(bytes(build()), given), 'MANIFEST_TYPE_MISMATCH');
      assert.ok(err.message.includes(given), err.message);
    });
  }

  it('rejects ambiguous content (members of another format) with MANIFEST_TYPE_MISMATCH', () => {
    const index = ociIndex();
    delete index['mediaType'];
    assert.match(expectCode(() => parseManifest(bytes(index), MediaTypes.ociManifest), 'MANIFEST_TYPE_MISMATCH').message, /"manifests"/);
    const both = { ...ociManifest(), manifests: [] };
    expectCode(() => parseManifest(bytes(both), MediaTypes.ociManifest), 'MANIFEST_TYPE_MISMATCH');
    const s1 = { ...schema1Manifest(), layers: [] };
    assert.match(expectCode(() => parseManifest(bytes(s1), MediaTypes.dockerV2S1Manifest), 'MANIFEST_TYPE_MISMATCH').message, /"layers"/);
    const withHistory = { ...ociManifest(), history: [] };
    assert.match(expectCode(() => parseManifest(bytes(withHistory)), 'MANIFEST_TYPE_MISMATCH').message, /"history"/);
  });

  it('treats the signed and unsigned schema 1 types as the same format', () => {
    const obj = { ...schema1Manifest(), mediaType: MediaTypes.dockerV2S1SignedManifest };
    assert.equal(parseManifest(bytes(obj), MediaTypes.dockerV2S1Manifest).kind, 'docker-v2s1');
  });
});

describe('parseManifest: Docker schema 2', () => {
  it('parses a valid manifest', () => {
    const m = parseManifest(bytes(dockerManifest()));
    assert.equal(m.kind, 'docker-v2s2');
    assert.equal(m.mediaType, MediaTypes.dockerV2S2Manifest);
  });

  it('accepts the uncompressed and foreign layer types, with urls, and ignores OCI-only members', () => {
    const obj = dockerManifest();
    layer(obj, 0)['mediaType'] = MediaTypes.dockerLayer;
    Object.assign(layer(obj, 1), { mediaType: MediaTypes.dockerForeignLayerGzip, urls: ['https://mcr.microsoft.com/x'], annotations: { a: 'b' } });
    const m = parseManifest(bytes(obj));
    assert.ok(m.kind === 'docker-v2s2');
    assert.deepEqual(m.layers[1], { ...descriptor(MediaTypes.dockerForeignLayerGzip, 'layer-1', 2000), urls: ['https://mcr.microsoft.com/x'] });
  });

  expectInvalid(dockerManifest, MediaTypes.dockerV2S2Manifest, [
    ['mediaType missing', (m) => delete m['mediaType'], /mediaType: required/],
    ['schemaVersion 1', (m) => (m['schemaVersion'] = 1), /schemaVersion: expected 2/],
    ['an OCI config type', (m) => ((m['config'] as Json)['mediaType'] = MediaTypes.ociConfig), /config\.mediaType: expected "application\/vnd\.docker\.container\.image\.v1\+json"/],
    ['an OCI layer type', (m) => (layer(m, 0)['mediaType'] = MediaTypes.ociLayerGzip), /layers\[0\]\.mediaType: .* is not a Docker schema 2 layer type/],
    ['a manifest as a layer', (m) => (layer(m, 1)['mediaType'] = MediaTypes.dockerManifestList), /layers\[1\]\.mediaType: .* is a manifest type/],
    ['a bad layer digest', (m) => (layer(m, 1)['digest'] = 'sha256:zz'), /layers\[1\]\.digest: "sha256:zz" is not a valid digest/],
  ]);
});

describe('parseManifest: indexes', () => {
  it('parses an OCI index with platforms, entries without platform, and extras', () => {
    const obj = ociIndex();
    (obj['manifests'] as Json[]).push({ ...descriptor(MediaTypes.ociManifest, 'no-platform'), annotations: { 'io.github.containers.compression.zstd': 'true' } });
    entry(obj, 0)['platform'] = { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1', 'os.features': ['win32k'], features: ['sse4'] };
    obj['annotations'] = { x: 'y' };
    obj['subject'] = descriptor(MediaTypes.ociManifest, 'subject');
    const m = parseManifest(bytes(obj));
    assert.ok(m.kind === 'oci-index' && isIndexManifest(m));
    assert.equal(m.manifests.length, 3);
    assert.deepEqual(m.manifests[0]?.platform, { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1', 'os.features': ['win32k'] });
    assert.equal(m.manifests[2]?.platform, undefined);
    assert.equal(m.subject?.digest, fakeDigest('subject'));
  });

  it('parses a Docker list, keeping platform features', () => {
    const obj = dockerList();
    (entry(obj, 0)['platform'] as Json)['features'] = ['sse4'];
    const m = parseManifest(bytes(obj));
    assert.ok(m.kind === 'docker-list' && isIndexManifest(m));
    assert.deepEqual(m.manifests[0]?.platform, { architecture: 'amd64', os: 'linux', features: ['sse4'] });
  });

  it('accepts an empty index', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] }));
    assert.ok(m.kind === 'oci-index' && m.manifests.length === 0);
  });

  expectInvalid(ociIndex, MediaTypes.ociIndex, [
    ['manifests missing', (m) => delete m['manifests'], /manifests: required/],
    ['schemaVersion 1', (m) => (m['schemaVersion'] = 1), /schemaVersion: expected 2, got 1/],
    ['an entry without digest', (m) => delete entry(m, 1)['digest'], /manifests\[1\]\.digest: required/],
    ['a platform without os', (m) => delete (entry(m, 1)['platform'] as Json)['os'], /manifests\[1\]\.platform\.os: required/],
    ['a platform that is a string', (m) => (entry(m, 0)['platform'] = 'linux/amd64'), /manifests\[0\]\.platform: must be an object/],
    ['os.features not an array', (m) => ((entry(m, 0)['platform'] as Json)['os.features'] = 'x'), /manifests\[0\]\.platform\.os\.features: must be an array of strings/],
    ['variant not a string', (m) => ((entry(m, 0)['platform'] as Json)['variant'] = 8), /manifests\[0\]\.platform\.variant: must be a string, got 8/],
    ['a negative entry size', (m) => (entry(m, 0)['size'] = -1), /manifests\[0\]\.size: must be a non-negative integer, got -1/],
  ]);

  expectInvalid(dockerList, MediaTypes.dockerManifestList, [
    ['mediaType missing', (m) => delete m['mediaType'], /mediaType: required/],
    ['features not an array', (m) => ((entry(m, 0)['platform'] as Json)['features'] = {}), /manifests\[0\]\.platform\.features: must be an array of strings/],
  ]);
});

describe('parseManifest: Docker schema 1', () => {
  it('parses an unsigned manifest', () => {
    const m = parseManifest(bytes(schema1Manifest()));
    assert.equal(m.kind, 'docker-v2s1');
    if (m.kind !== 'docker-v2s1') return;
    assert.equal(m.mediaType, MediaTypes.dockerV2S1Manifest);
    assert.equal(m.signed, false);
    assert.equal(m.name, 'library/busybox');
    assert.equal(m.tag, 'latest');
    assert.equal(m.architecture, 'amd64');
    assert.deepEqual(m.fsLayers[0], { blobSum: fakeDigest('s1-top') });
  });

  it('parses a signed manifest', () => {
    const { signed } = signSchema1(schema1Manifest());
    const m: Manifest = parseManifest(signed);
    assert.ok(m.kind === 'docker-v2s1' && m.signed && m.mediaType === MediaTypes.dockerV2S1SignedManifest);
    const given = parseManifest(signed, MediaTypes.dockerV2S1Manifest);
    assert.ok(given.kind === 'docker-v2s1' && given.signed && given.mediaType === MediaTypes.dockerV2S1Manifest);
  });

  it('defaults name, tag and architecture to empty strings', () => {
    const obj = schema1Manifest();
    delete obj['name'];
    delete obj['tag'];
    delete obj['architecture'];
    const m = parseManifest(bytes(obj));
    assert.ok(m.kind === 'docker-v2s1' && m.name === '' && m.tag === '' && m.architecture === '');
  });

  it('accepts repeated IDs in consecutive history entries', () => {
    const obj = schema1Manifest();
    const history = obj['history'] as Json[];
    history.splice(1, 0, clone(history[1] as Json));
    (obj['fsLayers'] as Json[]).splice(1, 0, { blobSum: fakeDigest('s1-dup') });
    assert.equal(parseManifest(bytes(obj)).kind, 'docker-v2s1');
  });

  function setCompat(m: Json, i: number, value: Json | string): void {
    ((m['history'] as Json[])[i] as Json)['v1Compatibility'] = typeof value === 'string' ? value : JSON.stringify(value);
  }

  expectInvalid(schema1Manifest, MediaTypes.dockerV2S1Manifest, [
    ['schemaVersion 2', (m) => (m['schemaVersion'] = 2), /schemaVersion: expected 1, got 2/],
    ['fsLayers missing', (m) => delete m['fsLayers'], /fsLayers: required/],
    ['no layers at all', (m) => Object.assign(m, { fsLayers: [], history: [] }), /fsLayers: must not be empty/],
    ['history shorter than fsLayers', (m) => (m['history'] as unknown[]).pop(), /history: must have one entry per fsLayers entry \(3\), got 2/],
    ['a bad blobSum', (m) => ((m['fsLayers'] as Json[])[2] = { blobSum: 'sha256:zz' }), /fsLayers\[2\]\.blobSum: "sha256:zz" is not a valid digest/],
    ['name not a string', (m) => (m['name'] = 1), /name: must be a string/],
    ['v1Compatibility not a string', (m) => ((m['history'] as Json[])[0] = { v1Compatibility: {} }), /history\[0\]\.v1Compatibility: must be a string/],
    ['v1Compatibility not JSON', (m) => setCompat(m, 0, '{'), /history\[0\]\.v1Compatibility: is not valid JSON/],
    ['a v1 ID that is not hex', (m) => setCompat(m, 2, { id: 'xyz' }), /history\[2\]\.v1Compatibility\.id: "xyz" is not a valid image ID/],
    ['a base layer with a parent', (m) => setCompat(m, 2, { id: v1Id('base'), parent: v1Id('elsewhere') }), /history\[2\]\.v1Compatibility\.parent: the base layer must have no parent/],
    ['a broken parent chain', (m) => setCompat(m, 0, { id: v1Id('top'), parent: v1Id('elsewhere') }), /history\[0\]\.v1Compatibility\.parent: expected/],
    ['an ID repeated non-consecutively', (m) => setCompat(m, 0, { id: v1Id('base'), parent: v1Id('middle') }), /history\[2\]\.v1Compatibility\.id: ID .* appears more than once/],
    ['throwaway not a boolean', (m) => setCompat(m, 2, { id: v1Id('base'), throwaway: 'yes' }), /history\[2\]\.v1Compatibility\.throwaway: must be a boolean/],
    ['signatures that are not an array', (m) => (m['signatures'] = 1), /signatures: must be an array/],
    ['an empty signatures array', (m) => (m['signatures'] = []), /signatures: must hold at least one signature/],
  ]);
});
