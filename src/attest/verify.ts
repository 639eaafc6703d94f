/**
 * `verify-attestation`: check every layer of an image's `sha256-<hex>.att` tag — key (the DSSE signature), then
 * payload type and statement, then predicate type, then digest (a subject must name the image's manifest
 * digest) — and say for each whether it is accepted and why not. A rejection is a result; only failures to
 * evaluate (the registry cannot be reached) throw.
 */
import type { KeyObject } from 'node:crypto';
import { pipeline } from 'node:stream';
import { CodedError, DigestVerifier, IntegrityError, describeError, digestHex, limits, readAllCapped, referenceName, type Digest } from '../core/index.js';
import {
  DSSE_ENVELOPE_MEDIA_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  SignatureVerificationError,
  parseDsseEnvelope,
  parseSignatureManifest,
  parseStatement,
  verifyDsse,
  type SignatureLayer,
  type VerificationCode,
} from '../signature/index.js';
import type { ImageReference, SystemContext } from '../transports/index.js';
import { PREDICATE_TYPE_ANNOTATION, attTagFor } from './attachment.js';
import { isNotFound, openRegistryImage } from './attest.js';
import { resolvePredicateType } from './predicate-types.js';

export interface AttestationVerdict {
  /** 1-based position of the layer in the `.att` manifest. */
  readonly index: number;
  readonly layerDigest: string;
  /** The statement's predicate type once its signature verified, else the layer's `predicateType` annotation (`''` when absent). */
  readonly predicateType: string;
  /** False when the caller asked for another predicate type: such a layer neither allows nor rejects. */
  readonly applicable: boolean;
  readonly accepted: boolean;
  readonly code?: VerificationCode;
  readonly message: string;
  readonly signer?: string;
}

export interface AttestationVerification {
  readonly image: string;
  readonly manifestDigest: Digest;
  /** `registry/repo:sha256-<hex>.att` */
  readonly tag: string;
  /** The predicate type asked for (a URI), when one was. */
  readonly predicateType?: string;
  readonly allowed: boolean;
  /** Why not allowed: `NO_SIGNATURES` when nothing applicable was found, else the code of the first applicable rejection. */
  readonly code?: VerificationCode;
  readonly message: string;
  readonly attestations: readonly AttestationVerdict[];
}

export interface VerifyAttestationsRequest {
  readonly keys: readonly KeyObject[];
  /** One of cosign's type names or a URI; default: every type. */
  readonly predicateType?: string;
}

export interface VerifyAttestationsOptions {
  readonly context?: SystemContext;
}

type Outcome = Pick<AttestationVerdict, 'predicateType' | 'applicable' | 'accepted' | 'message'> & { code?: VerificationCode; signer?: string };

function rejected(predicateType: string, applicable: boolean, code: VerificationCode, message: string, signer?: string): Outcome {
  return { predicateType, applicable, accepted: false, code, message, ...(signer === undefined ? {} : { signer }) };
}

/** Decide one envelope: key, payload type, statement, predicate type, subject digest — in that order. */
export function evaluateAttestationEnvelope(
  envelopeBytes: Uint8Array,
  annotatedType: string,
  keys: readonly KeyObject[],
  imageDigest: Digest,
  wantedType: string | undefined,
): Outcome {
  const annotatedApplies = wantedType === undefined || annotatedType === wantedType;
  let verified;
  try {
    verified = verifyDsse(parseDsseEnvelope(envelopeBytes), keys);
  } catch (err: unknown) {
    if (err instanceof SignatureVerificationError) return rejected(annotatedType, annotatedApplies, err.code, err.message, err.signer);
    throw err;
  }
  if (verified.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return rejected(annotatedType, annotatedApplies, 'MALFORMED_SIGNATURE', `the envelope's payload type is "${verified.payloadType}", not "${IN_TOTO_PAYLOAD_TYPE}"`, verified.signer);
  }
  let statement;
  try {
    statement = parseStatement(verified.payload);
  } catch (err: unknown) {
    if (err instanceof SignatureVerificationError) return rejected(annotatedType, annotatedApplies, err.code, err.message, verified.signer);
    throw err;
  }
  const type = statement.predicateType;
  const applicable = wantedType === undefined || type === wantedType;
  if (!applicable) {
    return { predicateType: type, applicable, accepted: false, message: `predicate type ${type} is not the requested ${wantedType ?? ''}`, signer: verified.signer };
  }
  const hex = digestHex(imageDigest);
  const algorithm = imageDigest.slice(0, imageDigest.indexOf(':'));
  if (!statement.subject.some((s) => s.digest[algorithm] === hex)) {
    const named = statement.subject.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join('+')).join(', ');
    return rejected(type, applicable, 'DIGEST_MISMATCH', `the statement is about ${named}, not ${imageDigest}`, verified.signer);
  }
  return { predicateType: type, applicable, accepted: true, message: `signed statement about ${imageDigest}`, signer: verified.signer };
}

export async function verifyAttestations(ref: ImageReference, request: VerifyAttestationsRequest, options: VerifyAttestationsOptions = {}): Promise<AttestationVerification> {
  const wanted = request.predicateType === undefined ? undefined : resolvePredicateType(request.predicateType);
  const { digest, repo, client, close } = await openRegistryImage(ref, options.context ?? {}, 'attestations');
  const tagName = attTagFor(digest);
  const tag = `${referenceName(repo)}:${tagName}`;
  const base = { image: ref.toString(), manifestDigest: digest, tag, ...(wanted === undefined ? {} : { predicateType: wanted }) };
  try {
    let manifest: Buffer;
    try {
      manifest = (await client.getManifest(repo, tagName)).bytes;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return { ...base, allowed: false, code: 'NO_SIGNATURES', message: `${digest} has no attestations (no ${tag})`, attestations: [] };
    }
    let layers: SignatureLayer[];
    try {
      layers = parseSignatureManifest(manifest).layers;
    } catch (err: unknown) {
      if (err instanceof SignatureVerificationError) return { ...base, allowed: false, code: err.code, message: `${tag}: ${err.message}`, attestations: [] };
      throw err;
    }
    const attestations: AttestationVerdict[] = [];
    for (const [i, layer] of layers.entries()) {
      const annotated = layer.annotations[PREDICATE_TYPE_ANNOTATION] ?? '';
      const head = { index: i + 1, layerDigest: layer.digest };
      if (layer.mediaType !== DSSE_ENVELOPE_MEDIA_TYPE) {
        attestations.push({ ...head, ...rejected(annotated, wanted === undefined || annotated === wanted, 'UNSUPPORTED_FORMAT', `layer media type "${layer.mediaType}" is not "${DSSE_ENVELOPE_MEDIA_TYPE}"`) });
        continue;
      }
      let envelope: Buffer;
      try {
        if (layer.size > limits.signatureBytes) throw new SignatureVerificationError('MALFORMED_SIGNATURE', `the envelope has ${layer.size} bytes, over the ${limits.signatureBytes}-byte limit`);
        const { stream } = await client.getBlob(repo, { digest: layer.digest });
        const verifier = new DigestVerifier(layer.digest, { size: layer.size, what: `attestation ${i + 1}` });
        envelope = await readAllCapped(pipeline(stream, verifier, () => {}), limits.signatureBytes, `attestation ${i + 1}`);
      } catch (err: unknown) {
        const applies = wanted === undefined || annotated === wanted;
        if (err instanceof IntegrityError) {
          attestations.push({ ...head, ...rejected(annotated, applies, 'DIGEST_MISMATCH', `the layer blob does not match its descriptor: ${err.message}`) });
          continue;
        }
        if (err instanceof SignatureVerificationError || (err instanceof CodedError && err.code === 'TOO_LARGE')) {
          attestations.push({ ...head, ...rejected(annotated, applies, 'MALFORMED_SIGNATURE', describeError(err)) });
          continue;
        }
        throw err;
      }
      attestations.push({ ...head, ...evaluateAttestationEnvelope(envelope, annotated, request.keys, digest, wanted) });
    }
    const applicable = attestations.filter((a) => a.applicable);
    const accepted = applicable.find((a) => a.accepted);
    if (accepted !== undefined) {
      return { ...base, allowed: true, message: `attestation ${accepted.index} (${accepted.predicateType}) is signed by ${accepted.signer ?? 'a given key'} and names ${digest}`, attestations };
    }
    if (applicable.length === 0) {
      const what = wanted === undefined ? 'no attestations' : `no attestation of type ${wanted}`;
      return { ...base, allowed: false, code: 'NO_SIGNATURES', message: `${tag} has ${what} (${attestations.length} of other types)`, attestations };
    }
    const first = applicable[0]!;
    return { ...base, allowed: false, code: first.code ?? 'REJECTED', message: `none of the ${applicable.length} applicable attestations is accepted`, attestations };
  } finally {
    await close();
  }
}
