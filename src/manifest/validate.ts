/**
 * Field validators for manifest JSON. Each takes the JSON path of the value it checks and throws
 * `INVALID_MANIFEST` with a message naming that path and the expected and actual values.
 */
import { CoreInputError, digestAlgorithm, digestOf, parseDigest, type Digest } from '../core/index.js';
import { ManifestError } from './errors.js';
import { isJsonObject, member, type JsonObject } from './json.js';
import type { Descriptor, Platform } from './manifest.types.js';

/** Sizes above this are rejected as absurd (1 PiB); it also keeps every size an exact JS number. */
export const MAX_DESCRIPTOR_SIZE = 2 ** 50;

const mediaTypeGrammar = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function invalid(path: string, message: string, cause?: unknown): ManifestError {
  return new ManifestError('INVALID_MANIFEST', path === '' ? `manifest: ${message}` : `manifest: ${path}: ${message}`, { cause });
}

/** A short rendering of a JSON value for "got …" in messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return String(value);
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function foldEqual(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
}

/**
 * Reject members whose names differ from a known field only in case. Go's decoder matches field names
 * case-insensitively, so a Go consumer could read `Layers` where we read `layers`; refusing such
 * documents keeps every reader seeing the same manifest. Other unknown members are ignored.
 */
export function rejectCaseVariants(obj: JsonObject, known: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const twin = known.find((k) => foldEqual(k, key));
    if (twin !== undefined) throw invalid(join(path, key), `member name differs only in case from "${twin}"`);
  }
}

export function objectAt(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) throw invalid(path, `must be an object, got ${describe(value)}`);
  return value;
}

export function requiredString(obj: JsonObject, key: string, path: string): string {
  const v = member(obj, key);
  if (typeof v !== 'string') throw invalid(join(path, key), v === undefined ? 'required' : `must be a string, got ${describe(v)}`);
  return v;
}

/** An optional string; JSON null counts as absent (as for Go). */
export function optionalString(obj: JsonObject, key: string, path: string): string | undefined {
  const v = member(obj, key) ?? undefined;
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(join(path, key), `must be a string, got ${describe(v)}`);
  return v;
}

export function optionalBoolean(obj: JsonObject, key: string, path: string): boolean | undefined {
  const v = member(obj, key) ?? undefined;
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalid(join(path, key), `must be a boolean, got ${describe(v)}`);
  return v;
}

export function requiredArray(obj: JsonObject, key: string, path: string): unknown[] {
  const v = member(obj, key);
  if (!Array.isArray(v)) throw invalid(join(path, key), v === undefined ? 'required' : `must be an array, got ${describe(v)}`);
  return v;
}

export function optionalStringArray(obj: JsonObject, key: string, path: string): string[] | undefined {
  const v = member(obj, key) ?? undefined;
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw invalid(join(path, key), `must be an array of strings, got ${describe(v)}`);
  return v.map((item, i) => {
    if (typeof item !== 'string') throw invalid(`${join(path, key)}[${i}]`, `must be a string, got ${describe(item)}`);
    return item;
  });
}

export function optionalStringMap(obj: JsonObject, key: string, path: string): Record<string, string> | undefined {
  const v = member(obj, key) ?? undefined;
  if (v === undefined) return undefined;
  const p = join(path, key);
  const map = objectAt(v, p);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(map)) {
    if (typeof value !== 'string') throw invalid(`${p}[${JSON.stringify(k)}]`, `must be a string, got ${describe(value)}`);
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function schemaVersionOf(obj: JsonObject, expected: number): void {
  const v = member(obj, 'schemaVersion');
  if (v === undefined) throw invalid('schemaVersion', `required (expected ${expected})`);
  if (v !== expected) throw invalid('schemaVersion', `expected ${expected}, got ${describe(v)}`);
}

export function mediaTypeValue(value: string, path: string): string {
  if (!mediaTypeGrammar.test(value)) throw invalid(path, `${describe(value)} is not a valid media type`);
  return value;
}

export function digestValue(value: unknown, path: string): Digest {
  if (typeof value !== 'string') throw invalid(path, value === undefined ? 'required' : `must be a digest string, got ${describe(value)}`);
  try {
    return parseDigest(value, path);
  } catch (err) {
    const unsupported = err instanceof CoreInputError && err.code === 'UNSUPPORTED_DIGEST_ALGORITHM';
    throw invalid(path, `${describe(value)} is not a valid digest${unsupported ? ' (unsupported algorithm; sha256 and sha512 are)' : ''}`, err);
  }
}

export function sizeValue(value: unknown, path: string): number {
  if (value === undefined) throw invalid(path, 'required');
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(path, `must be a non-negative integer, got ${describe(value)}`);
  }
  if (value > MAX_DESCRIPTOR_SIZE) throw invalid(path, `must be at most 2^50 (${MAX_DESCRIPTOR_SIZE}), got ${value}`);
  return value;
}

const platformFields = ['architecture', 'os', 'os.version', 'os.features', 'variant', 'features'] as const;

export function platformAt(value: unknown, path: string, dialect: 'oci' | 'docker'): Platform {
  const obj = objectAt(value, path);
  rejectCaseVariants(obj, platformFields, path);
  const platform: Platform = { architecture: requiredString(obj, 'architecture', path), os: requiredString(obj, 'os', path) };
  const osVersion = optionalString(obj, 'os.version', path);
  if (osVersion !== undefined) platform['os.version'] = osVersion;
  const osFeatures = optionalStringArray(obj, 'os.features', path);
  if (osFeatures !== undefined) platform['os.features'] = osFeatures;
  const variant = optionalString(obj, 'variant', path);
  if (variant !== undefined) platform.variant = variant;
  if (dialect === 'docker') {
    const features = optionalStringArray(obj, 'features', path);
    if (features !== undefined) platform.features = features;
  }
  return platform;
}

const descriptorFields = ['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'platform', 'artifactType'] as const;
const base64Grammar = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface DescriptorOptions {
  /** `docker` descriptors carry only mediaType, size, digest, urls (and platform in lists); other members are ignored. */
  readonly dialect: 'oci' | 'docker';
  /** Read `platform` (index and list entries; any OCI descriptor). */
  readonly platform: boolean;
}

export function descriptorAt(value: unknown, path: string, options: DescriptorOptions): Descriptor {
  const obj = objectAt(value, path);
  rejectCaseVariants(obj, descriptorFields, path);
  const mediaType = mediaTypeValue(requiredString(obj, 'mediaType', path), join(path, 'mediaType'));
  const digest = digestValue(member(obj, 'digest'), join(path, 'digest'));
  const size = sizeValue(member(obj, 'size'), join(path, 'size'));
  const d: Descriptor = { mediaType, digest, size };

  const urls = optionalStringArray(obj, 'urls', path);
  if (urls !== undefined) {
    urls.forEach((u, i) => {
      if (!URL.canParse(u)) throw invalid(`${join(path, 'urls')}[${i}]`, `${describe(u)} is not a valid URL`);
    });
    d.urls = urls;
  }
  const platform = member(obj, 'platform') ?? undefined;
  if (options.platform && platform !== undefined) d.platform = platformAt(platform, join(path, 'platform'), options.dialect);
  if (options.dialect === 'docker') return d;

  const annotations = optionalStringMap(obj, 'annotations', path);
  if (annotations !== undefined) d.annotations = annotations;
  const artifactType = optionalString(obj, 'artifactType', path);
  if (artifactType !== undefined) d.artifactType = mediaTypeValue(artifactType, join(path, 'artifactType'));
  const data = optionalString(obj, 'data', path);
  if (data !== undefined) {
    const p = join(path, 'data');
    if (!base64Grammar.test(data)) throw invalid(p, 'must be base64 (standard alphabet, padded)');
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length !== size) throw invalid(p, `holds ${bytes.length} bytes but size is ${size}`);
    const actual = digestOf(bytes, digestAlgorithm(digest));
    if (actual !== digest) throw invalid(p, `content has digest ${actual}, expected ${digest}`);
    d.data = data;
  }
  return d;
}
