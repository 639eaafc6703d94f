/**
 * `sign`: sign the manifest digest an image resolves to and store the signature where its format belongs —
 * simple signatures beside a `dir:` image (`signature-N`) or with a registry image (its signature extension,
 * else lookaside staging); cosign signatures in the `sha256-<hex>.sig` tag of the image's repository; sigstore
 * bundles (cosign v3's default format) as an OCI referrer of the image.
 */
import type { KeyObject } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  DigestVerifier,
  digestOf,
  limits,
  lookasideSignatureUrl,
  readAllCapped,
  referenceName,
  referenceString,
  type Digest,
} from '../core/index.js';
import { MediaTypes, parseManifest } from '../manifest/index.js';
import {
  CosignAnnotations,
  buildBundleReferrer,
  buildSignatureManifest,
  cosignPayload,
  createImageSignatureBundle,
  createSimpleSignature,
  signCosignPayload,
  sigTagFor,
  type SimpleSigner,
} from '../signature/index.js';
import { DirReference, DockerImageSource, attachReferrer, isNotFoundError, openImage, referrersTagFor, writeFileAtomic, type ImageReference, type RegistryClient, type SystemContext } from '../transports/index.js';
import { SignError } from './errors.js';

export type SignRequest =
  | { readonly format: 'simple'; readonly signer: SimpleSigner; readonly creator?: string }
  | { readonly format: 'cosign'; readonly key: KeyObject; readonly annotations?: Readonly<Record<string, string>> }
  /** A sigstore bundle (key-based, no transparency log); `now` dates the referrer (`org.opencontainers.image.created`). */
  | { readonly format: 'bundle'; readonly key: KeyObject; readonly now?: () => Date };

export interface SignOptions {
  /**
   * The docker reference the signature names; default: the image's own (a cosign signature names the repository).
   * A bundle names none: its statement names only the manifest digest.
   */
  readonly identity?: string;
  readonly context?: SystemContext;
}

export interface SignResult {
  readonly manifestDigest: Digest;
  /** The docker reference the signature names; absent for a bundle, which names none. */
  readonly identity?: string;
  /** Where the signature was stored, for people: a file, a tag, an API. */
  readonly storedAt: string;
}

export async function signImage(ref: ImageReference, request: SignRequest, options: SignOptions = {}): Promise<SignResult> {
  const ctx = options.context ?? {};
  const { source, digest, manifest, mediaType } = await openImage(ref, ctx);
  try {
    const client = source instanceof DockerImageSource ? source.registryClient : undefined;
    if (request.format === 'cosign') return await signCosign(ref, digest, request, options, client);
    if (request.format === 'bundle') return await signBundle(ref, { mediaType, digest, size: manifest.length }, request, client);
    return await signSimple(ref, digest, request, options, ctx);
  } finally {
    await source.close();
  }
}

function identityFor(ref: ImageReference, options: SignOptions, repositoryOnly: boolean): string {
  if (options.identity !== undefined) return options.identity;
  if (ref.dockerReference === undefined) {
    throw new SignError('IDENTITY_REQUIRED', `${ref.toString()} has no docker reference to put in the signature: give --identity REF`);
  }
  return repositoryOnly ? referenceName(ref.dockerReference) : referenceString(ref.dockerReference);
}

async function signSimple(ref: ImageReference, digest: Digest, request: Extract<SignRequest, { format: 'simple' }>, options: SignOptions, ctx: SystemContext): Promise<SignResult> {
  const identity = identityFor(ref, options, false);
  const signature = await createSimpleSignature({
    manifestDigest: digest,
    dockerReference: identity,
    signer: request.signer,
    ...(request.creator === undefined ? {} : { creator: request.creator }),
  });
  if (ref instanceof DirReference) {
    // A new signature-N after the existing ones; the image itself is not rewritten.
    for (let n = 1; n <= limits.signatureCount; n++) {
      const path = join(ref.resolvedPath, `signature-${n}`);
      try {
        await access(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await writeFileAtomic(path, signature);
        return { manifestDigest: digest, identity, storedAt: path };
      }
    }
    throw new SignError('TOO_MANY_SIGNATURES', `${ref.toString()} already has ${limits.signatureCount} signatures`);
  }
  if (ref.transport.name !== 'docker' || ref.dockerReference === undefined) {
    throw new SignError('UNSUPPORTED_DESTINATION', `simple signatures of ${ref.transport.name}: images cannot be stored; sign a dir: or docker:// image`);
  }
  // The registry destination stores the complete set: keep the signatures already in lookaside staging.
  const existing = await existingLookasideSignatures(ctx.lookasideStaging, ref.dockerReference.path, digest);
  const dst = await ref.newImageDestination(ctx);
  try {
    await dst.putSignatures([...existing, signature], digest);
    await dst.commit();
  } finally {
    await dst.close();
  }
  return { manifestDigest: digest, identity, storedAt: `signatures of ${referenceName(ref.dockerReference)}@${digest}` };
}

async function existingLookasideSignatures(base: string | undefined, path: string, digest: Digest): Promise<Buffer[]> {
  if (base === undefined || !base.startsWith('file:')) return [];
  const out: Buffer[] = [];
  for (let n = 1; n <= limits.signatureCount; n++) {
    try {
      const file = fileURLToPath(lookasideSignatureUrl(base, path, digest, n));
      const bytes = await readFile(file);
      if (bytes.length > limits.signatureBytes) throw new SignError('SIGNATURE_TOO_LARGE', `${file} is larger than ${limits.signatureBytes} bytes`);
      out.push(bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw err;
    }
  }
  return out;
}

/** cosign's key-based signing: a payload naming the repository, signed, appended to the `.sig` tag's manifest. */
async function signCosign(
  ref: ImageReference,
  digest: Digest,
  request: Extract<SignRequest, { format: 'cosign' }>,
  options: SignOptions,
  client: RegistryClient | undefined,
): Promise<SignResult> {
  const repo = ref.dockerReference;
  if (repo === undefined || client === undefined) {
    throw new SignError('UNSUPPORTED_DESTINATION', `cosign signatures are stored in a registry (a sha256-<hex>.sig tag); ${ref.toString()} is not a registry image`);
  }
  const identity = identityFor(ref, options, true);
  const payload = cosignPayload(identity, digest, request.annotations === undefined ? undefined : { ...request.annotations });
  const signature = signCosignPayload(payload, request.key).toString('base64');
  const tag = sigTagFor(digest);
  let existing: { manifest: Buffer; config: Buffer } | undefined;
  try {
    const m = await client.getManifest(repo, tag);
    // Strictly parsed: the config descriptor's digest and size are validated before the config is fetched.
    const parsed = parseManifest(m.bytes, m.mediaType);
    if (parsed.kind !== 'oci-manifest') throw new SignError('INVALID_SIGNATURE_TAG', `${tag} in ${referenceName(repo)} is a ${parsed.mediaType}, not an OCI image manifest`);
    if (parsed.config.size > limits.configBytes) throw new SignError('INVALID_SIGNATURE_TAG', `the config of ${tag} is ${parsed.config.size} bytes, over the limit`);
    const configDigest = parsed.config.digest;
    const { stream } = await client.getBlob(repo, { digest: configDigest });
    const verifier = new DigestVerifier(configDigest, { size: parsed.config.size, what: `config of ${tag}` });
    existing = { manifest: m.bytes, config: await readAllCapped(pipeline(stream, verifier, () => {}), limits.configBytes, `config of ${tag}`) };
  } catch (err) {
    if (!isNotFoundError(err)) throw err;
  }
  const built = buildSignatureManifest(existing, [{ payload, annotations: { [CosignAnnotations.signature]: signature } }]);
  const configDigest = digestOf(built.config);
  for (const blob of [...built.blobs, { digest: configDigest, bytes: built.config }]) {
    if ((await client.statBlob(repo, blob.digest)) !== undefined) continue;
    await client.putBlob(repo, Readable.from([blob.bytes]), { digest: blob.digest, size: blob.bytes.length });
  }
  await client.putManifest(repo, tag, built.manifest, MediaTypes.ociManifest);
  return { manifestDigest: digest, identity, storedAt: `${referenceName(repo)}:${tag}` };
}

/**
 * cosign v3's key-based bundle: a signed in-toto statement about the digest in a sigstore bundle, pushed as an OCI
 * referrer of the image (and listed in the `sha256-<hex>` referrers tag when the registry has no referrers API).
 */
async function signBundle(
  ref: ImageReference,
  subject: { readonly mediaType: string; readonly digest: Digest; readonly size: number },
  request: Extract<SignRequest, { format: 'bundle' }>,
  client: RegistryClient | undefined,
): Promise<SignResult> {
  const repo = ref.dockerReference;
  if (repo === undefined || client === undefined) {
    throw new SignError('UNSUPPORTED_DESTINATION', `sigstore bundles are stored in a registry (an OCI referrer of the image); ${ref.toString()} is not a registry image`);
  }
  const { bundle } = await createImageSignatureBundle(subject.digest, request.key);
  const referrer = buildBundleReferrer(bundle, { subject, created: (request.now ?? (() => new Date()))() });
  const { via } = await attachReferrer(client, repo, subject.digest, referrer);
  const listed = via === 'tag-schema' ? `, listed in ${referenceName(repo)}:${referrersTagFor(subject.digest)}` : '';
  return { manifestDigest: subject.digest, storedAt: `${referenceName(repo)}@${referrer.descriptor.digest} (an OCI referrer${listed})` };
}
