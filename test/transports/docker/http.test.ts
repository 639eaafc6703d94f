/**
 * HTTP behaviour of RegistryClient against fake registries on 127.0.0.1: retries, redirects, pagination,
 * error bodies, upload Locations and cancellation.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { readAllCapped } from '../../../src/core/index.js';
import { RegistryClient, RegistryError, withDigestQuery } from '../../../src/transports/docker/index.js';
import { expectCodeAsync } from '../../helpers/expect-code.js';
import { blob, ociError, sendJson, startFakeServer, type FakeServer, type Handler } from './helpers.js';

const fastRetry = { attempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1500 };

function client(extra: { credentials?: { username: string; password: string } } = {}): RegistryClient {
  return new RegistryClient({ tlsVerify: false, env: {}, ...extra }, { retry: fastRetry });
}

/** A fake registry: `/v2/` answers 200 (or with a Basic challenge); everything else goes to `handler`. */
async function fakeRegistry(handler: Handler, basic = false): Promise<FakeServer> {
  return startFakeServer((req, res, body) => {
    if (req.url === '/v2/') {
      if (basic && req.headers.authorization === undefined) {
        return sendJson(res, 401, ociError('UNAUTHORIZED', 'authentication required'), { 'www-authenticate': 'Basic realm="fake"' });
      }
      return sendJson(res, 200, {}, { 'x-registry-supports-signatures': '1' });
    }
    return handler(req, res, body);
  });
}

describe('RegistryClient over HTTP', () => {
  const servers: FakeServer[] = [];
  const track = async (s: Promise<FakeServer>): Promise<FakeServer> => {
    const server = await s;
    servers.push(server);
    return server;
  };
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('records X-Registry-Supports-Signatures from /v2/', async () => {
    const reg = await track(fakeRegistry((_req, res) => sendJson(res, 404, {})));
    const c = client();
    try {
      assert.equal(await c.supportsSignatures(reg.host), true);
      assert.equal(reg.requests.filter((r) => r.url === '/v2/').length, 1);
    } finally {
      await c.close();
    }
  });

  it('retries 503 and succeeds, honouring Retry-After', async () => {
    let calls = 0;
    const reg = await track(
      fakeRegistry((_req, res) => {
        calls++;
        if (calls === 1) return sendJson(res, 503, ociError('UNAVAILABLE', 'try later'), { 'retry-after': '1' });
        if (calls === 2) return sendJson(res, 503, {});
        sendJson(res, 200, { name: 'a/b', tags: ['x'] });
      }),
    );
    const c = client();
    try {
      const started = Date.now();
      assert.deepEqual(await c.listTags({ domain: reg.host, path: 'a/b' }), ['x']);
      assert.equal(calls, 3);
      assert.ok(Date.now() - started >= 900, 'waited for Retry-After: 1');
    } finally {
      await c.close();
    }
  });

  it('gives up after the last try with the status and the registry message', async () => {
    let calls = 0;
    const reg = await track(
      fakeRegistry((_req, res) => {
        calls++;
        sendJson(res, 503, ociError('UNAVAILABLE', 'down for maintenance'));
      }),
    );
    const c = client();
    try {
      const err = await expectCodeAsync(() => c.getManifest({ domain: reg.host, path: 'a/b' }, 'v1'), 'UNKNOWN');
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 503);
      assert.equal(err.registryCode, 'UNAVAILABLE');
      assert.equal(err.category, 'unreachable');
      assert.match(err.message, /GET \/v2\/a\/b\/manifests\/v1 answered 503 Service Unavailable: UNAVAILABLE: down for maintenance/);
      assert.equal(calls, 3);
    } finally {
      await c.close();
    }
  });

  it('maps OCI error bodies and statuses to codes and categories', async () => {
    const reg = await track(
      fakeRegistry((req, res) => {
        if (req.url?.includes('/denied/')) return sendJson(res, 403, ociError('DENIED', 'requested access to the resource is denied'));
        if (req.url?.includes('/toomany/')) return sendJson(res, 429, ociError('TOOMANYREQUESTS', 'slow down'));
        if (req.url?.includes('/invalid/')) return sendJson(res, 400, ociError('MANIFEST_INVALID', 'manifest invalid'));
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<html>not here</html>');
      }),
    );
    const c = client();
    const r = (path: string): { domain: string; path: string } => ({ domain: reg.host, path });
    try {
      const denied = await expectCodeAsync(() => c.getManifest(r('denied/x'), 'v1'), 'DENIED');
      assert.equal((denied as RegistryError).category, 'unreachable');
      await expectCodeAsync(() => c.getManifest(r('toomany/x'), 'v1'), 'TOOMANYREQUESTS');
      const invalid = await expectCodeAsync(() => c.putManifest(r('invalid/x'), 'v1', Buffer.from('{}'), 'application/json'), 'MANIFEST_INVALID');
      assert.equal((invalid as RegistryError).category, 'input');
      assert.equal((invalid as RegistryError).status, 400);
      const html = await expectCodeAsync(() => c.getManifest(r('html/x'), 'v1'), 'MANIFEST_UNKNOWN');
      assert.match(html.message, /<html>not here<\/html>/);
    } finally {
      await c.close();
    }
  });

  it('retries a connection reset on GET', async () => {
    let calls = 0;
    const reg = await track(
      fakeRegistry((req, res) => {
        calls++;
        if (calls === 1) {
          req.socket.destroy();
          return;
        }
        sendJson(res, 200, { name: 'a/b', tags: ['y'] });
      }),
    );
    const c = client();
    try {
      assert.deepEqual(await c.listTags({ domain: reg.host, path: 'a/b' }), ['y']);
      assert.equal(calls, 2);
    } finally {
      await c.close();
    }
  });

  it('reports a registry that does not answer as CONNECTION_FAILED (unreachable)', async () => {
    const dead = await startFakeServer((_req, res) => sendJson(res, 200, {}));
    const host = dead.host;
    await dead.close();
    const c = client();
    try {
      const err = await expectCodeAsync(() => c.getManifest({ domain: host, path: 'a/b' }, 'v1'), 'CONNECTION_FAILED');
      assert.equal((err as RegistryError).category, 'unreachable');
      assert.match(err.message, new RegExp(`pinging registry ${host.replace(/\./g, '\\.')}`));
    } finally {
      await c.close();
    }
  });

  it('follows blob redirects to another host without sending credentials there', async () => {
    const content = randomBytes(3000);
    const b = blob(content);
    const storage = await track(
      startFakeServer((req, res) => {
        if (req.url === '/storage/blob?sig=abc') {
          res.writeHead(200, { 'content-length': String(content.length) });
          return res.end(content);
        }
        res.writeHead(404);
        return res.end();
      }),
    );
    const reg = await track(
      fakeRegistry((req, res) => {
        if (req.headers.authorization === undefined) return sendJson(res, 401, ociError('UNAUTHORIZED', 'no'), { 'www-authenticate': 'Basic realm="fake"' });
        if (req.url === `/v2/a/b/blobs/${b.digest}`) {
          res.writeHead(307, { location: `/v2/a/b/redirected/${b.digest}` });
          return res.end();
        }
        if (req.url === `/v2/a/b/redirected/${b.digest}`) {
          res.writeHead(302, { location: `${storage.url}/storage/blob?sig=abc` });
          return res.end();
        }
        sendJson(res, 404, ociError('BLOB_UNKNOWN', 'blob unknown'));
      }, true),
    );
    const c = client({ credentials: { username: 'u', password: 'p' } });
    try {
      const got = await c.getBlob({ domain: reg.host, path: 'a/b' }, b);
      assert.equal(got.size, content.length);
      assert.deepEqual(await readAllCapped(got.stream, 1 << 20, 'blob'), content);
      const expectedAuth = `Basic ${Buffer.from('u:p').toString('base64')}`;
      // Same-host hop keeps the credentials; the other host never sees them.
      assert.equal(reg.requests.find((r) => r.url.startsWith('/v2/a/b/redirected/'))?.headers.authorization, expectedAuth);
      assert.equal(storage.requests.length, 1);
      assert.equal(storage.requests[0]!.headers.authorization, undefined);
    } finally {
      await c.close();
    }
  });

  it('follows Link pagination for tags (relative and absolute links)', async () => {
    const all = ['t1', 't2', 't3', 't4', 't5'];
    let regUrl = '';
    const reg = await track(
      fakeRegistry((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname !== '/v2/ns/app/tags/list') return sendJson(res, 404, ociError('NAME_UNKNOWN', 'unknown'));
        const n = Number(url.searchParams.get('n') ?? '100');
        const last = url.searchParams.get('last');
        const start = last === null ? 0 : all.indexOf(last) + 1;
        const page = all.slice(start, start + n);
        const headers: Record<string, string> = {};
        if (start + n < all.length) {
          const next = `/v2/ns/app/tags/list?n=${n}&last=${page.at(-1)}`;
          // Alternate relative and absolute links, as registries do both.
          headers['link'] = `<${start === 0 ? next : regUrl + next}>; rel="next"`;
        }
        sendJson(res, 200, { name: 'ns/app', tags: page }, headers);
      }),
    );
    regUrl = reg.url;
    const c = client();
    try {
      assert.deepEqual(await c.listTags({ domain: reg.host, path: 'ns/app' }, { pageSize: 2 }), all);
      const pages = reg.requests.filter((r) => r.url.startsWith('/v2/ns/app/tags/list'));
      assert.deepEqual(
        pages.map((r) => r.url),
        ['/v2/ns/app/tags/list?n=2', '/v2/ns/app/tags/list?n=2&last=t2', '/v2/ns/app/tags/list?n=2&last=t4'],
      );
    } finally {
      await c.close();
    }
  });

  it('refuses a tag list that is not one', async () => {
    const reg = await track(fakeRegistry((_req, res) => sendJson(res, 200, { name: 'x', tags: 'nope' })));
    const c = client();
    try {
      await expectCodeAsync(() => c.listTags({ domain: reg.host, path: 'a/b' }), 'INVALID_RESPONSE');
    } finally {
      await c.close();
    }
  });

  describe('uploads', () => {
    let reg: FakeServer;
    const sessions = new Map<string, Buffer[]>();
    const stored = new Map<string, Buffer>();
    let n = 0;

    before(async () => {
      reg = await track(
        fakeRegistry((req, res, body) => {
          const url = new URL(req.url ?? '/', 'http://x');
          if (req.method === 'POST' && url.pathname === '/v2/up/app/blobs/uploads/') {
            const id = `s${++n}`;
            sessions.set(id, []);
            // An absolute Location with its own query, as some registries send.
            res.writeHead(202, { location: `${reg.url}/v2/up/app/blobs/uploads/${id}?_state=a%2Bb%3D&x=1`, 'content-length': '0' });
            return res.end();
          }
          const m = /^\/v2\/up\/app\/blobs\/uploads\/(s\d+)$/.exec(url.pathname);
          const parts = m ? sessions.get(m[1]!) : undefined;
          if (m === null || parts === undefined) return sendJson(res, 404, ociError('BLOB_UPLOAD_UNKNOWN', 'unknown upload'));
          if (url.searchParams.get('_state') !== 'a+b=' || url.searchParams.get('x') !== '1') return sendJson(res, 400, ociError('BLOB_UPLOAD_INVALID', 'lost state'));
          if (req.method === 'PATCH') {
            const have = parts.reduce((a, p) => a + p.length, 0);
            if (req.headers['content-range'] !== `${have}-${have + body.length - 1}`) return sendJson(res, 416, ociError('BLOB_UPLOAD_INVALID', 'bad range'));
            parts.push(body);
            // A relative Location after each chunk.
            res.writeHead(202, { location: `/v2/up/app/blobs/uploads/${m[1]}?_state=a%2Bb%3D&x=1`, range: `0-${have + body.length - 1}`, 'content-length': '0' });
            return res.end();
          }
          if (req.method === 'PUT') {
            parts.push(body);
            stored.set(url.searchParams.get('digest') ?? '', Buffer.concat(parts));
            sessions.delete(m[1]!);
            res.writeHead(201, { 'content-length': '0' });
            return res.end();
          }
          if (req.method === 'DELETE') {
            sessions.delete(m[1]!);
            res.writeHead(204);
            return res.end();
          }
          sendJson(res, 405, {});
        }),
      );
    });

    it('keeps an existing Location query and appends the digest', async () => {
      const c = client();
      try {
        const b = blob(randomBytes(2500));
        await c.putBlob({ domain: reg.host, path: 'up/app' }, Readable.from([b.bytes]), b);
        assert.deepEqual(stored.get(b.digest), b.bytes);
        const put = reg.requests.find((r) => r.method === 'PUT')!;
        assert.ok(put.url.endsWith(`?_state=a%2Bb%3D&x=1&digest=${encodeURIComponent(b.digest)}`), put.url);

        const chunked = blob(randomBytes(2500));
        await c.putBlob({ domain: reg.host, path: 'up/app' }, Readable.from([chunked.bytes]), chunked, { chunkSize: 1000 });
        assert.deepEqual(stored.get(chunked.digest), chunked.bytes);
        assert.equal(reg.requests.filter((r) => r.method === 'PATCH').length, 3);
      } finally {
        await c.close();
      }
    });

    it('cancels the session and re-throws the stream error unchanged', async () => {
      const c = client();
      try {
        const boom = new Error('verifier says no');
        let pushed = false;
        const failing = new Readable({
          read() {
            if (!pushed) {
              pushed = true;
              this.push(randomBytes(500));
            } else {
              setImmediate(() => this.destroy(boom));
            }
          },
        });
        const b = blob(randomBytes(1000));
        const before = reg.requests.length;
        const err = await c.putBlob({ domain: reg.host, path: 'up/app' }, failing, b).then(
          () => assert.fail('resolved'),
          (e: unknown) => e,
        );
        assert.equal(err, boom);
        assert.equal(stored.has(b.digest), false);
        const mine = reg.requests.slice(before);
        assert.ok(mine.some((r) => r.method === 'DELETE'), 'the session was deleted');
        assert.equal(sessions.size, 0);
      } finally {
        await c.close();
      }
    });
  });

  it('appends digest= to Locations with and without a query', () => {
    const d = blob(Buffer.from('x')).digest;
    assert.equal(withDigestQuery(new URL('http://h/u/1'), d).href, `http://h/u/1?digest=${encodeURIComponent(d)}`);
    assert.equal(withDigestQuery(new URL('http://h/u/1?_state=a%2Bb'), d).href, `http://h/u/1?_state=a%2Bb&digest=${encodeURIComponent(d)}`);
  });
});
