/**
 * Serialisation of manifests as Go's `json.Marshal` writes containers/image's structs: compact, members in
 * struct field order, empty optional members omitted, map keys sorted.
 */
import { goMap, goMarshal } from '../core/index.js';
import type { Descriptor, Platform } from './manifest.types.js';
import { MediaTypes } from './media-types.js';

type Json = Record<string, unknown>;

function marshal(value: Json): Buffer {
  return Buffer.from(goMarshal(value), 'utf8');
}

/** A copy of an annotation map, marked to be written with sorted keys as Go writes maps. */
function annotationsJson(annotations: Record<string, string>): Json {
  const copy: Json = {};
  for (const [k, v] of Object.entries(annotations)) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
  return goMap(copy);
}

function ociPlatform(p: Platform): Json {
  const out: Json = { architecture: p.architecture, os: p.os };
  if (p['os.version'] !== undefined && p['os.version'] !== '') out['os.version'] = p['os.version'];
  if (p['os.features'] !== undefined && p['os.features'].length > 0) out['os.features'] = p['os.features'];
  if (p.variant !== undefined && p.variant !== '') out['variant'] = p.variant;
  return out;
}

function dockerPlatform(p: Platform): Json {
  const out = ociPlatform(p);
  if (p.features !== undefined && p.features.length > 0) out['features'] = p.features;
  return out;
}

export function ociDescriptorJson(d: Descriptor): Json {
  const out: Json = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls !== undefined && d.urls.length > 0) out['urls'] = d.urls;
  if (d.annotations !== undefined && Object.keys(d.annotations).length > 0) out['annotations'] = annotationsJson(d.annotations);
  if (d.data !== undefined && d.data !== '') out['data'] = d.data;
  if (d.platform !== undefined) out['platform'] = ociPlatform(d.platform);
  if (d.artifactType !== undefined && d.artifactType !== '') out['artifactType'] = d.artifactType;
  return out;
}

/** A Docker schema-2 descriptor; with `platform` for manifest-list entries (where Go always writes one). */
export function dockerDescriptorJson(d: Descriptor, platform?: Platform): Json {
  const out: Json = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.urls !== undefined && d.urls.length > 0) out['urls'] = d.urls;
  if (platform !== undefined) out['platform'] = dockerPlatform(platform);
  return out;
}

export interface OciManifestParts {
  config: Descriptor;
  layers: readonly Descriptor[];
  subject?: Descriptor | undefined;
  artifactType?: string | undefined;
  annotations?: Record<string, string> | undefined;
}

export function serializeOciManifest(parts: OciManifestParts): Buffer {
  const out: Json = { schemaVersion: 2, mediaType: MediaTypes.ociManifest };
  if (parts.artifactType !== undefined && parts.artifactType !== '') out['artifactType'] = parts.artifactType;
  out['config'] = ociDescriptorJson(parts.config);
  out['layers'] = parts.layers.map(ociDescriptorJson);
  if (parts.subject !== undefined) out['subject'] = ociDescriptorJson(parts.subject);
  if (parts.annotations !== undefined && Object.keys(parts.annotations).length > 0) out['annotations'] = annotationsJson(parts.annotations);
  return marshal(out);
}

export function serializeDockerV2S2(config: Descriptor, layers: readonly Descriptor[]): Buffer {
  return marshal({
    schemaVersion: 2,
    mediaType: MediaTypes.dockerV2S2Manifest,
    config: dockerDescriptorJson(config),
    layers: layers.map((l) => dockerDescriptorJson(l)),
  });
}

export interface OciIndexParts {
  manifests: readonly Descriptor[];
  subject?: Descriptor | undefined;
  artifactType?: string | undefined;
  annotations?: Record<string, string> | undefined;
}

/** An OCI image index, e.g. to write a new index over instances that were copied or converted. */
export function serializeOciIndex(parts: OciIndexParts): Buffer {
  const out: Json = { schemaVersion: 2, mediaType: MediaTypes.ociIndex };
  if (parts.artifactType !== undefined && parts.artifactType !== '') out['artifactType'] = parts.artifactType;
  out['manifests'] = parts.manifests.map(ociDescriptorJson);
  if (parts.subject !== undefined) out['subject'] = ociDescriptorJson(parts.subject);
  if (parts.annotations !== undefined && Object.keys(parts.annotations).length > 0) out['annotations'] = annotationsJson(parts.annotations);
  return marshal(out);
}

/** A Docker manifest list. Every entry needs a platform; `defaultPlatform` fills in for entries without one. */
export function serializeDockerList(manifests: readonly Descriptor[], defaultPlatform: Platform): Buffer {
  return marshal({
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifestList,
    manifests: manifests.map((d) => dockerDescriptorJson(d, d.platform ?? defaultPlatform)),
  });
}
