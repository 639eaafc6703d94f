/**
 * What the benchmarks share: timing a command with its peak memory, medians, table printing, and the images
 * they move (written here, not checked in: one large random layer, or many tiny ones).
 */
import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';

/** The number after `--name` on the command line, or `dflt`. */
export function flag(name: string, dflt: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export interface Measure {
  wallMs: number;
  peakRssKiB: number;
}

/** Run a command under /usr/bin/time to learn its peak RSS; rejects when it fails. */
export function timed(cmd: string, cmdArgs: string[]): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', cmd, ...cmdArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      const rss = Number(err.trim().split('\n').at(-1));
      if (code !== 0) {
        reject(new Error(`${cmd} ${cmdArgs.join(' ')} exited ${code}: ${err}`));
        return;
      }
      resolve({ wallMs, peakRssKiB: Number.isFinite(rss) ? rss : 0 });
    });
  });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

/** Print rows as aligned columns; the first row is the header. */
export function printTable(lines: readonly (readonly string[])[]): void {
  const header = lines[0] ?? [];
  const widths = header.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)));
  for (const l of lines) console.log(l.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '));
}

/**
 * A dir: image whose single layer is about `bytes` bytes: random data in gzip's stored (level 0) blocks, streamed
 * to disk and hashed on the way. The layer is gzip, as registry images are: containers/image compresses an
 * uncompressed layer it pushes to a registry, so an uncompressed one would time skopeo's gzip, not the transfer.
 * Returns the layer's size.
 */
export async function writeBigImage(dir: string, bytes: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const hash = createHash('sha256');
  const tmp = join(dir, 'layer.tmp');
  let size = 0;
  const gzip = createGzip({ level: 0 });
  gzip.on('data', (d: Buffer) => {
    hash.update(d);
    size += d.length;
  });
  const written = pipeline(gzip, createWriteStream(tmp));
  const chunk = Buffer.alloc(8 * 1024 * 1024);
  for (let left = bytes; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    randomFillSync(part);
    if (!gzip.write(Buffer.from(part))) await new Promise<void>((r) => gzip.once('drain', () => r()));
  }
  gzip.end();
  await written;
  const layerHex = hash.digest('hex');
  await rename(tmp, join(dir, layerHex));
  await writeConfigAndManifest(dir, [{ hex: layerHex, size }], 'big');
  return size;
}

export async function writeConfigAndManifest(dir: string, layers: { hex: string; size: number }[], seed: string): Promise<void> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { Env: [`SEED=${seed}`] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${l.hex}`) },
    }),
  );
  const configHex = sha256(config);
  await writeFile(join(dir, configHex), config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${l.hex}`, size: l.size })),
  });
  await writeFile(join(dir, 'manifest.json'), manifest);
  await writeFile(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
}

/** A dir: image with one gzip layer of a few dozen bytes, different for each `i`. */
export async function writeTinyImage(dir: string, i: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const layer = gzipSync(Buffer.from(`tiny layer ${i} ${'x'.repeat(i % 97)}`));
  const hex = sha256(layer);
  await writeFile(join(dir, hex), layer);
  await writeConfigAndManifest(dir, [{ hex, size: layer.length }], `tiny-${i}`);
}
