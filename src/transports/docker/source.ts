/** Reading an image from a registry. */
import type { Digest, DockerReference } from '../../core/index.js';
import type { BlobInfo, BlobStream, ImageReference, ImageSource, ManifestBytes } from '../types.js';
import type { RegistryClient } from './client.js';

export class DockerImageSource implements ImageSource {
  readonly reference: ImageReference;
  private readonly ref: DockerReference;
  private readonly client: RegistryClient;
  private readonly ownsClient: boolean;
  private topLevel: Promise<ManifestBytes> | undefined;

  constructor(reference: ImageReference, ref: DockerReference, client: RegistryClient, ownsClient: boolean) {
    this.reference = reference;
    this.ref = ref;
    this.client = client;
    this.ownsClient = ownsClient;
  }

  /** The registry client this source uses (for tags, signatures and other registry-level operations). */
  get registryClient(): RegistryClient {
    return this.client;
  }

  getManifest(instanceDigest?: Digest): Promise<ManifestBytes> {
    if (instanceDigest !== undefined) return this.client.getManifest(this.ref, instanceDigest);
    if (this.topLevel === undefined) {
      const tagOrDigest = this.ref.digest ?? this.ref.tag ?? 'latest';
      const p = this.client.getManifest(this.ref, tagOrDigest);
      this.topLevel = p;
      p.catch(() => {
        if (this.topLevel === p) this.topLevel = undefined;
      });
    }
    return this.topLevel;
  }

  getBlob(info: BlobInfo): Promise<BlobStream> {
    return this.client.getBlob(this.ref, info);
  }

  /** Signatures (lookaside, extension API, sigstore attachments) are found by the signature code, not here. */
  getSignatures(_instanceDigest?: Digest): Promise<Buffer[]> {
    return Promise.resolve([]);
  }

  /** Every tag of the repository (skopeo inspect's RepoTags). */
  listTags(): Promise<string[]> {
    return this.client.listTags(this.ref);
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}
