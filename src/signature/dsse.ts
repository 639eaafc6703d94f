/**
 * DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1) and the in-toto Statement it carries in cosign
 * attestations. Pure functions of bytes and keys.
 *
 * - PAE: `DSSEv1 <len(type)> <type> <len(body)> <body>`, lengths in bytes, ASCII decimal; the signature is over
 *   these bytes (ECDSA ASN.1 DER / RSA PKCS#1 v1.5 over SHA-256, Ed25519 pure — as cosign key-based signing).
 * - The envelope is written as go-securesystemslib's `dsse.Envelope` marshals it (what cosign up to v3.0 stores
 *   in `.att` layers): `{"payloadType":…,"payload":…,"signatures":[{"keyid":"","sig":…}]}`. cosign v3.1 writes the
 *   protobuf-specs struct instead (`payload` first, no empty `keyid`); both are read.
 * - The statement is built as cosign's `attestation.GenerateStatement` builds it: `_type`
 *   `https://in-toto.io/Statement/v0.1`, one subject `{name: <repository>, digest: {sha256: <hex>}}`.
 */
import { createHash, createPublicKey, publicDecrypt, constants as cryptoConstants, type KeyObject } from 'node:crypto';
import { digestAlgorithm, digestHex, goMap, goMarshal, limits, type Digest } from '../core/index.js';
import { SignatureVerificationError } from './errors.js';
import { publicKeyHint, signCosignPayload, verifyCosignSignature } from './cosign/index.js';
import { isEcdsaDerSignature } from './cosign/der.js';
import { childJsonPath, exactFields, isJsonObject, jsonTypeName, parseStrictJson, stringAt, StrictJsonError, type JsonObject, type JsonValue } from './cosign/json.js';

/** The payload type of an in-toto statement in a DSSE envelope. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The media type of a `.att` layer: the blob is a DSSE envelope. */
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
/** The statement type cosign's `attest` writes (in-toto-golang `StatementInTotoV01`). */
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
/** The statement type of in-toto attestation v1. */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** DSSEv1 pre-authentication encoding of `payloadType` (as UTF-8) and `payload`. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

/**
 * Sign `payload` as `payloadType` and return the envelope JSON (one signature). `keyid` is an unauthenticated
 * hint; cosign leaves it empty.
 */
export function signDsse(payloadType: string, payload: Uint8Array, privateKey: KeyObject, keyid = ''): Buffer {
  const sig = signCosignPayload(pae(payloadType, payload), privateKey);
  return Buffer.from(
    goMarshal({
      payloadType,
      payload: Buffer.from(payload).toString('base64'),
      signatures: [{ keyid, sig: sig.toString('base64') }],
    }),
    'utf8',
  );
}

export interface UntrustedDsseSignature {
  /** `''` when the envelope has none (unset and empty mean the same). */
  readonly keyid: string;
  readonly sig: Buffer;
}

/** A parsed envelope. Nothing in it is trusted until `verifyDsse` has checked a signature. */
export interface UntrustedDsseEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly UntrustedDsseSignature[];
}

function malformed(what: string, message: string, cause?: unknown): SignatureVerificationError {
  return new SignatureVerificationError('MALFORMED_SIGNATURE', `${what}: ${message}`, cause === undefined ? undefined : { cause });
}

const standardBase64 = /^[A-Za-z0-9+/]*={0,2}$/;
const urlSafeBase64 = /^[A-Za-z0-9_-]*={0,2}$/;

/** Standard or URL-safe base64, padded or not (DSSE: verifiers must accept either alphabet), one alphabet per value. */
export function decodeDsseBase64(value: JsonValue | undefined, path: string): Buffer {
  const text = stringAt(value, path);
  if (!standardBase64.test(text) && !urlSafeBase64.test(text)) throw new StrictJsonError(path, 'not valid base64');
  const padded = text.endsWith('=');
  if ((padded && text.length % 4 !== 0) || (!padded && text.length % 4 === 1)) throw new StrictJsonError(path, 'not valid base64');
  return Buffer.from(text, 'base64');
}

/**
 * Parse a DSSE envelope strictly: exactly `payloadType`, `payload` and `signatures` (an array of at least one
 * `{sig, keyid?}`), no duplicate or unknown keys, base64 that decodes, no empty signature. Throws
 * `SignatureVerificationError('MALFORMED_SIGNATURE')` naming the JSON path.
 */
export function parseDsseEnvelope(bytes: Uint8Array): UntrustedDsseEnvelope {
  if (bytes.length > limits.signatureBytes) throw malformed('DSSE envelope', `${bytes.length} bytes exceeds the ${limits.signatureBytes}-byte limit`);
  try {
    const top = exactFields(parseStrictJson(bytes), ['payloadType', 'payload', 'signatures'], '$');
    const payloadType = stringAt(top.payloadType, '$.payloadType');
    const payload = decodeDsseBase64(top.payload, '$.payload');
    if (!Array.isArray(top.signatures)) throw new StrictJsonError('$.signatures', `expected an array, got ${jsonTypeName(top.signatures)}`);
    if (top.signatures.length === 0) throw new StrictJsonError('$.signatures', 'expected at least one signature, got none');
    if (top.signatures.length > limits.signatureCount) {
      throw new StrictJsonError('$.signatures', `${top.signatures.length} signatures exceeds the limit of ${limits.signatureCount}`);
    }
    const signatures = top.signatures.map((s, i): UntrustedDsseSignature => {
      const path = `$.signatures[${i}]`;
      if (!isJsonObject(s)) throw new StrictJsonError(path, `expected an object, got ${jsonTypeName(s)}`);
      const fields = 'keyid' in s ? exactFields(s, ['keyid', 'sig'], path) : exactFields(s, ['sig'], path);
      const keyid = 'keyid' in fields ? stringAt(fields.keyid as JsonValue, `${path}.keyid`) : '';
      const sig = decodeDsseBase64(fields.sig, `${path}.sig`);
      if (sig.length === 0) throw new StrictJsonError(`${path}.sig`, 'empty signature');
      return { keyid, sig };
    });
    return { payloadType, payload, signatures };
  } catch (err: unknown) {
    if (err instanceof StrictJsonError) throw malformed('DSSE envelope', err.message, err);
    throw err;
  }
}

/** What `verifyDsse` vouches for: the signed payload type and bytes, and which key signed them. */
export interface VerifiedDsse {
  readonly payloadType: string;
  readonly payload: Buffer;
  /** `key <base64 SHA-256 of the SPKI DER>`, as Signet names cosign keys elsewhere. */
  readonly signer: string;
}

/** The ids a DSSE `keyid` may use for a key: base64 (sigstore `publicKey.hint`) or hex (securesystemslib) SHA-256 of the SPKI DER. */
function keyIds(key: KeyObject): string[] {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  const hash = createHash('sha256').update(der).digest();
  return [hash.toString('base64'), hash.toString('hex')];
}

/** SHA-256 DigestInfo prefix of an RSA PKCS#1 v1.5 signature (RFC 8017 §9.2 note 1). */
const sha256DigestInfo = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** True when `sig` opens with `key` to a well-formed SHA-256 PKCS#1 v1.5 block: the key made it, over something else. */
function rsaKeyMadeSignature(sig: Buffer, key: KeyObject): boolean {
  if (key.asymmetricKeyType !== 'rsa') return false;
  try {
    const block = publicDecrypt({ key, padding: cryptoConstants.RSA_PKCS1_PADDING }, sig);
    return block.length === sha256DigestInfo.length + 32 && block.subarray(0, sha256DigestInfo.length).equals(sha256DigestInfo);
  } catch {
    return false;
  }
}

/**
 * Verify an envelope: accepted when any signature verifies with any of `publicKeys` over PAE(payloadType,
 * payload). When none does, the error is `BAD_SIGNATURE` if there is evidence that one of the keys made a
 * signature over other bytes (its `keyid` names a given key, or an RSA signature opens with one), else
 * `KEY_NOT_TRUSTED` — an ECDSA or Ed25519 signature without a `keyid` (cosign's) cannot tell a tampered payload
 * from a foreign key. `MALFORMED_SIGNATURE` when the envelope cannot be parsed or no signature can be decoded.
 */
export function verifyDsse(envelope: UntrustedDsseEnvelope | Uint8Array, publicKeys: readonly KeyObject[]): VerifiedDsse {
  const env = envelope instanceof Uint8Array ? parseDsseEnvelope(envelope) : envelope;
  const signed = pae(env.payloadType, env.payload);
  const keys = publicKeys.map((k) => (k.type === 'private' ? createPublicKey(k) : k));
  const ids = keys.map(keyIds);
  let malformedCount = 0;
  let lastMalformed: unknown;
  let ownedByGivenKey = false;
  let foreignKeyid: string | undefined;
  for (const s of env.signatures) {
    const sigBase64 = s.sig.toString('base64');
    let decodable = false;
    for (const [i, key] of keys.entries()) {
      try {
        verifyCosignSignature(signed, sigBase64, key);
        return { payloadType: env.payloadType, payload: env.payload, signer: `key ${publicKeyHint(key)}` };
      } catch (err: unknown) {
        if (!(err instanceof SignatureVerificationError)) throw err;
        if (err.code === 'MALFORMED_SIGNATURE') {
          lastMalformed = err;
          continue;
        }
        decodable = true;
        if ((s.keyid !== '' && ids[i]?.includes(s.keyid) === true) || rsaKeyMadeSignature(s.sig, key)) ownedByGivenKey = true;
      }
    }
    // Malformed for every given key, and not an ECDSA signature some other key could have made.
    if (!decodable && keys.length > 0 && !isEcdsaDerSignature(s.sig)) malformedCount++;
    if (s.keyid !== '' && !ids.some((k) => k.includes(s.keyid))) foreignKeyid = s.keyid;
  }
  if (keys.length > 0 && malformedCount === env.signatures.length) {
    throw malformed('DSSE envelope', `no signature can be decoded: ${lastMalformed instanceof Error ? lastMalformed.message : String(lastMalformed)}`, lastMalformed);
  }
  if (ownedByGivenKey) {
    throw new SignatureVerificationError('BAD_SIGNATURE', 'the DSSE signature was made by a given key but does not verify over this payload type and payload');
  }
  const tried = `${keys.length} given key${keys.length === 1 ? '' : 's'}`;
  throw new SignatureVerificationError(
    'KEY_NOT_TRUSTED',
    foreignKeyid !== undefined ? `the DSSE envelope is signed by key id ${foreignKeyid}, which is not among the ${tried}` : `no signature in the DSSE envelope verifies with the ${tried}`,
    foreignKeyid === undefined ? undefined : { signer: foreignKeyid },
  );
}

/** One subject of a statement: a name (optional in v1) and its digests by algorithm. */
export interface StatementSubject {
  readonly name?: string;
  readonly digest: Readonly<Record<string, string>>;
}

/** A parsed in-toto statement; untrusted unless it came out of `verifyDsse`. */
export interface UntrustedStatement {
  readonly type: string;
  readonly subject: readonly StatementSubject[];
  readonly predicateType: string;
  /** `undefined` when the statement has no predicate. */
  readonly predicate: JsonValue | undefined;
}

export interface BuildStatementOptions {
  readonly predicateType: string;
  /** A JSON object, or a string for cosign's legacy text predicates (`--type spdx`). */
  readonly predicate: JsonValue;
  /** The repository, as cosign names it (`registry/path`). */
  readonly subjectName: string;
  /** `sha256:<hex>`; cosign subjects carry only SHA-256. */
  readonly digest: Digest;
}

/** Go's map key order (bytewise over UTF-8), which protojson uses for `google.protobuf.Struct` fields. */
function goKeyOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A JSON value as protojson writes a `google.protobuf.Value`: compact, object keys in Go map order, no HTML escaping. */
function protoJsonValue(value: JsonValue): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('a predicate number must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(protoJsonValue).join(',')}]`;
  const keys = Object.keys(value).sort(goKeyOrder);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${protoJsonValue(value[k] as JsonValue)}`).join(',')}}`;
}

/**
 * The statement bytes cosign's `attest` signs. An object predicate: protojson's field order `_type, subject,
 * predicateType, predicate`, with the predicate's keys sorted (it passes through `structpb.Struct`). A string
 * predicate: cosign's legacy path, encoding/json of a map (keys sorted, HTML characters escaped). protojson
 * may add a space after commas depending on the cosign binary; this writes the compact form.
 */
export function buildStatement(options: BuildStatementOptions): Buffer {
  if (digestAlgorithm(options.digest) !== 'sha256') throw new TypeError(`a cosign statement subject needs a sha256 digest, got ${options.digest}`);
  const hex = digestHex(options.digest);
  if (typeof options.predicate === 'string') {
    return Buffer.from(
      goMarshal(
        goMap({
          _type: IN_TOTO_STATEMENT_V01,
          subject: [{ name: options.subjectName === '' ? undefined : options.subjectName, digest: { sha256: hex } }],
          predicateType: options.predicateType,
          predicate: options.predicate,
        }),
      ),
      'utf8',
    );
  }
  if (!isJsonObject(options.predicate)) throw new TypeError(`a statement predicate is a JSON object or a string, got ${jsonTypeName(options.predicate)}`);
  // ResourceDescriptor is a message: its fields in declaration order (name, digest), an empty name omitted.
  const subject = `${options.subjectName === '' ? '{' : `{"name":${JSON.stringify(options.subjectName)},`}"digest":{"sha256":${JSON.stringify(hex)}}}`;
  const text =
    `{"_type":${JSON.stringify(IN_TOTO_STATEMENT_V01)},"subject":[${subject}],` +
    `"predicateType":${JSON.stringify(options.predicateType)},"predicate":${protoJsonValue(options.predicate)}}`;
  return Buffer.from(text, 'utf8');
}

const resourceDescriptorFields = ['name', 'uri', 'digest', 'content', 'downloadLocation', 'mediaType', 'annotations'];

function parseSubject(value: JsonValue, path: string): StatementSubject {
  if (!isJsonObject(value)) throw new StrictJsonError(path, `expected an object, got ${jsonTypeName(value)}`);
  for (const k of Object.keys(value)) {
    if (!resourceDescriptorFields.includes(k)) throw new StrictJsonError(childJsonPath(path, k), 'unknown field');
  }
  const digestValue = value['digest'];
  if (!isJsonObject(digestValue)) throw new StrictJsonError(`${path}.digest`, `expected an object, got ${jsonTypeName(digestValue)}`);
  const digest: Record<string, string> = {};
  for (const [alg, v] of Object.entries(digestValue)) digest[alg] = stringAt(v, childJsonPath(`${path}.digest`, alg));
  if (Object.keys(digest).length === 0) throw new StrictJsonError(`${path}.digest`, 'expected at least one digest, got none');
  if (value['name'] === undefined) return { digest };
  return { name: stringAt(value['name'], `${path}.name`), digest };
}

/**
 * Parse an in-toto statement (v0.1 or v1): `_type`, `subject` (a non-empty array of resource descriptors with
 * a `digest` map), `predicateType` and an optional `predicate`; no unknown or duplicate keys. Throws
 * `SignatureVerificationError('MALFORMED_SIGNATURE')` naming the JSON path.
 */
export function parseStatement(bytes: Uint8Array): UntrustedStatement {
  if (bytes.length > limits.signatureBytes) throw malformed('in-toto statement', `${bytes.length} bytes exceeds the ${limits.signatureBytes}-byte limit`);
  try {
    const doc = parseStrictJson(bytes);
    if (!isJsonObject(doc)) throw new StrictJsonError('$', `expected an object, got ${jsonTypeName(doc)}`);
    const top: JsonObject = 'predicate' in doc ? exactFields(doc, ['_type', 'subject', 'predicateType', 'predicate'], '$') : exactFields(doc, ['_type', 'subject', 'predicateType'], '$');
    const type = stringAt(top['_type'], '$._type');
    if (type !== IN_TOTO_STATEMENT_V01 && type !== IN_TOTO_STATEMENT_V1) {
      throw new StrictJsonError('$._type', `expected "${IN_TOTO_STATEMENT_V01}" or "${IN_TOTO_STATEMENT_V1}", got ${JSON.stringify(type)}`);
    }
    const subjects = top['subject'];
    if (!Array.isArray(subjects)) throw new StrictJsonError('$.subject', `expected an array, got ${jsonTypeName(subjects)}`);
    if (subjects.length === 0) throw new StrictJsonError('$.subject', 'expected at least one subject, got none');
    const subject = subjects.map((s, i) => parseSubject(s, `$.subject[${i}]`));
    const predicateType = stringAt(top['predicateType'], '$.predicateType');
    if (predicateType === '') throw new StrictJsonError('$.predicateType', 'empty predicate type');
    return { type, subject, predicateType, predicate: top['predicate'] };
  } catch (err: unknown) {
    if (err instanceof StrictJsonError) throw malformed('in-toto statement', err.message, err);
    throw err;
  }
}
