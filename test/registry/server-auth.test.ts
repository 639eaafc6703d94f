import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TokenIssuer } from '../../src/registry/auth/index.js';
import { Metadata, openDatabase } from '../../src/store/index.js';
import { makeImage } from '../fixtures/images.js';
import {
  bearer,
  call,
  errorCode,
  expectError,
  fetchToken,
  headStatus,
  parseBearerChallenge,
  pushBlob,
  pushImage,
  putManifest,
  sha256,
} from '../helpers/registry-http.js';
import { adminUser, basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const reader = { name: 'reader', password: 'reader-secret', roles: [{ repository: 'team/*', role: 'pull' }] };
const pusher = { name: 'pusher', password: 'pusher-secret', roles: [{ repository: 'team/*', role: 'push' }] };

/** What the registry holds for `name`, as its administrator sees it. */
async function tagsOf(registry: TestRegistry, name: string): Promise<string[] | 'unknown'> {
  const res = await call(registry.url, `/v2/${name}/tags/list`, { auth: basicAuth(adminUser.name, adminUser.password) });
  if (res.status === 404) {
    await res.arrayBuffer();
    return 'unknown';
  }
  return ((await res.json()) as { tags: string[] }).tags;
}

/** The token secret the registry keeps in its database, to mint tokens it would never issue. */
async function tokenSecret(registry: TestRegistry): Promise<Buffer> {
  const opened = await openDatabase(registry.databaseUrl);
  const meta = new Metadata(opened.db, opened.dialect);
  try {
    const secret = await meta.findSetting('token-secret');
    assert.ok(secret !== undefined);
    return Buffer.from(secret, 'hex');
  } finally {
    await meta.close();
  }
}

describe('registry: authentication and authorisation', () => {
  let registry: TestRegistry;
  let admin: string;
  const image = makeImage({ seed: 'auth', layers: 1, layerBytes: 512 });

  before(async () => {
    registry = await startSignetRegistry({ users: [adminUser, reader, pusher] });
    admin = basicAuth(adminUser.name, adminUser.password);
    await pushImage(registry.url, admin, 'team/app', image, 'v1');
    await pushImage(registry.url, admin, 'other/app', image, 'v1');
  });
  after(async () => {
    await registry?.stop();
  });

  async function uploadFiles(): Promise<string[]> {
    return (await readdir(join(registry.storageDir, 'uploads'))).sort();
  }

  it('answers /v2/ without credentials with 401 and the Bearer challenge', async () => {
    const res = await call(registry.url, '/v2/');
    assert.equal(res.status, 401);
    const c = parseBearerChallenge(res.headers.get('www-authenticate'));
    assert.equal(c['realm'], `${registry.url}/token`);
    assert.equal(c['service'], 'signet');
    assert.equal(await errorCode(res), 'UNAUTHORIZED');
  });

  it('answers a repository request without credentials with the scope it needs', async () => {
    const res = await call(registry.url, '/v2/team/app/manifests/v1');
    assert.equal(res.status, 401);
    const c = parseBearerChallenge(res.headers.get('www-authenticate'));
    assert.equal(c['scope'], 'repository:team/app:pull');
    assert.equal(c['realm'], `${registry.url}/token`);
    assert.equal(await errorCode(res), 'UNAUTHORIZED');
    const push = await call(registry.url, '/v2/team/app/blobs/uploads/', { method: 'POST' });
    assert.equal(push.status, 401);
    assert.equal(parseBearerChallenge(push.headers.get('www-authenticate'))['scope'], 'repository:team/app:pull,push');
    await push.arrayBuffer();
  });

  it('accepts Basic credentials on any request', async () => {
    const res = await call(registry.url, '/v2/team/app/manifests/v1', { auth: basicAuth(reader.name, reader.password) });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.manifest);
    const ping = await call(registry.url, '/v2/', { auth: basicAuth(reader.name, reader.password) });
    assert.equal(ping.status, 200);
    await ping.arrayBuffer();
  });

  it('refuses wrong Basic credentials with 401', async () => {
    for (const auth of [basicAuth(reader.name, 'wrong'), basicAuth('nobody', 'x'), 'Basic !!!', 'Digest abc', 'Basic ' + Buffer.from('no-colon').toString('base64')]) {
      const res = await call(registry.url, '/v2/team/app/manifests/v1', { auth });
      assert.equal(res.status, 401, auth);
      assert.ok(res.headers.get('www-authenticate') !== null);
      assert.equal(await errorCode(res), 'UNAUTHORIZED');
    }
  });

  it('issues tokens through the challenge and pulls with them', async () => {
    const token = await fetchToken(registry.url, 'repository:team/app:pull', reader.name, reader.password);
    const res = await call(registry.url, '/v2/team/app/manifests/v1', { auth: bearer(token) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  it('refuses a wrong password at /token with 401', async () => {
    for (const auth of [basicAuth(reader.name, 'wrong'), basicAuth('nobody', 'nothing')]) {
      const res = await call(registry.url, '/token?service=signet&scope=repository:team/app:pull', { auth });
      assert.equal(res.status, 401);
      assert.equal(await errorCode(res), 'UNAUTHORIZED');
    }
    const token = await fetchToken(registry.url, 'repository:team/app:pull', reader.name, reader.password);
    const res = await call(registry.url, '/token?service=signet&scope=repository:team/app:pull', { auth: bearer(token) });
    assert.equal(res.status, 401, 'the token endpoint does not trade a token for a token');
    await res.arrayBuffer();
  });

  it('refuses an invalid scope at /token with 400', async () => {
    const res = await call(registry.url, '/token?service=signet&scope=repository:UPPER:pull', { auth: basicAuth(reader.name, reader.password) });
    assert.equal(res.status, 400);
    await res.arrayBuffer();
  });

  it('a pull-only user cannot push with Basic (403 DENIED), and nothing is stored', async () => {
    const auth = basicAuth(reader.name, reader.password);
    const uploads = await uploadFiles();
    const blob = Buffer.from('reader blob');
    await expectError(await call(registry.url, `/v2/team/reader-push/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', auth, body: blob }), 403, 'DENIED');
    await expectError(await call(registry.url, '/v2/team/reader-push/blobs/uploads/', { method: 'POST', auth }), 403, 'DENIED');
    await expectError(await putManifest(registry.url, auth, 'team/reader-push', 'v1', image.manifest, image.mediaType), 403, 'DENIED');
    await expectError(await putManifest(registry.url, auth, 'team/app', 'hijacked', image.manifest, image.mediaType), 403, 'DENIED');
    await expectError(await call(registry.url, '/v2/team/app/manifests/v1', { method: 'DELETE', auth }), 403, 'DENIED');
    assert.deepEqual(await uploadFiles(), uploads);
    assert.equal(await tagsOf(registry, 'team/reader-push'), 'unknown');
    assert.deepEqual(await tagsOf(registry, 'team/app'), ['v1']);
    assert.equal(await headStatus(registry.url, admin, `/v2/team/reader-push/blobs/${sha256(blob)}`), 404);
  });

  it('a pull-only user gets a pull-only token; pushing with it is 401 insufficient_scope, and nothing is stored', async () => {
    const token = await fetchToken(registry.url, 'repository:team/reader-token:pull,push', reader.name, reader.password);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { access: { name: string; actions: string[] }[] };
    assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/reader-token', actions: ['pull'] }]);
    const uploads = await uploadFiles();
    const res = await call(registry.url, '/v2/team/reader-token/blobs/uploads/', { method: 'POST', auth: bearer(token) });
    assert.equal(res.status, 401);
    const c = parseBearerChallenge(res.headers.get('www-authenticate'));
    assert.equal(c['error'], 'insufficient_scope');
    assert.equal(c['scope'], 'repository:team/reader-token:pull,push');
    assert.equal(await errorCode(res), 'UNAUTHORIZED');
    const put = await putManifest(registry.url, bearer(token), 'team/reader-token', 'v1', image.manifest, image.mediaType);
    assert.equal(put.status, 401);
    await put.arrayBuffer();
    assert.deepEqual(await uploadFiles(), uploads);
    assert.equal(await tagsOf(registry, 'team/reader-token'), 'unknown');
  });

  it('a user with push on team/* can push to team/x (Basic and token) but not to other/x', async () => {
    const basic = basicAuth(pusher.name, pusher.password);
    await pushImage(registry.url, basic, 'team/pushed', image, 'basic');
    const token = await fetchToken(registry.url, 'repository:team/pushed-token:pull,push', pusher.name, pusher.password);
    await pushImage(registry.url, bearer(token), 'team/pushed-token', image, 'token');
    assert.deepEqual(await tagsOf(registry, 'team/pushed'), ['basic']);
    assert.deepEqual(await tagsOf(registry, 'team/pushed-token'), ['token']);

    await expectError(await call(registry.url, '/v2/other/pushed/blobs/uploads/', { method: 'POST', auth: basic }), 403, 'DENIED');
    await expectError(await putManifest(registry.url, basic, 'other/app', 'v2', image.manifest, image.mediaType), 403, 'DENIED');
    await expectError(await call(registry.url, '/v2/other/app/manifests/v1', { auth: basic }), 403, 'DENIED');
    await expectError(await call(registry.url, '/v2/team', { auth: basic }), 404, 'NOT_FOUND');
    const otherToken = await fetchToken(registry.url, 'repository:other/pushed:pull,push', pusher.name, pusher.password);
    await expectError(await call(registry.url, '/v2/other/pushed/blobs/uploads/', { method: 'POST', auth: bearer(otherToken) }), 401, 'UNAUTHORIZED');
    assert.equal(await tagsOf(registry, 'other/pushed'), 'unknown');
    assert.deepEqual(await tagsOf(registry, 'other/app'), ['v1']);
    // Deleting needs the delete action, which push does not include.
    await expectError(await call(registry.url, '/v2/team/pushed/manifests/basic', { method: 'DELETE', auth: basic }), 403, 'DENIED');
  });

  it('a token for one repository is not accepted for another', async () => {
    const token = await fetchToken(registry.url, 'repository:team/app:pull,push', adminUser.name, adminUser.password);
    const ok = await call(registry.url, '/v2/team/app/manifests/v1', { auth: bearer(token) });
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
    const res = await call(registry.url, '/v2/other/app/manifests/v1', { auth: bearer(token) });
    assert.equal(res.status, 401);
    assert.equal(parseBearerChallenge(res.headers.get('www-authenticate'))['scope'], 'repository:other/app:pull');
    assert.equal(await errorCode(res), 'UNAUTHORIZED');
    await expectError(await call(registry.url, '/v2/team/app2/blobs/uploads/', { method: 'POST', auth: bearer(token) }), 401, 'UNAUTHORIZED');
    // Nor for an action it does not carry.
    const pullOnly = await fetchToken(registry.url, 'repository:team/app:pull', adminUser.name, adminUser.password);
    await expectError(await call(registry.url, '/v2/team/app/manifests/v1', { method: 'DELETE', auth: bearer(pullOnly) }), 401, 'UNAUTHORIZED');
  });

  it('refuses garbage, foreign and expired tokens with 401', async () => {
    const secret = await tokenSecret(registry);
    const access = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];
    const expired = new TokenIssuer(secret, { ttlSeconds: 60, service: 'signet', now: () => Date.now() - 3600_000 }).issue(adminUser.name, access).token;
    const future = new TokenIssuer(secret, { ttlSeconds: 60, service: 'signet', now: () => Date.now() + 3600_000 }).issue(adminUser.name, access).token;
    const otherAudience = new TokenIssuer(secret, { ttlSeconds: 60, service: 'another-registry' }).issue(adminUser.name, access).token;
    const foreign = new TokenIssuer(Buffer.alloc(32, 7), { ttlSeconds: 60, service: 'signet' }).issue(adminUser.name, access).token;
    const valid = new TokenIssuer(secret, { ttlSeconds: 60, service: 'signet' }).issue(adminUser.name, access).token;
    const [h, p, s] = valid.split('.') as [string, string, string];
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), access: [{ type: 'repository', name: 'team/app', actions: ['*'] }] })).toString('base64url');
    const cases: [string, string][] = [
      ['garbage', 'Bearer not-a-token'],
      ['three garbage parts', 'Bearer a.b.c'],
      ['an empty bearer', 'Bearer '],
      ['expired', bearer(expired)],
      ['not yet valid', bearer(future)],
      ['for another service', bearer(otherAudience)],
      ['signed with another secret', bearer(foreign)],
      ['with altered claims', bearer(`${h}.${widened}.${s}`)],
      ['unsigned (alg none)', bearer(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`)],
    ];
    for (const [what, auth] of cases) {
      const res = await call(registry.url, '/v2/team/app/manifests/v1', { auth });
      assert.equal(res.status, 401, what);
      assert.ok(res.headers.get('www-authenticate') !== null, what);
      assert.equal(await errorCode(res), 'UNAUTHORIZED', what);
    }
    const ok = await call(registry.url, '/v2/team/app/manifests/v1', { auth: bearer(valid) });
    assert.equal(ok.status, 200, 'a token minted with the same secret and claims works');
    await ok.arrayBuffer();
  });

  it('refuses anonymous pulls when anonymous pull is off (even with an anonymous token)', async () => {
    await expectError(await call(registry.url, '/v2/team/app/manifests/v1'), 401, 'UNAUTHORIZED');
    const token = await fetchToken(registry.url, 'repository:team/app:pull');
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { sub: string; access: unknown[] };
    assert.equal(claims.sub, '');
    assert.deepEqual(claims.access, []);
    await expectError(await call(registry.url, '/v2/team/app/manifests/v1', { auth: bearer(token) }), 401, 'UNAUTHORIZED');
    await expectError(await call(registry.url, '/v2/_catalog'), 401, 'UNAUTHORIZED');
  });
});

describe('registry: anonymous pull', () => {
  let registry: TestRegistry;
  let admin: string;
  const image = makeImage({ seed: 'anonymous', layers: 1, layerBytes: 256 });

  before(async () => {
    registry = await startSignetRegistry({ anonymousPull: true });
    admin = basicAuth(adminUser.name, adminUser.password);
    await pushImage(registry.url, admin, 'public/app', image, 'v1');
  });
  after(async () => {
    await registry?.stop();
  });

  it('still challenges at /v2/ so that clients learn where tokens come from', async () => {
    const res = await call(registry.url, '/v2/');
    assert.equal(res.status, 401);
    assert.ok(parseBearerChallenge(res.headers.get('www-authenticate'))['realm'] !== undefined);
    await res.arrayBuffer();
  });

  it('serves pulls without credentials and with an anonymous token', async () => {
    const res = await call(registry.url, '/v2/public/app/manifests/v1');
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.manifest);
    const blob = await call(registry.url, `/v2/public/app/blobs/${image.config.digest}`);
    assert.equal(blob.status, 200);
    await blob.arrayBuffer();
    const token = await fetchToken(registry.url, 'repository:public/app:pull');
    const withToken = await call(registry.url, '/v2/public/app/manifests/v1', { auth: bearer(token) });
    assert.equal(withToken.status, 200);
    await withToken.arrayBuffer();
    const tags = await call(registry.url, '/v2/public/app/tags/list');
    assert.deepEqual(await tags.json(), { name: 'public/app', tags: ['v1'] });
  });

  it('never lets an anonymous client push, with or without a token', async () => {
    const blob = Buffer.from('anonymous blob');
    await expectError(await call(registry.url, `/v2/public/app/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob }), 401, 'UNAUTHORIZED');
    await expectError(await call(registry.url, '/v2/public/app/manifests/anon', { method: 'PUT', headers: { 'content-type': image.mediaType }, body: image.manifest }), 401, 'UNAUTHORIZED');
    const token = await fetchToken(registry.url, 'repository:public/app:pull,push');
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { access: { actions: string[] }[] };
    assert.deepEqual(claims.access[0]?.actions, ['pull']);
    await expectError(await call(registry.url, '/v2/public/app/blobs/uploads/', { method: 'POST', auth: bearer(token) }), 401, 'UNAUTHORIZED');
    await expectError(await putManifest(registry.url, bearer(token), 'public/app', 'anon', image.manifest, image.mediaType), 401, 'UNAUTHORIZED');
    await expectError(await call(registry.url, '/v2/public/app/manifests/v1', { method: 'DELETE' }), 401, 'UNAUTHORIZED');
    assert.equal(await headStatus(registry.url, admin, `/v2/public/app/blobs/${sha256(blob)}`), 404);
    assert.equal(await headStatus(registry.url, admin, '/v2/public/app/manifests/anon'), 404);
    // A pushed blob with an admin works, to show the refusals above were about the anonymous client.
    await pushBlob(registry.url, admin, 'public/app', blob);
  });
});
