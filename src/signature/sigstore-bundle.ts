/**
 * Sigstore bundles as cosign v3 writes them for a key-based image signature (its "new bundle format"): an in-toto
 * Statement v1 about the manifest digest, predicate type `https://sigstore.dev/cosign/sign/v1` and an empty
 * predicate, signed in a DSSE envelope inside a bundle `application/vnd.dev.sigstore.bundle.v0.3+json` whose
 * verification material is only the key's hint, base64(SHA-256(SPKI DER)). Pure functions of bytes and keys.
 *
 * - Building goes through `@sigstore/bundle` (`toDSSEBundle`, `bundleToJSON`).
 * - Reading is strict twice over: the JSON is parsed here with no duplicate or unknown members at any level
 *   (protojson member names, lowerCamelCase only), then handed to `@sigstore/bundle`'s own validation.
 * - Verification uses `@sigstore/verify` offline: trust material with no transparency logs, CAs or timestamp
 *   authorities, the given keys found by hint, and no tlog, SCT or timestamp thresholds. Transparency-log entries
 *   and timestamps a bundle may carry are parsed but not checked: trust rests on the key alone.
 * - Order of checks: key (the DSSE signature), then payload type, statement and predicate type, then digest.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import type * as SigstoreBundle from '@sigstore/bundle';
import type { Bundle } from '@sigstore/bundle';
import type * as SigstoreVerify from '@sigstore/verify';
import type { KeyFinderFunc, toTrustMaterial } from '@sigstore/verify';
import { digestAlgorithm, digestHex, limits, type Digest } from '../core/index.js';
import { publicKeyHint, signCosignPayload } from './cosign/index.js';
import { childJsonPath, isJsonObject, jsonTypeName, parseStrictJson, stringAt, StrictJsonError, type JsonObject, type JsonValue } from './cosign/json.js';
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1, decodeDsseBase64, pae, parseStatement } from './dsse.js';
import { SignatureVerificationError } from './errors.js';

/** The media type of the bundles cosign v3 writes (bundle layer and referrer `artifactType`). */
export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Every bundle media type read: v0.1–v0.3, the v0.3 one in both spellings. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES: readonly string[] = [
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
];
/** The predicate type of cosign's image signature statement. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

interface SigstoreLibs {
  readonly bundle: typeof SigstoreBundle;
  readonly verify: typeof SigstoreVerify;
}

let loaded: Promise<SigstoreLibs> | undefined;

/** The `@sigstore/*` libraries, loaded on first use so that commands meeting no bundle start without them. */
function sigstoreLibs(): Promise<SigstoreLibs> {
  loaded ??= Promise.all([import('@sigstore/bundle'), import('@sigstore/verify')]).then(([bundle, verify]) => ({
    bundle: commonJsExports(bundle),
    verify: commonJsExports(verify),
  }));
  return loaded;
}

/**
 * A CommonJS package's exports from a dynamic import: Node gives them as named exports and as `default`, the CLI
 * bundle's split chunks only as `default`.
 */
function commonJsExports<T extends object>(namespace: T): T {
  const whole = (namespace as { default?: unknown }).default;
  return (whole !== null && typeof whole === 'object' ? whole : namespace) as T;
}

/**
 * The statement cosign v3 signs for an image: one subject with only the manifest's sha256 (no name, so no docker
 * reference to match), the cosign sign predicate type and an empty predicate.
 */
export function imageSignatureStatement(manifestDigest: Digest): Buffer {
  if (digestAlgorithm(manifestDigest) !== 'sha256') throw new TypeError(`a cosign statement subject needs a sha256 digest, got ${manifestDigest}`);
  return Buffer.from(
    `{"_type":${JSON.stringify(IN_TOTO_STATEMENT_V1)},"subject":[{"digest":{"sha256":${JSON.stringify(digestHex(manifestDigest))}}}],` +
      `"predicateType":${JSON.stringify(COSIGN_SIGN_PREDICATE_TYPE)},"predicate":{}}`,
    'utf8',
  );
}

export interface ImageSignatureBundle {
  /** The bundle JSON, the blob of the referrer's one layer. */
  readonly bundle: Buffer;
  /** base64(SHA-256(SPKI DER)) of the signing key: `verificationMaterial.publicKey.hint`. */
  readonly hint: string;
}

/**
 * Sign `manifestDigest` as cosign v3 does with a key and no transparency log: the statement of
 * `imageSignatureStatement` in a DSSE envelope (signature over the PAE: ECDSA ASN.1 DER or RSA PKCS#1 v1.5 over
 * SHA-256, Ed25519 pure), in a v0.3 bundle with the key's hint and no tlog entries.
 */
export async function createImageSignatureBundle(manifestDigest: Digest, privateKey: KeyObject): Promise<ImageSignatureBundle> {
  const { toDSSEBundle, bundleToJSON } = (await sigstoreLibs()).bundle;
  const statement = imageSignatureStatement(manifestDigest);
  const signature = signCosignPayload(pae(IN_TOTO_PAYLOAD_TYPE, statement), privateKey);
  const hint = publicKeyHint(privateKey);
  const bundle = toDSSEBundle({ artifact: statement, artifactType: IN_TOTO_PAYLOAD_TYPE, signature, keyHint: hint });
  return { bundle: Buffer.from(JSON.stringify(bundleToJSON(bundle)), 'utf8'), hint };
}

// ---- strict reading ------------------------------------------------------------------------------------

/** The JSON shape of a member: a protojson scalar, a message (its members) or a repeated field. */
type Shape = 'string' | 'bytes' | 'int64' | { readonly message: Readonly<Record<string, Shape>> } | { readonly repeated: Shape };

const message = (members: Readonly<Record<string, Shape>>): Shape => ({ message: members });
const repeated = (shape: Shape): Shape => ({ repeated: shape });

const envelopeShape = message({ payload: 'bytes', payloadType: 'string', signatures: repeated(message({ sig: 'bytes', keyid: 'string' })) });
const tlogEntryShape = message({
  logIndex: 'int64',
  logId: message({ keyId: 'bytes' }),
  kindVersion: message({ kind: 'string', version: 'string' }),
  integratedTime: 'int64',
  inclusionPromise: message({ signedEntryTimestamp: 'bytes' }),
  inclusionProof: message({ logIndex: 'int64', rootHash: 'bytes', treeSize: 'int64', hashes: repeated('bytes'), checkpoint: message({ envelope: 'string' }) }),
  canonicalizedBody: 'bytes',
});
const verificationMaterialShape = message({
  publicKey: message({ hint: 'string' }),
  x509CertificateChain: message({ certificates: repeated(message({ rawBytes: 'bytes' })) }),
  certificate: message({ rawBytes: 'bytes' }),
  tlogEntries: repeated(tlogEntryShape),
  timestampVerificationData: message({ rfc3161Timestamps: repeated(message({ signedTimestamp: 'bytes' })) }),
});
const bundleShape = message({
  mediaType: 'string',
  verificationMaterial: verificationMaterialShape,
  dsseEnvelope: envelopeShape,
  messageSignature: message({ messageDigest: message({ algorithm: 'string', digest: 'bytes' }), signature: 'bytes' }),
});

/** Check `value` against `shape`: no unknown members, no nulls, every scalar of its type. */
function checkShape(value: JsonValue | undefined, shape: Shape, path: string): void {
  if (shape === 'string') {
    stringAt(value, path);
  } else if (shape === 'bytes') {
    decodeDsseBase64(value, path);
  } else if (shape === 'int64') {
    // protojson writes 64-bit integers as decimal strings and reads numbers too.
    const ok = (typeof value === 'string' && /^-?(0|[1-9][0-9]{0,18})$/.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value));
    if (!ok) throw new StrictJsonError(path, `expected a 64-bit integer, got ${jsonTypeName(value)}`);
  } else if ('repeated' in shape) {
    if (!Array.isArray(value)) throw new StrictJsonError(path, `expected an array, got ${jsonTypeName(value)}`);
    if (value.length > limits.signatureCount) throw new StrictJsonError(path, `${value.length} entries exceeds the limit of ${limits.signatureCount}`);
    value.forEach((v, i) => checkShape(v, shape.repeated, `${path}[${i}]`));
  } else {
    if (!isJsonObject(value)) throw new StrictJsonError(path, `expected an object, got ${jsonTypeName(value)}`);
    for (const [k, v] of Object.entries(value)) {
      const member = Object.prototype.hasOwnProperty.call(shape.message, k) ? shape.message[k] : undefined;
      if (member === undefined) throw new StrictJsonError(childJsonPath(path, k), 'unknown field');
      checkShape(v, member, childJsonPath(path, k));
    }
  }
}

/** Exactly one of `names` is present in `obj` (a protobuf oneof that must be set). */
function oneOf(obj: JsonObject, names: readonly string[], path: string): string {
  const present = names.filter((n) => Object.prototype.hasOwnProperty.call(obj, n));
  if (present.length === 0) throw new StrictJsonError(path, `expected one of ${names.join(', ')}, got none`);
  if (present.length > 1) throw new StrictJsonError(path, `expected one of ${names.join(', ')}, got ${present.join(' and ')}`);
  return present[0] as string;
}

function required(obj: JsonObject, name: string, path: string): void {
  if (!Object.prototype.hasOwnProperty.call(obj, name)) throw new StrictJsonError(childJsonPath(path, name), 'missing field');
}

/** A bundle as read; nothing in it is trusted until `verifyImageSignatureBundle` has checked the signature. */
export interface UntrustedSigstoreBundle {
  readonly mediaType: string;
  /** `verificationMaterial.publicKey.hint`: which key the signer says it used (unauthenticated). */
  readonly untrustedHint: string;
  /** Transparency-log entries and RFC 3161 timestamps present, which offline key-based verification does not use. */
  readonly unusedTimestamps: number;
  /** The bundle as `@sigstore/bundle` holds it. */
  readonly bundle: Bundle;
}

function malformed(message: string, cause?: unknown): SignatureVerificationError {
  return new SignatureVerificationError('MALFORMED_SIGNATURE', `sigstore bundle: ${message}`, cause === undefined ? undefined : { cause });
}

function unsupported(message: string): SignatureVerificationError {
  return new SignatureVerificationError('UNSUPPORTED_FORMAT', `sigstore bundle: ${message}`);
}

/**
 * Parse a key-based DSSE bundle strictly. `MALFORMED_SIGNATURE` (naming the JSON path) for bad JSON, duplicate or
 * unknown members, wrong types, a missing or doubled oneof, or what `@sigstore/bundle` refuses;
 * `UNSUPPORTED_FORMAT` for a well-formed bundle Signet cannot use offline with keys: another media type, a
 * message signature (not a DSSE envelope), a certificate instead of a public key hint.
 */
export async function parseSigstoreBundle(bytes: Uint8Array): Promise<UntrustedSigstoreBundle> {
  if (bytes.length > limits.signatureBytes) throw malformed(`${bytes.length} bytes exceeds the ${limits.signatureBytes}-byte limit`);
  let doc: JsonObject;
  let content: string;
  let key: string;
  try {
    const parsed = parseStrictJson(bytes);
    checkShape(parsed, bundleShape, '$');
    doc = parsed as JsonObject;
    required(doc, 'mediaType', '$');
    required(doc, 'verificationMaterial', '$');
    content = oneOf(doc, ['dsseEnvelope', 'messageSignature'], '$');
    key = oneOf(doc['verificationMaterial'] as JsonObject, ['publicKey', 'x509CertificateChain', 'certificate'], '$.verificationMaterial');
    if (content === 'dsseEnvelope') {
      const env = doc['dsseEnvelope'] as JsonObject;
      for (const m of ['payload', 'payloadType', 'signatures']) required(env, m, '$.dsseEnvelope');
      (env['signatures'] as JsonObject[]).forEach((s, i) => required(s, 'sig', `$.dsseEnvelope.signatures[${i}]`));
    }
    if (key === 'publicKey') required((doc['verificationMaterial'] as JsonObject)['publicKey'] as JsonObject, 'hint', '$.verificationMaterial.publicKey');
  } catch (err: unknown) {
    if (err instanceof StrictJsonError) throw malformed(err.message, err);
    throw err;
  }
  const mediaType = doc['mediaType'] as string;
  if (!SIGSTORE_BUNDLE_MEDIA_TYPES.includes(mediaType)) {
    throw unsupported(`media type ${JSON.stringify(mediaType)} is not one of ${SIGSTORE_BUNDLE_MEDIA_TYPES.join(', ')}`);
  }
  const { bundleFromJSON, ValidationError } = (await sigstoreLibs()).bundle;
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(doc);
  } catch (err: unknown) {
    if (err instanceof ValidationError) throw malformed(`${err.message}: ${(err.fields ?? []).join(', ')}`, err);
    throw malformed(err instanceof Error ? err.message : String(err), err);
  }
  if (content !== 'dsseEnvelope') throw unsupported('it holds a message signature, not a DSSE envelope; image signatures are DSSE statements');
  if (key !== 'publicKey') throw unsupported(`its verification material is ${key === 'certificate' ? 'a certificate' : 'a certificate chain'} (keyless signing), which needs a trusted root; Signet verifies key-based bundles`);
  const vm = doc['verificationMaterial'] as JsonObject;
  const hint = (vm['publicKey'] as JsonObject)['hint'] as string;
  const tlog = Array.isArray(vm['tlogEntries']) ? vm['tlogEntries'].length : 0;
  const tsd = vm['timestampVerificationData'];
  const tsa = isJsonObject(tsd) && Array.isArray(tsd['rfc3161Timestamps']) ? tsd['rfc3161Timestamps'].length : 0;
  return { mediaType, untrustedHint: hint, unusedTimestamps: tlog + tsa, bundle };
}

// ---- verification --------------------------------------------------------------------------------------

/** What `verifyImageSignatureBundle` vouches for. */
export interface VerifiedImageSignatureBundle {
  /** `key <base64 SHA-256 of the SPKI DER>`, as Signet names cosign keys elsewhere. */
  readonly signer: string;
  readonly predicateType: string;
  /** The manifest digest the statement names (equal to the one asked for). */
  readonly manifestDigest: Digest;
  /** Transparency-log entries and timestamps in the bundle that were not checked (trust rests on the key). */
  readonly uncheckedTimestamps: number;
}

/** Trust material for `@sigstore/verify` with no authorities at all: only `key` can verify anything. */
function keyOnlyTrust(libs: SigstoreLibs, key: KeyObject): ReturnType<typeof toTrustMaterial> {
  const finder: KeyFinderFunc = () => ({ publicKey: key, validFor: () => true });
  return libs.verify.toTrustMaterial({ mediaType: '', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }, finder);
}

const offline = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 } as const;

/** The DSSE signature verifies with `key` (no tlog entries or timestamps: only the signature is checked). */
function signatureVerifies(libs: SigstoreLibs, bundle: Bundle, key: KeyObject): boolean {
  const { Verifier, VerificationError, toSignedEntity } = libs.verify;
  const keyOnly: Bundle = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [], timestampVerificationData: undefined } };
  try {
    new Verifier(keyOnlyTrust(libs, key), offline).verify(toSignedEntity(keyOnly));
    return true;
  } catch (err: unknown) {
    if (err instanceof VerificationError && err.code === 'SIGNATURE_ERROR') return false;
    throw new SignatureVerificationError('MALFORMED_SIGNATURE', `sigstore bundle: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Verify a cosign image signature bundle against `publicKeys` and the image's `manifestDigest`: the key named by the
 * bundle's hint must be one of them and its DSSE signature must verify (a bundle without a known hint is tried with
 * every key); then the envelope must carry an in-toto statement with cosign's sign predicate type, and one of its
 * subjects must be `manifestDigest`. Throws `SignatureVerificationError`: `KEY_NOT_TRUSTED`, `BAD_SIGNATURE` (the
 * hint names a given key but the signature does not verify with it), `MALFORMED_SIGNATURE`, `UNSUPPORTED_FORMAT`,
 * `DIGEST_MISMATCH`.
 */
export async function verifyImageSignatureBundle(
  bytes: Uint8Array | UntrustedSigstoreBundle,
  publicKeys: readonly KeyObject[],
  manifestDigest: Digest,
): Promise<VerifiedImageSignatureBundle> {
  const parsed = bytes instanceof Uint8Array ? await parseSigstoreBundle(bytes) : bytes;
  const libs = await sigstoreLibs();
  const keys = publicKeys.map((k) => (k.type === 'private' ? createPublicKey(k) : k));
  const hinted = keys.find((k) => parsed.untrustedHint !== '' && publicKeyHint(k) === parsed.untrustedHint);
  const signingKey = (hinted !== undefined ? [hinted] : keys).find((k) => signatureVerifies(libs, parsed.bundle, k));
  if (signingKey === undefined) {
    if (hinted !== undefined) {
      throw new SignatureVerificationError('BAD_SIGNATURE', `the bundle names the given key ${parsed.untrustedHint}, but its DSSE signature does not verify with it`, {
        signer: `key ${parsed.untrustedHint}`,
      });
    }
    const tried = `${keys.length} given key${keys.length === 1 ? '' : 's'}`;
    throw new SignatureVerificationError(
      'KEY_NOT_TRUSTED',
      parsed.untrustedHint !== '' ? `the bundle is signed by key ${parsed.untrustedHint}, which is not among the ${tried}` : `the bundle's signature verifies with none of the ${tried}`,
      parsed.untrustedHint !== '' ? { signer: `key ${parsed.untrustedHint}` } : undefined,
    );
  }
  const signer = `key ${publicKeyHint(signingKey)}`;
  const fail = (code: 'MALFORMED_SIGNATURE' | 'DIGEST_MISMATCH', message: string, cause?: unknown): SignatureVerificationError =>
    new SignatureVerificationError(code, message, { signer, ...(cause === undefined ? {} : { cause }) });

  const content = parsed.bundle.content;
  if (content.$case !== 'dsseEnvelope') throw unsupported('it holds no DSSE envelope');
  const envelope = content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw fail('MALFORMED_SIGNATURE', `the envelope's payload type is ${JSON.stringify(envelope.payloadType)}, expected ${JSON.stringify(IN_TOTO_PAYLOAD_TYPE)}`);
  }
  let statement;
  try {
    statement = parseStatement(envelope.payload);
  } catch (err: unknown) {
    if (err instanceof SignatureVerificationError) throw fail('MALFORMED_SIGNATURE', err.message, err);
    throw err;
  }
  if (statement.predicateType !== COSIGN_SIGN_PREDICATE_TYPE) {
    throw fail('MALFORMED_SIGNATURE', `the statement's predicate type is ${JSON.stringify(statement.predicateType)}, expected ${JSON.stringify(COSIGN_SIGN_PREDICATE_TYPE)} (an image signature)`);
  }
  const algorithm = digestAlgorithm(manifestDigest);
  const hex = digestHex(manifestDigest);
  if (!statement.subject.some((s) => s.digest[algorithm] === hex)) {
    const named = statement.subject.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join('+')).join(', ');
    throw fail('DIGEST_MISMATCH', `valid, but its statement is about ${named}, not this image's ${manifestDigest}`);
  }
  return { signer, predicateType: statement.predicateType, manifestDigest, uncheckedTimestamps: parsed.unusedTimestamps };
}
