/**
 * The cosign signature payload ("simple signing" with type `cosign container image signature`), as sigstore's
 * payload.Cosign marshals it and containers/image's sigstore path parses it.
 */
import { goMap, goMarshal, parseDigest, type Digest } from '../../core/index.js';
import { SignatureVerificationError } from '../errors.js';
import { exactFields, isJsonObject, jsonTypeName, parseStrictJson, stringAt, StrictJsonError, type JsonObject } from './json.js';

export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

/**
 * The payload bytes cosign signs: `{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},
 * "type":"cosign container image signature"},"optional":…}` — compact, HTML-escaped as Go does, `optional` null
 * without annotations, else the annotations with sorted keys.
 */
export function cosignPayload(dockerReference: string, manifestDigest: Digest, annotations?: Record<string, string>): Buffer {
  const optional = annotations === undefined || Object.keys(annotations).length === 0 ? null : goMap({ ...annotations });
  return Buffer.from(
    goMarshal({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': manifestDigest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional,
    }),
    'utf8',
  );
}

/** What a cosign payload claims. Untrusted until its signature has been verified. */
export interface CosignPayload {
  readonly dockerManifestDigest: Digest;
  readonly dockerReference: string;
  /** `null` when the payload says `"optional": null` (cosign without annotations). */
  readonly optional: JsonObject | null;
}

function malformed(message: string, cause?: unknown): SignatureVerificationError {
  return new SignatureVerificationError('MALFORMED_SIGNATURE', `cosign payload: ${message}`, cause === undefined ? undefined : { cause });
}

function parse(bytes: Uint8Array): CosignPayload {
  const top = exactFields(parseStrictJson(bytes), ['critical', 'optional'], '$');
  const optional = top.optional;
  if (optional !== null) {
    if (!isJsonObject(optional)) throw new StrictJsonError('$.optional', `expected an object or null, got ${jsonTypeName(optional)}`);
    if ('creator' in optional) stringAt(optional['creator'], '$.optional.creator');
    if ('timestamp' in optional) {
      const t = optional['timestamp'];
      if (typeof t !== 'number') throw new StrictJsonError('$.optional.timestamp', `expected a number, got ${jsonTypeName(t)}`);
      if (!Number.isInteger(t)) throw new StrictJsonError('$.optional.timestamp', `expected an integer, got ${t}`);
    }
  }
  const critical = exactFields(top.critical, ['type', 'image', 'identity'], '$.critical');
  const type = stringAt(critical.type, '$.critical.type');
  if (type !== COSIGN_SIGNATURE_TYPE) {
    throw new StrictJsonError('$.critical.type', `unrecognized signature type "${type}" (expected "${COSIGN_SIGNATURE_TYPE}")`);
  }
  const image = exactFields(critical.image, ['docker-manifest-digest'], '$.critical.image');
  const digestText = stringAt(image['docker-manifest-digest'], '$.critical.image["docker-manifest-digest"]');
  let dockerManifestDigest: Digest;
  try {
    dockerManifestDigest = parseDigest(digestText, '$.critical.image["docker-manifest-digest"]');
  } catch (err: unknown) {
    throw malformed(err instanceof Error ? err.message : String(err), err);
  }
  const identity = exactFields(critical.identity, ['docker-reference'], '$.critical.identity');
  const dockerReference = stringAt(identity['docker-reference'], '$.critical.identity["docker-reference"]');
  return { dockerManifestDigest, dockerReference, optional };
}

/**
 * Parse a cosign payload strictly: exact keys at every level of `critical`, no duplicate keys anywhere, `optional`
 * null or an object (its `creator` a string and `timestamp` an integer when present). Throws
 * `SignatureVerificationError('MALFORMED_SIGNATURE')` naming the JSON path.
 */
export function parseCosignPayload(bytes: Uint8Array): CosignPayload {
  try {
    return parse(bytes);
  } catch (err: unknown) {
    if (err instanceof StrictJsonError) throw malformed(err.message, err);
    throw err;
  }
}
