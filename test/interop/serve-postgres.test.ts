/**
 * The scaled mode: two `signet serve` instances on different ports share one PostgreSQL database and one blob
 * store, and serve the same content — a push through one is pulled through the other, by skopeo.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { peerAvailable } from '../helpers/peers.js';
import { createDatabase } from '../helpers/postgres.js';
import { skopeo } from '../helpers/run.js';
import { startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const ready = peerAvailable('postgres') && peerAvailable('skopeo');
let work: string;
let first: TestRegistry;
let second: TestRegistry;
let image: FixtureImage;

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-scaled-'));
  const databaseUrl = await createDatabase();
  const storageDir = join(work, 'storage');
  first = await startSignetRegistry({ databaseUrl, storageDir });
  second = await startSignetRegistry({ databaseUrl, storageDir });
  image = makeImage({ layers: 2, seed: 'scaled', layerBytes: 100_000 });
  await writeDirImage(join(work, 'src'), image);
});

after(async () => {
  if (!ready) return;
  await first.stop();
  await second.stop();
  await rm(work, { recursive: true, force: true });
});

describe('two instances on one PostgreSQL database and one blob store', { skip: !ready }, () => {
  it('a push through one is pullable through the other, and tags and deletions are shared', async () => {
    assert.notEqual(first.address, second.address);
    const creds = `${first.user}:${first.password}`;
    const push = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `dir:${join(work, 'src')}`, `docker://${first.address}/team/app:1`]);
    assert.equal(push.code, 0, push.stderr);
    const pull = await skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${second.address}/team/app:1`, `dir:${join(work, 'pulled')}`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.deepEqual(await readFile(join(work, 'pulled', 'manifest.json')), image.manifest);
    for (const layer of image.layers) assert.deepEqual(await readFile(join(work, 'pulled', layer.digest.slice(7))), layer.bytes);

    // Tokens from one instance are accepted by the other (the signing secret lives in the shared database).
    const tags = await skopeo(['list-tags', '--tls-verify=false', '--creds', creds, `docker://${second.address}/team/app`]);
    assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ['1']);
    const del = await skopeo(['delete', '--tls-verify=false', '--creds', creds, `docker://${second.address}/team/app:1`]);
    assert.equal(del.code, 0, del.stderr);
    const gone = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${first.address}/team/app:1`]);
    assert.notEqual(gone.code, 0);
  });
});
