/**
 * The "atomic container signature" payload (simple signing): strict parsing as containers/image
 * signature/simple.go does it, and serialization byte-identical to its Go-map JSON.
 *
 *     {"critical":{"identity":{"docker-reference":"…"},"image":{"docker-manifest-digest":"sha256:…"},
 *      "type":"atomic container signature"},"optional":{"creator":"…","timestamp":1700000000}}
 */
import { goMap, goMarshal, JsonParseError, parseJsonTree, toPlainValue, type JsonNode } from '../core/index.js';
import { SignatureVerificationError, SigningError } from './errors.js';

/** The `critical.type` of a simple signature. */
export const simpleSigningType = 'atomic container signature';

/**
 * A parsed payload whose signature may or may not have been checked: nothing in it is to be believed until the
 * key, then the digest, then the identity have been checked, in that order.
 */
export interface UntrustedSimpleSigningPayload {
  readonly type: string;
  readonly dockerManifestDigest: string;
  readonly dockerReference: string;
  readonly creator?: string;
  readonly timestamp?: number;
  /** The whole `optional` object (null only when `allowNullOptional` was given and the payload says null). */
  readonly optional: Record<string, unknown> | null;
}

export interface ParseSimpleSigningOptions {
  /** Accept `"optional": null` (cosign writes it). Default false: simple signing requires an object. */
  readonly allowNullOptional?: boolean;
  /** The required `critical.type`. Default `atomic container signature`. */
  readonly expectedType?: string;
}

function malformed(message: string): SignatureVerificationError {
  return new SignatureVerificationError('MALFORMED_SIGNATURE', `invalid signature payload: ${message}`);
}

function where(path: string): string {
  return path === '' ? 'the top-level object' : path;
}

/**
 * ParanoidUnmarshalJSONObject: `node` must be an object without duplicate keys; `known` decides which keys are
 * allowed. Returns the members in order.
 */
function paranoidObject(node: JsonNode, path: string, known: (key: string) => boolean): Map<string, JsonNode> {
  if (node.kind !== 'object') throw malformed(`${where(path)} must be a JSON object, got ${node.kind}`);
  const members = new Map<string, JsonNode>();
  for (const [key, value] of node.entries) {
    if (members.has(key)) throw malformed(`${where(path)}: duplicate key ${JSON.stringify(key)}`);
    if (!known(key)) throw malformed(`${where(path)}: unknown key ${JSON.stringify(key)}`);
    members.set(key, value);
  }
  return members;
}

/** ParanoidUnmarshalJSONObjectExactFields: exactly the keys in `fields`, each once. */
function exactObject<K extends string>(node: JsonNode, path: string, fields: readonly K[]): Record<K, JsonNode> {
  const members = paranoidObject(node, path, (key) => (fields as readonly string[]).includes(key));
  const out = {} as Record<K, JsonNode>;
  for (const field of fields) {
    const value = members.get(field);
    if (value === undefined) throw malformed(`${where(path)}: missing key ${JSON.stringify(field)}`);
    out[field] = value;
  }
  return out;
}

/**
 * A JSON value decoded into a Go `string`: a string, or `null`, which Go's decoder leaves as the empty string.
 * Anything else is a type error.
 */
function goString(node: JsonNode, path: string): string {
  if (node.kind === 'string') return node.value;
  if (node.kind === 'null') return '';
  throw malformed(`${path} must be a string, got ${node.kind}`);
}

/** A JSON value decoded into a Go `float64` (null leaves 0). */
function goFloat(node: JsonNode, path: string): number {
  if (node.kind === 'null') return 0;
  if (node.kind !== 'number') throw malformed(`${path} must be a number, got ${node.kind}`);
  return node.value;
}

const int64Limit = 2 ** 63;

/**
 * Go's encoding/json maximum nesting depth applies to each value it decodes; containers/image decodes the members
 * of `optional` one at a time, two levels down, so those may nest 10000 deep below that.
 */
const payloadMaxDepth = 10000 + 2;

/** go-digest `Parse`: the grammar, then, for the algorithms containers/image links in, the encoded length. */
function validateGoDigest(value: string, path: string): void {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) throw malformed(`${path}: ${JSON.stringify(value)} is not a digest (algorithm:encoded)`);
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  const hexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  const want = Object.hasOwn(hexLength, algorithm) ? hexLength[algorithm] : undefined;
  if (want === undefined) {
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(value)) {
      throw malformed(`${path}: ${JSON.stringify(value)} is not a valid digest`);
    }
    throw malformed(`${path}: ${JSON.stringify(value)} uses an unsupported digest algorithm "${algorithm}"`);
  }
  if (encoded.length !== want || !/^[a-f0-9]+$/.test(encoded)) {
    throw malformed(`${path}: ${JSON.stringify(value)} must have ${want} lowercase hex characters after "${algorithm}:"`);
  }
}

/**
 * Parse a simple-signing payload as strictly as containers/image: exact key sets at every level, no duplicate
 * keys, no trailing data, the right types, the expected `type`, a valid digest. Throws
 * `SignatureVerificationError('MALFORMED_SIGNATURE')` naming the JSON path.
 */
export function parseSimpleSigningPayload(bytes: Uint8Array, options: ParseSimpleSigningOptions = {}): UntrustedSimpleSigningPayload {
  const expectedType = options.expectedType ?? simpleSigningType;
  let root: JsonNode;
  try {
    root = parseJsonTree(bytes, { maxDepth: payloadMaxDepth });
  } catch (err: unknown) {
    if (err instanceof JsonParseError) throw malformed(`not valid JSON: ${err.problem} at offset ${err.offset}`);
    throw err;
  }
  const top = exactObject(root, '', ['critical', 'optional']);

  // optional: any keys, but no duplicates; creator and timestamp typed.
  let optional: Record<string, unknown> | null = null;
  let creator: string | undefined;
  let timestamp: number | undefined;
  if (top.optional.kind === 'null' && options.allowNullOptional === true) {
    optional = null;
  } else {
    const members = paranoidObject(top.optional, 'optional', () => true);
    optional = {};
    for (const [key, node] of members) {
      let value: unknown;
      if (key === 'creator') {
        creator = goString(node, 'optional.creator');
        value = node.kind === 'null' ? null : creator;
      } else if (key === 'timestamp') {
        const f = goFloat(node, 'optional.timestamp');
        if (!Number.isInteger(f) || Math.abs(f) >= int64Limit) throw malformed(`optional.timestamp must be an integer, got ${f}`);
        timestamp = f;
        value = node.kind === 'null' ? null : f;
      } else {
        value = toPlainValue(node);
      }
      Object.defineProperty(optional, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }

  const critical = exactObject(top.critical, 'critical', ['type', 'image', 'identity']);
  const type = goString(critical.type, 'critical.type');
  if (type !== expectedType) {
    throw malformed(`critical.type is ${JSON.stringify(type)}, expected ${JSON.stringify(expectedType)}`);
  }
  const image = exactObject(critical.image, 'critical.image', ['docker-manifest-digest']);
  const digestPath = 'critical.image.docker-manifest-digest';
  const dockerManifestDigest = goString(image['docker-manifest-digest'], digestPath);
  validateGoDigest(dockerManifestDigest, digestPath);
  const identity = exactObject(critical.identity, 'critical.identity', ['docker-reference']);
  const dockerReference = goString(identity['docker-reference'], 'critical.identity.docker-reference');

  return {
    type,
    dockerManifestDigest,
    dockerReference,
    ...(creator === undefined ? {} : { creator }),
    ...(timestamp === undefined ? {} : { timestamp }),
    optional,
  };
}

export interface SimpleSigningPayloadInput {
  readonly dockerManifestDigest: string;
  readonly dockerReference: string;
  readonly creator?: string;
  /** Seconds since the epoch (an integer). */
  readonly timestamp?: number;
}

/**
 * The payload bytes containers/image writes: compact JSON with Go-map key order (critical, optional; identity,
 * image, type) and Go's HTML escaping.
 */
export function serializeSimpleSigningPayload(input: SimpleSigningPayloadInput): Buffer {
  if (input.dockerManifestDigest === '' || input.dockerReference === '') {
    throw new SigningError('SIGNING_FAILED', 'a simple signature needs a manifest digest and a docker reference');
  }
  if (input.timestamp !== undefined && !Number.isSafeInteger(input.timestamp)) {
    throw new SigningError('SIGNING_FAILED', `signature timestamp must be an integer number of seconds, got ${input.timestamp}`);
  }
  const optional: Record<string, unknown> = goMap({});
  if (input.creator !== undefined) optional['creator'] = input.creator;
  if (input.timestamp !== undefined) optional['timestamp'] = input.timestamp;
  const payload = goMap({
    critical: goMap({
      type: simpleSigningType,
      image: goMap({ 'docker-manifest-digest': input.dockerManifestDigest }),
      identity: goMap({ 'docker-reference': input.dockerReference }),
    }),
    optional,
  });
  return Buffer.from(goMarshal(payload), 'utf8');
}
