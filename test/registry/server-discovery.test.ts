import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeImage } from '../fixtures/images.js';
import { bearer, call, errorCode, expectError, fetchToken, headStatus, pushImage, putManifest, rawRequest } from '../helpers/registry-http.js';
import { adminUser, basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const teamReader = { name: 'reader', password: 'reader-secret', roles: [{ repository: 'team/*', role: 'pull' }] };

/** The target of a `Link: <…>; rel="next"` header, or undefined. */
function nextLink(res: Response): string | undefined {
  const link = res.headers.get('link');
  if (link === null) return undefined;
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
  assert.ok(m !== null, `unexpected Link header ${link}`);
  return m[1];
}

describe('registry: content discovery and names', () => {
  let registry: TestRegistry;
  let auth: string;
  const image = makeImage({ seed: 'discovery', layers: 1, layerBytes: 256 });
  const tags = ['latest', 'v1', 'v1.1', 'v10', 'v2', 'beta', 'alpha-1', 'zeta'];
  const repositories = ['team/app', 'team/base', 'team/tools/cli', 'other/app', 'other/db', 'solo'];

  before(async () => {
    registry = await startSignetRegistry({ users: [adminUser, teamReader] });
    auth = basicAuth(registry.user, registry.password);
    await pushImage(registry.url, auth, 'disc/tags', image, tags[0]);
    for (const t of tags.slice(1)) await (await putManifest(registry.url, auth, 'disc/tags', t, image.manifest, image.mediaType)).arrayBuffer();
    for (const r of repositories) await pushImage(registry.url, auth, r, image, 'latest');
  });
  after(async () => {
    await registry?.stop();
  });

  it('lists every tag in lexical order', async () => {
    const res = await call(registry.url, '/v2/disc/tags/tags/list', { auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('link'), null);
    assert.deepEqual(await res.json(), { name: 'disc/tags', tags: [...tags].sort() });
  });

  it('pages tags with n and last, and a Link header to the next page', async () => {
    const sorted = [...tags].sort();
    const seen: string[] = [];
    let path: string | undefined = '/v2/disc/tags/tags/list?n=3';
    let pages = 0;
    while (path !== undefined) {
      const res = await call(registry.url, path, { auth });
      assert.equal(res.status, 200);
      const next = nextLink(res);
      const body = (await res.json()) as { name: string; tags: string[] };
      assert.ok(body.tags.length <= 3);
      seen.push(...body.tags);
      pages++;
      if (next !== undefined) {
        const url = new URL(next, registry.url);
        assert.equal(url.pathname, '/v2/disc/tags/tags/list');
        assert.equal(url.searchParams.get('n'), '3');
        assert.equal(url.searchParams.get('last'), body.tags[body.tags.length - 1]);
      }
      path = next;
    }
    assert.deepEqual(seen, sorted);
    assert.equal(pages, 3);

    const after = await call(registry.url, `/v2/disc/tags/tags/list?last=${sorted[2]}`, { auth });
    assert.deepEqual(((await after.json()) as { tags: string[] }).tags, sorted.slice(3));
    const one = await call(registry.url, `/v2/disc/tags/tags/list?n=1&last=${sorted[0]}`, { auth });
    assert.ok(nextLink(one) !== undefined);
    assert.deepEqual(((await one.json()) as { tags: string[] }).tags, [sorted[1]]);
    const last = await call(registry.url, `/v2/disc/tags/tags/list?n=2&last=${sorted[sorted.length - 2]}`, { auth });
    assert.equal(nextLink(last), undefined, 'no Link on the last page');
    assert.deepEqual(((await last.json()) as { tags: string[] }).tags, sorted.slice(-1));
    const zero = await call(registry.url, '/v2/disc/tags/tags/list?n=0', { auth });
    assert.equal(zero.status, 200);
    assert.deepEqual(((await zero.json()) as { tags: string[] }).tags, []);
  });

  for (const n of ['abc', '-1', '1.5', '', '9999999999']) {
    it(`answers n=${JSON.stringify(n)} with 400 PAGINATION_NUMBER_INVALID`, async () => {
      await expectError(await call(registry.url, `/v2/disc/tags/tags/list?n=${encodeURIComponent(n)}`, { auth }), 400, 'PAGINATION_NUMBER_INVALID');
      await expectError(await call(registry.url, `/v2/_catalog?n=${encodeURIComponent(n)}`, { auth }), 400, 'PAGINATION_NUMBER_INVALID');
    });
  }

  it('answers tags/list of an unknown repository with 404 NAME_UNKNOWN', async () => {
    await expectError(await call(registry.url, '/v2/no/such/repo/tags/list', { auth }), 404, 'NAME_UNKNOWN');
  });

  it('lists the catalog a page at a time', async () => {
    const all = await call(registry.url, '/v2/_catalog', { auth });
    assert.equal(all.status, 200);
    const everything = ((await all.json()) as { repositories: string[] }).repositories;
    assert.deepEqual(everything, [...everything].sort());
    for (const r of [...repositories, 'disc/tags']) assert.ok(everything.includes(r), r);

    const seen: string[] = [];
    let path: string | undefined = '/v2/_catalog?n=2';
    while (path !== undefined) {
      const res = await call(registry.url, path, { auth });
      assert.equal(res.status, 200);
      const next = nextLink(res);
      const body = (await res.json()) as { repositories: string[] };
      assert.ok(body.repositories.length <= 2);
      seen.push(...body.repositories);
      path = next;
    }
    assert.deepEqual(seen, everything);
    const rest = await call(registry.url, `/v2/_catalog?last=${encodeURIComponent('other/db')}`, { auth });
    assert.deepEqual(((await rest.json()) as { repositories: string[] }).repositories, everything.filter((r) => r > 'other/db'));
  });

  it('lists in the catalog only the repositories the user can pull (Basic)', async () => {
    const res = await call(registry.url, '/v2/_catalog', { auth: basicAuth(teamReader.name, teamReader.password) });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { repositories: string[] }).repositories, ['team/app', 'team/base', 'team/tools/cli']);
    const paged = await call(registry.url, '/v2/_catalog?n=2', { auth: basicAuth(teamReader.name, teamReader.password) });
    assert.ok(nextLink(paged) !== undefined);
    assert.deepEqual(((await paged.json()) as { repositories: string[] }).repositories, ['team/app', 'team/base']);
  });

  it('lists in the catalog only the repositories the user can pull (catalog token)', async () => {
    const token = await fetchToken(registry.url, 'registry:catalog:*', teamReader.name, teamReader.password);
    const res = await call(registry.url, '/v2/_catalog', { auth: bearer(token) });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { repositories: string[] }).repositories, ['team/app', 'team/base', 'team/tools/cli']);
  });

  it('asks for a catalog token when the credentials are missing', async () => {
    const res = await call(registry.url, '/v2/_catalog');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /scope="registry:catalog:\*"/);
    assert.equal(await errorCode(res), 'UNAUTHORIZED');
  });

  describe('invalid repository names', () => {
    const invalid: [string, string][] = [
      ['upper case', '/v2/UPPER/case/tags/list'],
      ['an empty path component', '/v2/a//b/tags/list'],
      ['a leading slash component', '/v2//a/tags/list'],
      ['256 characters', `/v2/${'a'.repeat(256)}/tags/list`],
      ['256 characters in components', `/v2/${Array.from({ length: 64 }, () => 'abc').join('/')}x/manifests/latest`],
      ['a percent-encoded slash', '/v2/team%2Fapp/tags/list'],
      ['a percent-encoded letter', '/v2/te%61m/app/tags/list'],
      ['a trailing separator', '/v2/team-/app/tags/list'],
      ['a double dot', '/v2/team..app/tags/list'],
      ['a colon', '/v2/localhost:5000/app/tags/list'],
      ['a space', '/v2/team%20app/manifests/latest'],
    ];
    for (const [what, path] of invalid) {
      it(`refuses ${what} with 400 NAME_INVALID (or 404)`, async () => {
        const res = await call(registry.url, path, { auth });
        const code = await errorCode(res);
        assert.ok(
          (res.status === 400 && code === 'NAME_INVALID') || (res.status === 404 && code === 'NOT_FOUND'),
          `got ${res.status} ${code}`,
        );
      });
    }

    // fetch normalises dot segments away, so these go over a socket as written.
    const dotted: [string, string][] = [
      ['../x', '/v2/../solo/tags/list'],
      ['team/../solo', '/v2/team/../solo/tags/list'],
      ['team/./app', '/v2/team/./app/manifests/latest'],
      ['team/%2e%2e/solo', '/v2/team/%2e%2e/solo/tags/list'],
      ['team/%2E%2E/solo (push)', '/v2/team/%2E%2E/solo/blobs/uploads/'],
      ['team\\..\\solo', '/v2/team\\..\\solo/tags/list'],
    ];
    for (const [what, path] of dotted) {
      it(`refuses the name ${what} instead of resolving it`, async () => {
        const method = path.endsWith('/uploads/') ? 'POST' : 'GET';
        const res = await rawRequest(registry.url, `${method} ${path} HTTP/1.1\r\nAuthorization: ${auth}\r\nContent-Length: 0`);
        assert.ok(res.status === 400 || res.status === 404, `got ${String(res.status)} ${res.body.toString()}`);
        if (res.status === 400) {
          const body = JSON.parse(res.body.toString()) as { errors?: { code: string }[] };
          assert.equal(body.errors?.[0]?.code, 'NAME_INVALID');
        }
      });
    }

    it('accepts a 255-character name', async () => {
      const name = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
      assert.equal(name.length, 255);
      await pushImage(registry.url, auth, name, image, 'long');
      assert.equal(await headStatus(registry.url, auth, `/v2/${name}/manifests/long`), 200);
    });

    it('still serves after the bad names', async () => {
      const res = await call(registry.url, '/v2/solo/tags/list', { auth });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { name: 'solo', tags: ['latest'] });
    });
  });
});
