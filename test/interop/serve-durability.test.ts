/**
 * Durability of `signet serve` under `kill -9`. The built CLI runs as a child process on a temporary storage
 * directory (SQLite there, or a PostgreSQL database with `SIGNET_TEST_BACKEND=postgres`). Two images are pushed,
 * then the server is put mid-work — monolithic and chunked blob uploads whose bodies trickle in and never end, a
 * chunked upload with acknowledged chunks waiting to be resumed, a manifest PUT in flight — and killed with
 * SIGKILL. After a restart on the same storage and database: everything acknowledged is intact and pullable,
 * no interrupted blob is visible, every file under `blobs/` hashes to its name, every tagged manifest names only
 * blobs that are there, the manifest in flight is all there or not at all, and the interrupted uploads can be
 * resumed from what the server reports (or started again). Two rounds, so the second kill hits a store that
 * has already been through one.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { freePort } from '../helpers/docker-registry.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, type FixtureImage } from '../fixtures/images.js';
import { createDatabase, testBackend } from '../helpers/postgres.js';
import { call, eventually, headStatus, hexOf, pushBlob, pushImage, putManifest, sha256 } from '../helpers/registry-http.js';
import { signetBin } from '../helpers/run.js';
import { basicAuth } from '../helpers/signet-registry.js';

const adminPassword = 'durable-admin-secret';
const auth = basicAuth('admin', adminPassword);
const repo = 'durable/app';
const uploadRepo = 'durable/uploads';
const MiB = 1024 * 1024;
/** The size of each interrupted blob; only part of it is ever sent before the kill. */
const interruptedBytes = 4 * MiB;
/** Sent at once when an interrupted body starts; the rest trickles in. */
const initialBytes = 1.5 * MiB;
const chunkBytes = 256 * 1024;
const manifestTypes = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** `length` bytes determined by `seed` (AES-256-CTR over zeros: fast enough for megabytes). */
function seededBytes(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
  output(): string;
}

let work: string;
let storage: string;
let databaseUrl: string | undefined;
let running: Server | undefined;

async function startServer(): Promise<Server> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SIGNET_')));
  Object.assign(env, {
    SIGNET_LISTEN: `127.0.0.1:${port}`,
    SIGNET_STORAGE_PATH: storage,
    SIGNET_ADMIN_PASSWORD: adminPassword,
    SIGNET_LOG_LEVEL: 'warn',
    ...(databaseUrl === undefined ? {} : { SIGNET_DATABASE_URL: databaseUrl }),
  });
  const child = spawn(process.execPath, [signetBin, 'serve'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => out.push(d));
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => (gone = true));
  const server: Server = { child, url: `http://127.0.0.1:${port}`, exited, output: () => Buffer.concat(out).toString('utf8') };
  running = server;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (gone) assert.fail(`signet serve exited before it answered: ${server.output()}`);
    try {
      const res = await fetch(`${server.url}/v2/`, { headers: { authorization: auth } });
      await res.arrayBuffer();
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) assert.fail(`signet serve did not answer GET /v2/ within 15 s: ${server.output()}`);
    await sleep(50);
  }
}

async function killServer(server: Server): Promise<void> {
  assert.ok(server.child.pid !== undefined);
  process.kill(server.child.pid, 'SIGKILL');
  await server.exited;
  assert.equal(server.child.signalCode, 'SIGKILL');
  running = undefined;
}

async function stopServer(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([server.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000)))]);
  clearTimeout(timer);
  if (!stopped) server.child.kill('SIGKILL');
  await server.exited;
  running = undefined;
  assert.ok(stopped, `signet serve did not stop within 10 s of SIGTERM: ${server.output()}`);
  assert.equal(server.child.exitCode, 0, server.output());
}

/** A request whose body is sent in part at once, then trickles in and never ends (until the server dies). */
interface StalledBody {
  /** Bytes written to the socket so far. */
  sent(): number;
  /** Whether an answer arrived (it must not, while the body is unfinished). */
  answered(): boolean;
  /** Settles when the connection is gone; never rejects. */
  readonly settled: Promise<void>;
}

function stalledBody(url: string, method: 'POST' | 'PATCH', path: string, data: Buffer, headers: Record<string, string> = {}): StalledBody {
  let sent = 0;
  let answered = false;
  let timer: NodeJS.Timeout | undefined;
  const settled = new Promise<void>((resolve) => {
    const req = request(`${url}${path}`, {
      method,
      agent: false,
      headers: { authorization: auth, 'content-type': 'application/octet-stream', 'content-length': String(data.length), ...headers },
    });
    const done = (): void => {
      clearInterval(timer);
      resolve();
    };
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', done);
    req.on('close', done);
    req.flushHeaders();
    req.write(data.subarray(0, initialBytes));
    sent = initialBytes;
    // Slowly, and never the last 64 KiB.
    timer = setInterval(() => {
      if (sent + 16 * 1024 >= data.length - 64 * 1024 || req.destroyed) return;
      req.write(data.subarray(sent, sent + 16 * 1024));
      sent += 16 * 1024;
    }, 25);
  });
  return { sent: () => sent, answered: () => answered, settled };
}

async function uploadFiles(): Promise<Map<string, number>> {
  const dir = join(storage, 'uploads');
  const out = new Map<string, number>();
  for (const name of await readdir(dir)) {
    try {
      out.set(name, (await stat(join(dir, name))).size);
    } catch {
      // committed or removed meanwhile
    }
  }
  return out;
}

/** The range an upload reports (`Range: 0-<last>`), as the number of bytes it holds. */
function rangeSize(res: Response): number {
  const m = /^0-(\d+)$/.exec(res.headers.get('range') ?? '');
  assert.ok(m !== null, `expected a Range header, got ${res.headers.get('range')}`);
  return Number(m[1]) + 1;
}

async function startUpload(url: string, name: string): Promise<string> {
  const res = await call(url, `/v2/${name}/blobs/uploads/`, { method: 'POST', auth });
  await res.arrayBuffer();
  assert.equal(res.status, 202);
  const location = res.headers.get('location');
  assert.ok(location !== null);
  return location;
}

async function patchChunk(url: string, location: string, at: number, bytes: Buffer): Promise<number> {
  const res = await call(url, location, {
    method: 'PATCH',
    auth,
    headers: { 'content-type': 'application/octet-stream', 'content-range': `${at}-${at + bytes.length - 1}` },
    body: bytes,
  });
  await res.arrayBuffer();
  assert.equal(res.status, 202, `PATCH ${location} at ${at}`);
  return rangeSize(res);
}

async function finishUpload(url: string, location: string, digest: string): Promise<void> {
  const res = await call(url, `${location}?digest=${digest}`, { method: 'PUT', auth });
  const body = await res.text();
  assert.equal(res.status, 201, `PUT ${location}?digest=${digest}: ${body}`);
}

/** Resume an upload from what the server reports it holds, finish it and check the blob is served. */
async function resumeUpload(url: string, location: string, data: Buffer, atMost: number, exactly?: number): Promise<void> {
  const status = await call(url, location, { auth });
  await status.arrayBuffer();
  assert.equal(status.status, 204, `GET ${location} after the restart`);
  const held = rangeSize(status);
  if (exactly !== undefined) assert.equal(held, exactly, 'the upload holds exactly the acknowledged chunks');
  assert.ok(held <= atMost, `the upload holds ${held} bytes, more than the ${atMost} sent`);
  assert.equal(await patchChunk(url, location, held, data.subarray(held)), data.length);
  await finishUpload(url, location, sha256(data));
  await expectBlob(url, uploadRepo, sha256(data), data.length);
}

async function expectBlob(url: string, name: string, digest: string, size?: number): Promise<void> {
  const res = await call(url, `/v2/${name}/blobs/${digest}`, { auth });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `GET blob ${digest} in ${name}`);
  assert.equal(sha256(bytes), digest, `the bytes served as ${digest}`);
  if (size !== undefined) assert.equal(bytes.length, size);
}

async function expectManifest(url: string, name: string, reference: string, image: FixtureImage): Promise<void> {
  const res = await call(url, `/v2/${name}/manifests/${reference}`, { auth, headers: { accept: manifestTypes } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `GET manifest ${name}:${reference}`);
  assert.deepEqual(bytes, image.manifest, `manifest ${name}:${reference} is byte-equal`);
  assert.equal(res.headers.get('docker-content-digest'), image.manifestDigest);
  for (const b of [image.config, ...image.layers]) await expectBlob(url, name, b.digest, b.size);
}

/** Every file under blobs/ is named `sha256/<first two>/<hex>` after its own content. */
async function checkBlobFiles(): Promise<number> {
  const root = join(storage, 'blobs');
  let count = 0;
  for (const alg of await readdir(root)) {
    assert.equal(alg, 'sha256', `unexpected entry blobs/${alg}`);
    for (const prefix of await readdir(join(root, alg))) {
      for (const name of await readdir(join(root, alg, prefix))) {
        const where: string = `blobs/${alg}/${prefix}/${name}`;
        assert.match(name, /^[0-9a-f]{64}$/, `${where} is not named by a digest`);
        assert.equal(prefix, name.slice(0, 2), `${where} is in the wrong folder`);
        assert.equal(hexOf(sha256(await readFile(join(root, alg, prefix, name)))), name, `${where} does not hold the content its name says`);
        count++;
      }
    }
  }
  return count;
}

/** Every manifest reachable by a tag names only blobs (and manifests) the registry serves. */
async function checkReferences(url: string): Promise<number> {
  const catalog = await call(url, '/v2/_catalog?n=1000', { auth });
  assert.equal(catalog.status, 200);
  const { repositories } = (await catalog.json()) as { repositories: string[] };
  let checked = 0;
  for (const name of repositories) {
    const list = await call(url, `/v2/${name}/tags/list`, { auth });
    assert.equal(list.status, 200);
    const { tags } = (await list.json()) as { tags: string[] | null };
    for (const tag of tags ?? []) {
      const res = await call(url, `/v2/${name}/manifests/${tag}`, { auth, headers: { accept: manifestTypes } });
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(res.status, 200, `GET manifest ${name}:${tag}, listed as a tag`);
      assert.equal(sha256(bytes), res.headers.get('docker-content-digest'));
      const doc = JSON.parse(bytes.toString('utf8')) as { config?: { digest: string }; layers?: { digest: string }[]; manifests?: { digest: string }[] };
      for (const d of [doc.config, ...(doc.layers ?? [])]) {
        if (d !== undefined) assert.equal(await headStatus(url, auth, `/v2/${name}/blobs/${d.digest}`), 200, `${name}:${tag} names blob ${d.digest}`);
      }
      for (const m of doc.manifests ?? []) assert.equal(await headStatus(url, auth, `/v2/${name}/manifests/${m.digest}`), 200, `${name}:${tag} names manifest ${m.digest}`);
      checked++;
    }
  }
  return checked;
}

/** What must hold after each restart, and what the rounds add to it. */
interface Ledger {
  /** Tagged images acknowledged with 201. */
  readonly images: { tag: string; image: FixtureImage }[];
  /** Blobs acknowledged with 201 in the upload repository. */
  readonly blobs: { digest: string; size: number }[];
  /** Blobs whose uploads were cut off and never finished. */
  readonly absent: string[];
}

async function checkAll(url: string, ledger: Ledger): Promise<void> {
  for (const { tag, image } of ledger.images) await expectManifest(url, repo, tag, image);
  for (const b of ledger.blobs) await expectBlob(url, uploadRepo, b.digest, b.size);
  for (const digest of ledger.absent) assert.equal(await headStatus(url, auth, `/v2/${uploadRepo}/blobs/${digest}`), 404, `interrupted blob ${digest} is not served`);
  assert.ok((await checkBlobFiles()) > 0);
  assert.ok((await checkReferences(url)) >= ledger.images.length);
}

/**
 * One round: commit an image, put the server mid-work, kill it, restart, check everything and resume or redo
 * the interrupted work. Returns the restarted server.
 */
async function round(server: Server, n: number, ledger: Ledger): Promise<Server> {
  const url = server.url;
  // 1. Committed content: two images (OCI and Docker schema 2) and a large blob.
  for (const format of ['oci', 'docker'] as const) {
    const image = makeImage({ format, seed: `durable-${n}-${format}`, layers: 2, layerBytes: 100_000 });
    await pushImage(url, auth, repo, image, `committed-${n}-${format}`);
    ledger.images.push({ tag: `committed-${n}-${format}`, image });
  }
  // The large blob is sent again in step 2: the repeated upload must not touch the stored one.
  const repeated = seededBytes(`repeated-${n}`, interruptedBytes);
  await pushBlob(url, auth, uploadRepo, repeated);
  ledger.blobs.push({ digest: sha256(repeated), size: repeated.length });
  const late = makeImage({ seed: `durable-late-${n}`, layers: 1, layerBytes: 50_000 });
  for (const b of [late.config, ...late.layers]) await pushBlob(url, auth, repo, b.bytes);

  // 2a. A chunked upload with two acknowledged chunks, to be resumed after the restart.
  const resumable = seededBytes(`resumable-${n}`, 3 * chunkBytes);
  const resumableAt = await startUpload(url, uploadRepo);
  let acknowledged = await patchChunk(url, resumableAt, 0, resumable.subarray(0, chunkBytes));
  acknowledged = await patchChunk(url, resumableAt, acknowledged, resumable.subarray(chunkBytes, 2 * chunkBytes));
  assert.equal(acknowledged, 2 * chunkBytes);

  // 2b. Bodies that never finish: three monolithic pushes (one of a stored blob) and one large PATCH.
  const monolithic = [seededBytes(`monolithic-a-${n}`, interruptedBytes), seededBytes(`monolithic-b-${n}`, interruptedBytes)];
  const chunked = seededBytes(`chunked-${n}`, interruptedBytes);
  const chunkedAt = await startUpload(url, uploadRepo);
  const chunkedId = chunkedAt.slice(chunkedAt.lastIndexOf('/') + 1);
  const before = new Set((await uploadFiles()).keys());
  const patching = stalledBody(url, 'PATCH', chunkedAt, chunked, { 'content-range': `0-${chunked.length - 1}` });
  const stalled = [patching, ...[...monolithic, repeated].map((data) => stalledBody(url, 'POST', `/v2/${uploadRepo}/blobs/uploads/?digest=${sha256(data)}`, data))];
  // The server has bytes of every unfinished body on disk.
  await eventually('the unfinished bodies reach the upload files', async () => {
    const files = await uploadFiles();
    const fresh = [...files].filter(([id, size]) => !before.has(id) && size > 0);
    return fresh.length >= stalled.length - 1 && (files.get(chunkedId) ?? 0) > 0;
  }, 10_000);

  // 2c. A manifest whose blobs are committed, sent while the rest is in flight. Round 1 kills while it is on
  // its way (it may land or not); round 2 once it was acknowledged (then it must survive).
  let manifestAnswer: number | undefined;
  const manifestPut = putManifest(url, auth, repo, `during-kill-${n}`, late.manifest, late.mediaType).then(
    async (res) => {
      await res.arrayBuffer();
      manifestAnswer = res.status;
    },
    () => undefined,
  );
  if (n > 1) {
    await manifestPut;
    assert.equal(manifestAnswer, 201, 'the manifest PUT during the uploads');
  }

  // 3. kill -9, with every body still unfinished.
  for (const s of stalled) assert.equal(s.answered(), false, 'an unfinished body was answered');
  const sentChunked = patching.sent();
  await killServer(server);
  await Promise.all([...stalled.map((s) => s.settled), manifestPut]);

  // 4. Restart on the same storage and database.
  const restarted = await startServer();
  const r = restarted.url;
  for (const data of [...monolithic, chunked]) ledger.absent.push(sha256(data));
  await checkAll(r, ledger);

  // The manifest sent during the kill is either entirely there or not at all; if it was acknowledged, it is there.
  const byTag = await call(r, `/v2/${repo}/manifests/during-kill-${n}`, { auth, headers: { accept: manifestTypes } });
  await byTag.arrayBuffer();
  const byDigest = await headStatus(r, auth, `/v2/${repo}/manifests/${late.manifestDigest}`);
  if (manifestAnswer === 201) assert.equal(byTag.status, 200, 'an acknowledged manifest survives');
  if (byTag.status === 200) {
    await expectManifest(r, repo, `during-kill-${n}`, late);
    ledger.images.push({ tag: `during-kill-${n}`, image: late });
  } else {
    assert.equal(byTag.status, 404);
    assert.equal(byDigest, 404, 'the manifest is absent by digest when its tag is');
  }

  // The acknowledged chunks wait for the rest; the cut-off PATCH left a prefix of what was sent.
  await resumeUpload(r, resumableAt, resumable, acknowledged, acknowledged);
  ledger.blobs.push({ digest: sha256(resumable), size: resumable.length });
  await resumeUpload(r, chunkedAt, chunked, sentChunked);
  ledger.blobs.push({ digest: sha256(chunked), size: chunked.length });
  ledger.absent.splice(ledger.absent.indexOf(sha256(chunked)), 1);

  // An interrupted monolithic push succeeds when sent again; the other stays absent.
  const again = monolithic[0] as Buffer;
  await pushBlob(r, auth, uploadRepo, again);
  await expectBlob(r, uploadRepo, sha256(again), again.length);
  ledger.blobs.push({ digest: sha256(again), size: again.length });
  ledger.absent.splice(ledger.absent.indexOf(sha256(again)), 1);
  return restarted;
}

before(async () => {
  assert.ok(existsSync(signetBin), `${signetBin} is missing: run "node scripts/build.mjs" first`);
  work = await mkdtemp(join(tmpdir(), 'signet-durability-'));
  storage = join(work, 'storage');
  databaseUrl = testBackend() === 'postgres' ? await createDatabase() : undefined;
});

after(async () => {
  if (running !== undefined) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe(`signet serve killed with SIGKILL mid-work (${testBackend()})`, () => {
  it('keeps what it acknowledged, shows nothing half-done, and lets interrupted uploads resume', { timeout: 60_000 }, async () => {
    const ledger: Ledger = { images: [], blobs: [], absent: [] };
    let server = await startServer();
    server = await round(server, 1, ledger);
    server = await round(server, 2, ledger);
    await checkAll(server.url, ledger);
    assert.ok(ledger.images.length >= 5);
    await stopServer(server);
  });
});
