/**
 * The Rekor SignedEntryTimestamp of the `dev.sigstore.cosign/bundle` annotation, checked offline as containers/image
 * does (signature/internal/rekor_set.go): an ECDSA signature by a trusted Rekor key over SHA-256 of the RFC 8785
 * canonical form of `Payload`, whose `body` must be a hashedrekord 0.0.1 entry naming the same public key or
 * certificate (by DER bytes), the same signature and the SHA-256 of the same payload.
 */
import { createHash, verify, type KeyObject } from 'node:crypto';
import { limits } from '../../core/index.js';
import { KeyError, SignatureVerificationError } from '../errors.js';
import { decodeBase64, decodePemBlocks, EncodingError } from './encoding.js';
import {
  canonicalJson,
  exactFields,
  integerAt,
  isJsonObject,
  jsonTypeName,
  parseStrictJson,
  stringAt,
  StrictJsonError,
  type JsonObject,
  type JsonValue,
} from './json.js';

export const REKOR_HASHEDREKORD_API_VERSION = '0.0.1';

function tlogInvalid(message: string, cause?: unknown): SignatureVerificationError {
  return new SignatureVerificationError('TLOG_INVALID', `Rekor SET: ${message}`, cause === undefined ? undefined : { cause });
}

function objectAt(parent: JsonObject, key: string, path: string): JsonObject {
  const v = Object.prototype.hasOwnProperty.call(parent, key) ? parent[key] : undefined;
  if (v === undefined || v === null) throw new StrictJsonError(`${path}.${key}`, 'missing field');
  if (!isJsonObject(v)) throw new StrictJsonError(`${path}.${key}`, `expected an object, got ${jsonTypeName(v)}`);
  return v;
}

function member(parent: JsonObject, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(parent, key) ? parent[key] : undefined;
}

/** The DER of the single PEM block in `text`, which may have nothing but whitespace around it. */
function singlePemDer(text: string, what: string): Buffer {
  const blocks = decodePemBlocks(text);
  const block = blocks[0];
  if (block === undefined) throw tlogInvalid(`${what} is not in PEM format`);
  if (blocks.length > 1) throw tlogInvalid(`${what} has trailing data (${blocks.length} PEM blocks)`);
  const outside = text.replace(/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----/, '');
  if (outside.trim() !== '') throw tlogInvalid(`${what} has data outside its PEM block`);
  return block.bytes;
}

interface HashedRekord {
  readonly hashAlgorithm: string;
  readonly hashValue: string;
  readonly signature: Buffer;
  readonly publicKeyPem: string;
}

function parseHashedRekord(body: Buffer): HashedRekord {
  const doc = parseStrictJson(body);
  if (!isJsonObject(doc)) throw new StrictJsonError('body', `expected an object, got ${jsonTypeName(doc)}`);
  const kind = member(doc, 'kind');
  if (kind !== 'hashedrekord') throw tlogInvalid(`unsupported entry kind ${JSON.stringify(kind ?? null)} (expected "hashedrekord")`);
  const apiVersion = member(doc, 'apiVersion');
  if (apiVersion === undefined || apiVersion === null) throw tlogInvalid('missing hashedrekord apiVersion');
  if (apiVersion !== REKOR_HASHEDREKORD_API_VERSION) {
    throw tlogInvalid(`unsupported hashedrekord version ${JSON.stringify(apiVersion)} (expected "${REKOR_HASHEDREKORD_API_VERSION}")`);
  }
  const spec = objectAt(doc, 'spec', 'body');
  const signature = objectAt(spec, 'signature', 'body.spec');
  const content = stringAt(member(signature, 'content'), 'body.spec.signature.content');
  const publicKey = objectAt(signature, 'publicKey', 'body.spec.signature');
  const keyContent = stringAt(member(publicKey, 'content'), 'body.spec.signature.publicKey.content');
  const data = objectAt(spec, 'data', 'body.spec');
  const hash = objectAt(data, 'hash', 'body.spec.data');
  return {
    hashAlgorithm: stringAt(member(hash, 'algorithm'), 'body.spec.data.hash.algorithm'),
    hashValue: stringAt(member(hash, 'value'), 'body.spec.data.hash.value'),
    signature: decodeBase64(content, 'body.spec.signature.content'),
    publicKeyPem: decodeBase64(keyContent, 'body.spec.signature.publicKey.content').toString('latin1'),
  };
}

/**
 * Verify the Rekor SET in a `dev.sigstore.cosign/bundle` annotation against the trusted Rekor keys (ECDSA) and the
 * signature it is attached to. Returns the log's integrated time, the moment a Fulcio certificate must have been
 * valid. Throws `SignatureVerificationError('TLOG_INVALID')` on any mismatch or malformed data.
 */
export function verifyRekorSet(
  bundleAnnotationJson: string,
  rekorPublicKeys: readonly KeyObject[],
  signaturePublicKeyOrCertPem: string,
  signatureBase64: string,
  payload: Uint8Array,
): { integratedTime: Date } {
  if (rekorPublicKeys.length === 0) throw new KeyError('INVALID_KEY', 'Rekor SET: no Rekor public key given');
  for (const k of rekorPublicKeys) {
    if (k.asymmetricKeyType !== 'ec') {
      throw new KeyError('INVALID_KEY', `Rekor SET: a Rekor public key must be ECDSA, got ${k.asymmetricKeyType ?? 'unknown'}`);
    }
  }
  if (Buffer.byteLength(bundleAnnotationJson, 'utf8') > limits.signatureBytes) {
    throw tlogInvalid(`the bundle exceeds ${limits.signatureBytes} bytes`);
  }
  try {
    // == The SET signature, over the canonical form of the untrusted payload.
    const bundle = exactFields(parseStrictJson(bundleAnnotationJson), ['SignedEntryTimestamp', 'Payload'], '$');
    const set = decodeBase64(stringAt(bundle.SignedEntryTimestamp, '$.SignedEntryTimestamp'), '$.SignedEntryTimestamp');
    const canonical = Buffer.from(canonicalJson(bundle.Payload), 'utf8');
    const signedByRekor = rekorPublicKeys.some((key) => {
      try {
        return verify('sha256', canonical, { key, dsaEncoding: 'der' }, set);
      } catch {
        return false;
      }
    });
    if (!signedByRekor) throw tlogInvalid('the SignedEntryTimestamp does not verify with any trusted Rekor key');

    // == The verified payload: parse the canonical bytes, not the delivered text.
    const entry = exactFields(parseStrictJson(canonical), ['body', 'integratedTime', 'logIndex', 'logID'], '$.Payload');
    const integratedTime = integerAt(entry.integratedTime, '$.Payload.integratedTime');
    integerAt(entry.logIndex, '$.Payload.logIndex');
    stringAt(entry.logID, '$.Payload.logID');
    const body = decodeBase64(stringAt(entry.body, '$.Payload.body'), '$.Payload.body');
    const rekord = parseHashedRekord(body);

    // == The public key or certificate.
    const loggedDer = singlePemDer(rekord.publicKeyPem, 'the public key in the Rekor entry');
    const givenDer = singlePemDer(signaturePublicKeyOrCertPem, 'the public key or certificate of the signature');
    if (!loggedDer.equals(givenDer)) throw tlogInvalid('the public key in the Rekor entry does not match the signature’s key or certificate');

    // == The signature.
    let signature: Buffer;
    try {
      signature = decodeBase64(signatureBase64, 'the signature');
    } catch (err: unknown) {
      throw tlogInvalid(err instanceof Error ? err.message : String(err), err);
    }
    if (!rekord.signature.equals(signature)) throw tlogInvalid('the signature in the Rekor entry does not match the signature');

    // == The payload.
    if (rekord.hashAlgorithm !== 'sha256') throw tlogInvalid(`unexpected data.hash.algorithm "${rekord.hashAlgorithm}" (expected "sha256")`);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(rekord.hashValue)) throw tlogInvalid(`invalid data.hash.value "${rekord.hashValue}"`);
    const actual = createHash('sha256').update(payload).digest('hex');
    if (rekord.hashValue.toLowerCase() !== actual) {
      throw tlogInvalid(`the payload hash in the Rekor entry does not match: expected sha256:${actual}, logged ${rekord.hashValue}`);
    }
    return { integratedTime: new Date(integratedTime * 1000) };
  } catch (err: unknown) {
    if (err instanceof StrictJsonError || err instanceof EncodingError) throw tlogInvalid(err.message, err);
    throw err;
  }
}
