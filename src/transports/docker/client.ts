/**
 * A client for registries speaking the OCI distribution API (Docker registry v2): `/v2/` ping with
 * https → http fallback when TLS verification is off, anonymous / Basic / Bearer-token authentication with
 * credentials from the system context or auth files, retries with back-off for idempotent requests, and the
 * manifest, blob, upload, mount and tag-list operations the docker transport, sync and signature code use.
 *
 * One client holds one keep-alive connection pool and may talk to several registries; it is safe for
 * concurrent use. Every response body it buffers is read with a size cap from `limits`.
 */
import { STATUS_CODES } from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CodedError,
  CoreInputError,
  IntegrityError,
  describeError,
  isDigest,
  limits,
  parseDigest,
  readAllCapped,
  type Digest,
} from '../../core/index.js';
import { ALL_MANIFEST_MEDIA_TYPES, detectManifestMediaType, manifestDigest, matchesDigest } from '../../manifest/index.js';
import type { BlobInfo, BlobStream, ManifestBytes, SystemContext } from '../types.js';
import { findCredentials, type RegistryCredentials } from './auth-file.js';
import { HttpPool, discardBody, type HttpResponse } from './http.js';
import { RegistryError, isOciErrorCode, type OciErrorCode, type RegistryErrorCode } from './errors.js';
import { parseChallenges, parseScope, type Challenge } from './www-authenticate.js';

/** A repository on a registry; a `DockerReference` is one. */
export interface RepositoryRef {
  /** The registry as written in references: `docker.io`, `quay.io`, `127.0.0.1:5000`. */
  readonly domain: string;
  /** The repository path: `library/busybox`. */
  readonly path: string;
}

export interface RetryOptions {
  /** Tries in all, including the first. */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Upper bound on a delay asked for by `Retry-After`. */
  readonly maxRetryAfterMs: number;
}

export interface RegistryClientOptions {
  readonly retry?: Partial<RetryOptions>;
  /** Connections per origin in the keep-alive pool. */
  readonly connections?: number;
}

/** What the `/v2/` ping found out about a registry. */
export interface PingResult {
  readonly scheme: 'https' | 'http';
  /** `https://host[:port]`, the base of every API path. */
  readonly origin: string;
  /** The authentication challenges `/v2/` answered with (empty: anonymous access). */
  readonly challenges: readonly Challenge[];
  /** `/v2/` answered `X-Registry-Supports-Signatures: 1` (the signature extension API). */
  readonly supportsSignatures: boolean;
}

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface RegistryRequest {
  readonly method: HttpMethod;
  /** An absolute path with optional query (`/v2/ns/app/tags/list?n=10`), resolved against the registry's origin. */
  readonly path?: string;
  /** Or an absolute URL (an upload `Location`, a `Link`); credentials are only sent to the registry's own host. */
  readonly url?: URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** A stream body is sent once and never retried. */
  readonly body?: Buffer | Readable;
  /** Token actions on the repository: `pull` (default), `pull,push`, `*`. */
  readonly actions?: string;
  /** More token scopes, e.g. `repository:other/repo:pull` for a cross-repository mount. */
  readonly extraScopes?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface RegistryResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Must be consumed or destroyed by the caller. */
  readonly body: Readable;
  /** The URL that answered. */
  readonly url: URL;
  readonly method: HttpMethod;
}

/** A manifest as the registry describes it in a HEAD answer; the digest is the registry's claim, not checked. */
export interface ManifestHead {
  readonly untrustedDigest: Digest | undefined;
  readonly mediaType: string | undefined;
  readonly size: number;
}

export interface PutBlobOptions {
  /** Upload in chunks of this many bytes (PATCH with `Content-Range`), then a final PUT; 0 = one streaming PUT. */
  readonly chunkSize?: number;
}

export interface ListTagsOptions {
  /** Ask for pages of this many tags (`n`); the registry may ignore it. */
  readonly pageSize?: number;
}

const defaultRetry: RetryOptions = { attempts: 3, initialDelayMs: 100, maxDelayMs: 1600, maxRetryAfterMs: 10_000 };
const maxRedirects = 5;
const maxTagPages = 10_000;
const defaultTokenLifetimeSeconds = 60;
const retryableNetworkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The host that serves a registry's API: Docker Hub's is not `docker.io`. */
export function registryApiHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

export function repositoryScope(path: string, actions: string): string {
  return `repository:${path}:${actions}`;
}

interface RegistryState {
  ping: Promise<PingResult> | undefined;
  /** Starts as the ping's challenges; a later 401 with a challenge may replace them. */
  challenges: readonly Challenge[];
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

interface Exchange {
  readonly url: URL;
  readonly method: HttpMethod;
  readonly headers: Record<string, string>;
  readonly body?: Buffer | Readable | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Retry network failures (idempotent requests without a stream body). */
  readonly retryNetwork: boolean;
  /** Retry 429 and 5xx answers (requests without a stream body). */
  readonly retryStatus: boolean;
}

export class RegistryClient {
  private readonly ctx: SystemContext;
  private readonly retry: RetryOptions;
  private readonly pool: HttpPool;
  private readonly userAgent: string;
  private readonly insecure: boolean;
  private readonly registries = new Map<string, RegistryState>();
  private readonly credentialCache = new Map<string, Promise<RegistryCredentials | undefined>>();
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  private closed = false;

  constructor(ctx: SystemContext = {}, options: RegistryClientOptions = {}) {
    this.ctx = ctx;
    this.retry = { ...defaultRetry, ...stripUndefined(options.retry ?? {}) };
    this.insecure = ctx.tlsVerify === false;
    this.userAgent = ctx.userAgent ?? 'signet';
    this.pool = new HttpPool({ connections: options.connections ?? 16, rejectUnauthorized: !this.insecure });
  }

  // ---- registry properties -------------------------------------------------------------------------------

  /** Ping `/v2/` once per registry (https first; http too when TLS verification is off). */
  ping(domain: string): Promise<PingResult> {
    const state = this.state(domain);
    if (state.ping === undefined) {
      const p = this.doPing(domain).then((result) => {
        state.challenges = result.challenges;
        return result;
      });
      state.ping = p;
      // A failed ping may be retried by a later call.
      p.catch(() => {
        if (state.ping === p) state.ping = undefined;
      });
    }
    return state.ping;
  }

  /** Whether the registry offers the signature extension API (`X-Registry-Supports-Signatures: 1`). */
  async supportsSignatures(domain: string): Promise<boolean> {
    return (await this.ping(domain)).supportsSignatures;
  }

  // ---- manifests -----------------------------------------------------------------------------------------

  /**
   * The manifest named by a tag or digest. When `tagOrDigest` is a digest the bytes are checked against it
   * (schema-1 aware) and a mismatch throws `IntegrityError` `DIGEST_MISMATCH`.
   */
  async getManifest(repo: RepositoryRef, tagOrDigest: string): Promise<ManifestBytes> {
    const what = `reading manifest ${tagOrDigest} of ${repoName(repo)}`;
    const res = await this.request(repo, {
      method: 'GET',
      path: manifestPath(repo, tagOrDigest),
      headers: { accept: ALL_MANIFEST_MEDIA_TYPES.join(', ') },
    });
    if (res.status !== 200) throw await this.responseError(res, what, 'MANIFEST_UNKNOWN');
    const bytes = await readAllCapped(res.body, limits.manifestBytes, `manifest ${tagOrDigest} of ${repoName(repo)}`);
    if (tagOrDigest.includes(':')) verifyManifestDigest(bytes, parseDigest(tagOrDigest), `manifest of ${repoName(repo)}`);
    return { bytes, mediaType: manifestMediaType(headerValue(res, 'content-type'), bytes) };
  }

  /** HEAD a manifest: the registry's digest claim, media type and size; `undefined` when it does not exist. */
  async headManifest(repo: RepositoryRef, tagOrDigest: string): Promise<ManifestHead | undefined> {
    const what = `looking up manifest ${tagOrDigest} of ${repoName(repo)}`;
    const res = await this.request(repo, {
      method: 'HEAD',
      path: manifestPath(repo, tagOrDigest),
      headers: { accept: ALL_MANIFEST_MEDIA_TYPES.join(', ') },
    });
    if (res.status === 404) {
      await drain(res);
      return undefined;
    }
    if (res.status !== 200) throw await this.responseError(res, what, 'MANIFEST_UNKNOWN');
    await drain(res);
    const claimed = headerValue(res, 'docker-content-digest');
    const contentType = headerValue(res, 'content-type');
    return {
      untrustedDigest: claimed !== undefined && isDigest(claimed) ? (claimed as Digest) : undefined,
      mediaType: contentType === undefined ? undefined : bareMediaType(contentType),
      size: contentLength(res),
    };
  }

  /** PUT a manifest under a tag or its digest. */
  async putManifest(repo: RepositoryRef, tagOrDigest: string, bytes: Buffer, mediaType: string): Promise<void> {
    const what = `writing manifest ${tagOrDigest} to ${repoName(repo)}`;
    const res = await this.request(repo, {
      method: 'PUT',
      path: manifestPath(repo, tagOrDigest),
      headers: { 'content-type': mediaType },
      body: bytes,
      actions: 'pull,push',
    });
    if (res.status < 200 || res.status > 299) throw await this.responseError(res, what, 'NAME_UNKNOWN');
    await drain(res);
  }

  /** DELETE a manifest by digest (registries refuse deleting by tag). */
  async deleteManifest(repo: RepositoryRef, digest: Digest): Promise<void> {
    const what = `deleting manifest ${digest} of ${repoName(repo)}`;
    const res = await this.request(repo, { method: 'DELETE', path: manifestPath(repo, digest), actions: '*' });
    if (res.status < 200 || res.status > 299) throw await this.responseError(res, what, 'MANIFEST_UNKNOWN');
    await drain(res);
  }

  // ---- blobs ---------------------------------------------------------------------------------------------

  /**
   * A blob's bytes, following redirects (credentials are never sent to another host). When `info.urls` lists
   * http(s) locations (foreign layers) those are tried first, without credentials. The caller verifies the
   * content against the digest.
   */
  async getBlob(repo: RepositoryRef, info: Pick<BlobInfo, 'digest'> & { readonly urls?: readonly string[] | undefined }): Promise<BlobStream> {
    const what = `reading blob ${info.digest} of ${repoName(repo)}`;
    for (const candidate of info.urls ?? []) {
      let url: URL;
      try {
        url = new URL(candidate);
      } catch {
        continue;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
      try {
        const res = await this.followRedirects(repo, await this.exchange(this.plainExchange(url, 'GET')), what);
        if (res.status === 200) return { stream: res.body, size: contentLength(res) };
        await drain(res);
      } catch {
        // Fall back to the registry.
      }
    }
    const first = await this.request(repo, { method: 'GET', path: blobPath(repo, info.digest) });
    const res = await this.followRedirects(repo, first, what);
    if (res.status !== 200) throw await this.responseError(res, what, 'BLOB_UNKNOWN');
    return { stream: res.body, size: contentLength(res) };
  }

  /** The size of a blob in the repository, or `undefined` when the repository does not have it. */
  async statBlob(repo: RepositoryRef, digest: Digest, extraScopes: readonly string[] = []): Promise<{ readonly size: number } | undefined> {
    const what = `checking for blob ${digest} in ${repoName(repo)}`;
    let res = await this.request(repo, { method: 'HEAD', path: blobPath(repo, digest), extraScopes });
    res = await this.followRedirects(repo, res, what, 'HEAD');
    if (res.status === 404) {
      await drain(res);
      return undefined;
    }
    if (res.status !== 200) throw await this.responseError(res, what, 'BLOB_UNKNOWN');
    await drain(res);
    return { size: contentLength(res) };
  }

  /**
   * Ask the registry to mount `digest` from repository `fromPath` on the same registry. True when it did
   * (201); false when it started an ordinary upload instead (202; that session is cancelled).
   */
  async mountBlob(repo: RepositoryRef, digest: Digest, fromPath: string): Promise<boolean> {
    const what = `mounting blob ${digest} from ${repo.domain}/${fromPath} to ${repoName(repo)}`;
    const query = new URLSearchParams({ mount: parseDigest(digest, 'blob digest'), from: checkRepositoryPath(fromPath) }).toString();
    const res = await this.request(repo, {
      method: 'POST',
      path: `/v2/${checkRepositoryPath(repo.path)}/blobs/uploads/?${query}`,
      actions: 'pull,push',
      extraScopes: [repositoryScope(fromPath, 'pull')],
      headers: { 'content-length': '0' },
    });
    if (res.status === 201) {
      await drain(res);
      return true;
    }
    if (res.status === 202) {
      await drain(res);
      const location = headerValue(res, 'location');
      if (location !== undefined) await this.cancelUpload(repo, resolveLocation(location, res.url));
      return false;
    }
    throw await this.responseError(res, what, 'BLOB_UNKNOWN');
  }

  /**
   * Upload a blob: start a session, then either one streaming `PUT ?digest=` or `PATCH` chunks followed by
   * `PUT ?digest=`. The body is never buffered whole. If `stream` errors, the request is aborted, the session
   * is cancelled (best effort) and the stream's error is re-thrown unchanged; the registry only accepts the
   * blob if the bytes it received hash to `info.digest`.
   */
  async putBlob(repo: RepositoryRef, stream: Readable, info: Pick<BlobInfo, 'digest' | 'size'>, options: PutBlobOptions = {}): Promise<void> {
    const what = `uploading blob ${info.digest} to ${repoName(repo)}`;
    let streamError: unknown;
    const abort = new AbortController();
    // A chunk already read is sent whole (aborting it would race the session's cancellation); only the
    // streaming PUT, which carries the failing stream itself, is aborted at once.
    const onError = (err: unknown): void => {
      if (streamError === undefined) streamError = err;
      abort.abort(err);
    };
    stream.on('error', onError);
    let location: URL | undefined;
    try {
      location = await this.startUpload(repo, what);
      const chunkSize = options.chunkSize ?? 0;
      let res: RegistryResponse;
      if (chunkSize > 0) {
        let offset = 0;
        for await (const chunk of chunksOf(stream, chunkSize)) {
          const patch = await this.request(repo, {
            method: 'PATCH',
            url: location,
            actions: 'pull,push',
            headers: {
              'content-type': 'application/octet-stream',
              'content-range': `${offset}-${offset + chunk.length - 1}`,
              'content-length': String(chunk.length),
            },
            body: chunk,
          });
          if (patch.status !== 202 && patch.status !== 204) throw await this.responseError(patch, what, 'BLOB_UPLOAD_UNKNOWN');
          await drain(patch);
          location = nextLocation(patch, location, what);
          offset += chunk.length;
        }
        if (streamError !== undefined) throw streamError;
        res = await this.request(repo, {
          method: 'PUT',
          url: withDigestQuery(location, info.digest),
          actions: 'pull,push',
          headers: { 'content-type': 'application/octet-stream', 'content-length': '0' },
        });
      } else {
        const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
        if (info.size >= 0) headers['content-length'] = String(info.size);
        res = await this.request(repo, {
          method: 'PUT',
          url: withDigestQuery(location, info.digest),
          actions: 'pull,push',
          headers,
          body: stream,
          signal: abort.signal,
        });
        if (res.status !== 201 && streamError === undefined) {
          // The registry may refuse the bytes (DIGEST_INVALID) a moment before the caller's verifier fails the
          // stream; its error names expected and actual digests, so give it the chance to arrive.
          await Promise.race([finished(stream, { writable: false }).catch(() => undefined), sleep(200)]);
        }
      }
      if (streamError !== undefined) {
        await drain(res);
        throw streamError;
      }
      if (res.status !== 201) throw await this.responseError(res, what, 'BLOB_UPLOAD_UNKNOWN');
      await drain(res);
    } catch (err) {
      if (!stream.destroyed) stream.destroy();
      if (location !== undefined) await this.cancelUpload(repo, location);
      if (streamError !== undefined) throw streamError;
      throw err;
    }
    // `onError` stays attached: a stream that fails after the registry answered must not crash the process.
  }

  /** DELETE a blob (registries may refuse; digests shared with other images are affected too). */
  async deleteBlob(repo: RepositoryRef, digest: Digest): Promise<void> {
    const what = `deleting blob ${digest} of ${repoName(repo)}`;
    const res = await this.request(repo, { method: 'DELETE', path: blobPath(repo, digest), actions: '*' });
    if (res.status < 200 || res.status > 299) throw await this.responseError(res, what, 'BLOB_UNKNOWN');
    await drain(res);
  }

  // ---- tags ----------------------------------------------------------------------------------------------

  /** Every tag of the repository, following `Link: <…>; rel="next"` pagination. */
  async listTags(repo: RepositoryRef, options: ListTagsOptions = {}): Promise<string[]> {
    const what = `listing tags of ${repoName(repo)}`;
    const tags: string[] = [];
    const seen = new Set<string>();
    let next: { path: string } | { url: URL } | undefined = {
      path: `/v2/${checkRepositoryPath(repo.path)}/tags/list${options.pageSize !== undefined && options.pageSize > 0 ? `?n=${options.pageSize}` : ''}`,
    };
    for (let page = 0; next !== undefined; page++) {
      if (page >= maxTagPages) throw new RegistryError('INVALID_RESPONSE', `${what}: more than ${maxTagPages} pages`);
      const res = await this.request(repo, { method: 'GET', ...next });
      const key = res.url.href;
      if (seen.has(key)) {
        await drain(res);
        throw new RegistryError('INVALID_RESPONSE', `${what}: the registry's pagination loops back to ${res.url.pathname}${res.url.search}`);
      }
      seen.add(key);
      if (res.status !== 200) throw await this.responseError(res, what, 'NAME_UNKNOWN');
      const body = await readAllCapped(res.body, limits.tagListBytes, `tag list of ${repoName(repo)}`);
      tags.push(...parseTagList(body, what));
      const link = nextLink(res);
      next = link === undefined ? undefined : { url: new URL(link, res.url) };
    }
    return tags;
  }

  // ---- low level -----------------------------------------------------------------------------------------

  /**
   * Send one request to the registry of `repo` with credentials for `repo`, retrying replayable requests on
   * 429, 5xx and (idempotent ones) network failures, and once on a 401 that names a new challenge or scope.
   * Throws `RegistryError` `CONNECTION_FAILED` when no answer arrives; any HTTP status is returned.
   */
  async request(repo: RepositoryRef, req: RegistryRequest): Promise<RegistryResponse> {
    this.assertOpen();
    const ping = await this.ping(repo.domain);
    const url = req.url ?? new URL(req.path ?? '/v2/', ping.origin);
    const streaming = req.body instanceof Readable;
    const idempotent = req.method === 'GET' || req.method === 'HEAD' || req.method === 'PUT' || req.method === 'DELETE';
    const sendCredentials = url.host === new URL(ping.origin).host;
    const scopes = [repositoryScope(repo.path, req.actions ?? 'pull'), ...(req.extraScopes ?? [])];
    let freshToken = false;
    for (let authTry = 0; ; authTry++) {
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      const authorization = sendCredentials ? await this.authorization(repo, scopes, freshToken) : undefined;
      if (authorization !== undefined) headers['authorization'] = authorization;
      const res = await this.exchange({
        url,
        method: req.method,
        headers,
        body: req.body,
        signal: req.signal,
        retryNetwork: idempotent && !streaming,
        // A PATCH the registry failed on may have appended part of the chunk; the session cannot be replayed.
        retryStatus: !streaming && req.method !== 'PATCH',
      });
      if (res.status !== 401 || streaming || authTry > 0 || !sendCredentials) return res;
      // One more try when the 401 tells us something new: a challenge we did not know or a wider scope.
      const challenges = parseChallenges(headerValues(res, 'www-authenticate'));
      const state = this.state(repo.domain);
      let retry = false;
      if (challenges.length > 0 && state.challenges.length === 0) {
        state.challenges = challenges;
        retry = true;
      }
      for (const c of challenges) {
        const wanted = c.scheme === 'bearer' && c.params['error'] === 'insufficient_scope' ? c.params['scope'] : undefined;
        if (wanted === undefined) continue;
        for (const s of wanted.split(' ')) {
          if (parseScope(s) !== undefined && !scopes.includes(s)) {
            scopes.push(s);
            retry = true;
          }
        }
      }
      if (authorization?.startsWith('Bearer ')) {
        // The cached token may have been revoked.
        freshToken = true;
        retry = true;
      }
      if (!retry) return res;
      await drain(res);
    }
  }

  /** Release the connection pool. Blob streams still open are ended (a forgotten stream must not hang this). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.destroy();
  }

  // ---- internals -----------------------------------------------------------------------------------------

  private state(domain: string): RegistryState {
    let s = this.registries.get(domain);
    if (s === undefined) {
      s = { ping: undefined, challenges: [] };
      this.registries.set(domain, s);
    }
    return s;
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryError('CONNECTION_FAILED', 'the registry client has been closed');
  }

  private async doPing(domain: string): Promise<PingResult> {
    this.assertOpen();
    const host = registryApiHost(domain);
    const attempt = async (scheme: 'https' | 'http', retryNetwork: boolean): Promise<PingResult> => {
      const origin = `${scheme}://${host}`;
      const res = await this.exchange({ ...this.plainExchange(new URL('/v2/', origin), 'GET'), retryNetwork });
      if (res.status !== 200 && res.status !== 401) throw await this.responseError(res, `pinging registry ${domain}`);
      await drain(res);
      return {
        scheme,
        origin,
        challenges: parseChallenges(headerValues(res, 'www-authenticate')),
        supportsSignatures: headerValue(res, 'x-registry-supports-signatures') === '1',
      };
    };
    try {
      return await attempt('https', !this.insecure);
    } catch (httpsError) {
      if (!this.insecure) {
        if (httpsError instanceof RegistryError && httpsError.code === 'CONNECTION_FAILED') {
          throw new RegistryError('CONNECTION_FAILED', `pinging registry ${domain}: ${httpsError.message}`, { cause: httpsError });
        }
        throw httpsError;
      }
      try {
        return await attempt('http', true);
      } catch (httpError) {
        throw new RegistryError(
          httpError instanceof RegistryError ? httpError.code : 'CONNECTION_FAILED',
          `pinging registry ${domain}: https: ${describeError(httpsError)}; http: ${describeError(httpError)}`,
          httpError instanceof RegistryError ? { status: httpError.status, cause: httpError } : { cause: httpError },
        );
      }
    }
  }

  private plainExchange(url: URL, method: HttpMethod): Exchange {
    return { url, method, headers: {}, retryNetwork: method === 'GET' || method === 'HEAD', retryStatus: true };
  }

  /** One HTTP exchange with retries; no authentication. */
  private async exchange(x: Exchange): Promise<RegistryResponse> {
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      'docker-distribution-api-version': 'registry/2.0',
      ...x.headers,
    };
    for (let attempt = 1; ; attempt++) {
      let data: HttpResponse;
      try {
        data = await this.pool.request({
          origin: x.url.origin,
          path: `${x.url.pathname}${x.url.search}`,
          method: x.method,
          headers,
          body: x.body ?? null,
          signal: x.signal ?? null,
        });
      } catch (err) {
        if (x.retryNetwork && attempt < this.retry.attempts && isRetryableNetworkError(err) && !x.signal?.aborted) {
          await sleep(this.backoff(attempt));
          continue;
        }
        if (x.signal?.aborted) throw x.signal.reason ?? err;
        if (err instanceof CodedError) throw err;
        throw new RegistryError('CONNECTION_FAILED', `${x.method} ${redact(x.url)}: ${networkMessage(err)}`, {
          request: `${x.method} ${x.url.pathname}`,
          cause: err,
        });
      }
      const res: RegistryResponse = { status: data.statusCode, headers: data.headers, body: data.body, url: x.url, method: x.method };
      if (x.retryStatus && attempt < this.retry.attempts && (res.status === 429 || res.status >= 500)) {
        const delay = retryAfterMs(headerValue(res, 'retry-after'), this.retry.maxRetryAfterMs) ?? this.backoff(attempt);
        await drain(res);
        await sleep(delay);
        continue;
      }
      return res;
    }
  }

  private backoff(attempt: number): number {
    return Math.min(this.retry.initialDelayMs * 2 ** (attempt - 1), this.retry.maxDelayMs);
  }

  /** Follow 3xx answers; the Authorization header only goes to the registry's own host. */
  private async followRedirects(repo: RepositoryRef, first: RegistryResponse, what: string, method: HttpMethod = 'GET'): Promise<RegistryResponse> {
    let res = first;
    for (let hops = 0; isRedirect(res.status); hops++) {
      const location = headerValue(res, 'location');
      await drain(res);
      if (location === undefined) throw new RegistryError('INVALID_RESPONSE', `${what}: redirect ${res.status} without a Location`, { status: res.status });
      if (hops >= maxRedirects) throw new RegistryError('INVALID_RESPONSE', `${what}: more than ${maxRedirects} redirects`, { status: res.status });
      const target = new URL(location, res.url);
      if (target.protocol !== 'https:' && target.protocol !== 'http:') {
        throw new RegistryError('INVALID_RESPONSE', `${what}: redirect to unsupported URL scheme ${target.protocol}`);
      }
      // `request` sends credentials only when `target` is on the registry's host.
      res = await this.request(repo, { method, url: target });
    }
    return res;
  }

  private async startUpload(repo: RepositoryRef, what: string): Promise<URL> {
    const res = await this.request(repo, {
      method: 'POST',
      path: `/v2/${checkRepositoryPath(repo.path)}/blobs/uploads/`,
      actions: 'pull,push',
      headers: { 'content-length': '0' },
    });
    if (res.status !== 202) throw await this.responseError(res, what, 'NAME_UNKNOWN');
    await drain(res);
    return nextLocation(res, res.url, what);
  }

  /** Best-effort DELETE of an upload session. */
  private async cancelUpload(repo: RepositoryRef, location: URL): Promise<void> {
    try {
      const res = await this.request(repo, { method: 'DELETE', url: location, actions: 'pull,push' });
      await drain(res);
    } catch {
      // The registry expires abandoned sessions.
    }
  }

  private credentials(repo: RepositoryRef): Promise<RegistryCredentials | undefined> {
    const key = repoName(repo);
    let p = this.credentialCache.get(key);
    if (p === undefined) {
      p = findCredentials(this.ctx, key);
      this.credentialCache.set(key, p);
      p.catch(() => this.credentialCache.delete(key));
    }
    return p;
  }

  private async authorization(repo: RepositoryRef, scopes: readonly string[], fresh: boolean): Promise<string | undefined> {
    const challenges = this.state(repo.domain).challenges;
    if (challenges.length === 0) return undefined;
    const creds = await this.credentials(repo);
    for (const challenge of challenges) {
      if (challenge.scheme === 'basic') {
        if (creds === undefined) return undefined;
        return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
      }
      if (challenge.scheme === 'bearer') {
        const token = await this.bearerToken(challenge, scopes, creds, fresh);
        return `Bearer ${token}`;
      }
    }
    return undefined;
  }

  private async bearerToken(challenge: Challenge, scopes: readonly string[], creds: RegistryCredentials | undefined, fresh: boolean): Promise<string> {
    const sortedScopes = [...new Set(scopes)].sort();
    const key = JSON.stringify([challenge.params['realm'] ?? '', challenge.params['service'] ?? '', sortedScopes, credentialIdentity(creds)]);
    const cached = this.tokens.get(key);
    if (cached !== undefined && !fresh) {
      const t = await cached.catch(() => undefined);
      if (t !== undefined && t.expiresAt > Date.now()) return t.token;
    }
    const p = this.fetchToken(challenge, sortedScopes, creds);
    this.tokens.set(key, p);
    p.catch(() => {
      if (this.tokens.get(key) === p) this.tokens.delete(key);
    });
    return (await p).token;
  }

  private async fetchToken(challenge: Challenge, scopes: readonly string[], creds: RegistryCredentials | undefined): Promise<CachedToken> {
    const realmText = challenge.params['realm'];
    if (realmText === undefined || realmText === '') throw new RegistryError('INVALID_RESPONSE', 'bearer challenge without a realm');
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new RegistryError('INVALID_RESPONSE', `bearer challenge with an invalid realm ${JSON.stringify(realmText)}`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new RegistryError('INVALID_RESPONSE', `bearer realm ${JSON.stringify(realmText)} is not an http(s) URL`);
    }
    const service = challenge.params['service'];
    const what = `requesting a bearer token from ${realm.origin}${realm.pathname}`;
    let res: RegistryResponse;
    if (creds?.identityToken !== undefined) {
      const form = new URLSearchParams();
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', creds.identityToken);
      form.set('client_id', 'signet');
      if (service !== undefined && service !== '') form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      res = await this.exchange({
        ...this.plainExchange(realm, 'POST'),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString(), 'utf8'),
      });
    } else {
      const url = new URL(realm);
      if (service !== undefined && service !== '') url.searchParams.append('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds !== undefined && creds.username !== '') url.searchParams.append('account', creds.username);
      const headers: Record<string, string> = {};
      if (creds !== undefined && creds.username !== '' && creds.password !== '') {
        headers['authorization'] = `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
      }
      res = await this.exchange({ ...this.plainExchange(url, 'GET'), headers });
    }
    if (res.status !== 200) {
      const err = await this.responseError(res, what);
      if (res.status === 401 || res.status === 403) throw err;
      throw new RegistryError('TOKEN_REQUEST_FAILED', err.message, { status: err.status, request: err.request, registryMessage: err.registryMessage, cause: err });
    }
    const body = await readAllCapped(res.body, limits.smallJsonBytes, 'bearer token response');
    return parseTokenResponse(body, what);
  }

  /** A RegistryError describing a non-success answer; reads (capped) and consumes the body. */
  private async responseError(res: RegistryResponse, what: string, notFoundCode?: OciErrorCode): Promise<RegistryError> {
    let text = '';
    if (res.method !== 'HEAD') {
      try {
        text = (await readAllCapped(res.body, limits.smallJsonBytes, 'registry error body')).toString('utf8');
      } catch {
        res.body.destroy();
      }
    } else {
      await drain(res);
    }
    let registryCode: string | undefined;
    let registryMessage: string | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      const first = isRecord(parsed) && Array.isArray(parsed['errors']) ? (parsed['errors'][0] as unknown) : undefined;
      if (isRecord(first)) {
        if (typeof first['code'] === 'string') registryCode = first['code'];
        if (typeof first['message'] === 'string') registryMessage = first['message'];
      } else if (isRecord(parsed)) {
        // Token servers answer {"error": "...", "error_description": "..."} (OAuth2) or {"details": "..."}.
        const m = parsed['error_description'] ?? parsed['details'] ?? parsed['error'] ?? parsed['message'];
        if (typeof m === 'string') registryMessage = m;
      }
    } catch {
      const snippet = printable(text).trim().slice(0, 200);
      if (snippet !== '') registryMessage = snippet;
    }
    let code: RegistryErrorCode;
    if (registryCode !== undefined) code = isOciErrorCode(registryCode) ? registryCode : 'UNKNOWN';
    else if (res.status === 401) code = 'UNAUTHORIZED';
    else if (res.status === 403) code = 'DENIED';
    else if (res.status === 429) code = 'TOOMANYREQUESTS';
    else if (res.status === 404 && notFoundCode !== undefined) code = notFoundCode;
    else code = 'HTTP_STATUS';
    const statusText = STATUS_CODES[res.status];
    const status = statusText === undefined ? String(res.status) : `${res.status} ${statusText}`;
    const detail = registryMessage === undefined ? '' : `: ${registryCode === undefined ? '' : `${registryCode}: `}${registryMessage}`;
    return new RegistryError(code, `${what}: ${res.method} ${res.url.pathname} answered ${status}${detail}`, {
      status: res.status,
      request: `${res.method} ${res.url.pathname}`,
      registryMessage,
      registryCode,
    });
  }
}

// ---- helpers ---------------------------------------------------------------------------------------------

function repoName(repo: RepositoryRef): string {
  return `${repo.domain}/${repo.path}`;
}

const pathGrammar = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const tagGrammar = /^\w[\w.-]{0,127}$/;

/** Refuse repository paths that are not valid names (they are put into URL paths). */
export function checkRepositoryPath(path: string): string {
  if (!pathGrammar.test(path)) throw new CoreInputError('INVALID_REFERENCE', `invalid repository name ${JSON.stringify(path)}`);
  return path;
}

function manifestPath(repo: RepositoryRef, tagOrDigest: string): string {
  if (tagOrDigest.includes(':')) parseDigest(tagOrDigest, 'manifest reference');
  else if (!tagGrammar.test(tagOrDigest)) throw new CoreInputError('INVALID_REFERENCE', `invalid tag ${JSON.stringify(tagOrDigest)}`);
  return `/v2/${checkRepositoryPath(repo.path)}/manifests/${tagOrDigest}`;
}

function blobPath(repo: RepositoryRef, digest: Digest): string {
  return `/v2/${checkRepositoryPath(repo.path)}/blobs/${parseDigest(digest, 'blob digest')}`;
}

function verifyManifestDigest(bytes: Buffer, expected: Digest, what: string): void {
  if (matchesDigest(bytes, expected)) return;
  let actual: string;
  try {
    actual = manifestDigest(bytes);
  } catch (err) {
    actual = `(not computable: ${describeError(err)})`;
  }
  throw new IntegrityError('DIGEST_MISMATCH', `${what}: digest mismatch: expected ${expected}, got ${actual}`, expected, actual);
}

const untypedContentTypes = new Set(['', 'text/plain', 'application/json', 'application/octet-stream', 'binary/octet-stream']);

/** The registry's Content-Type, unless it is missing or generic; then what the content looks like. */
function manifestMediaType(contentType: string | undefined, bytes: Buffer): string {
  const bare = contentType === undefined ? '' : bareMediaType(contentType);
  if (!untypedContentTypes.has(bare)) return bare;
  const detected = detectManifestMediaType(bytes);
  return detected !== '' ? detected : bare;
}

function bareMediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
}

function headerValues(res: RegistryResponse, name: string): string[] {
  const v = res.headers[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function headerValue(res: RegistryResponse, name: string): string | undefined {
  return headerValues(res, name)[0];
}

function contentLength(res: RegistryResponse): number {
  const v = headerValue(res, 'content-length');
  if (v === undefined || !/^[0-9]+$/.test(v)) return -1;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : -1;
}

async function drain(res: RegistryResponse): Promise<void> {
  if (res.body.destroyed || res.body.readableEnded) return;
  if ('socket' in res.body) await discardBody(res.body as HttpResponse['body']);
  else res.body.destroy();
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function resolveLocation(location: string, base: URL): URL {
  return new URL(location, base);
}

function nextLocation(res: RegistryResponse, base: URL, what: string): URL {
  const location = headerValue(res, 'location');
  if (location === undefined || location === '') {
    throw new RegistryError('INVALID_RESPONSE', `${what}: ${res.method} ${res.url.pathname} answered ${res.status} without a Location`, {
      status: res.status,
    });
  }
  try {
    return resolveLocation(location, base);
  } catch {
    throw new RegistryError('INVALID_RESPONSE', `${what}: invalid upload Location ${JSON.stringify(location)}`, { status: res.status });
  }
}

/** Append `digest=` to an upload URL, keeping its existing query (e.g. `_state`) byte for byte. */
export function withDigestQuery(location: URL, digest: Digest): URL {
  const url = new URL(location.href);
  const param = `digest=${encodeURIComponent(digest)}`;
  url.search = url.search === '' || url.search === '?' ? `?${param}` : `${url.search}&${param}`;
  return url;
}

/** Split a stream into buffers of exactly `size` bytes (the last may be shorter). */
async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  for await (const piece of stream as AsyncIterable<Uint8Array | string>) {
    let buf = typeof piece === 'string' ? Buffer.from(piece) : Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
    while (pendingLength + buf.length >= size) {
      const take = size - pendingLength;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending, size);
      pending = [];
      pendingLength = 0;
      buf = buf.subarray(take);
    }
    if (buf.length > 0) {
      pending.push(buf);
      pendingLength += buf.length;
    }
  }
  if (pendingLength > 0) yield Buffer.concat(pending, pendingLength);
}

function nextLink(res: RegistryResponse): string | undefined {
  for (const header of headerValues(res, 'link')) {
    for (const m of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]*)*)/g)) {
      const params = m[2] ?? '';
      if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(params)) return m[1];
    }
  }
  return undefined;
}

function parseTagList(body: Buffer, what: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new RegistryError('INVALID_RESPONSE', `${what}: the tag list is not JSON: ${describeError(err)}`);
  }
  if (!isRecord(parsed)) throw new RegistryError('INVALID_RESPONSE', `${what}: the tag list is not a JSON object`);
  const tags = parsed['tags'];
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === 'string')) {
    throw new RegistryError('INVALID_RESPONSE', `${what}: "tags" is not an array of strings`);
  }
  return tags;
}

function parseTokenResponse(body: Buffer, what: string): CachedToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new RegistryError('INVALID_RESPONSE', `${what}: the token response is not JSON: ${describeError(err)}`);
  }
  if (!isRecord(parsed)) throw new RegistryError('INVALID_RESPONSE', `${what}: the token response is not a JSON object`);
  const token = typeof parsed['token'] === 'string' && parsed['token'] !== '' ? parsed['token'] : parsed['access_token'];
  if (typeof token !== 'string' || token === '') throw new RegistryError('INVALID_RESPONSE', `${what}: the token response has no token`);
  const expiresIn = parsed['expires_in'];
  const lifetimeSeconds = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : defaultTokenLifetimeSeconds;
  // Renew a little early so a token does not expire in flight.
  const margin = Math.min(10_000, (lifetimeSeconds * 1000) / 2);
  return { token, expiresAt: Date.now() + lifetimeSeconds * 1000 - margin };
}

function credentialIdentity(creds: RegistryCredentials | undefined): string {
  if (creds === undefined) return 'anonymous';
  const secret = createHash('sha256')
    .update(`${creds.password}\0${creds.identityToken ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return `${creds.username}:${secret}`;
}

function retryAfterMs(value: string | undefined, cap: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, cap);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  const delta = at - Date.now();
  return delta > 0 ? Math.min(delta, cap) : undefined;
}

function isRetryableNetworkError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && retryableNetworkCodes.has(code)) return true;
    e = e.cause;
  }
  return false;
}

function networkMessage(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== undefined; depth++) {
    const msg = describeError(e);
    const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
    const text = code !== undefined && !msg.includes(code) ? `${msg} (${code})` : msg;
    if (text !== '' && !parts.includes(text)) parts.push(text);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ') || 'connection failed';
}

/** A URL for messages: no credentials, no query (upload state tokens). */
function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Control characters become spaces (a registry's error text goes into messages and terminals). */
function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || code === 0x7f ? ' ' : ch;
  }
  return out.replace(/ {2,}/g, ' ');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
