/**
 * Test helpers shared by the local-transport tests (dir, oci, oci-archive, interop): a minimal verified copy
 * between an ImageSource and an ImageDestination, reading a whole image back with every digest checked, and
 * streams that fail part-way.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import type { TestContext } from 'node:test';
import { DigestVerifier, type Digest } from '../../../src/core/index.js';
import { imageBlobs, isIndexManifest, parseManifest, type ImageManifest, type Manifest } from '../../../src/manifest/index.js';
import type { BlobInfo, ImageDestination, ImageSource } from '../../../src/transports/types.js';

/** A temporary directory removed after the test. */
export async function tempDir(t: Pick<TestContext, 'after'>, prefix = 'signet-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The names in `dir`, sorted (recursively with '/' when `recursive`). */
export async function listDir(dir: string, recursive = false): Promise<string[]> {
  const names = await readdir(dir, { recursive });
  return names.map(String).sort();
}

/** A blob stream wrapped in a DigestVerifier for `info` (errors of either end fail the returned stream). */
export function verified(stream: Readable, info: BlobInfo): Readable {
  const verifier = new DigestVerifier(info.digest, { size: info.size });
  return pipeline(stream, verifier, () => undefined);
}

/** Read a whole blob through a DigestVerifier; rejects with the verifier's IntegrityError on mismatch. */
export async function readVerifiedBlob(source: ImageSource, info: BlobInfo): Promise<Buffer> {
  const { stream } = await source.getBlob(info);
  const chunks: Buffer[] = [];
  for await (const chunk of verified(stream, info)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ReadImage {
  readonly manifest: Buffer;
  readonly mediaType: string;
  /** Instance manifests of an index, by digest. */
  readonly instances: Map<Digest, Buffer>;
  /** Every config and layer blob, verified. */
  readonly blobs: Map<Digest, Buffer>;
}

/** Read an image (and every instance of an index) with all blob digests and sizes verified. */
export async function readWholeImage(source: ImageSource): Promise<ReadImage> {
  const top = await source.getManifest();
  const parsed = parseManifest(top.bytes, top.mediaType);
  const instances = new Map<Digest, Buffer>();
  const blobs = new Map<Digest, Buffer>();
  const images: ImageManifest[] = [];
  if (isIndexManifest(parsed)) {
    for (const d of parsed.manifests) {
      const m = await source.getManifest(d.digest);
      instances.set(d.digest, m.bytes);
      images.push(asImage(parseManifest(m.bytes, m.mediaType)));
    }
  } else {
    images.push(asImage(parsed));
  }
  for (const img of images) {
    const { config, layers } = imageBlobs(img);
    for (const ref of config === undefined ? layers : [config, ...layers]) {
      blobs.set(ref.digest, await readVerifiedBlob(source, { digest: ref.digest, size: ref.size }));
    }
  }
  return { manifest: top.bytes, mediaType: top.mediaType, instances, blobs };
}

function asImage(m: Manifest): ImageManifest {
  if (isIndexManifest(m)) throw new Error('nested index');
  return m;
}

/** Copy an image (all instances of an index) with verification, as `copy --all` would, then commit. */
export async function copyImage(source: ImageSource, dest: ImageDestination, options: { signatures?: boolean } = {}): Promise<void> {
  const top = await source.getManifest();
  const parsed = parseManifest(top.bytes, top.mediaType);
  const copyBlobsOf = async (img: ImageManifest): Promise<void> => {
    const { config, layers } = imageBlobs(img);
    for (const ref of [...layers, ...(config === undefined ? [] : [config])]) {
      const info: BlobInfo = { digest: ref.digest, size: ref.size };
      if (await dest.tryReusingBlob(info)) continue;
      const { stream } = await source.getBlob(info);
      await dest.putBlob(verified(stream, info), info);
    }
  };
  const withSignatures = options.signatures ?? dest.supportsSignatures();
  if (isIndexManifest(parsed)) {
    for (const d of parsed.manifests) {
      const m = await source.getManifest(d.digest);
      await copyBlobsOf(asImage(parseManifest(m.bytes, m.mediaType)));
      await dest.putManifest(m.bytes, m.mediaType, d.digest);
      if (withSignatures) await dest.putSignatures(await source.getSignatures(d.digest), d.digest);
    }
  } else {
    await copyBlobsOf(asImage(parsed));
  }
  await dest.putManifest(top.bytes, top.mediaType);
  if (withSignatures) await dest.putSignatures(await source.getSignatures());
  await dest.commit();
}

/** A stream of `bytes`. */
export function streamOf(bytes: Buffer): Readable {
  return Readable.from([bytes]);
}

/** A stream that sends the first `sendBytes` of `bytes` and then fails with `error`. */
export function failingStream(bytes: Buffer, sendBytes: number, error: Error): Readable {
  // Fails on the read after the first chunk, so the error always reaches a consumer that is reading
  // (a timer could fire before anyone listens, under load).
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes.subarray(0, sendBytes));
      } else {
        this.destroy(error);
      }
    },
  });
}
