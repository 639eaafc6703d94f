/**
 * Copy an image from any transport to any transport. Every blob is checked against its descriptor while it
 * streams through; manifests are checked against the digest that names them; the destination only becomes
 * visible (commit) after everything has been written and verified.
 */
import { pipeline, Readable } from 'node:stream';
import { DigestVerifier, IntegrityError, digestOf, limits, readAllCapped, type Digest } from '../core/index.js';
import {
  choosePlatformInstance,
  conversionReencodesConfig,
  convertConfigToOci,
  convertIndex,
  convertManifest,
  imageBlobs,
  manifestDigest,
  matchesDigest,
  MediaTypes,
  parseManifest,
  preferredConversionTarget,
  type Manifest,
} from '../manifest/index.js';
import type { BlobInfo, BlobStream, ImageDestination, ImageReference, ImageSource } from '../transports/index.js';
import { CopyError, manifestDigestMismatch } from './errors.js';
import type { BlobKind, BlobTransfer, CopiedInstance, CopyOptions, CopyProgress, CopyResult } from './types.js';

const defaultParallel = 6;

export async function copyImage(source: ImageReference, destination: ImageReference, options: CopyOptions = {}): Promise<CopyResult> {
  const src = await source.newImageSource(options.sourceContext ?? {});
  let dst: ImageDestination | undefined;
  try {
    dst = await destination.newImageDestination(options.destinationContext ?? {});
    const copier = new Copier(src, dst, options);
    const result = await copier.run();
    await dst.commit();
    return result;
  } finally {
    try {
      if (dst !== undefined) await dst.close();
    } finally {
      await src.close();
    }
  }
}

interface TopLevel {
  bytes: Buffer;
  mediaType: string;
  manifest: Manifest;
}

class Copier {
  private readonly progress: CopyProgress | undefined;
  private readonly limit: Semaphore;
  private blobsCopied = 0;
  private blobsSkipped = 0;
  /** Blobs already handled in this copy (shared layers across instances). */
  private readonly done = new Map<string, Promise<void>>();

  constructor(
    private readonly src: ImageSource,
    private readonly dst: ImageDestination,
    private readonly options: CopyOptions,
  ) {
    this.progress = options.progress;
    this.limit = new Semaphore(options.maxParallelTransfers ?? defaultParallel);
  }

  async run(): Promise<CopyResult> {
    const top = await this.readTopLevel();
    if (this.options.approveSource !== undefined) await this.options.approveSource(this.src, top.bytes, manifestDigest(top.bytes));
    const m = top.manifest;
    if (m.kind === 'oci-index' || m.kind === 'docker-list') {
      if (this.options.all === true) return this.copyAll(top);
      const ctx = this.options.sourceContext ?? {};
      const want: { os?: string; architecture?: string; variant?: string } = {};
      if (ctx.overrideOS !== undefined) want.os = ctx.overrideOS;
      if (ctx.overrideArch !== undefined) want.architecture = ctx.overrideArch;
      if (ctx.overrideVariant !== undefined) want.variant = ctx.overrideVariant;
      const chosen = choosePlatformInstance(m, want);
      const instance = await this.readInstance(chosen.digest, chosen.size);
      const written = await this.copySingle(instance, undefined, chosen.digest);
      return this.result(written.bytes, written.mediaType, []);
    }
    const written = await this.copySingle(top, undefined, undefined);
    return this.result(written.bytes, written.mediaType, []);
  }

  private result(bytes: Buffer, mediaType: string, instances: CopiedInstance[]): CopyResult {
    return {
      manifestDigest: manifestDigest(bytes),
      mediaType,
      manifest: bytes,
      instances,
      blobsCopied: this.blobsCopied,
      blobsSkipped: this.blobsSkipped,
    };
  }

  private async readTopLevel(): Promise<TopLevel> {
    const { bytes, mediaType } = await this.src.getManifest();
    const named = this.src.reference.dockerReference?.digest;
    if (named !== undefined && !matchesDigest(bytes, named)) {
      throw manifestDigestMismatch(named, manifestDigest(bytes));
    }
    return { bytes, mediaType, manifest: parseManifest(bytes, mediaType) };
  }

  private async readInstance(digest: Digest, size: number): Promise<TopLevel> {
    const { bytes, mediaType } = await this.src.getManifest(digest);
    if (!matchesDigest(bytes, digest)) throw manifestDigestMismatch(digest, manifestDigest(bytes));
    if (size >= 0 && bytes.length !== size) {
      throw new IntegrityError(
        'SIZE_MISMATCH',
        `manifest ${digest}: size mismatch: expected ${size} bytes, got ${bytes.length}`,
        String(size),
        String(bytes.length),
      );
    }
    return { bytes, mediaType, manifest: parseManifest(bytes, mediaType) };
  }

  private async copyAll(top: TopLevel): Promise<CopyResult> {
    const m = top.manifest;
    if (m.kind !== 'oci-index' && m.kind !== 'docker-list') throw new Error('unreachable: copyAll on a single image');
    this.progress?.gettingSignatures(true);
    const listSignatures = this.options.removeSignatures === true ? [] : await this.src.getSignatures();
    const total = m.manifests.length;
    this.progress?.copyingList(total, total);
    const instances: CopiedInstance[] = [];
    const mapped = new Map<Digest, { digest: Digest; size: number; mediaType: string }>();
    for (const [i, desc] of m.manifests.entries()) {
      this.progress?.copyingInstance(desc.digest, i + 1, total);
      const instance = await this.readInstance(desc.digest, desc.size);
      const written = await this.copySingle(instance, desc.digest, desc.digest);
      const digest = manifestDigest(written.bytes);
      instances.push({ sourceDigest: desc.digest, digest, mediaType: written.mediaType });
      if (digest !== desc.digest || written.mediaType !== desc.mediaType) {
        mapped.set(desc.digest, { digest, size: written.bytes.length, mediaType: written.mediaType });
      }
    }
    const target = this.conversionTarget(top.mediaType);
    let bytes = top.bytes;
    let mediaType = top.mediaType;
    if (target !== undefined || mapped.size > 0) {
      mediaType = target ?? top.mediaType;
      bytes = convertIndex(m, mediaType, mapped);
      this.refuseToInvalidate(listSignatures, 'the manifest list');
    }
    this.progress?.writingManifest(true);
    await this.dst.putManifest(bytes, mediaType);
    const added = this.options.sign !== undefined ? await this.options.sign(bytes, manifestDigest(bytes)) : [];
    if (listSignatures.length + added.length > 0) {
      this.progress?.storingSignatures(true);
      await this.putSignatures([...listSignatures, ...added], undefined);
    }
    return this.result(bytes, mediaType, instances);
  }

  private conversionTarget(mediaType: string): string | undefined {
    let forced = this.options.manifestMediaType;
    if (forced !== undefined && (mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList)) {
      forced = forced === MediaTypes.ociManifest ? MediaTypes.ociIndex : MediaTypes.dockerManifestList;
    }
    if (forced !== undefined) return forced === mediaType ? undefined : forced;
    return preferredConversionTarget(mediaType, this.dst.supportedManifestMediaTypes());
  }

  private refuseToInvalidate(signatures: readonly Buffer[], what: string): void {
    if (signatures.length > 0) {
      throw new CopyError(
        'WOULD_INVALIDATE_SIGNATURES',
        `copying ${what} requires changing its manifest, which would invalidate its signatures; use --remove-signatures to copy without them`,
      );
    }
  }

  /**
   * Copy one image. `instanceDigest` is set when writing one instance of an index (`--all`);
   * `sourceInstance` names the instance in the source (for its signatures).
   */
  private async copySingle(image: TopLevel, instanceDigest: Digest | undefined, sourceInstance: Digest | undefined): Promise<{ bytes: Buffer; mediaType: string }> {
    this.progress?.gettingSignatures(false);
    const signatures = this.options.removeSignatures === true ? [] : await this.src.getSignatures(sourceInstance);
    const m = image.manifest;
    if (m.kind === 'oci-index' || m.kind === 'docker-list') {
      throw new CopyError('UNSUPPORTED_NESTED_INDEX', `manifest ${manifestDigest(image.bytes)} is an index inside an index, which is not supported`);
    }
    const { config, layers } = imageBlobs(m);
    const target = this.conversionTarget(image.mediaType);
    if (target !== undefined) this.refuseToInvalidate(signatures, 'this image');
    const layerJobs = layers.map((l) => ({ kind: 'blob' as const, info: l }));
    let bytes = image.bytes;
    let mediaType = image.mediaType;
    if (target !== undefined && config !== undefined && conversionReencodesConfig(image.mediaType, target)) {
      // As containers/image does, Docker schema 2 → OCI re-encodes the config as an OCI config.
      const [configBytes] = await Promise.all([this.readBlob(config, 'config'), this.copyBlobs(layerJobs)]);
      const converted = convertConfigToOci(configBytes);
      const info: BlobInfo = { digest: digestOf(converted), size: converted.length, mediaType: MediaTypes.ociConfig };
      await this.copyBlobs([{ kind: 'config', info, open: async () => ({ stream: Readable.from([converted]), size: converted.length }) }]);
      bytes = convertManifest(m, target, { config: { digest: info.digest, size: info.size } });
      mediaType = target;
    } else {
      // The config travels together with the layers: it is independent of them.
      await this.copyBlobs(config === undefined ? layerJobs : [...layerJobs, { kind: 'config', info: config }]);
      if (target !== undefined) {
        bytes = convertManifest(m, target);
        mediaType = target;
      }
    }
    this.progress?.writingManifest(false);
    const writtenDigest = instanceDigest === undefined ? undefined : manifestDigest(bytes);
    await this.dst.putManifest(bytes, mediaType, writtenDigest);
    this.progress?.storingSignatures(false);
    const added = instanceDigest === undefined && this.options.sign !== undefined ? await this.options.sign(bytes, manifestDigest(bytes)) : [];
    if (signatures.length + added.length > 0) await this.putSignatures([...signatures, ...added], writtenDigest);
    return { bytes, mediaType };
  }

  private async putSignatures(signatures: readonly Buffer[], instanceDigest: Digest | undefined): Promise<void> {
    if (!this.dst.supportsSignatures()) {
      throw new CopyError(
        'SIGNATURES_NOT_SUPPORTED',
        `${this.dst.reference.toString()} cannot store signatures; use --remove-signatures to copy without them`,
      );
    }
    await this.dst.putSignatures(signatures, instanceDigest);
  }

  /** Read a small blob (a config) whole, verified against its descriptor and capped. */
  private async readBlob(info: BlobInfo, kind: BlobKind): Promise<Buffer> {
    if (info.size > limits.configBytes) {
      throw new CopyError('TOO_LARGE', `${kind} ${info.digest} is ${info.size} bytes, over the limit of ${limits.configBytes}`);
    }
    const { stream } = await this.src.getBlob(info);
    const verifier = new DigestVerifier(info.digest, { size: info.size, what: `${kind} ${info.digest}` });
    return readAllCapped(pipeline(stream, verifier, () => {}), limits.configBytes, `${kind} ${info.digest}`);
  }

  private async copyBlobs(blobs: { kind: BlobKind; info: BlobInfo; open?: () => Promise<BlobStream> }[]): Promise<void> {
    const failed = new AbortController();
    const tasks = blobs.map(async ({ kind, info, open }) => {
      let pending = this.done.get(info.digest);
      if (pending === undefined) {
        pending = this.limit.run(() => this.copyBlob(kind, info, failed.signal, open ?? (() => this.src.getBlob(info))));
        this.done.set(info.digest, pending);
      }
      try {
        await pending;
      } catch (err) {
        failed.abort(err);
        throw err;
      }
    });
    const results = await Promise.allSettled(tasks);
    const firstFailure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (firstFailure !== undefined) throw firstFailure.reason;
  }

  private async copyBlob(kind: BlobKind, info: BlobInfo, failed: AbortSignal, open: () => Promise<BlobStream>): Promise<void> {
    if (failed.aborted) throw failed.reason;
    const verifier = new DigestVerifier(info.digest, { size: info.size, what: `${kind} ${info.digest}` });
    const transfer: BlobTransfer = { kind, info, bytesDone: () => verifier.bytesSeen };
    this.progress?.blobStarted(transfer);
    try {
      if (await this.dst.tryReusingBlob(info, { sourceReference: this.src.reference })) {
        this.blobsSkipped++;
        this.progress?.blobFinished(transfer, 'skipped');
        return;
      }
      const { stream, size } = await open();
      if (info.size >= 0 && size >= 0 && size !== info.size) {
        stream.destroy();
        throw new IntegrityError(
          'SIZE_MISMATCH',
          `${kind} ${info.digest}: size mismatch: expected ${info.size} bytes, the source reports ${size}`,
          String(info.size),
          String(size),
        );
      }
      const onAbort = (): void => {
        stream.destroy(failed.reason instanceof Error ? failed.reason : new Error('copy aborted'));
      };
      failed.addEventListener('abort', onAbort, { once: true });
      // pipeline() destroys both ends on any error, so a failed verification also releases the source.
      const verified: Readable = pipeline(stream, verifier, () => {});
      try {
        await this.dst.putBlob(verified, info);
      } finally {
        failed.removeEventListener('abort', onAbort);
      }
      if (verifier.actual === undefined) {
        // The destination returned without consuming the whole stream: never accept unverified content.
        throw new CopyError('INCOMPLETE_TRANSFER', `${kind} ${info.digest}: the destination finished before the blob was fully read and verified`);
      }
      this.blobsCopied++;
      this.progress?.blobFinished(transfer, 'copied');
    } catch (err) {
      this.progress?.blobFailed(transfer);
      throw err;
    }
  }
}

/** Runs at most `max` tasks at once. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
