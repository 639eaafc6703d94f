/**
 * `tree`: every supply-chain artifact attached to an image, from every place they live — cosign's
 * `sha256-<hex>.sig|.att|.sbom` tags, OCI referrers (the referrers API, else the `sha256-<hex>` tag schema), and
 * simple signatures (lookaside storage or the registry's signature extension). Nothing here is verified; it
 * is an inventory (`verify` decides what to trust).
 */
import { referenceName, type Digest } from '../core/index.js';
import { parseManifest } from '../manifest/index.js';
import type { RegistriesConfig } from '../policy/index.js';
import { DockerImageSource, isNotFoundError, listReferrers, openImage, type ImageReference, type RegistryClient, type SystemContext } from '../transports/index.js';
import { collectSignatures } from '../verify/index.js';

export interface TreeLayer {
  readonly digest: string;
  readonly mediaType: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface AttachmentTag {
  readonly kind: 'signatures' | 'attestations' | 'sboms';
  /** `repo:sha256-<hex>.sig` etc. */
  readonly tag: string;
  readonly layers: readonly TreeLayer[];
}

export interface Referrer {
  readonly digest: string;
  readonly artifactType: string;
  readonly via: 'referrers-api' | 'tag-schema';
}

export interface SimpleSignatureEntry {
  readonly index: number;
  readonly source: string;
  readonly format: string;
}

export interface ImageTree {
  readonly image: string;
  readonly manifestDigest: Digest;
  readonly attachments: readonly AttachmentTag[];
  readonly referrers: readonly Referrer[];
  readonly simpleSignatures: readonly SimpleSignatureEntry[];
}

const suffixes = [
  ['signatures', 'sig'],
  ['attestations', 'att'],
  ['sboms', 'sbom'],
] as const;

export async function imageTree(ref: ImageReference, options: { context?: SystemContext; registries: RegistriesConfig }): Promise<ImageTree> {
  const { source: src, digest } = await openImage(ref, options.context ?? {});
  try {
    // Referrers are listed below from the referrers index itself.
    const candidates = await collectSignatures(src, digest, { registries: options.registries, bundles: false, ...(src instanceof DockerImageSource ? { client: src.registryClient } : {}) });
    const simpleSignatures = candidates
      .filter((c) => c.source !== 'sigstore-attachment' && c.source !== 'referrer')
      .map((c) => ({ index: c.index, source: c.source, format: c.format }));
    const repo = ref.dockerReference;
    if (!(src instanceof DockerImageSource) || repo === undefined) {
      return { image: ref.toString(), manifestDigest: digest, attachments: [], referrers: [], simpleSignatures };
    }
    const client = src.registryClient;
    const hex = digest.slice(digest.indexOf(':') + 1);
    const algo = digest.slice(0, digest.indexOf(':'));
    const attachments: AttachmentTag[] = [];
    for (const [kind, suffix] of suffixes) {
      const tag = `${algo}-${hex}.${suffix}`;
      const m = await optionalManifest(client, repo, tag);
      if (m === undefined) continue;
      const parsed = parseManifest(m.bytes, m.mediaType);
      const layers = parsed.kind === 'oci-manifest' || parsed.kind === 'docker-v2s2' ? parsed.layers : [];
      attachments.push({
        kind,
        tag: `${referenceName(repo)}:${tag}`,
        layers: layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, ...(l.annotations === undefined ? {} : { annotations: l.annotations }) })),
      });
    }
    return { image: ref.toString(), manifestDigest: digest, attachments, referrers: await referrers(client, repo, digest), simpleSignatures };
  } finally {
    await src.close();
  }
}

async function optionalManifest(client: RegistryClient, repo: Parameters<RegistryClient['getManifest']>[0], tag: string): Promise<{ bytes: Buffer; mediaType: string } | undefined> {
  try {
    return await client.getManifest(repo, tag);
  } catch (err) {
    if (isNotFoundError(err)) return undefined;
    throw err;
  }
}

/** The referrers of the image (the referrers API, else the `sha256-<hex>` tag schema), named by artifact type. */
async function referrers(client: RegistryClient, repo: Parameters<RegistryClient['getManifest']>[0], digest: Digest): Promise<Referrer[]> {
  const { via, manifests } = await listReferrers(client, repo, digest);
  return manifests.map((m) => ({
    digest: m.digest,
    artifactType: m.artifactType ?? m.annotations?.['dev.sigstore.bundle.predicateType'] ?? m.mediaType,
    via,
  }));
}

const headings: Record<AttachmentTag['kind'], string> = {
  signatures: '🔐 Signatures for an image tag',
  attestations: '💾 Attestations for an image tag',
  sboms: '📦 SBOMs for an image tag',
};

/** cosign tree's layout, plus the simple signatures cosign does not know about. */
export function renderTree(tree: ImageTree): string {
  const lines = [`📦 Supply Chain Security Related artifacts for an image: ${tree.image}`];
  for (const a of tree.attachments) {
    lines.push(`└── ${headings[a.kind]}: ${a.tag}`);
    for (const l of a.layers) lines.push(`   └── 🍒 ${l.digest}`);
  }
  for (const r of tree.referrers) lines.push(`└── 🔗 ${r.artifactType} artifacts via OCI referrer: ${r.digest}`);
  if (tree.simpleSignatures.length > 0) {
    lines.push(`└── 🔏 Simple signatures of ${tree.manifestDigest}`);
    for (const s of tree.simpleSignatures) lines.push(`   └── signature-${s.index} (${s.format}, from ${s.source})`);
  }
  if (lines.length === 1) lines.push(`No supply chain security related artifacts found for ${tree.image}`);
  return lines.join('\n') + '\n';
}
