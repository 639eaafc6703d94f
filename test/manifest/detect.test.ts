import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_MANIFEST_MEDIA_TYPES, bareMediaType, detectManifestMediaType, MediaTypes } from '../../src/manifest/index.js';
import { bytes, dockerList, dockerManifest, ociIndex, ociManifest, schema1Manifest, signSchema1, type Json } from './helpers.js';

function without(obj: Json, key: string): Json {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}

describe('detectManifestMediaType', () => {
  const cases: [string, Uint8Array, string][] = [
    ['oci manifest', bytes(ociManifest()), MediaTypes.ociManifest],
    ['oci manifest without mediaType', bytes(without(ociManifest(), 'mediaType')), MediaTypes.ociManifest],
    ['oci artifact without mediaType', bytes({ schemaVersion: 2, config: { mediaType: 'application/vnd.example+json' }, layers: [] }), MediaTypes.ociManifest],
    ['oci index', bytes(ociIndex()), MediaTypes.ociIndex],
    ['oci index without mediaType', bytes(without(ociIndex(), 'mediaType')), MediaTypes.ociIndex],
    ['docker v2s2', bytes(dockerManifest()), MediaTypes.dockerV2S2Manifest],
    ['docker v2s2 without mediaType (config decides)', bytes(without(dockerManifest(), 'mediaType')), MediaTypes.dockerV2S2Manifest],
    ['docker list', bytes(dockerList()), MediaTypes.dockerManifestList],
    ['schema 1 unsigned', bytes(schema1Manifest()), MediaTypes.dockerV2S1Manifest],
    ['schema 1 with signatures: null', bytes({ ...schema1Manifest(), signatures: null }), MediaTypes.dockerV2S1Manifest],
    ['schema 1 signed', signSchema1(schema1Manifest()).signed, MediaTypes.dockerV2S1SignedManifest],
    ['schema 1 with bogus signatures', bytes({ ...schema1Manifest(), signatures: 1 }), MediaTypes.dockerV2S1SignedManifest],
    ['unknown schemaVersion', bytes({ schemaVersion: 3, layers: [] }), ''],
    ['no schemaVersion', bytes({ layers: [] }), ''],
    ['mediaType of another kind, version 2', bytes({ schemaVersion: 2, mediaType: 'application/vnd.example+json', config: {}, layers: [] }), MediaTypes.ociManifest],
    ['mediaType not a string', bytes({ ...ociManifest(), mediaType: 5 }), ''],
    ['schemaVersion not an integer', bytes({ ...ociManifest(), schemaVersion: '2' }), ''],
    ['config not an object', bytes({ schemaVersion: 2, config: 'x' }), ''],
    ['manifests with a custom config type', bytes({ schemaVersion: 2, config: { mediaType: 'application/x-custom' }, manifests: [{}] }), ''],
    ['not JSON', Buffer.from('this is not JSON'), ''],
    ['a JSON array', bytes([ociManifest()]), ''],
    ['empty', Buffer.alloc(0), ''],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.equal(detectManifestMediaType(input), want));
  }
});

describe('media types', () => {
  it('lists manifest types for Accept, most preferred first', () => {
    assert.deepEqual(ALL_MANIFEST_MEDIA_TYPES, [
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
      'application/vnd.docker.distribution.manifest.v1+json',
    ]);
    assert.ok(Object.isFrozen(ALL_MANIFEST_MEDIA_TYPES));
  });

  it('spells the layer and config types as the specs do', () => {
    assert.equal(MediaTypes.ociLayerNondistributableZstd, 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd');
    assert.equal(MediaTypes.ociEmpty, 'application/vnd.oci.empty.v1+json');
    assert.equal(MediaTypes.dockerForeignLayerGzip, 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip');
    assert.equal(MediaTypes.dockerConfig, 'application/vnd.docker.container.image.v1+json');
  });

  it('strips Content-Type parameters', () => {
    assert.equal(bareMediaType(' Application/VND.oci.image.manifest.v1+json; charset=utf-8'), MediaTypes.ociManifest);
  });
});
