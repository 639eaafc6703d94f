/**
 * Authentication: Basic against a real docker-registry with htpasswd, and the Bearer token flow against a fake
 * registry and token server on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClient, RegistryError, dockerTransport } from '../../../src/transports/docker/index.js';
import { startDockerRegistry, type RunningRegistry } from '../../helpers/docker-registry.js';
import { missingPeerMessage, skipUnlessPeers, findPeer } from '../../helpers/peers.js';
import { expectCodeAsync } from '../../helpers/expect-code.js';
import { blob, makeTestImage, pushTestImage, sendJson, ociError, startFakeServer, type FakeServer } from './helpers.js';

const insecure = { tlsVerify: false } as const;

describe('Basic authentication against docker-registry with htpasswd', () => {
  const skip = skipUnlessPeers('docker-registry') || (findPeer('htpasswd') === undefined ? missingPeerMessage('htpasswd') : false);
  let registry: RunningRegistry;
  let work: string;

  before(async () => {
    if (skip) return;
    registry = await startDockerRegistry({ htpasswd: { user: 'alice', password: 's3cret' } });
    work = await mkdtemp(join(tmpdir(), 'signet-basic-'));
  });
  after(async () => {
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pushes and pulls with credentials from the context', { skip }, async () => {
    const client = new RegistryClient({ ...insecure, credentials: { username: 'alice', password: 's3cret' } });
    try {
      const ping = await client.ping(registry.host);
      assert.equal(ping.challenges[0]?.scheme, 'basic');
      const repo = { domain: registry.host, path: 'private/app' };
      const image = makeTestImage(1);
      await pushTestImage(client, repo, image, 'v1');
      assert.deepEqual((await client.getManifest(repo, 'v1')).bytes, image.manifest);
      assert.deepEqual(await client.listTags(repo), ['v1']);
    } finally {
      await client.close();
    }
  });

  it('finds credentials in an auth file', { skip }, async () => {
    const authFile = join(work, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const src = await dockerTransport.parseReference(`//${registry.host}/private/app:v1`).newImageSource({ ...insecure, authFile, env: {} });
    try {
      const m = await src.getManifest();
      assert.ok(m.bytes.length > 0);
    } finally {
      await src.close();
    }
  });

  it('reports UNAUTHORIZED without or with wrong credentials', { skip }, async () => {
    for (const ctx of [{ ...insecure, env: {} }, { ...insecure, credentials: { username: 'alice', password: 'wrong' } }]) {
      const client = new RegistryClient(ctx);
      try {
        const err = await expectCodeAsync(() => client.getManifest({ domain: registry.host, path: 'private/app' }, 'v1'), 'UNAUTHORIZED');
        assert.ok(err instanceof RegistryError);
        assert.equal(err.status, 401);
        assert.equal(err.category, 'unreachable');
        const b = blob(randomBytes(10));
        await expectCodeAsync(() => client.putBlob({ domain: registry.host, path: 'private/app' }, Readable.from([b.bytes]), b), 'UNAUTHORIZED');
      } finally {
        await client.close();
      }
    }
  });
});

describe('Bearer tokens against docker-registry with token authentication', () => {
  const skip = skipUnlessPeers('docker-registry') || (findPeer('openssl') === undefined ? missingPeerMessage('openssl') : false);
  let registry: RunningRegistry;

  before(async () => {
    if (skip) return;
    registry = await startDockerRegistry({ tokenAuth: { user: 'carol', password: 'pw', anonymousPull: true } });
  });
  after(async () => {
    await registry?.stop();
  });

  it('pushes with a pull,push token, pulls with a cached pull token, and mounts with both scopes', { skip }, async () => {
    const tokenRequests = registry.tokenServer!.requests;
    const client = new RegistryClient({ ...insecure, credentials: { username: 'carol', password: 'pw' } });
    try {
      const ping = await client.ping(registry.host);
      assert.equal(ping.challenges[0]?.scheme, 'bearer');
      assert.equal(ping.challenges[0]?.params['realm'], registry.tokenServer!.realm);
      const repo = { domain: registry.host, path: 'tok/app' };
      const image = makeTestImage(1);
      await pushTestImage(client, repo, image, 'v1');
      const afterPush = tokenRequests.length;
      assert.ok(tokenRequests.some((r) => r.query.getAll('scope').includes('repository:tok/app:pull,push') && r.authenticated));
      assert.deepEqual((await client.getManifest(repo, 'v1')).bytes, image.manifest);
      assert.deepEqual(await client.listTags(repo), ['v1']);
      // The pull token fetched for the push's HEAD checks serves both reads.
      assert.equal(tokenRequests.length, afterPush, 'no new token for the reads');
      const scopeSets = tokenRequests.map((r) => r.query.getAll('scope').join(' '));
      assert.deepEqual(scopeSets, ['repository:tok/app:pull', 'repository:tok/app:pull,push']);
      assert.ok(tokenRequests.every((r) => r.query.get('service') === registry.tokenServer!.service && r.query.get('account') === 'carol'));

      const target = { domain: registry.host, path: 'tok/other' };
      assert.equal(await client.mountBlob(target, image.layers[0]!.digest, 'tok/app'), true);
      assert.deepEqual(tokenRequests.at(-1)!.query.getAll('scope').sort(), ['repository:tok/app:pull', 'repository:tok/other:pull,push']);
      assert.deepEqual(await client.statBlob(target, image.layers[0]!.digest), { size: image.layers[0]!.size });
    } finally {
      await client.close();
    }
  });

  it('pulls anonymously but may not push without credentials', { skip }, async () => {
    const owner = new RegistryClient({ ...insecure, credentials: { username: 'carol', password: 'pw' } });
    const anonymous = new RegistryClient({ ...insecure, env: {} });
    try {
      const repo = { domain: registry.host, path: 'tok/public' };
      const image = makeTestImage(1);
      await pushTestImage(owner, repo, image, 'v1');
      const src = await dockerTransport.parseReference(`//${registry.host}/tok/public:v1`).newImageSource({ ...insecure, env: {} });
      try {
        assert.deepEqual((await src.getManifest()).bytes, image.manifest);
      } finally {
        await src.close();
      }
      const b = blob(randomBytes(32));
      const err = await expectCodeAsync(() => anonymous.putBlob(repo, Readable.from([b.bytes]), b), 'UNAUTHORIZED');
      assert.equal((err as RegistryError).status, 401);
    } finally {
      await owner.close();
      await anonymous.close();
    }
  });

  it('reports wrong credentials as UNAUTHORIZED from the token server', { skip }, async () => {
    const client = new RegistryClient({ ...insecure, credentials: { username: 'carol', password: 'wrong' } });
    try {
      const err = await expectCodeAsync(() => client.listTags({ domain: registry.host, path: 'tok/app' }), 'UNAUTHORIZED');
      assert.match(err.message, /incorrect username or password/);
    } finally {
      await client.close();
    }
  });
});

interface TokenGrant {
  readonly token: string;
  readonly scopes: string[];
  readonly account: string | undefined;
}

describe('Bearer token flow', () => {
  let tokenServer: FakeServer;
  let registryServer: FakeServer;
  const grants = new Map<string, TokenGrant>();
  let tokenCount = 0;
  let tokenField: 'token' | 'access_token' = 'token';
  let expiresIn: number | undefined;
  /** The token that the registry refuses as revoked, once. */
  let revoked: string | undefined;

  before(async () => {
    tokenServer = await startFakeServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/token') return sendJson(res, 404, {});
      const auth = req.headers.authorization;
      if (auth !== undefined && auth !== `Basic ${Buffer.from('bob:pw').toString('base64')}`) {
        return sendJson(res, 401, { details: 'incorrect username or password' });
      }
      if (url.searchParams.get('service') !== 'fake-registry') return sendJson(res, 400, { details: 'wrong service' });
      tokenCount++;
      const token = `tok-${tokenCount}`;
      grants.set(token, { token, scopes: url.searchParams.getAll('scope'), account: url.searchParams.get('account') ?? undefined });
      const body: Record<string, unknown> = { [tokenField]: token };
      if (expiresIn !== undefined) body['expires_in'] = expiresIn;
      sendJson(res, 200, body);
    });
    registryServer = await startFakeServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const challenge = (scope?: string, error?: string): Record<string, string> => ({
        'www-authenticate': `Bearer realm="${tokenServer.url}/token",service="fake-registry"${scope ? `,scope="${scope}"` : ''}${error ? `,error="${error}"` : ''}`,
      });
      if (url.pathname === '/v2/') return sendJson(res, 401, ociError('UNAUTHORIZED', 'authentication required'), challenge());
      const m = /^\/v2\/(.+)\/(tags\/list|manifests\/[^/]+|blobs\/uploads\/)$/.exec(url.pathname);
      if (!m) return sendJson(res, 404, ociError('NAME_UNKNOWN', 'no such thing'));
      const name = m[1]!;
      const action = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
      const needed = [`repository:${name}:${action === 'pull' ? 'pull' : 'pull,push'}`];
      const from = url.searchParams.get('from');
      if (from !== null) needed.push(`repository:${from}:pull`);
      const auth = req.headers.authorization ?? '';
      const grant = auth.startsWith('Bearer ') ? grants.get(auth.slice('Bearer '.length)) : undefined;
      if (grant !== undefined && grant.token === revoked) {
        revoked = undefined;
        return sendJson(res, 401, ociError('UNAUTHORIZED', 'token revoked'), challenge(needed.join(' ')));
      }
      if (grant === undefined || !needed.every((s) => grant.scopes.includes(s))) {
        return sendJson(res, 401, ociError('UNAUTHORIZED', 'authentication required'), challenge(needed.join(' '), grant ? 'insufficient_scope' : undefined));
      }
      if (m[2] === 'tags/list') return sendJson(res, 200, { name, tags: ['t1'] });
      if (m[2] === 'blobs/uploads/') {
        res.writeHead(201, { location: `/v2/${name}/blobs/${url.searchParams.get('mount') ?? ''}`, 'content-length': '0' });
        return res.end();
      }
      res.writeHead(201, { 'content-length': '0' });
      res.end();
    });
  });
  after(async () => {
    await tokenServer?.close();
    await registryServer?.close();
  });

  const repo = (path: string): { domain: string; path: string } => ({ domain: registryServer.host, path });
  const tokenRequests = (): URL[] => tokenServer.requests.map((r) => new URL(r.url, 'http://x'));

  it('gets a token for the scope, with credentials, and caches it per scope set', async () => {
    const client = new RegistryClient({ ...insecure, credentials: { username: 'bob', password: 'pw' } });
    try {
      const before = tokenServer.requests.length;
      assert.deepEqual(await client.listTags(repo('ns/app')), ['t1']);
      assert.deepEqual(await client.listTags(repo('ns/app')), ['t1']);
      const first = tokenRequests().slice(before);
      assert.equal(first.length, 1, 'one token for two pulls');
      assert.deepEqual(first[0]!.searchParams.getAll('scope'), ['repository:ns/app:pull']);
      assert.equal(first[0]!.searchParams.get('account'), 'bob');
      assert.equal(tokenServer.requests.at(-1)!.headers.authorization, `Basic ${Buffer.from('bob:pw').toString('base64')}`);
      const registryAuth = registryServer.requests.filter((r) => r.url.endsWith('/tags/list')).map((r) => r.headers.authorization);
      assert.ok(registryAuth.includes('Bearer tok-' + tokenCount));

      // Push needs pull,push: a second token; pulling again still uses the first.
      const image = makeTestImage(0);
      await client.putManifest(repo('ns/app'), 'v1', image.manifest, image.mediaType);
      await client.listTags(repo('ns/app'));
      const all = tokenRequests().slice(before);
      assert.equal(all.length, 2);
      assert.deepEqual(all[1]!.searchParams.getAll('scope'), ['repository:ns/app:pull,push']);

      // A cross-repository mount asks for pull on the source repository too.
      assert.equal(await client.mountBlob(repo('ns/app'), image.config.digest, 'other/src'), true);
      const mount = tokenRequests().at(-1)!;
      assert.deepEqual(mount.searchParams.getAll('scope').sort(), ['repository:ns/app:pull,push', 'repository:other/src:pull']);
    } finally {
      await client.close();
    }
  });

  it('accepts access_token and renews a token when it expires', async () => {
    tokenField = 'access_token';
    expiresIn = 1;
    const client = new RegistryClient(insecure);
    try {
      const before = tokenServer.requests.length;
      await client.listTags(repo('exp/app'));
      await client.listTags(repo('exp/app'));
      assert.equal(tokenServer.requests.length - before, 1);
      assert.equal(tokenRequests().at(-1)!.searchParams.get('account'), null, 'anonymous: no account');
      assert.equal(tokenServer.requests.at(-1)!.headers.authorization, undefined);
      await sleep(600);
      await client.listTags(repo('exp/app'));
      assert.equal(tokenServer.requests.length - before, 2, 'renewed after expiry');
    } finally {
      tokenField = 'token';
      expiresIn = undefined;
      await client.close();
    }
  });

  it('fetches a fresh token when the registry refuses a cached one', async () => {
    const client = new RegistryClient(insecure);
    try {
      await client.listTags(repo('revoke/app'));
      revoked = `tok-${tokenCount}`;
      const before = tokenServer.requests.length;
      assert.deepEqual(await client.listTags(repo('revoke/app')), ['t1']);
      assert.equal(tokenServer.requests.length - before, 1);
    } finally {
      await client.close();
    }
  });

  it('reports a token server refusal as UNAUTHORIZED', async () => {
    const client = new RegistryClient({ ...insecure, credentials: { username: 'bob', password: 'nope' } });
    try {
      const err = await expectCodeAsync(() => client.listTags(repo('ns/app')), 'UNAUTHORIZED');
      assert.match(err.message, /incorrect username or password/);
    } finally {
      await client.close();
    }
  });

  it('uses the OAuth2 refresh-token POST flow for an identity token', async () => {
    const oauth = await startFakeServer((req, res, body) => {
      const form = new URLSearchParams(body.toString('utf8'));
      if (req.method !== 'POST' || form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== 'refresh-me') {
        return sendJson(res, 400, { error: 'invalid_grant' });
      }
      const token = `oauth-${randomBytes(4).toString('hex')}`;
      grants.set(token, { token, scopes: (form.get('scope') ?? '').split(' '), account: undefined });
      sendJson(res, 200, { access_token: token, expires_in: 300 });
    });
    const reg = await startFakeServer((req, res) => {
      if (req.url === '/v2/') return sendJson(res, 401, {}, { 'www-authenticate': `Bearer realm="${oauth.url}/token",service="fake-registry"` });
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!grants.get(token)?.scopes.includes('repository:o/app:pull')) return sendJson(res, 401, {});
      sendJson(res, 200, { name: 'o/app', tags: ['x'] });
    });
    const work = await mkdtemp(join(tmpdir(), 'signet-oauth-'));
    try {
      const authFile = join(work, 'auth.json');
      await writeFile(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('<token>:').toString('base64'), identitytoken: 'refresh-me' } } }));
      const client = new RegistryClient({ ...insecure, authFile, env: {} });
      try {
        assert.deepEqual(await client.listTags({ domain: reg.host, path: 'o/app' }), ['x']);
        const form = new URLSearchParams(oauth.requests[0]!.body.toString('utf8'));
        assert.equal(form.get('client_id'), 'signet');
        assert.equal(form.get('service'), 'fake-registry');
      } finally {
        await client.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
      await oauth.close();
      await reg.close();
    }
  });
});
