/**
 * What a pull costs on the wire: one ping, one manifest GET, one GET per blob, nothing twice. A counting
 * fake registry on 127.0.0.1 serves a generated image.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, type FixtureImage } from '../fixtures/images.js';
import { signet } from '../helpers/run.js';

let server: Server;
let host: string;
let work: string;
const image: FixtureImage = makeImage({ layers: 3, seed: 'requests' });
const seen: string[] = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-requests-'));
  const blobs = new Map([image.config, ...image.layers].map((b) => [b.digest, b.bytes]));
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (req.url === '/v2/team/app/manifests/1') {
      res.writeHead(200, { 'content-type': image.mediaType, 'docker-content-digest': image.manifestDigest }).end(image.manifest);
      return;
    }
    const blob = /^\/v2\/team\/app\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '');
    const bytes = blob === null ? undefined : blobs.get(blob[1] as FixtureImage['manifestDigest']);
    if (bytes !== undefined) {
      res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND","message":"not here"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

describe('requests a pull makes', () => {
  it('one ping, one manifest GET and one GET per blob', async () => {
    seen.length = 0;
    const r = await signet(['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${host}/team/app:1`, `dir:${join(work, 'out')}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readFile(join(work, 'out', 'manifest.json'))), image.manifest);
    const expected = ['GET /v2/', 'GET /v2/team/app/manifests/1', ...[image.config, ...image.layers].map((b) => `GET /v2/team/app/blobs/${b.digest}`)];
    assert.deepEqual([...seen].sort(), expected.sort());
  });
});
