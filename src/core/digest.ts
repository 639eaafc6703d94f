/**
 * Content digests (`algorithm:hex`, as go-digest) and a streaming verifier that checks size and digest
 * while data flows through it.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CoreInputError, IntegrityError } from './errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** Buffering of the verifying streams. */
const streamBufferBytes = 2 * 1024 * 1024;

/** A validated digest string such as `sha256:e3b0…`. Obtain one with `parseDigest` or `digestOf`. */
export type Digest = string & { readonly __brand: 'Digest' };

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const algorithmGrammar = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
const encodedGrammar = /^[a-zA-Z0-9=_-]+$/;

export function isSupportedAlgorithm(alg: string): alg is DigestAlgorithm {
  return alg === 'sha256' || alg === 'sha512';
}

/** Parse and validate a digest string; throws `INVALID_DIGEST` or `UNSUPPORTED_DIGEST_ALGORITHM`. */
export function parseDigest(value: string, where = 'digest'): Digest {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) {
    throw new CoreInputError('INVALID_DIGEST', `${where}: "${value}" is not a digest (expected algorithm:hex)`);
  }
  const alg = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  if (!algorithmGrammar.test(alg) || !encodedGrammar.test(encoded)) {
    throw new CoreInputError('INVALID_DIGEST', `${where}: "${value}" is not a valid digest`);
  }
  if (!isSupportedAlgorithm(alg)) {
    throw new CoreInputError('UNSUPPORTED_DIGEST_ALGORITHM', `${where}: digest algorithm "${alg}" is not supported (sha256, sha512)`);
  }
  const want = hexLength[alg];
  if (encoded.length !== want || !/^[a-f0-9]+$/.test(encoded)) {
    throw new CoreInputError('INVALID_DIGEST', `${where}: "${value}" must have ${want} lowercase hex characters after "${alg}:"`);
  }
  return value as Digest;
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

export function digestAlgorithm(d: Digest): DigestAlgorithm {
  return d.slice(0, d.indexOf(':')) as DigestAlgorithm;
}

/** The hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** The first 12 hex characters, as skopeo prints blob digests. */
export function shortDigest(d: Digest, length = 12): string {
  return digestHex(d).slice(0, length);
}

export function digestOf(bytes: Uint8Array | string, alg: DigestAlgorithm = 'sha256'): Digest {
  return `${alg}:${createHash(alg).update(bytes).digest('hex')}` as Digest;
}

/** Throws `DIGEST_MISMATCH` unless `bytes` hash to `expected` (with `expected`'s algorithm). */
export function verifyBytes(bytes: Uint8Array, expected: Digest, what = 'content'): void {
  const actual = digestOf(bytes, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new IntegrityError('DIGEST_MISMATCH', `${what}: digest mismatch: expected ${expected}, got ${actual}`, expected, actual);
  }
}

export interface DigestVerifierOptions {
  /** Expected byte count; -1 or undefined when unknown. */
  readonly size?: number | undefined;
  /** Names the content in error messages, e.g. "blob sha256:ab12…". */
  readonly what?: string;
}

/**
 * A pass-through stream that hashes everything it forwards. It fails the pipeline with `SIZE_MISMATCH`
 * as soon as more bytes than `size` arrive, and at the end with `SIZE_MISMATCH` or `DIGEST_MISMATCH`
 * *before* signalling completion, so a consumer never sees a successful end of unverified content.
 */
export class DigestVerifier extends Transform {
  readonly expected: Digest;
  readonly expectedSize: number;
  private readonly what: string;
  private readonly hash: Hash;
  private count = 0;
  /** The digest actually computed, set once the stream has ended. */
  actual: Digest | undefined;

  constructor(expected: Digest, options: DigestVerifierOptions = {}) {
    // Room for a few large chunks on each side lets reading, hashing and writing overlap.
    super({ highWaterMark: streamBufferBytes });
    this.expected = expected;
    this.expectedSize = options.size ?? -1;
    this.what = options.what ?? `blob ${expected}`;
    this.hash = createHash(digestAlgorithm(expected));
  }

  get bytesSeen(): number {
    return this.count;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    if (this.expectedSize >= 0 && this.count > this.expectedSize) {
      cb(
        new IntegrityError(
          'SIZE_MISMATCH',
          `${this.what}: size mismatch: expected ${this.expectedSize} bytes, got more than that`,
          String(this.expectedSize),
          `>${this.expectedSize}`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const actual = `${digestAlgorithm(this.expected)}:${this.hash.digest('hex')}` as Digest;
    this.actual = actual;
    if (this.expectedSize >= 0 && this.count !== this.expectedSize) {
      cb(
        new IntegrityError(
          'SIZE_MISMATCH',
          `${this.what}: size mismatch: expected ${this.expectedSize} bytes, got ${this.count}`,
          String(this.expectedSize),
          String(this.count),
        ),
      );
      return;
    }
    if (actual !== this.expected) {
      cb(new IntegrityError('DIGEST_MISMATCH', `${this.what}: digest mismatch: expected ${this.expected}, got ${actual}`, this.expected, actual));
      return;
    }
    cb();
  }
}

/** A pass-through stream that computes a digest of what flows through (for content whose digest is not known yet). */
export class DigestComputer extends Transform {
  private readonly hash: Hash;
  private readonly alg: DigestAlgorithm;
  size = 0;
  digest: Digest | undefined;

  constructor(alg: DigestAlgorithm = 'sha256') {
    super();
    this.alg = alg;
    this.hash = createHash(alg);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.digest = `${this.alg}:${this.hash.digest('hex')}` as Digest;
    cb();
  }
}
