/**
 * The registry's operations, independent of HTTP: what a push, a pull, a delete or a listing does to the blob
 * store and the metadata. Permission checks happen before these are called (at the HTTP edge); everything a
 * client sends is checked here — digests, sizes, manifests and the blobs they name, signatures.
 */
import { describeError, digestHex, limits, type Digest } from '../core/index.js';
import { manifestDigest, parseManifest, effectiveManifestMediaType, MediaTypes, type Manifest } from '../manifest/index.js';
import { parseSignatureBlob, parseSimpleSigningPayload, readOpenPgpSignedMessage } from '../signature/index.js';
import { StoreError, type BlobContent, type ByteRange, type FsBlobDriver, type Metadata, type ManifestRecord } from '../store/index.js';
import { parseJsonBody, RegistryHttpError } from './errors.js';
import { parseManifestReference, type ManifestReference } from './names.js';

export interface OpenedBlob {
  /** The whole blob's size. */
  readonly size: number;
  /** The part being read, when a range was chosen. */
  readonly range: ByteRange | undefined;
  readonly content: BlobContent;
}

export interface PutManifestResult {
  readonly digest: Digest;
  readonly subject: string | null;
}

export interface ExtensionSignature {
  readonly schemaVersion: 2;
  readonly type: 'atomic';
  readonly name: string;
  readonly content: string;
}

/** One signature of an image, whatever its format and wherever it is kept. */
export interface SignatureListing {
  readonly format: 'simple-signing' | 'cosign' | 'attestation' | 'sigstore-bundle' | 'referrer';
  readonly location: 'extension-api' | 'sig-tag' | 'att-tag' | 'referrers';
  /** The extension API's name (`<digest>@<id>`), or the digest of the manifest that carries the signature. */
  readonly name: string;
  readonly signer?: string;
  readonly mediaType?: string;
  readonly artifactType?: string;
  /** The index of the layer within a `.sig`/`.att` manifest. */
  readonly layer?: number;
  readonly lookasideIndex?: number;
  readonly created?: string;
}

/** Store errors as the wire errors the spec prescribes. */
function wire(err: unknown): never {
  if (err instanceof StoreError) {
    switch (err.code) {
      case 'BLOB_UNKNOWN':
        throw new RegistryHttpError('BLOB_UNKNOWN', err.message);
      case 'BLOB_UPLOAD_UNKNOWN':
        throw new RegistryHttpError('BLOB_UPLOAD_UNKNOWN', err.message);
      case 'UPLOAD_RANGE_INVALID':
        throw new RegistryHttpError('RANGE_INVALID', err.message);
      case 'DIGEST_INVALID':
        throw new RegistryHttpError('DIGEST_INVALID', err.message);
      case 'SIZE_INVALID':
        throw new RegistryHttpError('SIZE_INVALID', err.message);
      case 'UPLOAD_ABORTED':
        throw new RegistryHttpError('BLOB_UPLOAD_INVALID', err.message);
    }
  }
  throw err;
}

/** The blobs and manifests a manifest names, the ones that must be present before it may be stored. */
function referencesOf(m: Manifest): { blobs: string[]; manifests: string[] } {
  switch (m.kind) {
    case 'oci-manifest':
    case 'docker-v2s2':
      return {
        // Layers that name external URLs (non-distributable) need not be pushed.
        blobs: [m.config.digest, ...m.layers.filter((l) => l.urls === undefined || l.urls.length === 0).map((l) => l.digest)],
        manifests: [],
      };
    case 'docker-v2s1':
      return { blobs: m.fsLayers.map((l) => l.blobSum), manifests: [] };
    case 'oci-index':
    case 'docker-list':
      return { blobs: [], manifests: m.manifests.map((d) => d.digest) };
  }
}

/** OCI referrers: the manifest's artifactType, else its config's media type (image manifests). */
function artifactTypeOf(m: Manifest): string | null {
  if (m.kind === 'oci-manifest') return m.artifactType ?? m.config.mediaType;
  if (m.kind === 'oci-index') return m.artifactType ?? null;
  return null;
}

export class RegistryService {
  readonly blobs: FsBlobDriver;
  readonly meta: Metadata;

  constructor(blobs: FsBlobDriver, meta: Metadata) {
    this.blobs = blobs;
    this.meta = meta;
  }

  // Blobs

  async statBlob(repository: string, digest: Digest): Promise<number> {
    const size = await this.meta.findRepositoryBlob(repository, digest);
    if (size === undefined) throw new RegistryHttpError('BLOB_UNKNOWN', `blob ${digest} is not in ${repository}`, { detail: { digest } });
    return size;
  }

  /** Open a blob of `repository`, or the part of it `chooseRange` picks once the size is known. */
  async openBlob(repository: string, digest: Digest, chooseRange?: (size: number) => ByteRange | undefined): Promise<OpenedBlob> {
    const size = await this.statBlob(repository, digest);
    const range = chooseRange?.(size);
    try {
      // Always a range within the recorded size: a stored file that came up short fails here, before any header.
      const within = range ?? (size > 0 ? { start: 0, end: size - 1 } : undefined);
      return { size, range, content: await this.blobs.readBlob(digest, within) };
    } catch (err) {
      return wire(err);
    }
  }

  async deleteBlob(repository: string, digest: Digest): Promise<void> {
    if (!(await this.meta.removeRepositoryBlob(repository, digest))) {
      throw new RegistryHttpError('BLOB_UNKNOWN', `blob ${digest} is not in ${repository}`, { detail: { digest } });
    }
  }

  /** Make a blob of `from` available in `repository` without sending it again. False when `from` has no such blob. */
  async mountBlob(repository: string, from: string, digest: Digest): Promise<boolean> {
    const size = await this.meta.findRepositoryBlob(from, digest);
    if (size === undefined || (await this.blobs.statBlob(digest)) === undefined) return false;
    await this.meta.saveBlob(repository, digest, size);
    return true;
  }

  async startUpload(repository: string): Promise<string> {
    const id = await this.blobs.createUpload();
    await this.meta.saveUpload(id, repository);
    return id;
  }

  async #upload(repository: string, id: string): Promise<number> {
    const upload = await this.meta.findUpload(id);
    const size = upload === undefined || upload.repository !== repository ? undefined : await this.blobs.uploadSize(id);
    if (size === undefined) throw new RegistryHttpError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown in ${repository}`);
    return size;
  }

  uploadStatus(repository: string, id: string): Promise<number> {
    return this.#upload(repository, id);
  }

  /** Append a chunk. `start` is the first byte of the chunk as the client's `Content-Range` says, if it sent one. */
  async appendUpload(repository: string, id: string, body: AsyncIterable<Uint8Array>, start: number | undefined, length: number | undefined): Promise<number> {
    const size = await this.#upload(repository, id);
    if (start !== undefined && start !== size) {
      throw new RegistryHttpError('RANGE_INVALID', `the chunk starts at byte ${start}, but the upload holds ${size} bytes`, {
        headers: { Range: `0-${Math.max(size - 1, 0)}` },
      });
    }
    try {
      return await this.blobs.appendUpload(id, size, body, length === undefined ? {} : { expectedBytes: length });
    } catch (err) {
      return wire(err);
    }
  }

  /** Finish an upload (with an optional last chunk) as blob `digest`. */
  async completeUpload(repository: string, id: string, digest: Digest, body: AsyncIterable<Uint8Array> | undefined, length: number | undefined): Promise<number> {
    const size = await this.#upload(repository, id);
    try {
      if (body !== undefined) await this.blobs.appendUpload(id, size, body, length === undefined ? {} : { expectedBytes: length });
      const committed = await this.blobs.commitUpload(id, digest);
      await this.meta.saveBlob(repository, digest, committed);
      await this.meta.removeUpload(id);
      return committed;
    } catch (err) {
      return wire(err);
    }
  }

  async cancelUpload(repository: string, id: string): Promise<void> {
    await this.#upload(repository, id);
    await this.blobs.removeUpload(id);
    await this.meta.removeUpload(id);
  }

  // Manifests

  async resolve(repository: string, reference: ManifestReference): Promise<ManifestRecord> {
    let digest: string | undefined;
    if (reference.kind === 'digest') digest = reference.digest;
    else digest = await this.meta.findTag(repository, reference.tag);
    const record = digest === undefined ? undefined : await this.meta.findManifest(repository, digest);
    if (record === undefined) {
      const what = reference.kind === 'digest' ? reference.digest : reference.tag;
      throw new RegistryHttpError('MANIFEST_UNKNOWN', `manifest ${what} is not in ${repository}`, { detail: { reference: what } });
    }
    return record;
  }

  getManifest(repository: string, reference: string): Promise<ManifestRecord> {
    return this.resolve(repository, parseManifestReference(reference));
  }

  async putManifest(repository: string, referenceText: string, bytes: Buffer, contentType: string | undefined): Promise<PutManifestResult> {
    const reference = parseManifestReference(referenceText);
    const mediaType = effectiveManifestMediaType(bytes, contentType);
    let manifest: Manifest;
    let digest: Digest;
    try {
      manifest = parseManifest(bytes, mediaType === '' ? undefined : mediaType);
      digest = manifestDigest(bytes, reference.kind === 'digest' ? (reference.digest.startsWith('sha512:') ? 'sha512' : 'sha256') : 'sha256');
    } catch (err) {
      throw new RegistryHttpError('MANIFEST_INVALID', `invalid manifest: ${describeError(err)}`, { cause: err });
    }
    if (reference.kind === 'digest' && reference.digest !== digest) {
      throw new RegistryHttpError('DIGEST_INVALID', `the manifest's digest is ${digest}, not ${reference.digest}`, { detail: { expected: reference.digest, actual: digest } });
    }
    const refs = referencesOf(manifest);
    const subject = manifest.kind === 'oci-manifest' || manifest.kind === 'oci-index' ? (manifest.subject?.digest ?? null) : null;
    const annotations = manifest.kind === 'oci-manifest' || manifest.kind === 'oci-index' ? (manifest.annotations ?? null) : null;
    const outcome = await this.meta.saveManifest({
      repository,
      digest,
      mediaType: manifest.mediaType,
      artifactType: artifactTypeOf(manifest),
      subject,
      content: bytes,
      annotations,
      blobs: refs.blobs,
      manifests: refs.manifests,
      ...(reference.kind === 'tag' ? { tag: reference.tag } : {}),
    });
    if (outcome.kind !== 'saved') {
      const what = outcome.kind === 'missing-blobs' ? 'blob' : 'manifest';
      throw new RegistryHttpError('MANIFEST_BLOB_UNKNOWN', `the manifest names ${what} ${outcome.digests[0]}, which is not in ${repository}${outcome.digests.length > 1 ? ` (and ${outcome.digests.length - 1} more)` : ''}`, {
        detail: { digest: outcome.digests[0] },
      });
    }
    return { digest, subject };
  }

  async deleteManifest(repository: string, referenceText: string): Promise<void> {
    const reference = parseManifestReference(referenceText);
    if (reference.kind === 'tag') {
      if (!(await this.meta.removeTag(repository, reference.tag))) {
        throw new RegistryHttpError('MANIFEST_UNKNOWN', `tag ${reference.tag} is not in ${repository}`, { detail: { tag: reference.tag } });
      }
      return;
    }
    if (!(await this.meta.removeManifest(repository, reference.digest))) {
      throw new RegistryHttpError('MANIFEST_UNKNOWN', `manifest ${reference.digest} is not in ${repository}`, { detail: { digest: reference.digest } });
    }
  }

  async listTags(repository: string, n: number, last: string | undefined): Promise<string[]> {
    if (!(await this.meta.findRepository(repository))) throw new RegistryHttpError('NAME_UNKNOWN', `repository ${repository} is not known`, { detail: { name: repository } });
    return this.meta.listTags(repository, n, last);
  }

  /** The referrers index of a manifest, optionally only those of one artifact type. */
  async referrers(repository: string, digest: Digest, artifactType: string | undefined): Promise<Buffer> {
    const rows = await this.meta.listReferrers(repository, digest);
    const manifests = rows
      .filter((r) => artifactType === undefined || r.artifactType === artifactType)
      .map((r) => ({
        mediaType: r.mediaType,
        digest: r.digest,
        size: r.size,
        ...(r.artifactType === null ? {} : { artifactType: r.artifactType }),
        ...(r.annotations === null ? {} : { annotations: r.annotations }),
      }));
    return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }));
  }

  // Signatures

  async #requireManifest(repository: string, digest: Digest): Promise<void> {
    if ((await this.meta.findManifest(repository, digest)) === undefined) {
      throw new RegistryHttpError('MANIFEST_UNKNOWN', `manifest ${digest} is not in ${repository}`, { detail: { digest } });
    }
  }

  async extensionSignatures(repository: string, digest: Digest): Promise<ExtensionSignature[]> {
    await this.#requireManifest(repository, digest);
    const rows = await this.meta.listSignatures(repository, digest);
    return rows.map((r) => ({ schemaVersion: 2, type: 'atomic', name: r.name, content: r.content.toString('base64') }));
  }

  /** The `n`-th (1-based) simple signature, for the lookaside view. */
  async lookasideSignature(repository: string, digest: Digest, n: number): Promise<Buffer | undefined> {
    const rows = await this.meta.listSignatures(repository, digest);
    return rows[n - 1]?.content;
  }

  /**
   * Store a simple signature sent to the extension API. It must be a simple-signing OpenPGP message whose
   * payload names `digest`, an existing manifest of the repository; nothing else is stored.
   */
  async putExtensionSignature(repository: string, digest: Digest, body: Buffer): Promise<void> {
    const entry = parseExtensionEntry(parseJsonBody(body, 'SIGNATURE_INVALID', 'the body'), digest);
    await this.#requireManifest(repository, digest);
    let signer: string;
    try {
      const blob = parseSignatureBlob(entry.content);
      if (blob.kind !== 'simple-signing') throw new Error(`a ${blob.kind} signature cannot be stored here; the extension API holds simple signatures`);
      const message = await readOpenPgpSignedMessage(blob.openpgp);
      const payload = parseSimpleSigningPayload(message.untrustedContent);
      if (payload.dockerManifestDigest !== digest) {
        throw new Error(`the signature names manifest ${payload.dockerManifestDigest}, not ${digest}`);
      }
      signer = message.untrustedIssuer;
    } catch (err) {
      throw new RegistryHttpError('SIGNATURE_INVALID', `invalid signature: ${describeError(err)}`, { cause: err });
    }
    const existing = await this.meta.listSignatures(repository, digest);
    if (existing.some((s) => s.content.equals(entry.content))) {
      throw new RegistryHttpError('SIGNATURE_EXISTS', `this signature of ${digest} is already stored`);
    }
    if (existing.length >= limits.signatureCount) {
      throw new RegistryHttpError('DENIED', `${digest} already has ${existing.length} signatures, the most one image may have`);
    }
    if (!(await this.meta.saveSignature({ repository, manifestDigest: digest, name: entry.name, content: entry.content, signer }))) {
      throw new RegistryHttpError('SIGNATURE_EXISTS', `a signature named ${entry.name} is already stored`);
    }
  }

  /** Every signature of an image: extension API (simple), `.sig`/`.att` tags (cosign) and referrers. */
  async listAllSignatures(repository: string, digest: Digest): Promise<SignatureListing[]> {
    await this.#requireManifest(repository, digest);
    const out: SignatureListing[] = [];
    const simple = await this.meta.listSignatures(repository, digest);
    simple.forEach((s, i) =>
      out.push({
        format: 'simple-signing',
        location: 'extension-api',
        name: s.name,
        ...(s.signer === null ? {} : { signer: s.signer }),
        lookasideIndex: i + 1,
        created: s.createdAt.toISOString(),
      }),
    );
    for (const [suffix, location, format] of [
      ['sig', 'sig-tag', 'cosign'],
      ['att', 'att-tag', 'attestation'],
    ] as const) {
      const tagged = await this.meta.findTag(repository, `${digestAlgorithmOf(digest)}-${digestHex(digest)}.${suffix}`);
      const record = tagged === undefined ? undefined : await this.meta.findManifest(repository, tagged);
      if (record === undefined) continue;
      let layers: { mediaType: string }[] = [];
      try {
        const m = parseManifest(record.content, record.mediaType);
        if (m.kind === 'oci-manifest' || m.kind === 'docker-v2s2') layers = m.layers;
      } catch {
        continue;
      }
      layers.forEach((l, i) => out.push({ format, location, name: record.digest, mediaType: l.mediaType, layer: i, created: record.createdAt.toISOString() }));
    }
    for (const r of await this.meta.listReferrers(repository, digest)) {
      const type = r.artifactType ?? '';
      const format: SignatureListing['format'] = type.startsWith('application/vnd.dev.sigstore.bundle')
        ? 'sigstore-bundle'
        : type === 'application/vnd.dev.cosign.artifact.sig.v1+json'
          ? 'cosign'
          : 'referrer';
      out.push({ format, location: 'referrers', name: r.digest, mediaType: r.mediaType, ...(r.artifactType === null ? {} : { artifactType: r.artifactType }), created: r.createdAt.toISOString() });
    }
    return out;
  }
}

function digestAlgorithmOf(digest: Digest): string {
  return digest.slice(0, digest.indexOf(':'));
}

/** The one signature of an extension API PUT body, checked strictly. */
function parseExtensionEntry(doc: unknown, digest: Digest): { name: string; content: Buffer } {
  const bad = (message: string): RegistryHttpError => new RegistryHttpError('SIGNATURE_INVALID', message);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('the body must be a JSON object');
  const o = doc as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['schemaVersion', 'version', 'type', 'name', 'content'].includes(key)) throw bad(`unknown key ${JSON.stringify(key)} in the signature`);
  }
  const version = o['schemaVersion'] ?? o['version'];
  if (version !== 2) throw bad(`schemaVersion must be 2, got ${JSON.stringify(version)}`);
  const type = o['type'] ?? 'atomic';
  if (type !== 'atomic') throw bad(`type must be "atomic", got ${JSON.stringify(type)}`);
  const name = o['name'];
  if (typeof name !== 'string' || !name.startsWith(`${digest}@`) || !/^[A-Za-z0-9]{1,64}$/.test(name.slice(digest.length + 1))) {
    throw bad(`name must be "${digest}@<id>", got ${JSON.stringify(name)}`);
  }
  const content = o['content'];
  if (typeof content !== 'string' || content === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) throw bad('content must be non-empty base64');
  const bytes = Buffer.from(content, 'base64');
  if (bytes.length > limits.signatureBytes) throw bad(`the signature is ${bytes.length} bytes, more than ${limits.signatureBytes}`);
  return { name, content: bytes };
}

