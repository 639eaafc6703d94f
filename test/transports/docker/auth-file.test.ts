import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  authFileLocations,
  findCredentials,
  normalizeAuthFileKey,
  parseChallenges,
  parseScope,
} from '../../../src/transports/docker/index.js';
import { expectCodeAsync } from '../../helpers/expect-code.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'signet-authfile-'));
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

async function put(path: string, value: unknown): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function auths(entries: Record<string, string>): unknown {
  return { auths: Object.fromEntries(Object.entries(entries).map(([k, userPass]) => [k, { auth: b64(userPass) }])) };
}

describe('auth file lookup', () => {
  it('lists files in the containers order', () => {
    const env = { HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1' };
    assert.deepEqual(
      authFileLocations({ env }).map((l) => [l.path, l.legacyFormat]),
      [
        ['/run/user/1/containers/auth.json', false],
        ['/h/.config/containers/auth.json', false],
        ['/h/.docker/config.json', false],
        ['/h/.dockercfg', true],
      ],
    );
    assert.deepEqual(
      authFileLocations({ env: { ...env, XDG_CONFIG_HOME: '/cfg', DOCKER_CONFIG: '/dc' } }).map((l) => l.path),
      ['/run/user/1/containers/auth.json', '/cfg/containers/auth.json', '/dc/config.json', '/h/.dockercfg'],
    );
    // An explicit file, from the command line or the environment, is the only one searched.
    assert.deepEqual(authFileLocations({ env: { ...env, REGISTRY_AUTH_FILE: '/env.json' } }).map((l) => l.path), ['/env.json']);
    assert.deepEqual(
      authFileLocations({ env: { ...env, REGISTRY_AUTH_FILE: '/env.json' }, authFile: '/flag.json' }).map((l) => l.path),
      ['/flag.json'],
    );
  });

  it('takes the first file that has an entry for the registry', async () => {
    const h = join(home, 'order');
    const runtime = join(h, 'run');
    const env = { HOME: h, XDG_RUNTIME_DIR: runtime };
    const ctx = { env };
    assert.equal(await findCredentials(ctx, 'reg.example/ns/app'), undefined, 'no files at all');

    await put(join(h, '.dockercfg'), { 'https://reg.example/v1/': { auth: b64('legacy:l') } });
    assert.deepEqual(await findCredentials(ctx, 'reg.example/ns/app'), { username: 'legacy', password: 'l' });

    await put(join(h, '.docker', 'config.json'), auths({ 'reg.example': 'docker:d' }));
    assert.deepEqual(await findCredentials(ctx, 'reg.example/ns/app'), { username: 'docker', password: 'd' });

    await put(join(h, '.config', 'containers', 'auth.json'), auths({ 'reg.example': 'config:c', 'other.example': 'o:o' }));
    assert.deepEqual(await findCredentials(ctx, 'reg.example/ns/app'), { username: 'config', password: 'c' });

    await put(join(runtime, 'containers', 'auth.json'), auths({ 'reg.example': 'runtime:r' }));
    assert.deepEqual(await findCredentials(ctx, 'reg.example/ns/app'), { username: 'runtime', password: 'r' });
    // A registry the first file does not know falls through to the next file.
    assert.deepEqual(await findCredentials(ctx, 'other.example/x'), { username: 'o', password: 'o' });

    const envFile = await put(join(h, 'env.json'), auths({ 'reg.example': 'env:e' }));
    assert.deepEqual(await findCredentials({ env: { ...env, REGISTRY_AUTH_FILE: envFile } }, 'reg.example/ns/app'), {
      username: 'env',
      password: 'e',
    });
    // REGISTRY_AUTH_FILE is exclusive: other.example is only in the default files.
    assert.equal(await findCredentials({ env: { ...env, REGISTRY_AUTH_FILE: envFile } }, 'other.example/x'), undefined);

    const flagFile = await put(join(h, 'flag.json'), auths({ 'reg.example': 'flag:f' }));
    assert.deepEqual(await findCredentials({ env: { ...env, REGISTRY_AUTH_FILE: envFile }, authFile: flagFile }, 'reg.example/ns/app'), {
      username: 'flag',
      password: 'f',
    });

    // Command-line credentials win over every file.
    assert.deepEqual(
      await findCredentials({ env, authFile: flagFile, credentials: { username: 'cli', password: 'x' } }, 'reg.example/ns/app'),
      { username: 'cli', password: 'x' },
    );
  });

  it('prefers the most specific namespace key, then the host, then normalised URL keys', async () => {
    const file = await put(
      join(home, 'ns', 'auth.json'),
      auths({ 'reg.example/ns/app': 'repo:1', 'reg.example/ns': 'ns:2', 'reg.example': 'host:3', 'https://old.example/v1/': 'url:4' }),
    );
    const ctx = { authFile: file, env: {} };
    assert.equal((await findCredentials(ctx, 'reg.example/ns/app'))?.username, 'repo');
    assert.equal((await findCredentials(ctx, 'reg.example/ns/other'))?.username, 'ns');
    assert.equal((await findCredentials(ctx, 'reg.example/ns/app/sub'))?.username, 'repo');
    assert.equal((await findCredentials(ctx, 'reg.example/elsewhere/app'))?.username, 'host');
    assert.equal((await findCredentials(ctx, 'old.example/a'))?.username, 'url');
    assert.equal(await findCredentials(ctx, 'unknown.example/a'), undefined);
  });

  it('treats docker.io, index.docker.io and registry-1.docker.io as one registry', async () => {
    const file = await put(join(home, 'hub', 'auth.json'), auths({ 'https://index.docker.io/v1/': 'hub:h' }));
    assert.deepEqual(await findCredentials({ authFile: file, env: {} }, 'docker.io/library/busybox'), { username: 'hub', password: 'h' });
    assert.equal(normalizeAuthFileKey('https://index.docker.io/v1/', false), 'index.docker.io');
    assert.equal(normalizeAuthFileKey('registry-1.docker.io', false), 'index.docker.io');
    assert.equal(normalizeAuthFileKey('http://reg.example:5000/v2/', false), 'reg.example:5000');
    assert.equal(normalizeAuthFileKey('reg.example/ns', false), 'reg.example/ns');
    assert.equal(normalizeAuthFileKey('reg.example/ns', true), 'reg.example');
  });

  it('reads username/password and identitytoken entries, and skips helper markers', async () => {
    const file = await put(join(home, 'forms', 'auth.json'), {
      auths: {
        'plain.example': { username: 'u', password: 'p' },
        'oauth.example': { auth: b64('<token>:'), identitytoken: 'refresh-me' },
        'marker.example': {},
        'nocolon.example': { auth: b64('justuser') },
      },
    });
    const ctx = { authFile: file, env: {} };
    assert.deepEqual(await findCredentials(ctx, 'plain.example/a'), { username: 'u', password: 'p' });
    assert.deepEqual(await findCredentials(ctx, 'oauth.example/a'), { username: '<token>', password: '', identityToken: 'refresh-me' });
    assert.equal(await findCredentials(ctx, 'marker.example/a'), undefined);
    assert.equal(await findCredentials(ctx, 'nocolon.example/a'), undefined);
  });

  it('refuses a file that is not an auth file', async () => {
    const bad = await put(join(home, 'bad', 'auth.json'), '{"auths": ');
    await expectCodeAsync(() => findCredentials({ authFile: bad, env: {} }, 'reg.example/a'), 'INVALID_AUTH_FILE');
    const wrong = await put(join(home, 'bad', 'wrong.json'), { auths: ['reg.example'] });
    await expectCodeAsync(() => findCredentials({ authFile: wrong, env: {} }, 'reg.example/a'), 'INVALID_AUTH_FILE');
  });
});

describe('WWW-Authenticate parsing', () => {
  it('reads bearer and basic challenges with quoted parameters', () => {
    assert.deepEqual(parseChallenges(['Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"']), [
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    ]);
    assert.deepEqual(parseChallenges(['Basic realm="Registry Realm"']), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  });

  it('reads several challenges in one header and escaped quotes', () => {
    assert.deepEqual(parseChallenges(['Bearer realm="r\\"x", error="insufficient_scope", Basic realm=plain']), [
      { scheme: 'bearer', params: { realm: 'r"x', error: 'insufficient_scope' } },
      { scheme: 'basic', params: { realm: 'plain' } },
    ]);
    assert.deepEqual(parseChallenges([]), []);
    assert.deepEqual(parseChallenges(['=broken']), []);
  });

  it('splits token scopes', () => {
    assert.deepEqual(parseScope('repository:ns/app:pull,push'), { resourceType: 'repository', name: 'ns/app', actions: 'pull,push' });
    assert.equal(parseScope('nonsense'), undefined);
  });
});
