import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageBlobs, MediaTypes, parseManifest, type ImageManifest } from '../../src/manifest/index.js';
import { bytes, clone, dockerManifest, fakeDigest, ociManifest, schema1Manifest, type Json } from './helpers.js';

function parseImage(obj: Json): ImageManifest {
  const m = parseManifest(bytes(obj));
  assert.ok(m.kind !== 'oci-index' && m.kind !== 'docker-list');
  return m;
}

describe('imageBlobs', () => {
  it('lists config and layers of an OCI manifest, with urls and annotations', () => {
    const obj = ociManifest();
    Object.assign((obj['layers'] as Json[])[1] as Json, { urls: ['https://example.com/l'], annotations: { k: 'v' } });
    assert.deepEqual(imageBlobs(parseImage(obj)), {
      config: { digest: fakeDigest('config'), size: 567, mediaType: MediaTypes.ociConfig },
      layers: [
        { digest: fakeDigest('layer-0'), size: 1000, mediaType: MediaTypes.ociLayerGzip },
        { digest: fakeDigest('layer-1'), size: 2000, mediaType: MediaTypes.ociLayerGzip, urls: ['https://example.com/l'], annotations: { k: 'v' } },
      ],
    });
  });

  it('lists config and layers of a Docker manifest, keeping duplicates', () => {
    const obj = dockerManifest();
    (obj['layers'] as Json[]).push(clone((obj['layers'] as Json[])[0] as Json));
    const blobs = imageBlobs(parseImage(obj));
    assert.equal(blobs.config?.mediaType, MediaTypes.dockerConfig);
    assert.deepEqual(blobs.layers.map((l) => l.digest), [fakeDigest('layer-0'), fakeDigest('layer-1'), fakeDigest('layer-0')]);
  });

  it('lists schema 1 layers base first, size unknown, no config', () => {
    assert.deepEqual(imageBlobs(parseImage(schema1Manifest())), {
      config: undefined,
      layers: [
        { digest: fakeDigest('s1-base'), size: -1 },
        { digest: fakeDigest('s1-middle'), size: -1 },
        { digest: fakeDigest('s1-top'), size: -1 },
      ],
    });
  });

  it('drops the upper of schema 1 entries that repeat an ID, keeping repeated blobs', () => {
    const obj = schema1Manifest();
    const history = obj['history'] as Json[];
    history.splice(1, 0, clone(history[1] as Json));
    (obj['fsLayers'] as Json[]).splice(1, 0, { blobSum: fakeDigest('s1-dup') });
    (obj['fsLayers'] as Json[])[0] = { blobSum: fakeDigest('s1-base') };
    const layers = imageBlobs(parseImage(obj)).layers.map((l) => l.digest);
    assert.deepEqual(layers, [fakeDigest('s1-base'), fakeDigest('s1-middle'), fakeDigest('s1-base')]);
  });
});
