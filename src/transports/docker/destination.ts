/**
 * Writing an image to a registry. A registry makes each blob and manifest visible as soon as it is accepted,
 * so `commit` has nothing left to do; the copy engine puts the manifest only after every blob, which is what
 * keeps a half-copied image from being visible under its tag.
 */
import type { Readable } from 'node:stream';
import { IntegrityError, type Digest, type DockerReference } from '../../core/index.js';
import { manifestDigest, matchesDigest } from '../../manifest/index.js';
import type { BlobInfo, ImageDestination, ImageReference, SystemContext } from '../types.js';
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';

export class DockerImageDestination implements ImageDestination {
  readonly reference: ImageReference;
  private readonly ref: DockerReference;
  private readonly client: RegistryClient;
  private readonly ownsClient: boolean;
  private readonly chunkSize: number;

  constructor(reference: ImageReference, ref: DockerReference, client: RegistryClient, ownsClient: boolean, ctx: SystemContext) {
    this.reference = reference;
    this.ref = ref;
    this.client = client;
    this.ownsClient = ownsClient;
    this.chunkSize = ctx.uploadChunkSize !== undefined && ctx.uploadChunkSize > 0 ? Math.floor(ctx.uploadChunkSize) : 0;
  }

  get registryClient(): RegistryClient {
    return this.client;
  }

  supportedManifestMediaTypes(): readonly string[] | undefined {
    return undefined;
  }

  supportsSignatures(): boolean {
    return false;
  }

  /**
   * True when the repository already has the blob (HEAD), or when the registry mounted it from the source
   * image's repository on the same registry. A failed mount attempt is not an error: the blob is uploaded.
   */
  async tryReusingBlob(info: BlobInfo, hints?: { readonly sourceReference?: ImageReference }): Promise<boolean> {
    const existing = await this.client.statBlob(this.ref, info.digest);
    if (existing !== undefined) return true;
    const source = hints?.sourceReference;
    const from = source?.transport.name === 'docker' ? source.dockerReference : undefined;
    if (from === undefined || from.domain !== this.ref.domain || from.path === this.ref.path) return false;
    try {
      return await this.client.mountBlob(this.ref, info.digest, from.path);
    } catch (err) {
      if (err instanceof RegistryError) return false;
      throw err;
    }
  }

  putBlob(stream: Readable, info: BlobInfo): Promise<void> {
    return this.client.putBlob(this.ref, stream, info, { chunkSize: this.chunkSize });
  }

  /**
   * Instance manifests of an index go by digest; the top-level manifest goes to the reference's tag, or to its
   * digest (after checking that the bytes have that digest).
   */
  async putManifest(bytes: Buffer, mediaType: string, instanceDigest?: Digest): Promise<void> {
    if (instanceDigest !== undefined) {
      checkDigest(bytes, instanceDigest);
      await this.client.putManifest(this.ref, instanceDigest, bytes, mediaType);
      return;
    }
    if (this.ref.digest !== undefined) {
      checkDigest(bytes, this.ref.digest);
      await this.client.putManifest(this.ref, this.ref.digest, bytes, mediaType);
      return;
    }
    await this.client.putManifest(this.ref, this.ref.tag ?? 'latest', bytes, mediaType);
  }

  putSignatures(signatures: readonly Buffer[], _instanceDigest?: Digest): Promise<void> {
    if (signatures.length === 0) return Promise.resolve();
    return Promise.reject(
      new RegistryError('UNSUPPORTED', `${this.reference.toString()}: storing signatures in a registry is not supported by this destination`),
    );
  }

  commit(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}

function checkDigest(bytes: Buffer, expected: Digest): void {
  if (matchesDigest(bytes, expected)) return;
  let actual: string;
  try {
    actual = manifestDigest(bytes);
  } catch {
    actual = '(not computable)';
  }
  throw new IntegrityError('DIGEST_MISMATCH', `manifest to write: digest mismatch: expected ${expected}, got ${actual}`, expected, actual);
}
