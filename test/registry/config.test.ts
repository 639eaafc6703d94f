import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { hashPassword } from '../../src/registry/auth/index.js';
import { environmentVariableFor, environmentVariables, loadRegistryConfig, RegistryConfigError } from '../../src/registry/config.js';
import { expectCodeAsync } from '../helpers/expect-code.js';

type Yaml = null | boolean | number | string | Yaml[] | { [key: string]: Yaml };

let root: string;
let confDir: string;
let workDir: string;
let hash: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'signet-config-'));
  confDir = join(root, 'etc');
  workDir = join(root, 'work');
  await mkdir(confDir);
  await mkdir(workDir);
  hash = await hashPassword('s3cret');
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A valid config using every key; each case breaks it one way. */
function validConfig(): { [key: string]: Yaml } {
  return {
    listen: '0.0.0.0:5443',
    tls: { cert: 'server.crt', key: '/abs/server.key' },
    storage: { path: './data' },
    database: { url: 'sqlite:db/signet.db' },
    auth: { anonymousPull: true, tokenTtlSeconds: 600, realm: 'https://auth.example.com/token', service: 'registry.example.com' },
    users: [
      { name: 'admin', password: 'change-me', roles: [{ repository: '*', role: 'admin' }] },
      {
        name: 'ci',
        passwordHash: hash,
        roles: [
          { repository: 'team/*', role: 'push' },
          { repository: 'team/*', role: 'sign' },
        ],
      },
      { name: 'auditor', password: 'x', roles: [{ repository: 'prod/app', role: 'audit' }] },
    ],
    keys: [
      { id: 'release', type: 'openpgp', privateKeyPath: 'release.asc', passphraseFile: 'release.pass' },
      { id: 'cosign', type: 'cosign', privateKeyPath: 'cosign.key', passwordFile: 'cosign.pass' },
      { id: 'plain', type: 'cosign', privateKeyPath: 'plain.key' },
    ],
    log: { level: 'debug' },
  };
}

let counter = 0;
async function writeConfig(content: string | { [key: string]: Yaml }): Promise<string> {
  const file = join(confDir, `config-${counter++}.yaml`);
  await writeFile(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

async function load(content: string | { [key: string]: Yaml }, env: Record<string, string | undefined> = {}) {
  return loadRegistryConfig({ file: await writeConfig(content), env, cwd: workDir });
}

describe('loadRegistryConfig: defaults', () => {
  it('fills every default without a file', async () => {
    const config = await loadRegistryConfig({ env: {}, cwd: workDir });
    assert.deepEqual(config, {
      file: undefined,
      listen: { host: '127.0.0.1', port: 5000 },
      tls: undefined,
      storage: { path: join(workDir, 'signet-data') },
      database: { kind: 'sqlite', url: `sqlite:${join(workDir, 'signet-data', 'signet.db')}`, path: join(workDir, 'signet-data', 'signet.db') },
      auth: { anonymousPull: false, tokenTtlSeconds: 300, realm: undefined, service: 'signet' },
      users: [],
      keys: [],
      log: { level: 'info' },
      adminPassword: undefined,
    });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.auth) && Object.isFrozen(config.users));
  });

  it('accepts an empty file and a comment-only file', async () => {
    for (const text of ['', '# nothing here\n']) {
      const config = await load(text);
      assert.equal(config.listen.port, 5000);
      assert.equal(config.storage.path, join(workDir, 'signet-data'));
    }
  });

  it('treats null values as absent', async () => {
    const config = await load('listen:\ntls:\nusers:\nauth:\n  realm:\n');
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 5000 });
    assert.equal(config.tls, undefined);
    assert.deepEqual(config.users, []);
  });

  it('puts the default database inside the configured storage', async () => {
    const config = await load({ storage: { path: '/srv/signet' } });
    assert.deepEqual(config.database, { kind: 'sqlite', url: 'sqlite:/srv/signet/signet.db', path: '/srv/signet/signet.db' });
  });
});

describe('loadRegistryConfig: a full file', () => {
  it('reads every key and resolves paths against the file folder', async () => {
    const file = await writeConfig(validConfig());
    const config = await loadRegistryConfig({ file, env: {}, cwd: workDir });
    assert.equal(config.file, file);
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 5443 });
    assert.deepEqual(config.tls, { cert: join(confDir, 'server.crt'), key: '/abs/server.key' });
    assert.deepEqual(config.storage, { path: join(confDir, 'data') });
    assert.deepEqual(config.database, { kind: 'sqlite', url: `sqlite:${join(confDir, 'db', 'signet.db')}`, path: join(confDir, 'db', 'signet.db') });
    assert.deepEqual(config.auth, { anonymousPull: true, tokenTtlSeconds: 600, realm: 'https://auth.example.com/token', service: 'registry.example.com' });
    assert.deepEqual(config.users, [
      { name: 'admin', credential: { kind: 'password', password: 'change-me' }, roles: [{ repository: '*', role: 'admin' }] },
      {
        name: 'ci',
        credential: { kind: 'passwordHash', passwordHash: hash },
        roles: [
          { repository: 'team/*', role: 'push' },
          { repository: 'team/*', role: 'sign' },
        ],
      },
      { name: 'auditor', credential: { kind: 'password', password: 'x' }, roles: [{ repository: 'prod/app', role: 'audit' }] },
    ]);
    assert.deepEqual(config.keys, [
      { id: 'release', type: 'openpgp', privateKeyPath: join(confDir, 'release.asc'), passphraseFile: join(confDir, 'release.pass') },
      { id: 'cosign', type: 'cosign', privateKeyPath: join(confDir, 'cosign.key'), passphraseFile: join(confDir, 'cosign.pass') },
      { id: 'plain', type: 'cosign', privateKeyPath: join(confDir, 'plain.key'), passphraseFile: undefined },
    ]);
    assert.deepEqual(config.log, { level: 'debug' });
  });

  it('resolves a relative file name against cwd', async () => {
    const file = await writeConfig({ storage: { path: 'blobs' } });
    const config = await loadRegistryConfig({ file: join('..', 'etc', file.slice(confDir.length + 1)), env: {}, cwd: workDir });
    assert.equal(config.file, file);
    assert.equal(config.storage.path, join(confDir, 'blobs'));
  });

  const good: ReadonlyArray<readonly [string, Yaml, (c: Awaited<ReturnType<typeof load>>) => void]> = [
    ['IPv6 listen', { listen: '[::1]:5000' }, (c) => assert.deepEqual(c.listen, { host: '::1', port: 5000 })],
    ['host name listen, port 0', { listen: 'localhost:0' }, (c) => assert.deepEqual(c.listen, { host: 'localhost', port: 0 })],
    ['sqlite in memory', { database: { url: 'sqlite::memory:' } }, (c) => assert.deepEqual(c.database, { kind: 'sqlite', url: 'sqlite::memory:', path: ':memory:' })],
    ['postgres', { database: { url: 'postgres://u:p@db:5432/signet' } }, (c) => assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://u:p@db:5432/signet' })],
    ['postgresql', { database: { url: 'postgresql://db/signet' } }, (c) => assert.equal(c.database.kind, 'postgres')],
    ['absolute sqlite', { database: { url: 'sqlite:/var/lib/s.db' } }, (c) => assert.deepEqual(c.database, { kind: 'sqlite', url: 'sqlite:/var/lib/s.db', path: '/var/lib/s.db' })],
    ['user without roles', { users: [{ name: 'nobody', password: 'x' }] }, (c) => assert.deepEqual(c.users[0]?.roles, [])],
    ['adminPassword in the file', { adminPassword: 'first' }, (c) => assert.equal(c.adminPassword, 'first')],
  ];
  for (const [name, config, check] of good) {
    it(`accepts ${name}`, async () => check(await load(config as { [key: string]: Yaml })));
  }
});

describe('loadRegistryConfig: invalid files', () => {
  const invalid: ReadonlyArray<readonly [string, (c: { [key: string]: Yaml }) => void, string, RegExp]> = [
    ['unknown top-level key', (c) => (c.listenAddress = 'x'), 'listenAddress', /unknown key/],
    ['unknown section key', (c) => ((c.auth as { [key: string]: Yaml }).anonymous = true), 'auth.anonymous', /unknown key \(allowed: anonymousPull, tokenTtlSeconds, realm, service\)/],
    ['unknown user key', (c) => ((users(c)[0] as { [key: string]: Yaml }).email = 'a@b'), 'users[0].email', /unknown key/],
    ['unknown role key', (c) => (grant(c, 1, 0).scope = 'x'), 'users[1].roles[0].scope', /unknown key/],
    ['unknown key-entry key', (c) => ((keys(c)[0] as { [key: string]: Yaml }).fingerprint = 'x'), 'keys[0].fingerprint', /unknown key/],
    ['section not a mapping', (c) => (c.tls = 'server.crt'), 'tls', /must be a mapping, got "server.crt"/],
    ['users not a sequence', (c) => (c.users = { admin: 'x' }), 'users', /must be a sequence/],
    ['user not a mapping', (c) => (users(c)[2] = 'auditor'), 'users[2]', /must be a mapping/],
    ['listen without port', (c) => (c.listen = 'localhost'), 'listen', /expected host:port/],
    ['listen port out of range', (c) => (c.listen = '127.0.0.1:70000'), 'listen', /port must be a number from 0 to 65535/],
    ['listen IPv6 without brackets', (c) => (c.listen = '::1:5000'), 'listen', /needs brackets/],
    ['listen not a string', (c) => (c.listen = 5000), 'listen', /must be a string \(quote it\), got a number/],
    ['tls cert without key', (c) => (c.tls = { cert: 'a.crt' }), 'tls.key', /is required when tls.cert is set/],
    ['tls key without cert', (c) => (c.tls = { key: 'a.key' }), 'tls.cert', /is required when tls.key is set/],
    ['empty storage path', (c) => (c.storage = { path: '' }), 'storage.path', /must not be empty/],
    ['database of another kind', (c) => (c.database = { url: 'mysql://db/x' }), 'database.url', /expected sqlite:PATH.*scheme "mysql"/],
    ['sqlite without a path', (c) => (c.database = { url: 'sqlite:' }), 'database.url', /needs a file path/],
    ['postgres without slashes', (c) => (c.database = { url: 'postgres:db' }), 'database.url', /must start with postgres:\/\//],
    ['anonymousPull not a boolean', (c) => (auth(c).anonymousPull = 'yes'), 'auth.anonymousPull', /must be true or false, got "yes"/],
    ['tokenTtlSeconds not a number', (c) => (auth(c).tokenTtlSeconds = '300'), 'auth.tokenTtlSeconds', /whole number of seconds/],
    ['tokenTtlSeconds zero', (c) => (auth(c).tokenTtlSeconds = 0), 'auth.tokenTtlSeconds', /from 1 to 86400, got a number \(0\)/],
    ['tokenTtlSeconds fractional', (c) => (auth(c).tokenTtlSeconds = 1.5), 'auth.tokenTtlSeconds', /whole number/],
    ['realm not a URL', (c) => (auth(c).realm = 'auth.example.com/token'), 'auth.realm', /must be an http:\/\/ or https:\/\/ URL/],
    ['realm of another scheme', (c) => (auth(c).realm = 'ftp://auth.example.com/token'), 'auth.realm', /http:\/\/ or https:\/\//],
    ['service with a space', (c) => (auth(c).service = 'my registry'), 'auth.service', /printable ASCII without spaces/],
    ['bad log level', (c) => (c.log = { level: 'verbose' }), 'log.level', /must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/],
    ['user without name', (c) => delete (users(c)[0] as { [key: string]: Yaml }).name, 'users[0].name', /is required/],
    ['user name with a colon', (c) => ((users(c)[0] as { [key: string]: Yaml }).name = 'a:b'), 'users[0].name', /without spaces, colons/],
    ['duplicate user name', (c) => ((users(c)[2] as { [key: string]: Yaml }).name = 'ci'), 'users[2].name', /duplicate user name "ci" \(also users\[1\]\)/],
    ['user with both password and hash', (c) => ((users(c)[1] as { [key: string]: Yaml }).password = 'x'), 'users[1]', /has both password and passwordHash/],
    ['user with neither password nor hash', (c) => delete (users(c)[0] as { [key: string]: Yaml }).password, 'users[0]', /needs a password or a passwordHash/],
    ['password that is a number', (c) => ((users(c)[0] as { [key: string]: Yaml }).password = 1234), 'users[0].password', /must be a string \(quote it\), got a number$/],
    ['empty password', (c) => ((users(c)[0] as { [key: string]: Yaml }).password = ''), 'users[0].password', /must not be empty/],
    ['malformed password hash', (c) => ((users(c)[1] as { [key: string]: Yaml }).passwordHash = '$2b$10$abc'), 'users[1].passwordHash', /invalid password hash/],
    ['roles not a sequence', (c) => ((users(c)[0] as { [key: string]: Yaml }).roles = 'admin'), 'users[0].roles', /must be a sequence/],
    ['invalid role name', (c) => (grant(c, 1, 0).role = 'owner'), 'users[1].roles[0].role', /must be one of pull, push, sign, audit, admin, got "owner"/],
    ['role missing', (c) => delete grant(c, 1, 1).role, 'users[1].roles[1].role', /is required/],
    ['repository missing', (c) => delete grant(c, 0, 0).repository, 'users[0].roles[0].repository', /is required/],
    ['invalid repository pattern', (c) => (grant(c, 1, 0).repository = 'team/*/x'), 'users[1].roles[0].repository', /invalid repository pattern "team\/\*\/x"/],
    ['uppercase repository', (c) => (grant(c, 2, 0).repository = 'Prod/App'), 'users[2].roles[0].repository', /invalid repository pattern/],
    ['key without id', (c) => delete (keys(c)[1] as { [key: string]: Yaml }).id, 'keys[1].id', /is required/],
    ['bad key id', (c) => ((keys(c)[1] as { [key: string]: Yaml }).id = 'my key'), 'keys[1].id', /key ids are letters/],
    ['duplicate key id', (c) => ((keys(c)[2] as { [key: string]: Yaml }).id = 'release'), 'keys[2].id', /duplicate key id "release" \(also keys\[0\]\)/],
    ['bad key type', (c) => ((keys(c)[0] as { [key: string]: Yaml }).type = 'x509'), 'keys[0].type', /must be one of openpgp, cosign, got "x509"/],
    ['key without private key', (c) => delete (keys(c)[0] as { [key: string]: Yaml }).privateKeyPath, 'keys[0].privateKeyPath', /is required/],
    ['key with both secret files', (c) => ((keys(c)[1] as { [key: string]: Yaml }).passphraseFile = 'p'), 'keys[1]', /has both passphraseFile and passwordFile/],
    ['adminPassword not a string', (c) => (c.adminPassword = true), 'adminPassword', /must be a string \(quote it\), got a boolean$/],
  ];

  for (const [name, breakIt, path, pattern] of invalid) {
    it(`rejects: ${name}`, async () => {
      const config = validConfig();
      breakIt(config);
      const file = await writeConfig(config);
      const err = await expectCodeAsync(() => loadRegistryConfig({ file, env: {}, cwd: workDir }), 'INVALID_CONFIG');
      assert.ok(err instanceof RegistryConfigError);
      assert.equal(err.category, 'input');
      assert.equal(err.path, path);
      assert.ok(err.message.includes(`${file}: ${path}: `), err.message);
      assert.match(err.message, pattern);
    });
  }

  it('never repeats a password or a database URL in a message', async () => {
    const errs = [
      await expectCodeAsync(() => load({ users: [{ name: 'a', password: 123456789 }] }), 'INVALID_CONFIG'),
      await expectCodeAsync(() => load({ database: { url: 'mysql://user:hunter2@db/x' } }), 'INVALID_CONFIG'),
      await expectCodeAsync(() => load({ database: { url: 'postgres://user:hunter2@[db/x' } }), 'INVALID_CONFIG'),
    ];
    for (const err of errs) assert.doesNotMatch(err.message, /123456789|hunter2/);
  });

  const yamlErrors: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['duplicate key', 'listen: a:1\nlisten: b:2\n', /line 2 column 1: Map keys must be unique/],
    ['duplicate nested key', 'auth:\n  service: a\n  service: b\n', /Map keys must be unique/],
    ['not YAML', 'users: [\n', /line \d+ column \d+/],
    ['two documents', 'listen: a:1\n---\nlisten: b:2\n', /multiple documents/],
    ['unknown tag', 'listen: !host a:1\n', /Unresolved tag/],
    ['top level is a sequence', '- listen\n', /: must be a mapping, got a sequence/],
    ['merge keys (not YAML 1.2)', 'log:\n  <<: {level: info}\n', /log\["<<"\]: unknown key/],
  ];
  for (const [name, text, pattern] of yamlErrors) {
    it(`rejects YAML: ${name}`, async () => {
      const file = await writeConfig(text);
      const err = await expectCodeAsync(() => loadRegistryConfig({ file, env: {}, cwd: workDir }), 'INVALID_CONFIG');
      assert.ok(err.message.startsWith(`invalid registry config ${file}: `), err.message);
      assert.match(err.message, pattern);
    });
  }

  it('reports a missing file as CONFIG_NOT_READABLE', async () => {
    const file = join(confDir, 'missing.yaml');
    const err = await expectCodeAsync(() => loadRegistryConfig({ file, env: {}, cwd: workDir }), 'CONFIG_NOT_READABLE');
    assert.ok(err.message.startsWith(`cannot read registry config ${file}: `), err.message);
  });

  it('refuses a file larger than the cap', async () => {
    const file = await writeConfig(`# ${'x'.repeat(1024 * 1024)}\n`);
    const err = await expectCodeAsync(() => loadRegistryConfig({ file, env: {}, cwd: workDir }), 'CONFIG_NOT_READABLE');
    assert.match(err.message, /larger than the limit/);
  });
});

describe('loadRegistryConfig: environment variables', () => {
  it('names each variable after its key path', () => {
    assert.equal(environmentVariableFor('auth.anonymousPull'), 'SIGNET_AUTH_ANONYMOUS_PULL');
    assert.equal(environmentVariableFor('adminPassword'), 'SIGNET_ADMIN_PASSWORD');
    assert.deepEqual([...environmentVariables.keys()].sort(), [
      'SIGNET_ADMIN_PASSWORD',
      'SIGNET_AUTH_ANONYMOUS_PULL',
      'SIGNET_AUTH_REALM',
      'SIGNET_AUTH_SERVICE',
      'SIGNET_AUTH_TOKEN_TTL_SECONDS',
      'SIGNET_DATABASE_URL',
      'SIGNET_LISTEN',
      'SIGNET_LOG_LEVEL',
      'SIGNET_STORAGE_PATH',
      'SIGNET_TLS_CERT',
      'SIGNET_TLS_KEY',
    ]);
  });

  it('override the file; relative paths resolve against cwd', async () => {
    const config = await load(validConfig(), {
      SIGNET_LISTEN: '[::]:8443',
      SIGNET_TLS_CERT: 'env.crt',
      SIGNET_STORAGE_PATH: 'env-data',
      SIGNET_DATABASE_URL: 'postgres://db/signet',
      SIGNET_AUTH_ANONYMOUS_PULL: '0',
      SIGNET_AUTH_TOKEN_TTL_SECONDS: '60',
      SIGNET_AUTH_SERVICE: 'other',
      SIGNET_LOG_LEVEL: 'warn',
      SIGNET_ADMIN_PASSWORD: 'from-env',
      SIGNET_UNRELATED: 'ignored',
    });
    assert.deepEqual(config.listen, { host: '::', port: 8443 });
    assert.deepEqual(config.tls, { cert: join(workDir, 'env.crt'), key: '/abs/server.key' });
    assert.equal(config.storage.path, join(workDir, 'env-data'));
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://db/signet' });
    assert.deepEqual(config.auth, { anonymousPull: false, tokenTtlSeconds: 60, realm: 'https://auth.example.com/token', service: 'other' });
    assert.equal(config.log.level, 'warn');
    assert.equal(config.adminPassword, 'from-env');
    assert.equal(config.users.length, 3);
  });

  it('work without a file, and the default database follows SIGNET_STORAGE_PATH', async () => {
    const config = await loadRegistryConfig({ env: { SIGNET_STORAGE_PATH: '/srv/s', SIGNET_AUTH_ANONYMOUS_PULL: 'true', SIGNET_TLS_CERT: 'c', SIGNET_TLS_KEY: 'k' }, cwd: workDir });
    assert.equal(config.database.url, 'sqlite:/srv/s/signet.db');
    assert.equal(config.auth.anonymousPull, true);
    assert.deepEqual(config.tls, { cert: join(workDir, 'c'), key: join(workDir, 'k') });
  });

  it('treat an empty value as unset', async () => {
    const config = await load({ listen: '0.0.0.0:1' }, { SIGNET_LISTEN: '', SIGNET_ADMIN_PASSWORD: '' });
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 1 });
    assert.equal(config.adminPassword, undefined);
  });

  for (const value of ['true', 'false', '1', '0']) {
    it(`accept SIGNET_AUTH_ANONYMOUS_PULL=${value}`, async () => {
      const config = await loadRegistryConfig({ env: { SIGNET_AUTH_ANONYMOUS_PULL: value }, cwd: workDir });
      assert.equal(config.auth.anonymousPull, value === 'true' || value === '1');
    });
  }

  const invalid: ReadonlyArray<readonly [string, string, string, RegExp]> = [
    ['SIGNET_AUTH_ANONYMOUS_PULL', 'yes', 'auth.anonymousPull', /must be true, false, 1 or 0, got "yes"/],
    ['SIGNET_AUTH_ANONYMOUS_PULL', 'TRUE', 'auth.anonymousPull', /must be true, false, 1 or 0/],
    ['SIGNET_AUTH_TOKEN_TTL_SECONDS', '5m', 'auth.tokenTtlSeconds', /whole number of seconds/],
    ['SIGNET_AUTH_TOKEN_TTL_SECONDS', '100000', 'auth.tokenTtlSeconds', /from 1 to 86400/],
    ['SIGNET_LISTEN', '5000', 'listen', /expected host:port/],
    ['SIGNET_LOG_LEVEL', 'loud', 'log.level', /must be one of/],
    ['SIGNET_DATABASE_URL', 'redis://x', 'database.url', /expected sqlite:PATH/],
    ['SIGNET_AUTH_REALM', 'not a url', 'auth.realm', /http:\/\/ or https:\/\//],
  ];
  for (const [name, value, path, pattern] of invalid) {
    it(`reject ${name}=${value}`, async () => {
      const err = await expectCodeAsync(() => load(validConfig(), { [name]: value }), 'INVALID_CONFIG');
      assert.ok(err instanceof RegistryConfigError);
      assert.equal(err.path, path);
      assert.ok(err.message.includes(`(environment variable ${name}): ${path}: `), err.message);
      assert.match(err.message, pattern);
    });
  }

  it('reject a TLS certificate without a key', async () => {
    const err = await expectCodeAsync(() => loadRegistryConfig({ env: { SIGNET_TLS_CERT: 'c' }, cwd: workDir }), 'INVALID_CONFIG');
    assert.match(err.message, /\(environment variable SIGNET_TLS_CERT\): tls\.key: is required when tls\.cert is set \(SIGNET_TLS_KEY or the file\)/);
  });
});

function users(c: { [key: string]: Yaml }): Yaml[] {
  return c.users as Yaml[];
}
function keys(c: { [key: string]: Yaml }): Yaml[] {
  return c.keys as Yaml[];
}
function auth(c: { [key: string]: Yaml }): { [key: string]: Yaml } {
  return c.auth as { [key: string]: Yaml };
}
function grant(c: { [key: string]: Yaml }, user: number, index: number): { [key: string]: Yaml } {
  return ((users(c)[user] as { [key: string]: Yaml }).roles as Yaml[])[index] as { [key: string]: Yaml };
}
