/**
 * Format conversion as skopeo does it when a destination does not accept the source's manifest type:
 * Docker schema 2 ↔ OCI manifest, Docker manifest list ↔ OCI index. Media types change; layers keep their
 * bytes and digests; towards OCI the config is re-encoded by the caller (`convertConfigToOci`) and passed in.
 * Schema 1 is neither converted from nor to.
 */
import type { Digest } from '../core/index.js';
import { ManifestError } from './errors.js';
import type { Descriptor, DockerManifestList, DockerV2S2Manifest, IndexManifest, Manifest, OciIndex, OciManifest, Platform } from './manifest.types.js';
import { bareMediaType, isIndexMediaType, isManifestMediaType, isSchema1MediaType, MediaTypes } from './media-types.js';
import { currentPlatform } from './platform.js';
import { serializeDockerList, serializeDockerV2S2, serializeOciIndex, serializeOciManifest } from './serialize.js';

function unsupported(message: string): ManifestError {
  return new ManifestError('UNSUPPORTED_CONVERSION', message);
}

function targetType(target: string): string {
  const t = bareMediaType(target);
  if (!isManifestMediaType(t)) throw new ManifestError('UNSUPPORTED_MANIFEST_TYPE', `unsupported manifest type "${target}"`);
  return t;
}

const dockerToOciLayer: Readonly<Record<string, string>> = {
  [MediaTypes.dockerLayerGzip]: MediaTypes.ociLayerGzip,
  [MediaTypes.dockerLayer]: MediaTypes.ociLayer,
  [MediaTypes.dockerForeignLayer]: MediaTypes.ociLayerNondistributable,
  [MediaTypes.dockerForeignLayerGzip]: MediaTypes.ociLayerNondistributableGzip,
};

const ociToDockerLayer: Readonly<Record<string, string>> = {
  [MediaTypes.ociLayerGzip]: MediaTypes.dockerLayerGzip,
  [MediaTypes.ociLayer]: MediaTypes.dockerLayer,
  [MediaTypes.ociLayerNondistributable]: MediaTypes.dockerForeignLayer,
  [MediaTypes.ociLayerNondistributableGzip]: MediaTypes.dockerForeignLayerGzip,
};

/** Descriptor members both formats carry: mediaType, digest, size, urls. */
function core(d: Descriptor, mediaType: string): Descriptor {
  const out: Descriptor = { mediaType, digest: d.digest, size: d.size };
  if (d.urls !== undefined) out.urls = d.urls;
  return out;
}

function dockerToOci(m: DockerV2S2Manifest, options: ConvertManifestOptions): Buffer {
  const layers = m.layers.map((l, i) => {
    const t = dockerToOciLayer[l.mediaType];
    if (t === undefined) throw unsupported(`layers[${i}]: media type "${l.mediaType}" has no OCI equivalent`);
    return core(l, t);
  });
  const config = options.config === undefined ? core(m.config, MediaTypes.ociConfig) : { mediaType: MediaTypes.ociConfig, ...options.config };
  return serializeOciManifest({ config, layers });
}

/** Layer annotations and manifest annotations are dropped: Docker schema 2 has no place for them. */
function ociToDocker(m: OciManifest): Buffer {
  if (m.config.mediaType !== MediaTypes.ociConfig) {
    throw unsupported(
      `config media type "${m.config.mediaType}" is not an OCI image config; only images (not artifacts) can be converted to Docker schema 2`,
    );
  }
  if (m.subject !== undefined) throw unsupported('the manifest has a subject, which Docker schema 2 cannot carry');
  if (m.artifactType !== undefined && m.artifactType !== '') {
    throw unsupported(`the manifest has artifactType "${m.artifactType}", which Docker schema 2 cannot carry`);
  }
  const layers = m.layers.map((l, i) => {
    const t = ociToDockerLayer[l.mediaType];
    if (t === undefined) {
      const why = l.mediaType.includes('zstd') ? 'zstd compression is not supported in Docker images' : 'no Docker schema 2 equivalent';
      throw unsupported(`layers[${i}]: media type "${l.mediaType}": ${why}`);
    }
    return core(l, t);
  });
  return serializeDockerV2S2(core(m.config, MediaTypes.dockerConfig), layers);
}

export interface ConvertManifestOptions {
  /**
   * The config blob the converted manifest names, when the conversion re-encoded it (Docker schema 2 → OCI
   * does, see `convertConfigToOci`); otherwise the original config is kept.
   */
  readonly config?: { readonly digest: Digest; readonly size: number };
}

/** True when converting `from` → `to` re-encodes the config blob (Docker schema 2 → OCI, as containers/image). */
export function conversionReencodesConfig(from: string, to: string): boolean {
  return bareMediaType(from) === MediaTypes.dockerV2S2Manifest && bareMediaType(to) === MediaTypes.ociManifest;
}

/**
 * The manifest re-expressed as `targetMediaType`; the original bytes when it already has that type.
 * Throws `UNSUPPORTED_CONVERSION` when the content cannot be represented (schema 1 either way; zstd or
 * encrypted layers, a subject or artifactType, or a non-image config towards Docker; single image ↔ index),
 * `UNSUPPORTED_MANIFEST_TYPE` for an unknown target.
 */
export function convertManifest(m: Manifest, targetMediaType: string, options: ConvertManifestOptions = {}): Buffer {
  const target = targetType(targetMediaType);
  if (target === m.mediaType) return Buffer.from(m.raw);
  if (m.kind === 'oci-index' || m.kind === 'docker-list') return convertIndex(m, target);
  if (m.kind === 'docker-v2s1') {
    throw unsupported(
      'a Docker schema 1 manifest cannot be converted: that needs an image config built from its history and layer contents',
    );
  }
  if (isIndexMediaType(target)) throw unsupported(`a single-image manifest cannot be converted to the index type "${target}"`);
  if (isSchema1MediaType(target)) throw unsupported('conversion to Docker schema 1 is not supported');
  return m.kind === 'docker-v2s2' ? dockerToOci(m, options) : ociToDocker(m);
}

/** What an instance became after being copied (and maybe converted): its new digest, size and type. */
export interface InstanceUpdate {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
}

export interface ConvertIndexOptions {
  /**
   * Platform for OCI index entries that have none, since every Docker list entry needs one. Default: the
   * host's OS and architecture (as containers/image does).
   */
  readonly defaultPlatform?: Platform;
}

function updatedEntries(m: IndexManifest, updates: ReadonlyMap<Digest, InstanceUpdate>): { entries: Descriptor[]; changed: boolean } {
  let changed = false;
  const entries = m.manifests.map((d) => {
    const u = updates.get(d.digest);
    if (u === undefined) return d;
    if (u.digest !== d.digest || u.size !== d.size || u.mediaType !== d.mediaType) changed = true;
    return { ...d, digest: u.digest, size: u.size, mediaType: u.mediaType };
  });
  return { entries, changed };
}

function listToIndex(entries: readonly Descriptor[]): Buffer {
  return serializeOciIndex({
    manifests: entries.map((d) => {
      const out = core(d, d.mediaType);
      if (d.platform !== undefined) {
        const { features: _dropped, ...rest } = d.platform;
        out.platform = rest;
      }
      return out;
    }),
  });
}

function indexToList(m: OciIndex, entries: readonly Descriptor[], defaultPlatform: Platform): Buffer {
  if (m.subject !== undefined) throw unsupported('the index has a subject, which a Docker manifest list cannot carry');
  if (m.artifactType !== undefined && m.artifactType !== '') {
    throw unsupported(`the index has artifactType "${m.artifactType}", which a Docker manifest list cannot carry`);
  }
  return serializeDockerList(
    entries.map((d) => {
      const out = core(d, d.mediaType);
      if (d.platform !== undefined) out.platform = d.platform;
      return out;
    }),
    defaultPlatform,
  );
}

/**
 * The index re-expressed as `targetMediaType` (OCI index or Docker manifest list), with the entries named
 * in `instanceUpdates` (keyed by their digest in `m`) replaced by what those instances became. The original
 * bytes when neither the type nor any entry changes.
 *
 * Docker list → OCI index drops the platforms' `features`; OCI index → Docker list drops annotations and
 * entry artifactTypes, and refuses (`UNSUPPORTED_CONVERSION`) an index with a subject or artifactType.
 */
export function convertIndex(
  m: OciIndex | DockerManifestList,
  targetMediaType: string,
  instanceUpdates: ReadonlyMap<Digest, InstanceUpdate> = new Map(),
  options: ConvertIndexOptions = {},
): Buffer {
  const target = targetType(targetMediaType);
  if (!isIndexMediaType(target)) throw unsupported(`an index cannot be converted to the single-image manifest type "${target}"`);
  const { entries, changed } = updatedEntries(m, instanceUpdates);
  if (target === m.mediaType && !changed) return Buffer.from(m.raw);

  if (target === MediaTypes.ociIndex) {
    if (m.kind === 'docker-list') return listToIndex(entries);
    return serializeOciIndex({ manifests: entries, subject: m.subject, artifactType: m.artifactType, annotations: m.annotations });
  }
  if (m.kind === 'docker-list') return serializeDockerList(entries, { architecture: '', os: '' });
  const host = options.defaultPlatform ?? currentPlatform();
  return indexToList(m, entries, { architecture: host.architecture, os: host.os });
}

/** Types each source type can be converted to. */
function conversionsFrom(source: string): readonly string[] {
  switch (source) {
    case MediaTypes.dockerV2S2Manifest:
      return [MediaTypes.ociManifest];
    case MediaTypes.ociManifest:
      return [MediaTypes.dockerV2S2Manifest];
    case MediaTypes.ociIndex:
      return [MediaTypes.dockerManifestList];
    case MediaTypes.dockerManifestList:
      return [MediaTypes.ociIndex];
    default:
      return [];
  }
}

/**
 * The type to convert a manifest of `sourceMediaType` to for a destination that accepts `supported`
 * (most preferred first; undefined or empty = anything). Undefined when no conversion is needed. Otherwise
 * the first convertible type in containers/image's order: Docker schema 2, then the destination's own
 * order. Throws `UNSUPPORTED_CONVERSION` when the destination accepts nothing the source can become.
 */
export function preferredConversionTarget(sourceMediaType: string, supported: readonly string[] | undefined): string | undefined {
  const source = bareMediaType(sourceMediaType);
  if (supported === undefined || supported.length === 0) return undefined;
  const accepted = supported.map(bareMediaType);
  if (accepted.includes(source)) return undefined;
  const reachable = conversionsFrom(source);
  const ordered = [...(isIndexMediaType(source) ? [] : [MediaTypes.dockerV2S2Manifest]), ...accepted];
  const choice = ordered.find((t) => accepted.includes(t) && reachable.includes(t));
  if (choice === undefined) {
    throw unsupported(`a "${source}" manifest cannot be converted to any type the destination accepts (${accepted.join(', ')})`);
  }
  return choice;
}
