/**
 * `signet registry user …` administers a running registry; what it grants is what skopeo can then do.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage } from '../fixtures/images.js';
import { peerAvailable } from '../helpers/peers.js';
import { signet, skopeo } from '../helpers/run.js';
import { basicAuth, startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const ready = peerAvailable('skopeo');
let work: string;
let registry: TestRegistry;
let admin: string[];

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-users-'));
  registry = await startSignetRegistry();
  admin = ['--url', registry.url, '--creds', `${registry.user}:${registry.password}`];
  await writeDirImage(join(work, 'src'), makeImage({ seed: 'users' }));
  await writeFile(join(work, 'ci.pass'), 'ci-secret\n');
});

after(async () => {
  if (!ready) return;
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('signet registry user', { skip: !ready }, () => {
  it('adds a user with a role, grants another, and removes it; skopeo can do exactly what was granted', async () => {
    const add = await signet(['registry', 'user', 'add', 'ci', ...admin, '--password-file', join(work, 'ci.pass'), '--role', 'team/*=pull']);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout, 'ci: pull on team/*\n');
    const src = `dir:${join(work, 'src')}`;
    const denied = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'ci:ci-secret', src, `docker://${registry.address}/team/app:1`]);
    assert.notEqual(denied.code, 0, 'pull alone does not allow a push');

    const grant = await signet(['registry', 'user', 'grant', 'ci', 'team/*=push', ...admin]);
    assert.equal(grant.code, 0, grant.stderr);
    assert.match(grant.stdout, /push on team\/\*/);
    const pushed = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'ci:ci-secret', src, `docker://${registry.address}/team/app:1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const elsewhere = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'ci:ci-secret', src, `docker://${registry.address}/other/app:1`]);
    assert.notEqual(elsewhere.code, 0, 'the grant covers team/* only');

    const list = await signet(['--output', 'json', 'registry', 'user', 'list', ...admin]);
    assert.equal(list.code, 0, list.stderr);
    const users = (JSON.parse(list.stdout) as { users: { name: string; roles: { repository: string; role: string }[] }[] }).users;
    assert.deepEqual(
      users.find((u) => u.name === 'ci')?.roles,
      [
        { repository: 'team/*', role: 'pull' },
        { repository: 'team/*', role: 'push' },
      ],
    );

    const notAdmin = await signet(['registry', 'user', 'list', '--url', registry.url, '--creds', 'ci:ci-secret']);
    assert.equal(notAdmin.code, 2);
    assert.match(notAdmin.stderr, /DENIED/);

    // The API reads its bodies strictly: a repeated key (a lenient reader keeps the later, wider roles) is refused.
    const sneaky = await fetch(`${registry.url}/api/v1/users/ci`, {
      method: 'PUT',
      headers: { Authorization: basicAuth(registry.user, registry.password), 'Content-Type': 'application/json' },
      body: '{"roles":[],"roles":[{"repository":"*","role":"admin"}]}',
    });
    assert.equal(sneaky.status, 400);
    assert.equal(((await sneaky.json()) as { errors: { code: string }[] }).errors[0]?.code, 'INVALID_REQUEST');

    const remove = await signet(['registry', 'user', 'remove', 'ci', ...admin]);
    assert.equal(remove.code, 0, remove.stderr);
    const gone = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', 'ci:ci-secret', `docker://${registry.address}/team/app:1`]);
    assert.notEqual(gone.code, 0, 'a removed user cannot log in');
  });
});
