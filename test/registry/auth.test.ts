import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  actionsFor,
  anonymousGrants,
  authorizeScopes,
  basicChallenge,
  canPullSomething,
  challenge,
  formatScope,
  grantedActions,
  hashPassword,
  isAdminAnywhere,
  isAdminEverywhere,
  isAllowed,
  parseAuthorization,
  parsePasswordHash,
  parseRepositoryPattern,
  parseRole,
  parseScope,
  parseScopes,
  patternMatches,
  repositoryFilter,
  TokenIssuer,
  tokenResponse,
  verifyCredential,
  verifyPassword,
  type RoleGrant,
  type TokenClaims,
} from '../../src/registry/auth/index.js';
import { expectCode } from '../helpers/expect-code.js';

describe('roles and repository patterns', () => {
  const grants: RoleGrant[] = [
    { repository: 'team/*', role: 'push' },
    { repository: 'team/*', role: 'sign' },
    { repository: 'prod/app', role: 'audit' },
  ];

  it('maps each role to its actions', () => {
    const one = (role: RoleGrant['role']) => [...actionsFor([{ repository: 'r', role }], 'r')].sort();
    assert.deepEqual(one('pull'), ['pull']);
    assert.deepEqual(one('push'), ['pull', 'push']);
    assert.deepEqual(one('sign'), ['pull', 'sign']);
    assert.deepEqual(one('audit'), ['audit', 'pull']);
    assert.deepEqual(one('admin'), ['admin', 'audit', 'delete', 'pull', 'push', 'sign']);
  });

  it('unites the actions of every matching grant', () => {
    assert.deepEqual([...actionsFor(grants, 'team/app')].sort(), ['pull', 'push', 'sign']);
    assert.deepEqual([...actionsFor(grants, 'team/a/b/c')].sort(), ['pull', 'push', 'sign']);
    assert.deepEqual([...actionsFor(grants, 'prod/app')].sort(), ['audit', 'pull']);
    assert.deepEqual([...actionsFor(grants, 'team')], []);
    assert.deepEqual([...actionsFor(grants, 'teams/app')], []);
    assert.deepEqual([...actionsFor(grants, 'prod/app/x')], []);
    assert.equal(isAllowed(grants, 'team/app', 'push'), true);
    assert.equal(isAllowed(grants, 'team/app', 'delete'), false);
  });

  it('matches patterns', () => {
    assert.equal(patternMatches('*', 'a/b/c'), true);
    assert.equal(patternMatches('team/*', 'team/x'), true);
    assert.equal(patternMatches('team/*', 'team/x/y'), true);
    assert.equal(patternMatches('team/*', 'team'), false);
    assert.equal(patternMatches('team/*', 'teamx/y'), false);
    assert.equal(patternMatches('a/b', 'a/b'), true);
    assert.equal(patternMatches('a/b', 'a/b/c'), false);
    assert.equal(patternMatches('a/*/c', 'a/b/c'), false, 'an invalid pattern matches nothing');
    assert.deepEqual(parseRepositoryPattern('team/*'), { kind: 'prefix', prefix: 'team' });
    assert.deepEqual(parseRepositoryPattern('*'), { kind: 'any' });
    assert.deepEqual(parseRepositoryPattern('a.b/c-d'), { kind: 'exact', repository: 'a.b/c-d' });
  });

  for (const bad of ['', '/*', 'team/', 'team/*/x', 'te*', 'Team/*', 'a//b', '**', 'localhost:5000/a']) {
    it(`rejects the repository pattern ${JSON.stringify(bad)}`, () => {
      const err = expectCode(() => parseRepositoryPattern(bad), 'INVALID_REPOSITORY_PATTERN');
      assert.match(err.message, /invalid repository pattern/);
    });
  }

  it('rejects unknown roles', () => {
    assert.equal(parseRole('sign'), 'sign');
    const err = expectCode(() => parseRole('owner'), 'INVALID_ROLE');
    assert.match(err.message, /"owner".*pull, push, sign, audit, admin/);
  });

  it('filters the catalog to pullable repositories', () => {
    const filter = repositoryFilter(grants);
    assert.deepEqual(['team/a', 'prod/app', 'prod/other', 'x'].filter(filter), ['team/a', 'prod/app']);
    assert.deepEqual(['team/a', 'prod/app'].filter(repositoryFilter(grants, 'push')), ['team/a']);
    assert.equal(canPullSomething(grants), true);
    assert.equal(canPullSomething([]), false);
    assert.equal(repositoryFilter([])('x'), false);
  });

  it('tells admins apart', () => {
    assert.equal(isAdminAnywhere(grants), false);
    assert.equal(isAdminAnywhere([{ repository: 'team/*', role: 'admin' }]), true);
    assert.equal(isAdminEverywhere([{ repository: 'team/*', role: 'admin' }]), false);
    assert.equal(isAdminEverywhere([{ repository: '*', role: 'admin' }]), true);
  });

  it('gives anonymous clients pull everywhere only when allowed', () => {
    assert.deepEqual([...actionsFor(anonymousGrants(true), 'any/repo')], ['pull']);
    assert.deepEqual(anonymousGrants(false), []);
  });
});

describe('passwords', () => {
  it('hashes in the documented format and verifies', async () => {
    const encoded = await hashPassword('correct horse');
    assert.match(encoded, /^\$scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    const parsed = parsePasswordHash(encoded);
    assert.equal(parsed.salt.length, 16);
    assert.equal(parsed.key.length, 32);
    assert.equal(await verifyPassword('correct horse', encoded), true);
    assert.equal(await verifyPassword('correct horsE', encoded), false);
    assert.equal(await verifyPassword('', encoded), false);
  });

  it('salts every hash', async () => {
    assert.notEqual(await hashPassword('x'), await hashPassword('x'));
  });

  it('verifies hashes made with other acceptable parameters', async () => {
    const encoded = await hashPassword('pw');
    const parsed = parsePasswordHash(encoded);
    const { scryptSync } = await import('node:crypto');
    const key = scryptSync('pw', parsed.salt, 24, { N: 1024, r: 4, p: 2 });
    assert.equal(await verifyPassword('pw', `$scrypt$N=1024,r=4,p=2$${parsed.salt.toString('base64')}$${key.toString('base64')}`), true);
  });

  const salt = Buffer.alloc(16, 1).toString('base64');
  const key = Buffer.alloc(32, 2).toString('base64');
  const malformed: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['empty', '', /expected \$scrypt\$/],
    ['bcrypt', '$2b$10$abcdefghijklmnopqrstuu', /expected \$scrypt\$/],
    ['missing key', `$scrypt$N=16384,r=8,p=1$${salt}`, /expected/],
    ['parameters out of order', `$scrypt$r=8,N=16384,p=1$${salt}$${key}`, /expected/],
    ['N not a power of two', `$scrypt$N=1000,r=8,p=1$${salt}$${key}`, /N must be a power of two/],
    ['N too large', `$scrypt$N=2097152,r=8,p=1$${salt}$${key}`, /N must be a power of two from 2 to 2\^20/],
    ['r zero', `$scrypt$N=16384,r=0,p=1$${salt}$${key}`, /r must be from 1 to 16/],
    ['p too large', `$scrypt$N=16384,r=8,p=99$${salt}$${key}`, /p must be from 1 to 16/],
    ['too much memory', `$scrypt$N=1048576,r=16,p=1$${salt}$${key}`, /needs more than 256 MiB/],
    ['unpadded base64', `$scrypt$N=16384,r=8,p=1$${salt.replace(/=+$/, '')}$${key}`, /salt is not canonical/],
    ['base64url', `$scrypt$N=16384,r=8,p=1$${salt}$${Buffer.alloc(32, 0xfb).toString('base64url')}=`, /expected/],
    ['short salt', `$scrypt$N=16384,r=8,p=1$${Buffer.alloc(4).toString('base64')}$${key}`, /salt must be 8 to 64 bytes, got 4/],
    ['short key', `$scrypt$N=16384,r=8,p=1$${salt}$${Buffer.alloc(8).toString('base64')}`, /key must be 16 to 64 bytes, got 8/],
    ['trailing data', `$scrypt$N=16384,r=8,p=1$${salt}$${key}$`, /expected/],
  ];
  for (const [name, encoded, pattern] of malformed) {
    it(`rejects a malformed hash: ${name}`, async () => {
      const err = expectCode(() => parsePasswordHash(encoded), 'INVALID_PASSWORD_HASH');
      assert.match(err.message, pattern);
      assert.equal(await verifyPassword('anything', encoded), false);
    });
  }

  it('verifies configured credentials in clear text and hashed', async () => {
    assert.equal(await verifyCredential({ kind: 'password', password: 'pw' }, 'pw'), true);
    assert.equal(await verifyCredential({ kind: 'password', password: 'pw' }, 'pw2'), false);
    assert.equal(await verifyCredential({ kind: 'password', password: 'é' }, 'e\u0301'), true, 'compared after NFC');
    const passwordHash = await hashPassword('pw');
    assert.equal(await verifyCredential({ kind: 'passwordHash', passwordHash }, 'pw'), true);
    assert.equal(await verifyCredential({ kind: 'passwordHash', passwordHash }, 'PW'), false);
  });
});

describe('parseAuthorization', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

  it('reads Basic and Bearer credentials', () => {
    assert.deepEqual(parseAuthorization(basic('ci:pa:ss')), { kind: 'basic', user: 'ci', password: 'pa:ss' });
    assert.deepEqual(parseAuthorization(basic('ci:')), { kind: 'basic', user: 'ci', password: '' });
    assert.deepEqual(parseAuthorization(`basic  ${Buffer.from('ü:ß').toString('base64')}`), { kind: 'basic', user: 'ü', password: 'ß' });
    assert.deepEqual(parseAuthorization('Bearer abc.def-_.ghi'), { kind: 'bearer', token: 'abc.def-_.ghi' });
    assert.deepEqual(parseAuthorization('BEARER abc=='), { kind: 'bearer', token: 'abc==' });
  });

  it('treats an absent or blank header as no credentials', () => {
    assert.equal(parseAuthorization(undefined), undefined);
    assert.equal(parseAuthorization('  '), undefined);
  });

  const malformed: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['unknown scheme', 'Digest username="x"', /unsupported scheme "digest"/],
    ['Basic without credentials', 'Basic', /Basic credentials are missing/],
    ['Basic not base64', 'Basic !!!!', /not base64/],
    ['Basic unpadded', `Basic ${Buffer.from('a:bc').toString('base64').replace(/=+$/, '')}x`, /not base64/],
    ['Basic without colon', basic('justauser'), /no ":" between user and password/],
    ['Basic with empty user', basic(':pw'), /user name is empty/],
    ['Basic not UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff]).toString('base64')}`, /not UTF-8/],
    ['Basic with control characters', basic('a:b\nc'), /control characters/],
    ['Bearer without token', 'Bearer ', /Bearer token is missing/],
    ['Bearer with spaces', 'Bearer a b', /characters a token cannot have/],
  ];
  for (const [name, header, pattern] of malformed) {
    it(`rejects: ${name}`, () => {
      const err = expectCode(() => parseAuthorization(header), 'UNAUTHORIZED');
      assert.match(err.message, /^invalid Authorization header: /);
      assert.match(err.message, pattern);
    });
  }
});

describe('challenges', () => {
  it('writes a bearer challenge', () => {
    assert.equal(
      challenge({ realm: 'https://r.example/token', service: 'signet', scope: 'repository:team/app:pull,push' }),
      'Bearer realm="https://r.example/token",service="signet",scope="repository:team/app:pull,push"',
    );
    assert.equal(
      challenge({ realm: 'https://r/token', service: 's', scope: ['repository:a:pull', 'repository:b:pull'], error: 'insufficient_scope' }),
      'Bearer realm="https://r/token",service="s",scope="repository:a:pull repository:b:pull",error="insufficient_scope"',
    );
    assert.equal(challenge({ realm: 'https://r/token', service: 's' }), 'Bearer realm="https://r/token",service="s"');
  });

  it('escapes quotes and backslashes, and refuses control characters', () => {
    assert.equal(challenge({ realm: 'https://r/t?a="b"\\', service: 's' }), 'Bearer realm="https://r/t?a=\\"b\\"\\\\",service="s"');
    assert.throws(() => challenge({ realm: 'https://r/\r\nSet-Cookie: x', service: 's' }), TypeError);
    assert.equal(basicChallenge('Signet "main"'), 'Basic realm="Signet \\"main\\"",charset="UTF-8"');
  });
});

describe('scopes', () => {
  it('parses repository and catalog scopes', () => {
    assert.deepEqual(parseScope('repository:team/app:pull,push'), { type: 'repository', name: 'team/app', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('repository:a/b/c:pull,pull'), { type: 'repository', name: 'a/b/c', actions: ['pull'] });
    assert.deepEqual(parseScope('repository:app:*'), { type: 'repository', name: 'app', actions: ['*'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
    assert.equal(formatScope(parseScope('repository:team/app:pull,push')), 'repository:team/app:pull,push');
  });

  it('parses space-separated and repeated scope parameters, merging by resource', () => {
    assert.deepEqual(parseScopes(['repository:a:pull repository:b:push', 'repository:a:push', 'registry:catalog:*', '']), [
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'b', actions: ['push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    assert.deepEqual(parseScopes([]), []);
  });

  const invalid: ReadonlyArray<readonly [string, RegExp]> = [
    ['repository', /expected <type>:<name>:<actions>/],
    ['repository:app', /expected <type>:<name>:<actions>/],
    ['repository:app:', /no actions/],
    ['repository:app:pull,', /empty action/],
    ['repository:App:pull', /"App" is not a repository name/],
    ['repository:localhost:5000/app:pull', /is not a repository name/],
    ['repository::pull', /"" is not a repository name/],
    ['repository:app:fetch', /unknown action "fetch"/],
    ['registry:catalog:pull', /the catalog scope takes the action \* only/],
    ['registry:users:*', /unknown registry resource "users"/],
    ['repository(plugin):app:pull', /unknown resource type "repository\(plugin\)"/],
  ];
  for (const [scope, pattern] of invalid) {
    it(`rejects ${JSON.stringify(scope)}`, () => {
      const err = expectCode(() => parseScope(scope), 'INVALID_SCOPE');
      assert.ok(err.message.startsWith(`invalid scope ${JSON.stringify(scope)}: `), err.message);
      assert.match(err.message, pattern);
    });
  }

  it('rejects an invalid scope inside a parameter', () => {
    expectCode(() => parseScopes(['repository:a:pull repository:B:pull']), 'INVALID_SCOPE');
  });

  it('grants the requested actions the roles allow', () => {
    const grants: RoleGrant[] = [
      { repository: 'team/*', role: 'push' },
      { repository: 'own/*', role: 'admin' },
    ];
    const requested = parseScopes(['repository:team/app:pull,push,delete repository:other:pull repository:team/app:* repository:own/x:* registry:catalog:*']);
    assert.deepEqual(authorizeScopes(grants, requested), [
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'other', actions: [] },
      { type: 'repository', name: 'own/x', actions: ['*'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    assert.deepEqual(authorizeScopes([], parseScopes(['registry:catalog:*'])), [{ type: 'registry', name: 'catalog', actions: [] }]);
  });
});

describe('TokenIssuer', () => {
  const secret = new Uint8Array(32).fill(7);
  const t0 = Date.UTC(2025, 0, 2, 3, 4, 5);
  const at = (ms: number) => new TokenIssuer(secret, { ttlSeconds: 300, service: 'signet', now: () => ms });
  const access = [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }];

  function b64(value: unknown): string {
    return Buffer.from(JSON.stringify(value)).toString('base64url');
  }
  function sign(header: unknown, claims: unknown, key: Uint8Array = secret): string {
    const input = `${b64(header)}.${b64(claims)}`;
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  }
  function claimsOf(token: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  it('round-trips a token', () => {
    const issued = at(t0).issue('ci', access);
    assert.equal(issued.expiresIn, 300);
    assert.equal(issued.issuedAt, '2025-01-02T03:04:05Z');
    const [header] = issued.token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header as string, 'base64url').toString('utf8')), { alg: 'HS256', typ: 'JWT' });
    const claims = at(t0 + 1000).verify(issued.token) as TokenClaims;
    assert.ok(claims !== undefined);
    const iat = t0 / 1000;
    assert.deepEqual({ ...claims, jti: '' }, { iss: 'signet', sub: 'ci', aud: 'signet', exp: iat + 300, nbf: iat, iat, jti: '', access });
    assert.match(claims.jti, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual([...grantedActions(claims, 'repository', 'team/app')], ['pull', 'push']);
    assert.deepEqual([...grantedActions(claims, 'repository', 'team/other')], []);
    assert.notEqual(at(t0).issue('ci', access).token, issued.token, 'every token has its own jti');
  });

  it('issues anonymous tokens with an empty subject', () => {
    const issued = at(t0).issue(null, []);
    assert.equal(at(t0).verify(issued.token)?.sub, '');
  });

  it('expands * in granted actions', () => {
    const claims = at(t0).verify(at(t0).issue('a', [{ type: 'repository', name: 'x', actions: ['*'] }]).token) as TokenClaims;
    assert.deepEqual([...grantedActions(claims, 'repository', 'x')].sort(), ['*', 'admin', 'audit', 'delete', 'pull', 'push', 'sign']);
  });

  it('shapes the token endpoint response', () => {
    const issued = at(t0).issue('ci', access);
    assert.deepEqual(tokenResponse(issued), { token: issued.token, access_token: issued.token, expires_in: 300, issued_at: '2025-01-02T03:04:05Z' });
  });

  it('honours the expiry with 60 seconds of leeway', () => {
    const token = at(t0).issue('ci', access).token;
    assert.ok(at(t0 + 360_000).verify(token) !== undefined, 'within the leeway');
    assert.equal(at(t0 + 361_000).verify(token), undefined, 'expired');
  });

  it('refuses a token that is not yet valid', () => {
    const token = at(t0).issue('ci', access).token;
    assert.ok(at(t0 - 60_000).verify(token) !== undefined, 'within the leeway');
    assert.equal(at(t0 - 61_000).verify(token), undefined);
  });

  it('refuses a tampered payload', () => {
    const token = at(t0).issue('ci', access).token;
    const [h, , s] = token.split('.');
    const claims = claimsOf(token);
    const forged = `${h}.${b64({ ...claims, access: [{ type: 'repository', name: 'team/app', actions: ['*'] }] })}.${s}`;
    assert.equal(at(t0).verify(forged), undefined);
  });

  it('refuses a tampered signature and malformed tokens', () => {
    const token = at(t0).issue('ci', access).token;
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of [`${token.slice(0, -1)}${last}`, token.slice(0, -2), `${token}.x`, token.split('.').slice(0, 2).join('.'), '', 'a.b.c', `${token}=`]) {
      assert.equal(at(t0).verify(bad), undefined, bad);
    }
  });

  it('refuses a token signed with another secret', () => {
    const other = new TokenIssuer(new Uint8Array(32).fill(8), { ttlSeconds: 300, service: 'signet', now: () => t0 });
    assert.equal(at(t0).verify(other.issue('ci', access).token), undefined);
  });

  it('refuses a token for another audience', () => {
    const other = new TokenIssuer(secret, { ttlSeconds: 300, service: 'elsewhere', issuer: 'signet', now: () => t0 });
    assert.equal(at(t0).verify(other.issue('ci', access).token), undefined);
    const claims = claimsOf(at(t0).issue('ci', access).token);
    assert.equal(at(t0).verify(sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: ['x', 'y'] })), undefined);
    assert.ok(at(t0).verify(sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: ['x', 'signet'] })) !== undefined, 'an audience list naming the service');
  });

  it('refuses a token from another issuer', () => {
    const claims = claimsOf(at(t0).issue('ci', access).token);
    assert.equal(at(t0).verify(sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'mallory' })), undefined);
  });

  it('refuses alg "none" and other algorithms', () => {
    const claims = claimsOf(at(t0).issue('ci', access).token);
    assert.equal(at(t0).verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`), undefined);
    assert.equal(at(t0).verify(sign({ alg: 'none', typ: 'JWT' }, claims)), undefined);
    assert.equal(at(t0).verify(sign({ alg: 'HS512', typ: 'JWT' }, claims)), undefined);
    assert.equal(at(t0).verify(sign({ alg: 'HS256', typ: 'JOSE+JSON' }, claims)), undefined);
    assert.ok(at(t0).verify(sign({ alg: 'HS256' }, claims)) !== undefined, 'typ may be absent');
  });

  it('refuses correctly signed claims of the wrong shape', () => {
    const claims = claimsOf(at(t0).issue('ci', access).token);
    const header = { alg: 'HS256', typ: 'JWT' };
    for (const broken of [
      { ...claims, exp: '9999999999' },
      { ...claims, nbf: undefined },
      { ...claims, sub: 5 },
      { ...claims, jti: undefined },
      { ...claims, access: 'all' },
      { ...claims, access: [{ type: 'repository', name: 'x', actions: 'pull' }] },
      { ...claims, access: [null] },
    ]) {
      assert.equal(at(t0).verify(sign(header, broken)), undefined, JSON.stringify(broken));
    }
    assert.equal(at(t0).verify(sign(header, [claims])), undefined);
  });

  it('refuses a short secret and a bad TTL', () => {
    assert.throws(() => new TokenIssuer(new Uint8Array(16), { ttlSeconds: 300, service: 's' }), RangeError);
    assert.throws(() => new TokenIssuer(secret, { ttlSeconds: 0, service: 's' }), RangeError);
    assert.throws(() => new TokenIssuer(secret, { ttlSeconds: 1.5, service: 's' }), RangeError);
  });
});
