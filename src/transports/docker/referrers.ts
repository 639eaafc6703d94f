/**
 * OCI referrers (distribution spec 1.1): the manifests whose `subject` is an image. Read from the referrers API
 * (`GET /v2/<name>/referrers/<digest>`), or — when the registry has none and answers anything but 200 — from the
 * referrers tag schema, an OCI index at the tag `<alg>-<hex>`. Attaching a referrer pushes its blobs and its
 * manifest by digest and, without the API, adds it to that index (read, modify, write; existing entries kept).
 */
import { Readable } from 'node:stream';
import { digestAlgorithm, digestHex, limits, readAllCapped, type Digest } from '../../core/index.js';
import { ManifestError, MediaTypes, parseManifest, serializeOciIndex, type Descriptor } from '../../manifest/index.js';
import { checkRepositoryPath, type RegistryClient, type RepositoryRef } from './client.js';
import { isNotFoundError } from './errors.js';

/** Where a registry keeps the referrers of a manifest. */
export type ReferrersSource = 'referrers-api' | 'tag-schema';

export interface ReferrersList {
  readonly via: ReferrersSource;
  /** The descriptors of the referrer manifests, as the index lists them (`artifactType`, annotations). */
  readonly manifests: readonly Descriptor[];
}

/** The referrers tag schema's tag for `subject`: `sha256-<hex>`. */
export function referrersTagFor(subject: Digest): string {
  return `${digestAlgorithm(subject)}-${digestHex(subject)}`;
}

function asIndex(bytes: Buffer, what: string): Descriptor[] {
  const parsed = parseManifest(bytes, MediaTypes.ociIndex);
  if (parsed.kind !== 'oci-index') throw new ManifestError('UNSUPPORTED_MANIFEST_TYPE', `${what} is a ${parsed.mediaType}, not an OCI image index`);
  return parsed.manifests;
}

/** The referrers of `subject` in `repo`: the API's answer, else the tag schema's index (none when the tag is absent). */
export async function listReferrers(client: RegistryClient, repo: RepositoryRef, subject: Digest): Promise<ReferrersList> {
  const res = await client.request(repo, {
    method: 'GET',
    path: `/v2/${checkRepositoryPath(repo.path)}/referrers/${subject}`,
    headers: { accept: MediaTypes.ociIndex },
  });
  if (res.status === 200) {
    const bytes = await readAllCapped(res.body, limits.manifestBytes, `referrers of ${subject}`);
    return { via: 'referrers-api', manifests: asIndex(bytes, `the referrers API's answer for ${subject}`) };
  }
  res.body.resume();
  const tag = referrersTagFor(subject);
  let bytes: Buffer;
  try {
    bytes = (await client.getManifest(repo, tag)).bytes;
  } catch (err: unknown) {
    if (isNotFoundError(err)) return { via: 'tag-schema', manifests: [] };
    throw err;
  }
  return { via: 'tag-schema', manifests: asIndex(bytes, `the referrers tag ${tag}`) };
}

export interface ReferrerToAttach {
  readonly manifest: Buffer;
  /** The manifest's descriptor (with `artifactType` and annotations) for the referrers index. */
  readonly descriptor: Descriptor;
  readonly blobs: readonly { readonly digest: Digest; readonly bytes: Buffer }[];
}

/**
 * Push a referrer of `subject`: its blobs (those the registry lacks), its manifest by digest, and — when the registry
 * has no referrers API — its descriptor into the index at the referrers tag, keeping the entries already there.
 */
export async function attachReferrer(client: RegistryClient, repo: RepositoryRef, subject: Digest, referrer: ReferrerToAttach): Promise<{ readonly via: ReferrersSource }> {
  for (const blob of referrer.blobs) {
    if ((await client.statBlob(repo, blob.digest)) !== undefined) continue;
    await client.putBlob(repo, Readable.from([blob.bytes]), { digest: blob.digest, size: blob.bytes.length });
  }
  await client.putManifest(repo, referrer.descriptor.digest, referrer.manifest, referrer.descriptor.mediaType);
  const current = await listReferrers(client, repo, subject);
  if (current.via === 'referrers-api') return { via: current.via };
  if (!current.manifests.some((d) => d.digest === referrer.descriptor.digest)) {
    const index = serializeOciIndex({ manifests: [...current.manifests, referrer.descriptor] });
    await client.putManifest(repo, referrersTagFor(subject), index, MediaTypes.ociIndex);
  }
  return { via: current.via };
}
