/**
 * Talking HTTP to a Signet registry in tests: the Docker token flow (challenge → `/token`), small request
 * wrappers that read the spec's error body, pushes of blobs and generated images, and raw HTTP/1.1 over a socket
 * for requests `fetch` refuses to send (a lying `Content-Length`, unnormalised paths).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import type { Digest } from '../../src/core/index.js';
import type { FixtureImage, FixtureIndex } from '../fixtures/images.js';
import { basicAuth } from './signet-registry.js';

export function sha256(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** The parameters of a `WWW-Authenticate: Bearer k="v",…` challenge. */
export function parseBearerChallenge(header: string | null): Record<string, string> {
  assert.ok(header !== null, 'expected a WWW-Authenticate header');
  assert.match(header, /^Bearer /, `expected a Bearer challenge, got ${header}`);
  const out: Record<string, string> = {};
  for (const m of header.slice('Bearer '.length).matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    out[m[1] as string] = (m[2] as string).replace(/\\(.)/g, '$1');
  }
  return out;
}

/**
 * A bearer token the way a Docker client gets one: `GET /v2/` answers 401 with the challenge, and the realm
 * it names hands out a token for `scope` (with Basic credentials, or anonymously when `user` is undefined).
 */
export async function fetchToken(registryUrl: string, scope: string | readonly string[], user?: string, password?: string): Promise<string> {
  const probe = await fetch(`${registryUrl}/v2/`);
  await probe.arrayBuffer();
  assert.equal(probe.status, 401);
  const c = parseBearerChallenge(probe.headers.get('www-authenticate'));
  assert.ok(c['realm'] !== undefined && c['service'] !== undefined, 'the challenge names realm and service');
  const url = new URL(c['realm'] as string);
  url.searchParams.set('service', c['service'] as string);
  for (const s of typeof scope === 'string' ? [scope] : scope) url.searchParams.append('scope', s);
  const res = await fetch(url, user === undefined ? {} : { headers: { authorization: basicAuth(user, password ?? '') } });
  const body = (await res.json()) as { token?: string; errors?: unknown };
  assert.equal(res.status, 200, `token request failed: ${JSON.stringify(body)}`);
  assert.equal(typeof body.token, 'string');
  return body.token as string;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

export interface CallOptions {
  readonly method?: string;
  /** A full `Authorization` value, or undefined for none. */
  readonly auth?: string | undefined;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
}

/** `fetch` against the registry; `path` starts with `/`. */
export function call(registryUrl: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.auth !== undefined) headers['authorization'] = options.auth;
  return fetch(`${registryUrl}${path}`, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
    redirect: 'manual',
  });
}

/** The spec's error body: asserts `{"errors":[{"code":…,"message":…}]}` and returns the first code. */
export async function errorCode(res: Response): Promise<string> {
  const text = await res.text();
  let doc: { errors?: { code?: unknown; message?: unknown }[] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    assert.fail(`expected a JSON error body (status ${res.status}), got ${JSON.stringify(text.slice(0, 200))}`);
  }
  assert.ok(Array.isArray(doc.errors) && doc.errors.length > 0, `expected an errors array, got ${text}`);
  const first = doc.errors[0] as { code?: unknown; message?: unknown };
  assert.equal(typeof first.code, 'string');
  assert.equal(typeof first.message, 'string');
  return first.code as string;
}

/** Asserts a status and wire error code. */
export async function expectError(res: Response, status: number, code: string): Promise<void> {
  const actual = await errorCode(res);
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${actual}`);
  assert.equal(actual, code);
}

/** Push a blob in one request (`POST …/blobs/uploads/?digest=`). */
export async function pushBlob(registryUrl: string, auth: string, name: string, bytes: Buffer): Promise<Digest> {
  const digest = sha256(bytes);
  const res = await call(registryUrl, `/v2/${name}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    auth,
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  await res.arrayBuffer();
  assert.equal(res.status, 201, `pushing blob ${digest} to ${name}`);
  return digest;
}

export async function putManifest(registryUrl: string, auth: string, name: string, reference: string, bytes: Buffer, mediaType: string): Promise<Response> {
  return call(registryUrl, `/v2/${name}/manifests/${reference}`, { method: 'PUT', auth, headers: { 'content-type': mediaType }, body: bytes });
}

/** Push an image's blobs and manifest (by `tag`, or by digest). */
export async function pushImage(registryUrl: string, auth: string, name: string, image: FixtureImage, tag?: string): Promise<void> {
  for (const b of [image.config, ...image.layers]) await pushBlob(registryUrl, auth, name, b.bytes);
  const res = await putManifest(registryUrl, auth, name, tag ?? image.manifestDigest, image.manifest, image.mediaType);
  await res.arrayBuffer();
  assert.equal(res.status, 201, `pushing manifest ${image.manifestDigest} to ${name}`);
  assert.equal(res.headers.get('docker-content-digest'), image.manifestDigest);
}

/** Push every image of an index, then the index. */
export async function pushIndex(registryUrl: string, auth: string, name: string, index: FixtureIndex, tag?: string): Promise<void> {
  for (const img of index.images) await pushImage(registryUrl, auth, name, img);
  const res = await putManifest(registryUrl, auth, name, tag ?? index.digest, index.bytes, index.mediaType);
  await res.arrayBuffer();
  assert.equal(res.status, 201, `pushing index ${index.digest} to ${name}`);
}

/** Status of `HEAD` on a blob or manifest path. */
export async function headStatus(registryUrl: string, auth: string, path: string): Promise<number> {
  const res = await call(registryUrl, path, { method: 'HEAD', auth });
  await res.arrayBuffer();
  return res.status;
}

export interface RawResponse {
  /** Undefined when the connection closed before a status line arrived. */
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Send `head` (request line and headers, without the blank line) and `body` verbatim over a new connection,
 * then (with `hangUp`) half-close it as a client that gives up, and read the first response. Resolves when
 * that response is complete or the connection closes.
 */
export function rawRequest(registryUrl: string, head: string, body: Buffer = Buffer.alloc(0), options: { hangUp?: boolean } = {}): Promise<RawResponse> {
  const url = new URL(registryUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        done = true;
        resolve({ status: undefined, headers: {}, body: Buffer.alloc(0) });
        return;
      }
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      done = true;
      const length = Number(headers['content-length'] ?? '0');
      resolve({ status, headers, body: all.subarray(end + 4, end + 4 + length) });
      socket.destroy();
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(all.subarray(0, end).toString('latin1'))?.[1];
      if (all.length >= end + 4 + Number(length ?? '0')) finish();
    });
    socket.on('close', finish);
    socket.on('error', (err) => {
      if (!done && chunks.length === 0 && (err as { code?: string }).code !== 'ECONNRESET') reject(err);
    });
    socket.on('connect', () => {
      socket.write(`${head}\r\nHost: ${url.host}\r\n\r\n`);
      socket.write(body);
      if (options.hangUp === true) socket.end();
    });
  });
}

/** Poll `check` until it returns true (or fail after `timeoutMs`). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
