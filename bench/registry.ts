/**
 * bench/registry: `signet serve` against docker-registry (distribution 2.8) on the same client workloads, in the
 * same run, both on loopback with a fresh storage folder for every round.
 *
 *   npm run build && node --import tsx bench/registry.ts [--big-mib 1024] [--tiny 200] [--rounds 3]
 *       [--concurrency 4] [--wrk-seconds 5] [--big-pulls 3]
 *
 * In each round both servers run side by side and each workload goes to one and then the other (who goes first
 * alternates by round), so that a slow spell of the machine falls on both. Workloads: skopeo pushes a `--big-mib`
 * single-layer image and, after `sync`, pulls it back to dir: `--big-pulls` times into a RAM-backed folder
 * (/dev/shm where there is one), so that neither the client's disk nor the writeback of the push is timed; curl
 * reads that layer's blob to /dev/null three times (the server's raw streaming rate); skopeo pushes and pulls
 * `--tiny` one-layer images, `--concurrency` processes at a time; wrk GETs a small blob and a manifest with 16
 * and 64 connections. Then each server's peak RSS (VmHWM). Prints the median of every figure over all rounds for
 * both servers and the ratio Signet / docker-registry: for throughput above 1.0 means Signet is faster; for
 * memory below 2.0 is the target.
 *
 * Both serve plain HTTP on 127.0.0.1 with request logs off. docker-registry runs without authentication; Signet
 * runs as `npm start` would (SQLite + files) with anonymous pull on, and pushes carry credentials (skopeo's
 * bearer-token flow), so every Signet push also pays for its token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startDockerRegistry } from '../test/helpers/docker-registry.js';
import { flag, median, mib, printTable, timed, writeBigImage, writeTinyImage } from './lib.js';

const bigMiB = flag('big-mib', 1024);
const tinyCount = flag('tiny', 200);
const rounds = flag('rounds', 3);
const concurrency = flag('concurrency', 4);
const wrkSeconds = flag('wrk-seconds', 5);
const bigPulls = flag('big-pulls', 3);
const signetBin = fileURLToPath(new URL('../dist/cli/signet.js', import.meta.url));
const signetPassword = 'bench-secret';

type Kind = 'docker-registry' | 'signet';

interface Server {
  readonly host: string;
  readonly pid: number;
  /** skopeo flags that authenticate a push. */
  readonly pushCreds: readonly string[];
  stop(): Promise<void>;
}

async function startDocker(): Promise<Server> {
  const r = await startDockerRegistry();
  return { host: r.host, pid: r.pid, pushCreds: [], stop: () => r.stop() };
}

/** `signet serve` as its own process, so its memory is its own. */
async function startSignet(): Promise<Server> {
  const storage = await mkdtemp(join(tmpdir(), 'signet-bench-serve-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [signetBin, 'serve'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SIGNET_LISTEN: `127.0.0.1:${port}`,
      SIGNET_STORAGE_PATH: storage,
      SIGNET_ADMIN_PASSWORD: signetPassword,
      SIGNET_AUTH_ANONYMOUS_PULL: 'true',
      SIGNET_LOG_LEVEL: 'warn',
    },
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('listening on')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => reject(new Error(`signet serve exited ${code}: ${output}`)));
  });
  child.stdout?.resume();
  return {
    host: `127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    pushCreds: ['--dest-creds', `admin:${signetPassword}`],
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      await rm(storage, { recursive: true, force: true });
    },
  };
}

/** Peak resident memory of a live process, in KiB. */
async function peakRssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return m === null ? 0 : Number(m[1]);
}

const skopeo = (a: string[]): Promise<unknown> => timed('skopeo', ['--insecure-policy', ...a]);

async function wallMs(f: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Run `f(0..n-1)` with at most `limit` running at once. */
async function pool(n: number, limit: number, f: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await f(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/** wrk's requests per second against one URL; a run with any non-2xx answer is an error, not a figure. */
function wrk(url: string, connections: number, headers: readonly string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const a = ['-t2', `-c${connections}`, `-d${wrkSeconds}s`, ...headers.flatMap((h) => ['-H', h]), url];
    const child = spawn('wrk', a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (code !== 0 || rps === null) reject(new Error(`wrk ${a.join(' ')} failed (${code}): ${out}`));
      else if (/Non-2xx or 3xx responses/.test(out) || /Socket errors/.test(out)) reject(new Error(`wrk ${a.join(' ')}: errors\n${out}`));
      else resolve(Number(rps[1]));
    });
  });
}

interface Figure {
  readonly name: string;
  /** How the figure reads: a rate (higher is better) or memory (lower is better). */
  readonly unit: 'MB/s' | 'images/s' | 'req/s' | 'MiB';
}

const results = new Map<string, Record<Kind, number[]>>();
const figures: Figure[] = [];

function record(figure: Figure, kind: Kind, value: number): void {
  if (!results.has(figure.name)) {
    results.set(figure.name, { 'docker-registry': [], signet: [] });
    figures.push(figure);
  }
  results.get(figure.name)?.[kind].push(value);
}

/**
 * One round: both servers run side by side, fresh, and every workload runs against one and then the other
 * (`order`), so a slow spell of the machine falls on both rather than on whichever happened to be running.
 */
async function oneRound(order: readonly Kind[], work: string, big: string, bigBytes: number, tinyDirs: readonly string[], round: number): Promise<void> {
  const servers = new Map<Kind, Server>();
  const out = join(work, `out-${round}`);
  const bigOut = await mkdtemp(join(await ramDir(), 'signet-bench-pull-'));
  try {
    for (const kind of order) servers.set(kind, kind === 'signet' ? await startSignet() : await startDocker());
    const each = async (f: (kind: Kind, server: Server) => Promise<void>): Promise<void> => {
      for (const kind of order) await f(kind, servers.get(kind) as Server);
    };
    const bigRef = (server: Server): string => `docker://${server.host}/bench/big:1`;
    await each(async (kind, server) => {
      const push = await wallMs(() => skopeo(['copy', '--quiet', '--dest-tls-verify=false', ...server.pushCreds, `dir:${big}`, bigRef(server)]));
      record({ name: `push ${bigMiB} MiB image (skopeo)`, unit: 'MB/s' }, kind, bigBytes / 1e6 / (push / 1000));
    });
    await timed('sync', []);
    for (let i = 0; i < bigPulls; i++) {
      await each(async (kind, server) => {
        await rm(join(bigOut, 'big'), { recursive: true, force: true });
        const pull = await wallMs(() => skopeo(['copy', '--quiet', '--src-tls-verify=false', bigRef(server), `dir:${join(bigOut, 'big')}`]));
        record({ name: `pull ${bigMiB} MiB image (skopeo, ${bigPulls} per round)`, unit: 'MB/s' }, kind, bigBytes / 1e6 / (pull / 1000));
      });
    }
    await rm(bigOut, { recursive: true, force: true });
    const layer = await largestBlob(big);
    for (let i = 0; i < 3; i++) {
      await each(async (kind, server) => {
        const get = await wallMs(() => timed('curl', ['-sSf', '-o', '/dev/null', `http://${server.host}/v2/bench/big/blobs/sha256:${layer}`]));
        record({ name: `GET ${bigMiB} MiB blob (curl, 3 per round)`, unit: 'MB/s' }, kind, bigBytes / 1e6 / (get / 1000));
      });
    }

    await each(async (kind, server) => {
      const tinyPush = await wallMs(() =>
        pool(tinyDirs.length, concurrency, (i) => skopeo(['copy', '--quiet', '--dest-tls-verify=false', ...server.pushCreds, `dir:${tinyDirs[i]}`, `docker://${server.host}/tiny/img${i}:1`])),
      );
      record({ name: `push ${tinyCount} tiny images (skopeo ×${concurrency})`, unit: 'images/s' }, kind, tinyDirs.length / (tinyPush / 1000));
    });
    await each(async (kind, server) => {
      const dest = join(out, kind);
      await mkdir(dest, { recursive: true });
      const tinyPull = await wallMs(() =>
        pool(tinyDirs.length, concurrency, (i) => skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${server.host}/tiny/img${i}:1`, `dir:${join(dest, `tiny-${i}`)}`])),
      );
      record({ name: `pull ${tinyCount} tiny images (skopeo ×${concurrency})`, unit: 'images/s' }, kind, tinyDirs.length / (tinyPull / 1000));
    });

    const tinyLayer = await largestBlob(tinyDirs[0] as string);
    for (const c of [16, 64]) {
      await each(async (kind, server) => {
        record({ name: `GET small blob, wrk ${c} connections`, unit: 'req/s' }, kind, await wrk(`http://${server.host}/v2/tiny/img0/blobs/sha256:${tinyLayer}`, c));
      });
      await each(async (kind, server) => {
        record(
          { name: `GET manifest, wrk ${c} connections`, unit: 'req/s' },
          kind,
          await wrk(`http://${server.host}/v2/tiny/img0/manifests/1`, c, ['Accept: application/vnd.oci.image.manifest.v1+json']),
        );
      });
    }
    await each(async (kind, server) => record({ name: 'server peak RSS', unit: 'MiB' }, kind, (await peakRssKiB(server.pid)) / 1024));
  } finally {
    for (const server of servers.values()) await server.stop();
    await rm(out, { recursive: true, force: true });
    await rm(bigOut, { recursive: true, force: true });
  }
  console.error(`measured: round ${round + 1} of ${rounds}`);
}

/** A folder in memory for the big pull's output if the machine has one, else the temporary folder. */
async function ramDir(): Promise<string> {
  try {
    if ((await stat('/dev/shm')).isDirectory()) return '/dev/shm';
  } catch {
    // no /dev/shm
  }
  return tmpdir();
}

/** The hex name of the largest blob in a dir: image (its layer). */
async function largestBlob(dir: string): Promise<string> {
  let best = '';
  let bestSize = -1;
  for (const f of await readdir(dir)) {
    if (!/^[0-9a-f]{64}$/.test(f)) continue;
    const size = (await stat(join(dir, f))).size;
    if (size > bestSize) [best, bestSize] = [f, size];
  }
  return best;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'signet-bench-registry-'));
  try {
    const big = join(work, 'big');
    const bigBytes = await writeBigImage(big, bigMiB * 1024 * 1024);
    const tinyDirs: string[] = [];
    for (let i = 0; i < tinyCount; i++) {
      const d = join(work, `tiny-${i}`);
      await writeTinyImage(d, i);
      tinyDirs.push(d);
    }
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first so the page cache and the machine's state favour neither.
      const order: Kind[] = round % 2 === 0 ? ['docker-registry', 'signet'] : ['signet', 'docker-registry'];
      await oneRound(order, work, big, bigBytes, tinyDirs, round);
    }
    const lines: string[][] = [['workload', 'docker-registry', 'signet', 'ratio signet/docker-registry']];
    for (const f of figures) {
      const r = results.get(f.name);
      if (r === undefined) continue;
      const d = median(r['docker-registry']);
      const s = median(r.signet);
      const show = (v: number): string => (f.unit === 'MiB' ? mib(v * 1024) : `${v.toFixed(v >= 100 ? 0 : 1)} ${f.unit}`);
      lines.push([f.name, show(d), show(s), (s / d).toFixed(2)]);
    }
    printTable(lines);
    console.log(`(medians over ${rounds} round${rounds === 1 ? '' : 's'}; rates: above 1.0 means Signet is faster; memory: target ≤ 2.0)`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
