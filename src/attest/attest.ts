/**
 * `attest`: wrap a predicate in an in-toto statement about the manifest digest an image resolves to, sign it in a
 * DSSE envelope and append the envelope to the image's `sha256-<hex>.att` tag — what cosign's key-based
 * `attest` (without a transparency log) stores.
 */
import type { KeyObject } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import {
  DigestVerifier,
  limits,
  readAllCapped,
  referenceName,
  parseJsonTree,
  toPlainValue,
  type Digest,
  type DockerReference,
  type JsonValue,
} from '../core/index.js';
import { MediaTypes } from '../manifest/index.js';
import { IN_TOTO_PAYLOAD_TYPE, buildStatement, signDsse } from '../signature/index.js';
import { DockerImageSource, isNotFoundError, openImage, type ImageReference, type RegistryClient, type SystemContext } from '../transports/index.js';
import { attTagFor, buildAttestationManifest } from './attachment.js';
import { AttestError } from './errors.js';
import { PREDICATE_CUSTOM, resolvePredicateType } from './predicate-types.js';

export interface AttestRequest {
  /** The predicate file's bytes: JSON for every type but `custom` (any UTF-8 text) and `spdx` (SPDX tag-value text). */
  readonly predicate: Buffer;
  /** One of cosign's type names (`slsaprovenance`, `spdxjson`, `custom`, …) or a predicate type URI. */
  readonly predicateType: string;
  readonly key: KeyObject;
}

export interface AttestOptions {
  readonly context?: SystemContext;
  /** The clock for the `Timestamp` of a `custom` predicate; default now. */
  readonly now?: () => Date;
}

export interface AttestResult {
  readonly manifestDigest: Digest;
  readonly predicateType: string;
  /** `registry/repo:sha256-<hex>.att` */
  readonly storedAt: string;
  /** Digest of the envelope layer. */
  readonly layerDigest: Digest;
}

export interface ResolvedImage {
  readonly digest: Digest;
  readonly repo: DockerReference;
  readonly client: RegistryClient;
  readonly close: () => Promise<void>;
}

/**
 * Open a registry image and the manifest digest it resolves to, computed from bytes checked against the digest
 * that names them. Images of other transports are `UNSUPPORTED_SOURCE`: attestations live in a registry tag.
 */
export async function openRegistryImage(ref: ImageReference, ctx: SystemContext, what: string): Promise<ResolvedImage> {
  const repo = ref.dockerReference;
  if (ref.transport.name !== 'docker' || repo === undefined) {
    throw new AttestError('UNSUPPORTED_SOURCE', `${what} live in a registry (a sha256-<hex>.att tag); ${ref.toString()} is not a registry image`);
  }
  const { source, digest } = await openImage(ref, ctx);
  if (!(source instanceof DockerImageSource)) {
    await source.close();
    throw new AttestError('UNSUPPORTED_SOURCE', `${ref.toString()} is not a registry image`);
  }
  return { digest, repo, client: source.registryClient, close: () => source.close() };
}

/** The subject name cosign writes: go-containerregistry's `Repository.String()`, Docker Hub as `index.docker.io`. */
export function subjectNameFor(repo: DockerReference): string {
  return repo.domain === 'docker.io' ? `index.docker.io/${repo.path}` : referenceName(repo);
}

function utf8Text(bytes: Buffer, type: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err: unknown) {
    throw new AttestError('INVALID_PREDICATE', `a ${type} predicate must be UTF-8 text`, { cause: err });
  }
}

/**
 * The statement predicate for cosign's `--type` value, as `attestation.GenerateStatement` makes it: `custom`
 * (and its URI) wraps the file as `{"Data": <text>, "Timestamp": <RFC 3339 UTC>}`; `spdx` keeps the text as a
 * string; every other type needs a JSON object.
 */
export function predicateFor(type: string, uri: string, bytes: Buffer, now: () => Date): JsonValue {
  if (uri === PREDICATE_CUSTOM) {
    return { Data: utf8Text(bytes, type), Timestamp: now().toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }
  if (type === 'spdx') return utf8Text(bytes, type);
  if (bytes.length > limits.signatureBytes) throw new AttestError('INVALID_PREDICATE', `the predicate has ${bytes.length} bytes, over the ${limits.signatureBytes}-byte limit`);
  let value: JsonValue;
  try {
    value = toPlainValue(parseJsonTree(bytes, { duplicateKeys: 'reject', invalidUtf8: 'reject' }));
  } catch (err: unknown) {
    throw new AttestError('INVALID_PREDICATE', `the ${type} predicate is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AttestError('INVALID_PREDICATE', `the ${type} predicate must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`);
  }
  return value;
}

export async function attestImage(ref: ImageReference, request: AttestRequest, options: AttestOptions = {}): Promise<AttestResult> {
  const uri = resolvePredicateType(request.predicateType);
  const predicate = predicateFor(request.predicateType, uri, request.predicate, options.now ?? (() => new Date()));
  const { digest, repo, client, close } = await openRegistryImage(ref, options.context ?? {}, 'attestations');
  try {
    const statement = buildStatement({ predicateType: uri, predicate, subjectName: subjectNameFor(repo), digest });
    const envelope = signDsse(IN_TOTO_PAYLOAD_TYPE, statement, request.key);
    const tag = attTagFor(digest);
    const existing = await readAttachment(client, repo, tag);
    const built = buildAttestationManifest(existing, [{ envelope, predicateType: uri }]);
    const configDigest = (JSON.parse(built.manifest.toString('utf8')) as { config: { digest: Digest } }).config.digest;
    for (const blob of [...built.blobs, { digest: configDigest, bytes: built.config }]) {
      if ((await client.statBlob(repo, blob.digest)) !== undefined) continue;
      await client.putBlob(repo, Readable.from([blob.bytes]), { digest: blob.digest, size: blob.bytes.length });
    }
    await client.putManifest(repo, tag, built.manifest, MediaTypes.ociManifest);
    return { manifestDigest: digest, predicateType: uri, storedAt: `${referenceName(repo)}:${tag}`, layerDigest: built.blobs[0]?.digest ?? configDigest };
  } finally {
    await close();
  }
}

/** The manifest and config of an attachment tag, or undefined when the tag does not exist. */
export async function readAttachment(client: RegistryClient, repo: DockerReference, tag: string): Promise<{ manifest: Buffer; config: Buffer } | undefined> {
  let manifest: Buffer;
  try {
    manifest = (await client.getManifest(repo, tag)).bytes;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  let parsed: { config?: { digest?: unknown; size?: unknown } };
  try {
    parsed = JSON.parse(manifest.toString('utf8')) as typeof parsed;
  } catch (err: unknown) {
    throw new AttestError('INVALID_ATTESTATION_TAG', `${tag} in ${referenceName(repo)} is not JSON`, { cause: err });
  }
  const configDigest = parsed.config?.digest;
  if (typeof configDigest !== 'string') throw new AttestError('INVALID_ATTESTATION_TAG', `${tag} in ${referenceName(repo)} has no config`);
  const size = typeof parsed.config?.size === 'number' ? parsed.config.size : -1;
  const { stream } = await client.getBlob(repo, { digest: configDigest as Digest });
  const verifier = new DigestVerifier(configDigest as Digest, { size, what: `config of ${tag}` });
  const config = await readAllCapped(pipeline(stream, verifier, () => {}), limits.configBytes, `config of ${tag}`);
  return { manifest, config };
}

/** A registry answer meaning "not there". */
export const isNotFound = isNotFoundError;
