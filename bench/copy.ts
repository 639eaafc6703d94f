/**
 * bench/copy: Signet against skopeo on the same workloads, in the same run, against the same docker-registry.
 *
 *   node --import tsx bench/copy.ts [--big-mib 1024] [--tiny 200] [--rounds 3]
 *
 * Workloads: one image with a single large layer, and many tiny images (one CLI invocation per image, as a
 * user's loop would run them); each pulled docker-registry → dir: and pushed dir: → docker-registry. Also the
 * CLI's start-up (`signet --version` against `node -e 0`). Prints wall time, throughput and peak RSS for each
 * tool and the ratio Signet/skopeo (below 1.0 means Signet is faster or smaller).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDockerRegistry } from '../test/helpers/docker-registry.js';
import { flag, median, mib, printTable, timed, writeBigImage, writeTinyImage, type Measure } from './lib.js';

const bigMiB = flag('big-mib', 1024);
const tinyCount = flag('tiny', 200);
const rounds = flag('rounds', 3);
const signetBin = fileURLToPath(new URL('../dist/cli/signet.js', import.meta.url));

const signet = (a: string[]): Promise<Measure> => timed(process.execPath, [signetBin, ...a]);
const skopeo = (a: string[]): Promise<Measure> => timed('skopeo', a);

interface Row {
  workload: string;
  signet: Measure;
  skopeo: Measure;
  bytes: number;
}
const rows: Row[] = [];

function report(): void {
  const lines = [
    ['workload', 'signet wall', 'skopeo wall', 'wall ratio', 'signet MB/s', 'skopeo MB/s', 'signet peak RSS', 'skopeo peak RSS'],
  ];
  for (const r of rows) {
    const mbps = (m: Measure): string => (r.bytes > 0 ? ((r.bytes / 1e6) / (m.wallMs / 1000)).toFixed(0) : '-');
    lines.push([
      r.workload,
      `${(r.signet.wallMs / 1000).toFixed(2)} s`,
      `${(r.skopeo.wallMs / 1000).toFixed(2)} s`,
      (r.signet.wallMs / r.skopeo.wallMs).toFixed(2),
      mbps(r.signet),
      mbps(r.skopeo),
      mib(r.signet.peakRssKiB),
      mib(r.skopeo.peakRssKiB),
    ]);
  }
  printTable(lines);
}

async function measurePair(workload: string, bytes: number, runSignet: (round: number) => Promise<Measure>, runSkopeo: (round: number) => Promise<Measure>): Promise<void> {
  const s: Measure[] = [];
  const k: Measure[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first so caches favour neither.
    if (round % 2 === 0) {
      s.push(await runSignet(round));
      k.push(await runSkopeo(round));
    } else {
      k.push(await runSkopeo(round));
      s.push(await runSignet(round));
    }
  }
  const pick = (ms: Measure[]): Measure => ({ wallMs: median(ms.map((m) => m.wallMs)), peakRssKiB: Math.max(...ms.map((m) => m.peakRssKiB)) });
  rows.push({ workload, bytes, signet: pick(s), skopeo: pick(k) });
  console.error(`measured: ${workload}`);
}

let registry: Awaited<ReturnType<typeof startDockerRegistry>>;

/**
 * Run `f` against a registry started for it and stopped after (its start-up is not timed). With `keepAs`, the
 * pushed repositories are first copied into the long-lived registry under `tiny-<keepAs>/…` for the pull test.
 */
async function withFreshRegistry(f: (host: string) => Promise<Measure>, keepAs?: string): Promise<Measure> {
  const fresh = await startDockerRegistry();
  try {
    const m = await f(fresh.host);
    if (keepAs !== undefined) {
      for (let i = 0; i < tinyCount; i++) {
        await skopeo(['copy', '--quiet', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${fresh.host}/tiny/img${i}:1`, `docker://${registry.host}/tiny-${keepAs}/img${i}:1`]);
      }
    }
    return m;
  } finally {
    await fresh.stop();
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'signet-bench-'));
  registry = await startDockerRegistry();
  const tls = '--tls-verify=false';
  try {
    // Start-up of the CLI.
    const nodeRuns: Measure[] = [];
    const versionRuns: Measure[] = [];
    for (let i = 0; i < 21; i++) {
      nodeRuns.push(await timed(process.execPath, ['-e', '0']));
      versionRuns.push(await signet(['--version']));
    }
    const node0 = median(nodeRuns.map((m) => m.wallMs));
    const ver = median(versionRuns.map((m) => m.wallMs));
    console.log(`start-up: node -e 0 ${node0.toFixed(1)} ms, signet --version ${ver.toFixed(1)} ms, ratio ${(ver / node0).toFixed(2)} (target ≤ 1.30)`);

    // One large layer.
    const big = join(work, 'big');
    const bigBytes = await writeBigImage(big, bigMiB * 1024 * 1024);
    const bigRef = `docker://${registry.host}/bench/big:1`;
    await skopeo(['copy', '--insecure-policy', `--dest-${tls.slice(2)}`, `dir:${big}`, bigRef]);
    await measurePair(
      `pull ${bigMiB} MiB layer → dir:`,
      bigBytes,
      async (r) => signet(['--insecure-policy', 'copy', '--quiet', `--src-${tls.slice(2)}`, bigRef, `dir:${join(work, `big-s-${r}`)}`]).finally(() => rm(join(work, `big-s-${r}`), { recursive: true, force: true })),
      async (r) => skopeo(['copy', '--quiet', '--insecure-policy', `--src-${tls.slice(2)}`, bigRef, `dir:${join(work, `big-k-${r}`)}`]).finally(() => rm(join(work, `big-k-${r}`), { recursive: true, force: true })),
    );
    // Every push goes to a registry that has never seen the blob: skopeo remembers where blobs were seen
    // (its blob-info cache) and would otherwise mount instead of uploading.
    await measurePair(
      `push ${bigMiB} MiB layer dir: →`,
      bigBytes,
      (r) => withFreshRegistry((host) => signet(['--insecure-policy', 'copy', '--quiet', `--dest-${tls.slice(2)}`, `dir:${big}`, `docker://${host}/bench/big-s-${r}:1`])),
      (r) => withFreshRegistry((host) => skopeo(['copy', '--quiet', '--insecure-policy', `--dest-${tls.slice(2)}`, `dir:${big}`, `docker://${host}/bench/big-k-${r}:1`])),
    );
    await rm(big, { recursive: true, force: true });

    // Many tiny images, one CLI run each.
    const tinyDirs: string[] = [];
    for (let i = 0; i < tinyCount; i++) {
      const d = join(work, `tiny-${i}`);
      await writeTinyImage(d, i);
      tinyDirs.push(d);
    }
    const loop = async (tool: 'signet' | 'skopeo', f: (i: number) => string[]): Promise<Measure> => {
      const start = process.hrtime.bigint();
      let peak = 0;
      for (let i = 0; i < tinyCount; i++) {
        const m = tool === 'signet' ? await signet(f(i)) : await skopeo(['--insecure-policy', ...f(i)]);
        peak = Math.max(peak, m.peakRssKiB);
      }
      return { wallMs: Number(process.hrtime.bigint() - start) / 1e6, peakRssKiB: peak };
    };
    await measurePair(
      `push ${tinyCount} tiny images dir: →`,
      0,
      (r) => withFreshRegistry((host) => loop('signet', (i) => ['--insecure-policy', 'copy', '--quiet', `--dest-${tls.slice(2)}`, `dir:${tinyDirs[i]}`, `docker://${host}/tiny/img${i}:1`]), r === 0 ? 's' : undefined),
      (r) => withFreshRegistry((host) => loop('skopeo', (i) => ['copy', '--quiet', `--dest-${tls.slice(2)}`, `dir:${tinyDirs[i]}`, `docker://${host}/tiny/img${i}:1`]), r === 0 ? 'k' : undefined),
    );
    await measurePair(
      `pull ${tinyCount} tiny images → dir:`,
      0,
      (r) => loop('signet', (i) => ['--insecure-policy', 'copy', '--quiet', `--src-${tls.slice(2)}`, `docker://${registry.host}/tiny-s/img${i}:1`, `dir:${join(work, `tp-s${r}-${i}`)}`]),
      (r) => loop('skopeo', (i) => ['copy', '--quiet', `--src-${tls.slice(2)}`, `docker://${registry.host}/tiny-k/img${i}:1`, `dir:${join(work, `tp-k${r}-${i}`)}`]),
    );
    // The same pulls as one batch in one process: skopeo sync (from a YAML list) against Signet's library.
    const yaml = [`${registry.host}:`, '  tls-verify: false', '  images:', ...Array.from({ length: tinyCount }, (_, i) => `    tiny-k/img${i}: ["1"]`)].join('\n');
    await writeFile(join(work, 'sync.yaml'), yaml + '\n');
    await measurePair(
      `pull ${tinyCount} tiny images, one process`,
      0,
      (r) => timed(process.execPath, [fileURLToPath(new URL('./batch-pull.mjs', import.meta.url)), registry.host, 'tiny-s', String(tinyCount), join(work, `batch-s${r}`)]),
      (r) => skopeo(['sync', '--src', 'yaml', '--dest', 'dir', '--scoped', join(work, 'sync.yaml'), join(work, `batch-k${r}`)]),
    );
    report();
    console.log('(one process: Signet through its library, bench/batch-pull.mjs; skopeo through `skopeo sync --src yaml`)');
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
