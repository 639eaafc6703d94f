/** Reading and updating a layout's `oci-layout` and `index.json`. */
import { limits } from '../../core/index.js';
import { MediaTypes, parseManifest, type OciIndex } from '../../manifest/index.js';
import { TransportError } from '../errors.js';
import { readFileCapped } from '../fs-atomic.js';
import { IMAGE_LAYOUT_VERSION, REF_NAME_ANNOTATION, indexPath, ociLayoutPath } from './layout.js';

/** A parsed `index.json`: the validated view and the raw JSON document (to rewrite without losing members). */
export interface LayoutIndex {
  readonly parsed: OciIndex;
  readonly document: Record<string, unknown> & { manifests: Record<string, unknown>[] };
}

/**
 * Read and validate `index.json`; undefined when the file does not exist. Throws `INVALID_LAYOUT` when it
 * is not a valid OCI index, `TOO_LARGE` beyond `limits.layoutIndexBytes`.
 */
export async function readLayoutIndex(dir: string): Promise<LayoutIndex | undefined> {
  const path = indexPath(dir);
  const bytes = await readFileCapped(path, limits.layoutIndexBytes, path);
  if (bytes === undefined) return undefined;
  let parsed;
  try {
    parsed = parseManifest(bytes, MediaTypes.ociIndex);
  } catch (err) {
    throw new TransportError('INVALID_LAYOUT', `${path} is not a valid OCI index: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      path,
    });
  }
  if (parsed.kind !== 'oci-index') {
    throw new TransportError('INVALID_LAYOUT', `${path} is not an OCI index (it parsed as ${parsed.kind})`, { path });
  }
  const document = JSON.parse(bytes.toString('utf8')) as LayoutIndex['document'];
  return { parsed, document };
}

/** A new, empty `index.json` document. */
export function emptyIndexDocument(): LayoutIndex['document'] {
  return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
}

/**
 * Validate `oci-layout`; returns false when it does not exist. Throws `INVALID_LAYOUT` unless it is a JSON
 * object whose `imageLayoutVersion` is a 1.x version string.
 */
export async function checkOciLayoutFile(dir: string): Promise<boolean> {
  const path = ociLayoutPath(dir);
  const bytes = await readFileCapped(path, limits.layoutIndexBytes, path);
  if (bytes === undefined) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new TransportError('INVALID_LAYOUT', `${path} is not valid JSON`, { cause: err, path });
  }
  const version = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>).imageLayoutVersion : undefined;
  if (typeof version !== 'string') {
    throw new TransportError('INVALID_LAYOUT', `${path}: imageLayoutVersion must be a string`, { path });
  }
  if (!/^1\.[0-9]+\.[0-9]+$/.test(version)) {
    throw new TransportError('INVALID_LAYOUT', `${path}: unsupported imageLayoutVersion "${version}" (expected ${IMAGE_LAYOUT_VERSION})`, { path });
  }
  return true;
}

/** The ref name annotation of an index entry, or undefined. */
export function refNameOf(entry: Record<string, unknown>): string | undefined {
  const annotations = entry.annotations;
  if (typeof annotations !== 'object' || annotations === null) return undefined;
  const name = (annotations as Record<string, unknown>)[REF_NAME_ANNOTATION];
  return typeof name === 'string' ? name : undefined;
}

/**
 * Put `entry` into the document: with a ref name, every entry carrying the same name is replaced; without
 * one, an unnamed entry for the same digest is replaced; otherwise the entry is appended.
 */
export function upsertIndexEntry(document: LayoutIndex['document'], entry: Record<string, unknown>): void {
  const name = refNameOf(entry);
  const kept =
    name !== undefined
      ? document.manifests.filter((m) => refNameOf(m) !== name)
      : document.manifests.filter((m) => !(m.digest === entry.digest && refNameOf(m) === undefined));
  kept.push(entry);
  document.manifests = kept;
}
