/** The blobs an image manifest names. */
import type { BlobRef, Descriptor, ImageBlobs, ImageManifest } from './manifest.types.js';

function blobRef(d: Descriptor): BlobRef {
  const ref: BlobRef = { digest: d.digest, size: d.size, mediaType: d.mediaType };
  if (d.urls !== undefined) ref.urls = d.urls;
  if (d.annotations !== undefined) ref.annotations = d.annotations;
  return ref;
}

/**
 * Config and layers (base layer first) of a single image. For schema 1 there is no config; layers have
 * size -1 and no media type, and of consecutive history entries with the same v1 ID only the lower one
 * counts (docker pull's rule, also containers/image's).
 */
export function imageBlobs(m: ImageManifest): ImageBlobs {
  if (m.kind !== 'docker-v2s1') return { config: blobRef(m.config), layers: m.layers.map(blobRef) };
  const ids = m.history.map((h) => (JSON.parse(h.v1Compatibility) as { id: string }).id);
  const layers: BlobRef[] = [];
  for (let i = m.fsLayers.length - 1; i >= 0; i--) {
    if (i < ids.length - 1 && ids[i] === ids[i + 1]) continue;
    layers.push({ digest: (m.fsLayers[i] as { blobSum: BlobRef['digest'] }).blobSum, size: -1 });
  }
  return { config: undefined, layers };
}
