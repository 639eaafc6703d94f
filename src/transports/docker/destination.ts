/**
 * Writing an image to a registry. A registry makes each blob and manifest visible as soon as it is accepted,
 * so `commit` has nothing left to do; the copy engine puts the manifest only after every blob, which is what
 * keeps a half-copied image from being visible under its tag.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { IntegrityError, limits, lookasideSignatureUrl, readAllCapped, type Digest, type DockerReference } from '../../core/index.js';
import { manifestDigest, matchesDigest } from '../../manifest/index.js';
import type { BlobInfo, ImageDestination, ImageReference, SystemContext } from '../types.js';
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { writeFileAtomic } from '../fs-atomic.js';

export class DockerImageDestination implements ImageDestination {
  readonly reference: ImageReference;
  private readonly ref: DockerReference;
  private readonly client: RegistryClient;
  private readonly ownsClient: boolean;
  private readonly chunkSize: number;
  private readonly ctx: SystemContext;
  /** Digest of the top-level manifest once written: the one signatures name. */
  private topLevelDigest: Digest | undefined;

  constructor(reference: ImageReference, ref: DockerReference, client: RegistryClient, ownsClient: boolean, ctx: SystemContext) {
    this.reference = reference;
    this.ref = ref;
    this.client = client;
    this.ownsClient = ownsClient;
    this.chunkSize = ctx.uploadChunkSize !== undefined && ctx.uploadChunkSize > 0 ? Math.floor(ctx.uploadChunkSize) : 0;
    this.ctx = ctx;
  }

  get registryClient(): RegistryClient {
    return this.client;
  }

  supportedManifestMediaTypes(): readonly string[] | undefined {
    return undefined;
  }

  /** Signatures go to the registry's extension API, or to the lookaside staging location; see `putSignatures`. */
  supportsSignatures(): boolean {
    return true;
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
    this.topLevelDigest = manifestDigest(bytes);
  }

  /**
   * Store the image's simple signatures, as containers/image does: through the registry's signature extension
   * when `/v2/` offers it (only signatures not already there are added), otherwise as lookaside files
   * `signature-1..N` under the staging location (stale higher-numbered files are removed).
   */
  async putSignatures(signatures: readonly Buffer[], instanceDigest?: Digest): Promise<void> {
    if (signatures.length === 0) return;
    const digest = instanceDigest ?? this.topLevelDigest ?? this.ref.digest;
    if (digest === undefined) throw new RegistryError('UNSUPPORTED', `${this.reference.toString()}: signatures can only be stored after the manifest`);
    if (await this.client.supportsSignatures(this.ref.domain)) {
      await putExtensionSignatures(this.client, this.ref, digest, signatures);
      return;
    }
    const base = this.ctx.lookasideStaging;
    if (base === undefined || !base.startsWith('file:')) {
      throw new RegistryError(
        'UNSUPPORTED',
        base === undefined
          ? `${this.reference.toString()}: the registry has no signature extension and no lookaside-staging location is configured for it in registries.d; use --remove-signatures, or configure one`
          : `${this.reference.toString()}: signatures can only be written to a file: lookaside-staging location, not ${base}`,
      );
    }
    await writeLookasideSignatures(base, this.ref.path, digest, signatures);
  }

  commit(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}

async function putExtensionSignatures(client: RegistryClient, ref: DockerReference, digest: Digest, signatures: readonly Buffer[]): Promise<void> {
  const path = `/extensions/v2/${ref.path}/signatures/${digest}`;
  const existing = new Set<string>();
  const current = await client.request(ref, { method: 'GET', path });
  if (current.status === 200) {
    const text = (await readAllCapped(current.body, limits.signatureBytes, 'signature list')).toString('utf8');
    let list: { signatures?: unknown };
    try {
      list = JSON.parse(text) as { signatures?: unknown };
    } catch (err) {
      throw new RegistryError('INVALID_RESPONSE', `reading ${path}: the registry's signature list is not JSON: ${(err as Error).message}`);
    }
    const entries = Array.isArray(list.signatures) ? (list.signatures as { content?: unknown }[]) : [];
    for (const s of entries) if (typeof s?.content === 'string') existing.add(s.content);
  } else {
    current.body.destroy();
  }
  for (const signature of signatures) {
    const content = signature.toString('base64');
    if (existing.has(content)) continue;
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, name: `${digest}@${randomBytes(16).toString('hex')}`, type: 'atomic', content }));
    const res = await client.request(ref, { method: 'PUT', path, actions: 'pull,push', headers: { 'content-type': 'application/json' }, body });
    res.body.resume();
    if (res.status !== 201) throw new RegistryError('UNSUPPORTED', `storing a signature through ${path}: the registry answered HTTP ${res.status}`);
    existing.add(content);
  }
}

async function writeLookasideSignatures(base: string, repositoryPath: string, digest: Digest, signatures: readonly Buffer[]): Promise<void> {
  const file = (n: number): string => fileURLToPath(lookasideSignatureUrl(base, repositoryPath, digest, n));
  await mkdir(dirname(file(1)), { recursive: true });
  for (const [i, signature] of signatures.entries()) await writeFileAtomic(file(i + 1), signature);
  // Signatures beyond the new set would be read as part of it: remove them.
  for (let n = signatures.length + 1; n <= limits.signatureCount; n++) {
    try {
      await unlink(file(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw err;
    }
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
