/**
 * Strict parsing of manifests of all five formats. Unknown members are ignored (the OCI spec requires
 * it); wrong types, missing required members, bad digests and sizes are `INVALID_MANIFEST` errors that
 * name the JSON path.
 */
import { limits } from '../core/index.js';
import { schema1Payload } from './digest.js';
import { detectFromDocument } from './detect.js';
import { ManifestError } from './errors.js';
import { decodeJson, isJsonObject, member, type JsonObject } from './json.js';
import type {
  Descriptor,
  DockerManifestList,
  DockerV2S1Manifest,
  DockerV2S2Manifest,
  Manifest,
  OciIndex,
  OciManifest,
  Schema1FsLayer,
  Schema1History,
} from './manifest.types.js';
import { bareMediaType, isManifestMediaType, isSchema1MediaType, MediaTypes } from './media-types.js';
import {
  describe,
  descriptorAt,
  digestValue,
  invalid,
  objectAt,
  optionalBoolean,
  optionalString,
  optionalStringMap,
  rejectCaseVariants,
  requiredArray,
  requiredString,
  schemaVersionOf,
  mediaTypeValue,
} from './validate.js';

/** Media types that say nothing about a manifest's format; content detection decides instead. */
const uninformativeTypes: readonly string[] = ['', 'text/plain', 'application/json'];

/**
 * The effective manifest type for a media type reported by a transport: the type itself (parameters
 * dropped), or — when it is empty, `text/plain` or `application/json` — the type detected from `bytes`
 * ('' when not recognisable).
 */
export function effectiveManifestMediaType(bytes: Uint8Array, reported?: string): string {
  const bare = bareMediaType(reported ?? '');
  if (!uninformativeTypes.includes(bare)) return bare;
  try {
    return detectFromDocument(decodeJson(bytes));
  } catch {
    return '';
  }
}

/** The members that identify each format; a manifest carrying another format's members is ambiguous. */
const formatMembers = ['config', 'layers', 'fsLayers', 'history', 'manifests'] as const;
const allowedFormatMembers: Record<Manifest['kind'], readonly string[]> = {
  'oci-manifest': ['config', 'layers'],
  'docker-v2s2': ['config', 'layers'],
  'oci-index': ['manifests'],
  'docker-list': ['manifests'],
  'docker-v2s1': ['fsLayers', 'history'],
};

const topLevelFields: Record<Manifest['kind'], readonly string[]> = {
  'oci-manifest': ['schemaVersion', 'mediaType', 'artifactType', 'config', 'layers', 'subject', 'annotations'],
  'docker-v2s2': ['schemaVersion', 'mediaType', 'config', 'layers'],
  'oci-index': ['schemaVersion', 'mediaType', 'artifactType', 'manifests', 'subject', 'annotations'],
  'docker-list': ['schemaVersion', 'mediaType', 'manifests'],
  'docker-v2s1': ['schemaVersion', 'mediaType', 'name', 'tag', 'architecture', 'fsLayers', 'history', 'signatures'],
};

function kindOf(mediaType: string): Manifest['kind'] {
  switch (mediaType) {
    case MediaTypes.ociManifest:
      return 'oci-manifest';
    case MediaTypes.dockerV2S2Manifest:
      return 'docker-v2s2';
    case MediaTypes.ociIndex:
      return 'oci-index';
    case MediaTypes.dockerManifestList:
      return 'docker-list';
    default:
      return 'docker-v2s1';
  }
}

/**
 * Parse and validate a manifest. `mediaType` is the type reported by the transport; when it is missing or
 * uninformative (`text/plain`, `application/json`) the type is detected from the content.
 *
 * Throws `ManifestError`: `TOO_LARGE`, `INVALID_MANIFEST`, `UNSUPPORTED_MANIFEST_TYPE`, or
 * `MANIFEST_TYPE_MISMATCH` when the content declares (or looks like) a different type than the one given.
 */
export function parseManifest(bytes: Uint8Array, mediaType?: string): Manifest {
  if (bytes.length > limits.manifestBytes) {
    throw new ManifestError('TOO_LARGE', `manifest: ${bytes.length} bytes is larger than the limit of ${limits.manifestBytes} bytes`);
  }
  let doc: unknown;
  try {
    doc = decodeJson(bytes);
  } catch (err) {
    throw invalid('', `not valid JSON (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (!isJsonObject(doc)) throw invalid('', `must be a JSON object, got ${describe(doc)}`);

  const reported = bareMediaType(mediaType ?? '');
  const effective = uninformativeTypes.includes(reported) ? detectFromDocument(doc) : reported;
  if (effective === '') {
    throw new ManifestError('UNSUPPORTED_MANIFEST_TYPE', 'manifest: the manifest type cannot be determined from the content');
  }
  if (!isManifestMediaType(effective)) {
    throw new ManifestError('UNSUPPORTED_MANIFEST_TYPE', `manifest: unsupported manifest type "${effective}"`);
  }
  const kind = kindOf(effective);
  checkDeclaredType(doc, effective);
  checkUnambiguous(doc, kind, effective);
  rejectCaseVariants(doc, topLevelFields[kind], '');

  const raw = Buffer.from(bytes);
  switch (kind) {
    case 'oci-manifest':
      return parseOciManifest(doc, effective, raw);
    case 'docker-v2s2':
      return parseDockerV2S2(doc, effective, raw);
    case 'oci-index':
      return parseOciIndex(doc, effective, raw);
    case 'docker-list':
      return parseDockerList(doc, effective, raw);
    case 'docker-v2s1':
      return parseSchema1(doc, effective, raw);
  }
}

/** The `mediaType` member, when present and non-empty, must agree with the type the manifest was delivered as. */
function checkDeclaredType(doc: JsonObject, effective: string): void {
  const declared = optionalString(doc, 'mediaType', '') ?? '';
  if (declared === '' || declared === effective) return;
  if (isSchema1MediaType(declared) && isSchema1MediaType(effective)) return;
  throw new ManifestError('MANIFEST_TYPE_MISMATCH', `manifest: mediaType is "${declared}" but the manifest was delivered as "${effective}"`);
}

/** Reject content that also carries the identifying members of another format (containers/image does the same). */
function checkUnambiguous(doc: JsonObject, kind: Manifest['kind'], effective: string): void {
  const allowed = allowedFormatMembers[kind];
  const unexpected = formatMembers.filter((f) => !allowed.includes(f) && (member(doc, f) ?? null) !== null);
  if (unexpected.length > 0) {
    throw new ManifestError(
      'MANIFEST_TYPE_MISMATCH',
      `manifest: delivered as "${effective}" but has member${unexpected.length > 1 ? 's' : ''} ${unexpected.map((f) => `"${f}"`).join(', ')} of another manifest format`,
    );
  }
}

const manifestOrIndexTypes: readonly string[] = [
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
  MediaTypes.dockerV2S2Manifest,
  MediaTypes.dockerManifestList,
  MediaTypes.dockerV2S1Manifest,
  MediaTypes.dockerV2S1SignedManifest,
];

function layersAt(doc: JsonObject, dialect: 'oci' | 'docker'): Descriptor[] {
  return requiredArray(doc, 'layers', '').map((value, i) => {
    const path = `layers[${i}]`;
    const d = descriptorAt(value, path, { dialect, platform: dialect === 'oci' });
    if (manifestOrIndexTypes.includes(d.mediaType)) {
      throw invalid(`${path}.mediaType`, `"${d.mediaType}" is a manifest type, not a layer type`);
    }
    return d;
  });
}

function entriesAt(doc: JsonObject, dialect: 'oci' | 'docker'): Descriptor[] {
  return requiredArray(doc, 'manifests', '').map((value, i) => descriptorAt(value, `manifests[${i}]`, { dialect, platform: true }));
}

function ociExtras(doc: JsonObject, target: { subject?: Descriptor; artifactType?: string; annotations?: Record<string, string> }): void {
  const subject = member(doc, 'subject') ?? undefined;
  if (subject !== undefined) target.subject = descriptorAt(subject, 'subject', { dialect: 'oci', platform: true });
  const artifactType = optionalString(doc, 'artifactType', '');
  if (artifactType !== undefined) target.artifactType = mediaTypeValue(artifactType, 'artifactType');
  const annotations = optionalStringMap(doc, 'annotations', '');
  if (annotations !== undefined) target.annotations = annotations;
}

function parseOciManifest(doc: JsonObject, mediaType: string, raw: Buffer): OciManifest {
  schemaVersionOf(doc, 2);
  const config = descriptorAt(member(doc, 'config'), 'config', { dialect: 'oci', platform: true });
  const m: OciManifest = { kind: 'oci-manifest', mediaType, raw, config, layers: layersAt(doc, 'oci') };
  ociExtras(doc, m);
  return m;
}

function requireDeclaredType(doc: JsonObject, mediaType: string): void {
  if ((optionalString(doc, 'mediaType', '') ?? '') === '') throw invalid('mediaType', `required (expected "${mediaType}")`);
}

const dockerLayerTypes: readonly string[] = [
  MediaTypes.dockerLayerGzip,
  MediaTypes.dockerLayer,
  MediaTypes.dockerForeignLayer,
  MediaTypes.dockerForeignLayerGzip,
];

function parseDockerV2S2(doc: JsonObject, mediaType: string, raw: Buffer): DockerV2S2Manifest {
  schemaVersionOf(doc, 2);
  requireDeclaredType(doc, mediaType);
  const config = descriptorAt(member(doc, 'config'), 'config', { dialect: 'docker', platform: false });
  if (config.mediaType !== MediaTypes.dockerConfig) {
    throw invalid('config.mediaType', `expected "${MediaTypes.dockerConfig}", got "${config.mediaType}"`);
  }
  const layers = layersAt(doc, 'docker');
  layers.forEach((l, i) => {
    if (!dockerLayerTypes.includes(l.mediaType)) {
      throw invalid(`layers[${i}].mediaType`, `"${l.mediaType}" is not a Docker schema 2 layer type`);
    }
  });
  return { kind: 'docker-v2s2', mediaType, raw, config, layers };
}

function parseOciIndex(doc: JsonObject, mediaType: string, raw: Buffer): OciIndex {
  schemaVersionOf(doc, 2);
  const m: OciIndex = { kind: 'oci-index', mediaType, raw, manifests: entriesAt(doc, 'oci') };
  ociExtras(doc, m);
  return m;
}

function parseDockerList(doc: JsonObject, mediaType: string, raw: Buffer): DockerManifestList {
  schemaVersionOf(doc, 2);
  requireDeclaredType(doc, mediaType);
  return { kind: 'docker-list', mediaType, raw, manifests: entriesAt(doc, 'docker') };
}

const v1IdGrammar = /^[a-f0-9]{64}$/;

interface V1Compat {
  id: string;
  parent: string;
}

function parseSchema1(doc: JsonObject, mediaType: string, raw: Buffer): DockerV2S1Manifest {
  schemaVersionOf(doc, 1);
  const name = optionalString(doc, 'name', '') ?? '';
  const tag = optionalString(doc, 'tag', '') ?? '';
  const architecture = optionalString(doc, 'architecture', '') ?? '';
  const fsLayers: Schema1FsLayer[] = requiredArray(doc, 'fsLayers', '').map((value, i) => {
    const path = `fsLayers[${i}]`;
    const obj = objectAt(value, path);
    rejectCaseVariants(obj, ['blobSum'], path);
    return { blobSum: digestValue(member(obj, 'blobSum'), `${path}.blobSum`) };
  });
  const compat: V1Compat[] = [];
  const history: Schema1History[] = requiredArray(doc, 'history', '').map((value, i) => {
    const path = `history[${i}]`;
    const obj = objectAt(value, path);
    rejectCaseVariants(obj, ['v1Compatibility'], path);
    const v1Compatibility = requiredString(obj, 'v1Compatibility', path);
    compat.push(parseV1Compatibility(v1Compatibility, `${path}.v1Compatibility`));
    return { v1Compatibility };
  });
  if (fsLayers.length === 0) throw invalid('fsLayers', 'must not be empty');
  if (history.length !== fsLayers.length) {
    throw invalid('history', `must have one entry per fsLayers entry (${fsLayers.length}), got ${history.length}`);
  }
  checkV1Chain(compat);

  const signatures = member(doc, 'signatures') ?? null;
  const signed = signatures !== null;
  if (signed) schema1Payload(raw);
  return { kind: 'docker-v2s1', mediaType, raw, name, tag, architecture, fsLayers, history, signed };
}

function parseV1Compatibility(text: string, path: string): V1Compat {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid(path, 'is not valid JSON', err);
  }
  const obj = objectAt(value, path);
  const id = requiredString(obj, 'id', path);
  if (!v1IdGrammar.test(id)) throw invalid(`${path}.id`, `${describe(id)} is not a valid image ID (64 lowercase hex characters)`);
  const parent = optionalString(obj, 'parent', path) ?? '';
  optionalBoolean(obj, 'throwaway', path);
  return { id, parent };
}

/**
 * The v1 IDs must form a chain from the top layer to the base (docker pull's rules): the base has no
 * parent, each entry's parent is the next entry's ID, and an ID may repeat only in consecutive entries.
 */
function checkV1Chain(compat: readonly V1Compat[]): void {
  const last = compat[compat.length - 1];
  if (last !== undefined && last.parent !== '') {
    throw invalid(`history[${compat.length - 1}].v1Compatibility.parent`, `the base layer must have no parent, got "${last.parent}"`);
  }
  const seen = new Set<string>();
  let previous = '';
  compat.forEach((c, i) => {
    if (c.id !== previous && seen.has(c.id)) throw invalid(`history[${i}].v1Compatibility.id`, `ID "${c.id}" appears more than once`);
    seen.add(c.id);
    previous = c.id;
  });
  for (let i = 0; i < compat.length - 1; i++) {
    const here = compat[i] as V1Compat;
    const below = compat[i + 1] as V1Compat;
    if (here.id !== below.id && here.parent !== below.id) {
      throw invalid(`history[${i}].v1Compatibility.parent`, `expected "${below.id}", got "${here.parent}"`);
    }
  }
}

/** Whether a parsed manifest is an index or manifest list. */
export function isIndexManifest(m: Manifest): m is OciIndex | DockerManifestList {
  return m.kind === 'oci-index' || m.kind === 'docker-list';
}
