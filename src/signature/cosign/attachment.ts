/**
 * The `sha256-<hex>.sig` attachment: an OCI image manifest whose layers are cosign payloads, each carrying its
 * signature (and certificate, chain, Rekor bundle) in annotations. Built the way containers/image's
 * putSignaturesToSigstoreAttachments builds it (read-modify-write, duplicate layers skipped), or, on request, with
 * the byte layout cosign (go-containerregistry) writes.
 */
import { digestHex, digestOf, goMap, goMarshal, limits, parseDigest, type Digest } from '../../core/index.js';
import { SignatureVerificationError } from '../errors.js';
import { childJsonPath, integerAt, isJsonObject, jsonTypeName, parseStrictJson, stringAt, StrictJsonError, type JsonObject, type JsonValue } from './json.js';

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
export const COSIGN_SIGNATURE_LAYER_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

export const CosignAnnotations = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

/** Go's zero time.Time, which go-containerregistry writes as `created` in cosign's config. */
const goZeroTime = '0001-01-01T00:00:00Z';

/** The tag cosign and containers/image use for the signatures of `manifestDigest`: `sha256-<hex>.sig`. */
export function sigTagFor(manifestDigest: Digest): string {
  const d = parseDigest(manifestDigest);
  return `${d.slice(0, d.indexOf(':'))}-${digestHex(d)}.sig`;
}

export interface SignatureLayer {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
  readonly annotations: Record<string, string>;
}

export interface NewSignatureLayer {
  readonly payload: Buffer;
  readonly annotations: Record<string, string>;
  /** Default: the cosign simple-signing payload type; `.att` layers are DSSE envelopes. */
  readonly mediaType?: string;
}

export interface BuiltSignatureManifest {
  readonly manifest: Buffer;
  readonly config: Buffer;
  /** The payload blobs of the layers added (not the config); already-present duplicates are not repeated. */
  readonly blobs: { digest: Digest; bytes: Buffer }[];
}

export interface BuildSignatureManifestOptions {
  /**
   * Layout of a new manifest and config. `containers-image` (default): descriptors `mediaType, digest, size`, config
   * `{"architecture":"","os":"","config":{},"rootfs":…}`. `cosign`: go-containerregistry's descriptors
   * `mediaType, size, digest` and config with zero `created` and one history entry per layer.
   */
  readonly style?: 'containers-image' | 'cosign';
}

function malformed(message: string, cause?: unknown): SignatureVerificationError {
  return new SignatureVerificationError('MALFORMED_SIGNATURE', `signature manifest: ${message}`, cause === undefined ? undefined : { cause });
}

const manifestFields = ['schemaVersion', 'mediaType', 'artifactType', 'config', 'layers', 'subject', 'annotations'];
const descriptorFields = ['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'platform', 'artifactType'];

function checkKnownFields(obj: JsonObject, known: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new StrictJsonError(childJsonPath(path, k), 'unknown field');
  }
}

function stringMap(value: JsonValue | undefined, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) throw new StrictJsonError(path, `expected an object, got ${jsonTypeName(value)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = stringAt(v, childJsonPath(path, k));
  return out;
}

function parseDescriptor(value: JsonValue | undefined, path: string): SignatureLayer {
  if (!isJsonObject(value)) throw new StrictJsonError(path, `expected an object, got ${jsonTypeName(value)}`);
  checkKnownFields(value, descriptorFields, path);
  const mediaType = stringAt(value['mediaType'], `${path}.mediaType`);
  const digestText = stringAt(value['digest'], `${path}.digest`);
  let digest: Digest;
  try {
    digest = parseDigest(digestText, `${path}.digest`);
  } catch (err: unknown) {
    throw new StrictJsonError(`${path}.digest`, err instanceof Error ? err.message : String(err));
  }
  const size = integerAt(value['size'], `${path}.size`);
  if (size < 0) throw new StrictJsonError(`${path}.size`, `negative size ${size}`);
  return { mediaType, digest, size, annotations: stringMap(value['annotations'], `${path}.annotations`) };
}

interface ParsedManifest {
  readonly object: JsonObject;
  readonly config: SignatureLayer;
  readonly layers: SignatureLayer[];
  readonly rawLayers: JsonObject[];
}

function parseManifestObject(bytes: Uint8Array): ParsedManifest {
  if (bytes.length > limits.manifestBytes) throw malformed(`${bytes.length} bytes exceeds the ${limits.manifestBytes}-byte limit`);
  let doc: JsonValue;
  try {
    doc = parseStrictJson(bytes);
  } catch (err: unknown) {
    if (err instanceof StrictJsonError) throw malformed(err.message, err);
    throw err;
  }
  if (!isJsonObject(doc)) throw malformed(`$: expected an object, got ${jsonTypeName(doc)}`);
  const mediaType = doc['mediaType'];
  if (mediaType !== undefined && mediaType !== OCI_MANIFEST_MEDIA_TYPE) {
    throw new SignatureVerificationError(
      'UNSUPPORTED_FORMAT',
      `signature manifest: media type ${typeof mediaType === 'string' ? `"${mediaType}"` : jsonTypeName(mediaType)} is not "${OCI_MANIFEST_MEDIA_TYPE}"`,
    );
  }
  try {
    checkKnownFields(doc, manifestFields, '$');
    if (doc['schemaVersion'] !== 2) throw new StrictJsonError('$.schemaVersion', `expected 2, got ${JSON.stringify(doc['schemaVersion'] ?? null)}`);
    const config = parseDescriptor(doc['config'], '$.config');
    if (config.mediaType !== OCI_CONFIG_MEDIA_TYPE) {
      throw new SignatureVerificationError(
        'UNSUPPORTED_FORMAT',
        `signature manifest: config media type "${config.mediaType}" is not "${OCI_CONFIG_MEDIA_TYPE}"`,
      );
    }
    const layersValue = doc['layers'];
    if (!Array.isArray(layersValue)) throw new StrictJsonError('$.layers', `expected an array, got ${jsonTypeName(layersValue)}`);
    if (layersValue.length > limits.signatureCount) {
      throw new StrictJsonError('$.layers', `${layersValue.length} layers exceeds the limit of ${limits.signatureCount} signatures`);
    }
    const layers = layersValue.map((l, i) => parseDescriptor(l, `$.layers[${i}]`));
    return { object: doc, config, layers, rawLayers: layersValue as JsonObject[] };
  } catch (err: unknown) {
    if (err instanceof StrictJsonError) throw malformed(err.message, err);
    throw err;
  }
}

/**
 * Parse the manifest of a `.sig` tag. Refuses anything but an OCI image manifest with an OCI config
 * (`UNSUPPORTED_FORMAT`; cosign's `COSIGN_DOCKER_MEDIA_TYPES` output is refused as containers/image does) and
 * malformed JSON or descriptors (`MALFORMED_SIGNATURE`). Layers of other media types are returned as they are; the
 * caller decides which it understands.
 */
export function parseSignatureManifest(bytes: Uint8Array): { layers: SignatureLayer[] } {
  return { layers: parseManifestObject(bytes).layers };
}

function sameAnnotations(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

function descriptorJson(style: 'containers-image' | 'cosign', d: SignatureLayer, withAnnotations: boolean): JsonObject {
  const annotations = withAnnotations && Object.keys(d.annotations).length > 0 ? goMap({ ...d.annotations }) : undefined;
  const base =
    style === 'cosign'
      ? { mediaType: d.mediaType, size: d.size, digest: d.digest as string }
      : { mediaType: d.mediaType, digest: d.digest as string, size: d.size };
  return (annotations === undefined ? base : { ...base, annotations }) as JsonObject;
}

function parseConfig(bytes: Uint8Array): JsonObject {
  if (bytes.length > limits.configBytes) throw malformed(`config: ${bytes.length} bytes exceeds the ${limits.configBytes}-byte limit`);
  try {
    const doc = parseStrictJson(bytes);
    if (!isJsonObject(doc)) throw new StrictJsonError('$', `expected an object, got ${jsonTypeName(doc)}`);
    const rootfs = doc['rootfs'];
    if (rootfs !== undefined && rootfs !== null) {
      if (!isJsonObject(rootfs)) throw new StrictJsonError('$.rootfs', `expected an object, got ${jsonTypeName(rootfs)}`);
      const diffIds = rootfs['diff_ids'];
      if (diffIds !== undefined && diffIds !== null && !Array.isArray(diffIds)) {
        throw new StrictJsonError('$.rootfs.diff_ids', `expected an array, got ${jsonTypeName(diffIds)}`);
      }
    }
    const history = doc['history'];
    if (history !== undefined && history !== null && !Array.isArray(history)) {
      throw new StrictJsonError('$.history', `expected an array, got ${jsonTypeName(history)}`);
    }
    return doc;
  } catch (err: unknown) {
    if (err instanceof StrictJsonError) throw malformed(`config: ${err.message}`, err);
    throw err;
  }
}

/**
 * Add signature layers to a `.sig` manifest (or start one when `existing` is undefined), skipping any layer equal
 * to one already present in media type, size, digest and annotations (containers/image's rule). The config's
 * `rootfs.diff_ids` gains the digest of each added layer. An existing manifest and config keep every other member
 * as they were.
 */
export function buildSignatureManifest(
  existing: { manifest: Uint8Array; config: Uint8Array } | undefined,
  newLayers: readonly NewSignatureLayer[],
  options: BuildSignatureManifestOptions = {},
): BuiltSignatureManifest {
  const style = options.style ?? 'containers-image';
  let manifestObject: JsonObject;
  let configObject: JsonObject;
  const layers: SignatureLayer[] = [];
  const layerJson: JsonValue[] = [];
  if (existing === undefined) {
    manifestObject = { schemaVersion: 2, mediaType: OCI_MANIFEST_MEDIA_TYPE, config: null, layers: [] };
    configObject =
      style === 'cosign'
        ? { architecture: '', created: goZeroTime, history: [], os: '', rootfs: { type: 'layers', diff_ids: [] }, config: {} }
        : { architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } };
  } else {
    const parsed = parseManifestObject(existing.manifest);
    manifestObject = parsed.object;
    configObject = parseConfig(existing.config);
    layers.push(...parsed.layers);
    layerJson.push(...parsed.rawLayers);
  }
  let rootfs = configObject['rootfs'];
  if (!isJsonObject(rootfs)) {
    rootfs = { type: 'layers', diff_ids: [] };
    configObject['rootfs'] = rootfs;
  }
  const diffIds: JsonValue[] = Array.isArray(rootfs['diff_ids']) ? rootfs['diff_ids'] : [];
  rootfs['diff_ids'] = diffIds;
  const history = configObject['history'];

  const blobs: { digest: Digest; bytes: Buffer }[] = [];
  for (const add of newLayers) {
    const layer: SignatureLayer = {
      mediaType: add.mediaType ?? COSIGN_SIGNATURE_LAYER_MEDIA_TYPE,
      digest: digestOf(add.payload),
      size: add.payload.length,
      annotations: { ...add.annotations },
    };
    const present = layers.some(
      (l) => l.mediaType === layer.mediaType && l.size === layer.size && l.digest === layer.digest && sameAnnotations(l.annotations, layer.annotations),
    );
    if (present) continue;
    if (layers.length >= limits.signatureCount) {
      throw new SignatureVerificationError('MALFORMED_SIGNATURE', `the attachment already holds ${layers.length} layers, the limit`);
    }
    layers.push(layer);
    layerJson.push(descriptorJson(style, layer, true));
    diffIds.push(layer.digest);
    if (style === 'cosign' && Array.isArray(history)) history.push({ created: goZeroTime });
    blobs.push({ digest: layer.digest, bytes: add.payload });
  }

  const config = Buffer.from(goMarshal(configObject), 'utf8');
  const configDescriptor: SignatureLayer = { mediaType: OCI_CONFIG_MEDIA_TYPE, digest: digestOf(config), size: config.length, annotations: {} };
  manifestObject['config'] = descriptorJson(style, configDescriptor, false);
  manifestObject['layers'] = layerJson;
  return { manifest: Buffer.from(goMarshal(manifestObject), 'utf8'), config, blobs };
}

