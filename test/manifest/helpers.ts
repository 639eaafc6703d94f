/** Builders for manifest test fixtures: valid objects of every format, to be broken one way at a time. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Digest } from '../../src/core/index.js';
import { ManifestError, MediaTypes, type ManifestErrorCode } from '../../src/manifest/index.js';

export type Json = Record<string, unknown>;

/** A deterministic sha256 digest derived from a label. */
export function fakeDigest(label: string): Digest {
  return `sha256:${createHash('sha256').update(label).digest('hex')}` as Digest;
}

export function bytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** A deep copy, to break without touching the original. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Assert that `fn` throws a ManifestError with `code`; returns it for further checks. */
export function expectCode(fn: () => unknown, code: ManifestErrorCode): ManifestError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ManifestError, `expected a ManifestError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.category, 'input');
  return caught;
}

export function descriptor(mediaType: string, label: string, size = 1234): Json {
  return { mediaType, digest: fakeDigest(label), size };
}

/** img-oci: an OCI image manifest with two gzip layers. */
export function ociManifest(): Json {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: descriptor(MediaTypes.ociConfig, 'config', 567),
    layers: [descriptor(MediaTypes.ociLayerGzip, 'layer-0', 1000), descriptor(MediaTypes.ociLayerGzip, 'layer-1', 2000)],
  };
}

/** img-docker: a Docker schema 2 manifest with two gzip layers. */
export function dockerManifest(): Json {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.dockerV2S2Manifest,
    config: descriptor(MediaTypes.dockerConfig, 'config', 567),
    layers: [descriptor(MediaTypes.dockerLayerGzip, 'layer-0', 1000), descriptor(MediaTypes.dockerLayerGzip, 'layer-1', 2000)],
  };
}

export function platformEntry(mediaType: string, label: string, platform: Json): Json {
  return { ...descriptor(mediaType, label, 500), platform };
}

/** idx-oci: an OCI index with amd64 and arm64 entries. */
export function ociIndex(): Json {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      platformEntry(MediaTypes.ociManifest, 'amd64', { architecture: 'amd64', os: 'linux' }),
      platformEntry(MediaTypes.ociManifest, 'arm64', { architecture: 'arm64', os: 'linux', variant: 'v8' }),
    ],
  };
}

/** idx-docker: a Docker manifest list with amd64 and arm64 entries. */
export function dockerList(): Json {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifestList,
    manifests: [
      platformEntry(MediaTypes.dockerV2S2Manifest, 'amd64', { architecture: 'amd64', os: 'linux' }),
      platformEntry(MediaTypes.dockerV2S2Manifest, 'arm64', { architecture: 'arm64', os: 'linux', variant: 'v8' }),
    ],
  };
}

export function v1Id(label: string): string {
  return createHash('sha256').update(`v1:${label}`).digest('hex');
}

/** img-schema1: an unsigned schema 1 manifest with three layers (top first), a proper parent chain. */
export function schema1Manifest(): Json {
  const ids = [v1Id('top'), v1Id('middle'), v1Id('base')];
  return {
    schemaVersion: 1,
    name: 'library/busybox',
    tag: 'latest',
    architecture: 'amd64',
    fsLayers: [{ blobSum: fakeDigest('s1-top') }, { blobSum: fakeDigest('s1-middle') }, { blobSum: fakeDigest('s1-base') }],
    history: [
      { v1Compatibility: JSON.stringify({ id: ids[0], parent: ids[1], created: '2016-03-03T11:29:44Z' }) },
      { v1Compatibility: JSON.stringify({ id: ids[1], parent: ids[2], created: '2016-03-03T11:29:38Z' }) },
      { v1Compatibility: JSON.stringify({ id: ids[2], created: '2016-03-03T11:29:32Z', throwaway: false }) },
    ],
  };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export interface SignedSchema1 {
  /** The manifest with its `signatures` member spliced in, as libtrust writes it. */
  signed: Buffer;
  /** The JWS payload: the manifest as it was before signing. */
  payload: Buffer;
}

/**
 * sig-schema1: sign a schema 1 manifest the way libtrust's PrettySignature does: the payload is indented
 * JSON; the signed form cuts it after the last member, inserts `,\n   "signatures": [...]` and the closing
 * `\n}`. The protected header records where the cut was (`formatLength`) and what was cut (`formatTail`).
 * The signature value is not a real one; nothing checks it.
 */
export function signSchema1(manifest: Json, options: { signatures?: number; protectedOverride?: (i: number) => Json } = {}): SignedSchema1 {
  const payload = Buffer.from(JSON.stringify(manifest, null, 3), 'utf8');
  const text = payload.toString('utf8');
  const formatLength = Buffer.byteLength(text.trimEnd().slice(0, -1).trimEnd(), 'utf8');
  const formatTail = payload.subarray(formatLength);
  const sigs = Array.from({ length: options.signatures ?? 1 }, (_, i) => {
    const header = options.protectedOverride?.(i) ?? { formatLength, formatTail: b64url(formatTail), time: '2016-04-18T20:54:42Z' };
    return {
      header: { jwk: { crv: 'P-256', kid: `KEY${i}`, kty: 'EC', x: 'AAAA', y: 'BBBB' }, alg: 'ES256' },
      signature: b64url(`not-a-real-signature-${i}`),
      protected: b64url(JSON.stringify(header)),
    };
  });
  const signatures = JSON.stringify(sigs, null, 3).replace(/\n/g, '\n   ');
  const signed = Buffer.concat([payload.subarray(0, formatLength), Buffer.from(`,\n   "signatures": ${signatures}\n}`, 'utf8')]);
  return { signed, payload };
}
