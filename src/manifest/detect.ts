/** Guessing the type of a manifest from its content (containers/image GuessMIMEType semantics). */
import { decodeJson, isJsonObject, member } from './json.js';
import { MediaTypes } from './media-types.js';

const typesNamedByField: readonly string[] = [
  MediaTypes.dockerV2S2Manifest,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
];

/**
 * The media type of a manifest judged from its content, or '' when it is not recognisable.
 *
 * - A `mediaType` member naming a v2s2 manifest, manifest list, OCI manifest or OCI index wins.
 * - `schemaVersion` 1 is schema 1: signed (`…+prettyjws`) if a `signatures` member is present and not null.
 * - `schemaVersion` 2 without such a `mediaType` (OCI before image-spec 1.0.2 did not require one): the config's
 *   media type decides (OCI or Docker config); otherwise a non-empty `manifests` array means an OCI index;
 *   anything else is taken to be an OCI manifest (an artifact with a custom config type).
 *
 * Members of the wrong JSON type make the content unrecognisable, as they make Go's decoder fail.
 */
export function detectManifestMediaType(bytes: Uint8Array): string {
  let doc: unknown;
  try {
    doc = decodeJson(bytes);
  } catch {
    return '';
  }
  return detectFromDocument(doc);
}

/** `detectManifestMediaType` for an already decoded document. */
export function detectFromDocument(doc: unknown): string {
  if (!isJsonObject(doc)) return '';
  const mediaType = member(doc, 'mediaType') ?? '';
  const schemaVersion = member(doc, 'schemaVersion') ?? 0;
  if (typeof mediaType !== 'string' || typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion)) return '';
  if (typesNamedByField.includes(mediaType)) return mediaType;

  if (schemaVersion === 1) {
    return (member(doc, 'signatures') ?? null) !== null ? MediaTypes.dockerV2S1SignedManifest : MediaTypes.dockerV2S1Manifest;
  }
  if (schemaVersion !== 2) return '';

  const config = member(doc, 'config') ?? null;
  if (config !== null && !isJsonObject(config)) return '';
  const configType = config === null ? '' : (member(config, 'mediaType') ?? '');
  if (typeof configType !== 'string') return '';
  if (configType === MediaTypes.ociConfig) return MediaTypes.ociManifest;
  if (configType === MediaTypes.dockerConfig) return MediaTypes.dockerV2S2Manifest;

  const manifests = member(doc, 'manifests') ?? null;
  if (manifests !== null && !Array.isArray(manifests)) return '';
  if (Array.isArray(manifests) && manifests.length > 0) {
    // containers/image returns the config's media type here, which is never a manifest type; say "unknown".
    return configType === '' ? MediaTypes.ociIndex : '';
  }
  return MediaTypes.ociManifest;
}
