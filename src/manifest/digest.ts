/**
 * Manifest digests. A manifest is named by the digest of its bytes, except a signed Docker schema-1
 * manifest ("prettyjws"), which is named by the digest of its JWS payload: the manifest as it was before
 * the `signatures` member was spliced in (libtrust's ParsePrettySignature).
 */
import { digestAlgorithm, digestOf, parseDigest, type Digest, type DigestAlgorithm } from '../core/index.js';
import { detectManifestMediaType } from './detect.js';
import { ManifestError } from './errors.js';
import { decodeJson, isJsonObject, member } from './json.js';
import { MediaTypes } from './media-types.js';

function jwsError(message: string, cause?: unknown): ManifestError {
  return new ManifestError('INVALID_MANIFEST', `manifest: signatures: ${message}`, { cause });
}

/** JOSE base64url without padding; newlines and spaces are ignored, as libtrust does. */
function base64UrlDecode(value: string, what: string): Buffer {
  const s = value.replace(/[\n ]/g, '');
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw jwsError(`${what} is not valid base64url`);
  return Buffer.from(s, 'base64url');
}

/**
 * The JWS payload of a signed schema-1 manifest: the first `formatLength` bytes of the manifest followed by
 * the base64url-decoded `formatTail`, both taken from the protected header of each signature (which must
 * agree). The signatures themselves are not verified; nothing relies on them.
 */
export function schema1Payload(bytes: Uint8Array): Buffer {
  let doc: unknown;
  try {
    doc = decodeJson(bytes);
  } catch (err) {
    throw new ManifestError('INVALID_MANIFEST', 'manifest: not valid JSON', { cause: err });
  }
  if (!isJsonObject(doc)) throw new ManifestError('INVALID_MANIFEST', 'manifest: must be a JSON object');
  const signatures = member(doc, 'signatures');
  if (signatures === undefined) throw jwsError('required for a signed schema 1 manifest');
  if (!Array.isArray(signatures)) throw jwsError('must be an array');
  if (signatures.length === 0) throw jwsError('must hold at least one signature');

  let formatLength: number | undefined;
  let formatTail: Buffer | undefined;
  signatures.forEach((sig: unknown, i) => {
    if (!isJsonObject(sig)) throw jwsError(`[${i}] must be an object`);
    const protectedValue = member(sig, 'protected');
    if (typeof protectedValue !== 'string') throw jwsError(`[${i}].protected must be a string`);
    let header: unknown;
    try {
      header = decodeJson(base64UrlDecode(protectedValue, `[${i}].protected`));
    } catch (err) {
      if (err instanceof ManifestError) throw err;
      throw jwsError(`[${i}].protected is not a JSON object`, err);
    }
    if (!isJsonObject(header)) throw jwsError(`[${i}].protected is not a JSON object`);
    const length = member(header, 'formatLength');
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
      throw jwsError(`[${i}].protected: formatLength must be a non-negative integer`);
    }
    const tailValue = member(header, 'formatTail');
    if (typeof tailValue !== 'string') throw jwsError(`[${i}].protected: formatTail must be a string`);
    const tail = base64UrlDecode(tailValue, `[${i}].protected: formatTail`);
    if (formatLength === undefined || formatTail === undefined) {
      formatLength = length;
      formatTail = tail;
    } else if (formatLength !== length || !formatTail.equals(tail)) {
      throw jwsError(`[${i}].protected: formatLength/formatTail differ from those of signature 0`);
    }
  });
  if (formatLength === undefined || formatTail === undefined) throw jwsError('must hold at least one signature');
  if (formatLength > bytes.length) throw jwsError(`formatLength ${formatLength} exceeds the manifest size ${bytes.length}`);
  return Buffer.concat([Buffer.from(bytes.subarray(0, formatLength)), formatTail]);
}

/**
 * The digest that names a manifest: of its bytes, or of the JWS payload for signed schema 1.
 * Throws `INVALID_MANIFEST` when a signed schema-1 manifest's JWS structure cannot be read.
 */
export function manifestDigest(bytes: Uint8Array, alg: DigestAlgorithm = 'sha256'): Digest {
  const content = detectManifestMediaType(bytes) === MediaTypes.dockerV2S1SignedManifest ? schema1Payload(bytes) : bytes;
  return digestOf(content, alg);
}

/**
 * Whether the manifest is named by `expected` (computed with `expected`'s algorithm). False, never a throw,
 * when `expected` is not a valid digest or the manifest's digest cannot be computed.
 */
export function matchesDigest(bytes: Uint8Array, expected: Digest | string): boolean {
  try {
    const d = parseDigest(expected);
    return manifestDigest(bytes, digestAlgorithm(d)) === d;
  } catch {
    return false;
  }
}
