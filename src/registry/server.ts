/**
 * The registry's HTTP face: the OCI Distribution API under `/v2/`, the Docker signature extension under
 * `/extensions/v2/`, the lookaside view under `/sigstore/`, the token endpoint and `/api/v1/`. Fastify serves
 * and routes; each handler takes the raw request and response so bodies stream straight to and from storage.
 * Permission checks happen here, at the edge; every error is written by `sendError` from the wire table.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { CoreInputError, describeError, digestHex, limits, readAllCapped, type Digest } from '../core/index.js';
import { hashPassword, isAdminEverywhere, parseRepositoryPattern, parseRole, type RoleGrant, type TokenAccess } from './auth/index.js';
import type { AccessControl, Principal } from './access.js';
import { errorBody, parseJsonBody, RegistryHttpError } from './errors.js';
import { checkDigest, checkRepositoryName } from './names.js';
import type { RegistryService } from './service.js';

export interface RegistryServerOptions {
  readonly service: RegistryService;
  readonly access: AccessControl;
  readonly logLevel: string;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: Method;
  readonly url: URL;
  readonly secure: boolean;
}

const baseHeaders = { 'Docker-Distribution-API-Version': 'registry/2.0' };

function send(ctx: Ctx, status: number, headers: Record<string, string | number>, body?: Buffer | string): void {
  const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  const all: Record<string, string | number> = { ...baseHeaders, ...headers };
  if (bytes !== undefined && all['Content-Length'] === undefined) all['Content-Length'] = bytes.length;
  if (bytes === undefined && all['Content-Length'] === undefined) all['Content-Length'] = 0;
  ctx.res.writeHead(status, all);
  ctx.res.end(ctx.method === 'HEAD' ? undefined : bytes);
}

function sendJson(ctx: Ctx, status: number, value: unknown, headers: Record<string, string | number> = {}): void {
  send(ctx, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
}

function sendError(ctx: Ctx, err: RegistryHttpError): void {
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  send(ctx, err.status, { 'Content-Type': 'application/json; charset=utf-8', ...err.headers }, errorBody(err));
}

function unsupportedMethod(ctx: Ctx): never {
  throw new RegistryHttpError('UNSUPPORTED', `${ctx.method} is not supported on ${ctx.url.pathname}`, { status: 405 });
}

/** Content-Length as a number, or undefined when absent (chunked). Invalid → SIZE_INVALID. */
function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new RegistryHttpError('SIZE_INVALID', `invalid Content-Length ${JSON.stringify(v)}`);
  return Number(v);
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

async function readBody(req: IncomingMessage, cap: number, what: string, code: 'MANIFEST_INVALID' | 'SIGNATURE_INVALID' | 'INVALID_REQUEST'): Promise<Buffer> {
  const len = contentLength(req);
  if (len !== undefined && len > cap) {
    throw new RegistryHttpError(code, `${what} is ${len} bytes; the limit is ${cap}`, { status: 413 });
  }
  try {
    // Not `req` itself: readAllCapped would destroy it, and the client would see a reset instead of the 413.
    return await readAllCapped(req.iterator({ destroyOnReturn: false }), cap, what);
  } catch (err) {
    if (err instanceof CoreInputError && err.code === 'TOO_LARGE') {
      throw new RegistryHttpError(code, `${what} is larger than the limit of ${cap} bytes`, { status: 413 });
    }
    throw err;
  }
}

function pageSize(url: URL): number | undefined {
  const n = url.searchParams.get('n');
  if (n === null) return undefined;
  if (!/^\d{1,6}$/.test(n)) throw new RegistryHttpError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, got ${JSON.stringify(n)}`);
  return Number(n);
}

/** A single `bytes=a-b` range (or `a-`, `-n`) of a blob of `size` bytes; undefined for none; 416 when unsatisfiable. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const unsatisfiable = (): RegistryHttpError =>
    new RegistryHttpError('RANGE_INVALID', `range ${JSON.stringify(header)} cannot be served from ${size} bytes`, { headers: { 'Content-Range': `bytes */${size}` } });
  if (m === null || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable();
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw unsatisfiable();
  return { start, end };
}

/** A PATCH's `Content-Range: <start>-<end>`; undefined when absent. */
function parseContentRange(header: string | undefined, length: number | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes )?(\d+)-(\d+)(?:\/\d+|\/\*)?$/.exec(header.trim());
  if (m === null) throw new RegistryHttpError('RANGE_INVALID', `invalid Content-Range ${JSON.stringify(header)}`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RegistryHttpError('RANGE_INVALID', `invalid Content-Range ${JSON.stringify(header)}: the end is before the start`);
  if (length !== undefined && end - start + 1 !== length) {
    throw new RegistryHttpError('RANGE_INVALID', `Content-Range ${header} covers ${end - start + 1} bytes, but Content-Length is ${length}`);
  }
  return start;
}

const repoScope = (name: string, ...actions: string[]): TokenAccess => ({ type: 'repository', name, actions });

function uploadHeaders(name: string, id: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${name}/blobs/uploads/${id}`,
    Range: `0-${Math.max(size - 1, 0)}`,
    'Docker-Upload-UUID': id,
  };
}

const routes: readonly { pattern: RegExp; handle: (ctx: Ctx, h: Handlers, m: RegExpExecArray) => Promise<void> }[] = [
  { pattern: /^\/v2\/?$/, handle: (ctx, h) => h.base(ctx) },
  { pattern: /^\/v2\/_catalog$/, handle: (ctx, h) => h.catalog(ctx) },
  { pattern: /^\/v2\/(.+)\/tags\/list$/, handle: (ctx, h, m) => h.tags(ctx, m[1] as string) },
  { pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/, handle: (ctx, h, m) => h.manifest(ctx, m[1] as string, m[2] as string) },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, handle: (ctx, h, m) => h.startUpload(ctx, m[1] as string) },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, handle: (ctx, h, m) => h.upload(ctx, m[1] as string, m[2] as string) },
  { pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, handle: (ctx, h, m) => h.blob(ctx, m[1] as string, m[2] as string) },
  { pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, handle: (ctx, h, m) => h.referrers(ctx, m[1] as string, m[2] as string) },
  { pattern: /^\/extensions\/v2\/(.+)\/signatures\/([^/]+)$/, handle: (ctx, h, m) => h.extensionSignatures(ctx, m[1] as string, m[2] as string) },
  { pattern: /^\/sigstore\/(.+)@(sha256|sha512)=([0-9a-f]+)\/signature-([1-9]\d{0,5})$/, handle: (ctx, h, m) => h.lookaside(ctx, m[1] as string, `${m[2]}:${m[3]}`, Number(m[4])) },
  { pattern: /^\/token$/, handle: (ctx, h) => h.token(ctx) },
  { pattern: /^\/api\/v1\/repositories\/(.+)\/manifests\/([^/]+)\/signatures$/, handle: (ctx, h, m) => h.apiSignatures(ctx, m[1] as string, m[2] as string) },
  { pattern: /^\/api\/v1\/users\/?$/, handle: (ctx, h) => h.users(ctx) },
  { pattern: /^\/api\/v1\/users\/([^/]+)$/, handle: (ctx, h, m) => h.user(ctx, decodeURIComponent(m[1] as string)) },
  { pattern: /^\/api\/v1\/users\/([^/]+)\/roles$/, handle: (ctx, h, m) => h.userRoles(ctx, decodeURIComponent(m[1] as string)) },
];

class Handlers {
  readonly #service: RegistryService;
  readonly #access: AccessControl;

  constructor(service: RegistryService, access: AccessControl) {
    this.#service = service;
    this.#access = access;
  }

  #require(ctx: Ctx, ...needs: TokenAccess[]): Promise<Principal> {
    return this.#access.require(ctx.req, ctx.secure, needs);
  }

  async base(ctx: Ctx): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') unsupportedMethod(ctx);
    // Clients learn here how to authenticate: without credentials the answer is the challenge, even when
    // anonymous pull is on (an anonymous client then asks /token for an anonymous token, as with distribution).
    // Clients read X-Registry-Supports-Signatures from this unauthenticated ping, so the challenge carries it too.
    const signatures = { 'X-Registry-Supports-Signatures': '1' };
    try {
      if (ctx.req.headers.authorization === undefined) await this.#access.challengeAnonymous(ctx.req, ctx.secure);
      await this.#require(ctx);
    } catch (err) {
      if (err instanceof RegistryHttpError) throw new RegistryHttpError(err.code, err.message, { headers: { ...err.headers, ...signatures }, status: err.status, detail: err.detail });
      throw err;
    }
    sendJson(ctx, 200, {}, signatures);
  }

  async catalog(ctx: Ctx): Promise<void> {
    if (ctx.method !== 'GET') unsupportedMethod(ctx);
    const principal = await this.#require(ctx, { type: 'registry', name: 'catalog', actions: ['*'] });
    // The catalog lists only what the user may pull (a token's catalog scope does not widen that).
    const grants = await this.#access.grantsOf(principal);
    const canPull = (need: TokenAccess): boolean => this.#access.allows({ user: principal.user, grants }, need);
    const n = pageSize(ctx.url) ?? 100;
    const last = ctx.url.searchParams.get('last') ?? undefined;
    const names: string[] = [];
    let cursor = last;
    let more = false;
    while (names.length <= n) {
      const page = await this.#service.meta.listRepositories(Math.max(n + 1, 100), cursor);
      for (const name of page) {
        if (canPull({ type: 'repository', name, actions: ['pull'] })) names.push(name);
      }
      if (page.length < Math.max(n + 1, 100)) break;
      cursor = page[page.length - 1];
    }
    if (names.length > n) {
      more = true;
      names.length = n;
    }
    const headers: Record<string, string> = {};
    if (more && names.length > 0) headers['Link'] = `</v2/_catalog?last=${encodeURIComponent(names[names.length - 1] as string)}&n=${n}>; rel="next"`;
    sendJson(ctx, 200, { repositories: names }, headers);
  }

  async tags(ctx: Ctx, rawName: string): Promise<void> {
    if (ctx.method !== 'GET') unsupportedMethod(ctx);
    const name = checkRepositoryName(rawName);
    await this.#require(ctx, repoScope(name, 'pull'));
    const n = pageSize(ctx.url);
    const last = ctx.url.searchParams.get('last') ?? undefined;
    const limit = n ?? 10_000;
    const tags = await this.#service.listTags(name, limit + 1, last);
    const headers: Record<string, string> = {};
    if (tags.length > limit) {
      tags.length = limit;
      if (limit > 0) headers['Link'] = `</v2/${name}/tags/list?last=${encodeURIComponent(tags[tags.length - 1] as string)}&n=${limit}>; rel="next"`;
    }
    sendJson(ctx, 200, { name, tags }, headers);
  }

  async manifest(ctx: Ctx, rawName: string, reference: string): Promise<void> {
    const name = checkRepositoryName(rawName);
    switch (ctx.method) {
      case 'GET':
      case 'HEAD': {
        await this.#require(ctx, repoScope(name, 'pull'));
        const m = await this.#service.getManifest(name, reference);
        send(ctx, 200, { 'Content-Type': m.mediaType, 'Docker-Content-Digest': m.digest, ETag: `"${m.digest}"`, 'Content-Length': m.size }, m.content);
        return;
      }
      case 'PUT': {
        await this.#require(ctx, repoScope(name, 'pull', 'push'));
        const body = await readBody(ctx.req, limits.manifestBytes, 'the manifest', 'MANIFEST_INVALID');
        const result = await this.#service.putManifest(name, reference, body, ctx.req.headers['content-type']);
        send(ctx, 201, {
          Location: `/v2/${name}/manifests/${result.digest}`,
          'Docker-Content-Digest': result.digest,
          ...(result.subject === null ? {} : { 'OCI-Subject': result.subject }),
        });
        return;
      }
      case 'DELETE': {
        await this.#require(ctx, repoScope(name, 'delete'));
        await this.#service.deleteManifest(name, reference);
        send(ctx, 202, {});
        return;
      }
      default:
        unsupportedMethod(ctx);
    }
  }

  async blob(ctx: Ctx, rawName: string, rawDigest: string): Promise<void> {
    const name = checkRepositoryName(rawName);
    const digest = checkDigest(rawDigest, 'DIGEST_INVALID');
    switch (ctx.method) {
      case 'HEAD': {
        await this.#require(ctx, repoScope(name, 'pull'));
        const size = await this.#service.statBlob(name, digest);
        send(ctx, 200, { 'Content-Length': size, 'Docker-Content-Digest': digest, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: `"${digest}"` });
        return;
      }
      case 'GET': {
        await this.#require(ctx, repoScope(name, 'pull'));
        const { size, range, content } = await this.#service.openBlob(name, digest, (total) => parseRange(ctx.req.headers.range, total));
        const headers: Record<string, string | number> = {
          ...baseHeaders,
          'Docker-Content-Digest': digest,
          'Content-Type': 'application/octet-stream',
          'Accept-Ranges': 'bytes',
          ETag: `"${digest}"`,
          'Content-Length': range === undefined ? size : range.end - range.start + 1,
        };
        if (range !== undefined) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
        ctx.res.writeHead(range === undefined ? 200 : 206, headers);
        // A client that goes away mid-body, or a stored file that comes up short, ends the connection.
        await content.pipeTo(ctx.res).catch(() => undefined);
        return;
      }
      case 'DELETE': {
        await this.#require(ctx, repoScope(name, 'delete'));
        await this.#service.deleteBlob(name, digest);
        send(ctx, 202, { 'Docker-Content-Digest': digest });
        return;
      }
      default:
        unsupportedMethod(ctx);
    }
  }

  async startUpload(ctx: Ctx, rawName: string): Promise<void> {
    if (ctx.method !== 'POST') unsupportedMethod(ctx);
    const name = checkRepositoryName(rawName);
    const mount = ctx.url.searchParams.get('mount');
    const from = ctx.url.searchParams.get('from');
    const digestParam = ctx.url.searchParams.get('digest');
    if (mount !== null && from !== null) {
      const digest = checkDigest(mount);
      const source = checkRepositoryName(from);
      const principal = await this.#require(ctx, repoScope(name, 'pull', 'push'));
      // Mount only from a repository the client may read; otherwise fall back to an ordinary upload.
      if (this.#access.canPull(principal, source) && (await this.#service.mountBlob(name, source, digest))) {
        send(ctx, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
        return;
      }
    } else {
      await this.#require(ctx, repoScope(name, 'pull', 'push'));
    }
    if (digestParam !== null) {
      const digest = checkDigest(digestParam);
      const id = await this.#service.startUpload(name);
      try {
        await this.#service.completeUpload(name, id, digest, ctx.req, contentLength(ctx.req));
      } catch (err) {
        await this.#service.cancelUpload(name, id).catch(() => undefined);
        throw err;
      }
      send(ctx, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
      return;
    }
    const id = await this.#service.startUpload(name);
    send(ctx, 202, uploadHeaders(name, id, 0));
  }

  async upload(ctx: Ctx, rawName: string, id: string): Promise<void> {
    const name = checkRepositoryName(rawName);
    await this.#require(ctx, repoScope(name, 'pull', 'push'));
    switch (ctx.method) {
      case 'GET': {
        const size = await this.#service.uploadStatus(name, id);
        send(ctx, 204, uploadHeaders(name, id, size));
        return;
      }
      case 'PATCH': {
        const length = contentLength(ctx.req);
        const start = parseContentRange(ctx.req.headers['content-range'], length);
        const size = await this.#service.appendUpload(name, id, ctx.req, start, length).catch(async (err: unknown) => {
          if (err instanceof RegistryHttpError && err.code === 'RANGE_INVALID') {
            const current = await this.#service.uploadStatus(name, id);
            throw new RegistryHttpError('RANGE_INVALID', err.message, { headers: uploadHeaders(name, id, current) });
          }
          throw err;
        });
        send(ctx, 202, uploadHeaders(name, id, size));
        return;
      }
      case 'PUT': {
        const digestParam = ctx.url.searchParams.get('digest');
        if (digestParam === null) throw new RegistryHttpError('DIGEST_INVALID', 'the digest query parameter is required to finish an upload');
        const digest = checkDigest(digestParam);
        const length = contentLength(ctx.req);
        const body = hasBody(ctx.req) ? ctx.req : undefined;
        if (body !== undefined) parseContentRange(ctx.req.headers['content-range'], length);
        await this.#service.completeUpload(name, id, digest, body, body === undefined ? undefined : length);
        send(ctx, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
        return;
      }
      case 'DELETE': {
        await this.#service.cancelUpload(name, id);
        send(ctx, 204, {});
        return;
      }
      default:
        unsupportedMethod(ctx);
    }
  }

  async referrers(ctx: Ctx, rawName: string, rawDigest: string): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') unsupportedMethod(ctx);
    const name = checkRepositoryName(rawName);
    const digest = checkDigest(rawDigest);
    await this.#require(ctx, repoScope(name, 'pull'));
    const artifactType = ctx.url.searchParams.get('artifactType') ?? undefined;
    const body = await this.#service.referrers(name, digest, artifactType);
    send(ctx, 200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json', ...(artifactType === undefined ? {} : { 'OCI-Filters-Applied': 'artifactType' }) }, body);
  }

  async extensionSignatures(ctx: Ctx, rawName: string, rawDigest: string): Promise<void> {
    const name = checkRepositoryName(rawName);
    const digest = checkDigest(rawDigest);
    switch (ctx.method) {
      case 'GET': {
        await this.#require(ctx, repoScope(name, 'pull'));
        sendJson(ctx, 200, { signatures: await this.#service.extensionSignatures(name, digest) });
        return;
      }
      case 'PUT': {
        await this.#access.requireSign(ctx.req, ctx.secure, name);
        const body = await readBody(ctx.req, limits.signatureBytes * 2, 'the signature', 'SIGNATURE_INVALID');
        await this.#service.putExtensionSignature(name, digest, body);
        send(ctx, 201, {});
        return;
      }
      default:
        unsupportedMethod(ctx);
    }
  }

  async lookaside(ctx: Ctx, rawName: string, rawDigest: string, n: number): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') unsupportedMethod(ctx);
    const name = checkRepositoryName(rawName);
    const digest = checkDigest(rawDigest);
    await this.#require(ctx, repoScope(name, 'pull'));
    const content = await this.#service.lookasideSignature(name, digest, n);
    if (content === undefined) throw new RegistryHttpError('SIGNATURE_UNKNOWN', `no signature-${n} for ${name}@${digest}`);
    send(ctx, 200, { 'Content-Type': 'application/octet-stream' }, content);
  }

  async token(ctx: Ctx): Promise<void> {
    if (ctx.method !== 'GET') unsupportedMethod(ctx);
    const scopes = ctx.url.searchParams.getAll('scope');
    sendJson(ctx, 200, await this.#access.token(ctx.req, scopes), { 'Cache-Control': 'no-store' });
  }

  async users(ctx: Ctx): Promise<void> {
    if (ctx.method !== 'GET') unsupportedMethod(ctx);
    await requireAdmin(this.#access, ctx);
    const users = await this.#service.meta.listUsers();
    sendJson(ctx, 200, { users: users.map((u) => ({ name: u.name, roles: u.roles })) });
  }

  /** PUT creates or changes a user (password and/or roles); DELETE removes one; GET shows one. */
  async user(ctx: Ctx, name: string): Promise<void> {
    if (!userNamePattern.test(name)) throw new RegistryHttpError('INVALID_REQUEST', `invalid user name ${JSON.stringify(name)}`);
    await requireAdmin(this.#access, ctx);
    const meta = this.#service.meta;
    switch (ctx.method) {
      case 'GET': {
        const user = await meta.findUser(name);
        if (user === undefined) throw new RegistryHttpError('NOT_FOUND', `no user ${name}`);
        sendJson(ctx, 200, { name: user.name, roles: user.roles });
        return;
      }
      case 'PUT': {
        const body = parseUserBody(await readBody(ctx.req, limits.smallJsonBytes, 'the request', 'INVALID_REQUEST'));
        const existing = await meta.findUser(name);
        if (existing === undefined && body.password === undefined) throw new RegistryHttpError('INVALID_REQUEST', `a new user needs a password`);
        const passwordHash = body.password === undefined ? (existing as { passwordHash: string }).passwordHash : await hashPassword(body.password);
        await meta.saveUser({ name, passwordHash, roles: body.roles ?? existing?.roles ?? [] });
        this.#access.forget();
        const saved = await meta.findUser(name);
        sendJson(ctx, existing === undefined ? 201 : 200, { name, roles: saved?.roles ?? [] });
        return;
      }
      case 'DELETE': {
        if (!(await meta.removeUser(name))) throw new RegistryHttpError('NOT_FOUND', `no user ${name}`);
        this.#access.forget();
        send(ctx, 204, {});
        return;
      }
      default:
        unsupportedMethod(ctx);
    }
  }

  /** POST adds one role grant `{repository, role}` to a user. */
  async userRoles(ctx: Ctx, name: string): Promise<void> {
    if (ctx.method !== 'POST') unsupportedMethod(ctx);
    await requireAdmin(this.#access, ctx);
    const grant = parseGrant(parseJsonBody(await readBody(ctx.req, limits.smallJsonBytes, 'the request', 'INVALID_REQUEST'), 'INVALID_REQUEST', 'the request'), 'the grant');
    const meta = this.#service.meta;
    const user = await meta.findUser(name);
    if (user === undefined) throw new RegistryHttpError('NOT_FOUND', `no user ${name}`);
    await meta.saveUser({ ...user, roles: [...user.roles, grant] });
    this.#access.forget();
    sendJson(ctx, 200, { name, roles: (await meta.findUser(name))?.roles ?? [] });
  }

  async apiSignatures(ctx: Ctx, rawName: string, rawDigest: string): Promise<void> {
    if (ctx.method !== 'GET') unsupportedMethod(ctx);
    const name = checkRepositoryName(rawName);
    const digest = checkDigest(rawDigest, 'MANIFEST_UNKNOWN') as Digest;
    await this.#require(ctx, repoScope(name, 'pull'));
    const signatures = await this.#service.listAllSignatures(name, digest);
    sendJson(ctx, 200, { repository: name, digest, lookaside: `/sigstore/${name}@${digest.slice(0, digest.indexOf(':'))}=${digestHex(digest)}`, signatures });
  }
}

/** The user-administration API: admins of every repository only. */
async function requireAdmin(access: AccessControl, ctx: Ctx): Promise<void> {
  const principal = await access.require(ctx.req, ctx.secure, []);
  const grants = await access.grantsOf(principal);
  if (!isAdminEverywhere(grants)) {
    if (principal.user === null) throw new RegistryHttpError('UNAUTHORIZED', 'user administration needs the admin role on "*"', { headers: { 'WWW-Authenticate': 'Basic realm="signet"' } });
    throw new RegistryHttpError('DENIED', `${principal.user} may not administer users (the admin role on "*" is needed)`);
  }
}

function parseUserBody(body: Buffer): { password?: string; roles?: RoleGrant[] } {
  const doc = parseJsonBody(body, 'INVALID_REQUEST', 'the request');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RegistryHttpError('INVALID_REQUEST', 'the body must be a JSON object');
  const o = doc as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== 'password' && key !== 'roles') throw new RegistryHttpError('INVALID_REQUEST', `unknown key ${JSON.stringify(key)}`);
  const out: { password?: string; roles?: RoleGrant[] } = {};
  if (o['password'] !== undefined) {
    if (typeof o['password'] !== 'string' || o['password'] === '') throw new RegistryHttpError('INVALID_REQUEST', 'password must be a non-empty string');
    out.password = o['password'];
  }
  if (o['roles'] !== undefined) {
    if (!Array.isArray(o['roles'])) throw new RegistryHttpError('INVALID_REQUEST', 'roles must be a list');
    out.roles = o['roles'].map((r: unknown, i) => parseGrant(r, `roles[${i}]`));
  }
  return out;
}

function parseGrant(value: unknown, where: string): RoleGrant {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RegistryHttpError('INVALID_REQUEST', `${where} must be an object`);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== 'repository' && key !== 'role') throw new RegistryHttpError('INVALID_REQUEST', `${where}: unknown key ${JSON.stringify(key)}`);
  const repository = o['repository'];
  const role = o['role'];
  try {
    if (typeof repository !== 'string') throw new Error('repository must be a string');
    parseRepositoryPattern(repository);
    if (typeof role !== 'string') throw new Error('role must be a string');
    return { repository, role: parseRole(role) };
  } catch (err) {
    throw new RegistryHttpError('INVALID_REQUEST', `${where}: ${describeError(err)}`);
  }
}

const userNamePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** Build the Fastify instance (not yet listening). */
export async function createRegistryServer(options: RegistryServerOptions): Promise<FastifyInstance> {
  const logLevel = options.logLevel;
  const app = Fastify({
    logger: logLevel === 'silent' ? false : { level: logLevel },
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' && logLevel !== 'trace' }),
    exposeHeadRoutes: false,
    return503OnClosing: true,
    keepAliveTimeout: 30_000,
    ...(options.tls === undefined ? {} : { https: { cert: options.tls.cert, key: options.tls.key } }),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  // Bodies are not parsed: handlers stream them from the raw request.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  const handlers = new Handlers(options.service, options.access);
  const secure = options.tls !== undefined;
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'],
    url: '/*',
    handler: async (request, reply) => {
      reply.hijack();
      const req = request.raw;
      const res = reply.raw;
      const url = new URL(req.url ?? '/', 'http://registry.invalid');
      const ctx: Ctx = { req, res, method: req.method as Method, url, secure };
      // Route on the path as sent: URL parsing resolves `..`, `%2e%2e` and `\`, which would turn the invalid
      // name `a/../b` into `b` instead of refusing it.
      const path = (req.url ?? '/').split('?', 1)[0] as string;
      try {
        for (const route of routes) {
          const m = route.pattern.exec(path);
          if (m !== null) {
            await route.handle(ctx, handlers, m);
            return;
          }
        }
        throw new RegistryHttpError('NOT_FOUND', `nothing at ${url.pathname}`);
      } catch (err) {
        if (err instanceof RegistryHttpError) {
          sendError(ctx, err);
        } else {
          request.log.error({ err }, 'request failed');
          sendError(ctx, new RegistryHttpError('INTERNAL_ERROR', `internal error: ${describeError(err)}`));
        }
        // An unread request body would keep the connection busy: drop it.
        if (!req.readableEnded) req.resume();
      }
    },
  });
  return app;
}
