/**
 * A throw-away PostgreSQL server for tests (Debian's `postgresql` package): a cluster made with `initdb` in a
 * temporary directory, listening on a free 127.0.0.1 port, trust authentication for user `signet`, stopped and
 * removed at exit. One server per test process; `createDatabase()` gives each registry its own database. As root
 * (CI), the server runs as the `postgres` system user, since PostgreSQL refuses to run as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from './docker-registry.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Cluster {
  readonly dir: string;
  readonly port: number;
  readonly bin: string;
}

let cluster: Promise<Cluster> | undefined;
let counter = 0;

function pgBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('postgresql not installed: apt-get install postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

const asRoot = process.getuid?.() === 0;

function runAsServerUser(command: string, args: string[]): void {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

async function startCluster(): Promise<Cluster> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), 'signet-pg-'));
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  const data = join(dir, 'data');
  runAsServerUser(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'signet', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  runAsServerUser(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start']);
  process.once('exit', () => {
    try {
      runAsServerUser(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, port, bin };
}

/** A fresh, empty database on the test process's PostgreSQL server; returns its URL. */
export async function createDatabase(): Promise<string> {
  cluster ??= startCluster();
  const c = await cluster;
  const name = `signet_${process.pid}_${++counter}`;
  const r = spawnSync(join(c.bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(c.port), '-U', 'signet', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`createdb failed: ${r.stderr}`);
  return `postgres://signet@127.0.0.1:${c.port}/${name}`;
}

/** Whether registry tests run on PostgreSQL (`SIGNET_TEST_BACKEND=postgres`) rather than SQLite. */
export function testBackend(): 'sqlite' | 'postgres' {
  return process.env['SIGNET_TEST_BACKEND'] === 'postgres' ? 'postgres' : 'sqlite';
}
