/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.x) serving plain HTTP on a free
 * 127.0.0.1 port, with filesystem storage in a temporary directory, deletion enabled, and optionally htpasswd
 * (Basic) authentication. `stop()` ends it and removes its files.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPeer, missingPeerMessage, peerAvailable } from './peers.js';

export interface StartRegistryOptions {
  /** Require Basic authentication with this user (htpasswd file made with `htpasswd -Bbn`, apache2-utils). */
  readonly htpasswd?: { readonly user: string; readonly password: string };
  /** Answer upload `Location`s as paths instead of absolute URLs (`http.relativeurls`). */
  readonly relativeUrls?: boolean;
}

export interface RunningRegistry {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, the domain of image references. */
  readonly host: string;
  /** The storage root: blobs live under `docker/registry/v2/blobs/sha256/xx/<hex>/data`. */
  readonly storageDir: string;
  stop(): Promise<void>;
}

/** Whether `startDockerRegistry` can run (false: the caller skips with `missingPeerMessage('docker-registry')`; throws under CI). */
export function dockerRegistryAvailable(): boolean {
  return peerAvailable('docker-registry');
}

/** Whether htpasswd-protected registries can be started (needs `htpasswd` from apache2-utils for bcrypt). */
export function htpasswdAvailable(): boolean {
  return peerAvailable('htpasswd');
}

export async function startDockerRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const exe = findPeer('docker-registry');
  if (exe === undefined) throw new Error(missingPeerMessage('docker-registry'));
  const configDir = await mkdtemp(join(tmpdir(), 'signet-registry-config-'));
  const storageDir = await mkdtemp(join(tmpdir(), 'signet-registry-data-'));
  try {
    let htpasswdPath: string | undefined;
    if (options.htpasswd !== undefined) {
      htpasswdPath = join(configDir, 'htpasswd');
      await writeFile(htpasswdPath, makeHtpasswd(options.htpasswd.user, options.htpasswd.password), { mode: 0o600 });
    }
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const configPath = join(configDir, 'config.yml');
      await writeFile(configPath, configYaml({ port, storageDir, htpasswdPath, relativeUrls: options.relativeUrls === true }));
      try {
        const child = await launch(exe, configPath, port);
        return running(child, port, storageDir, [configDir, storageDir]);
      } catch (err) {
        lastError = err;
        if (!(err instanceof PortTakenError)) break;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  } catch (err) {
    await rm(configDir, { recursive: true, force: true });
    await rm(storageDir, { recursive: true, force: true });
    throw err;
  }
}

function makeHtpasswd(user: string, password: string): string {
  const exe = findPeer('htpasswd');
  if (exe === undefined) throw new Error(missingPeerMessage('htpasswd'));
  const r = spawnSync(exe, ['-Bbn', user, password], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
  return r.stdout.trim() + '\n';
}

function configYaml(o: { port: number; storageDir: string; htpasswdPath: string | undefined; relativeUrls: boolean }): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(o.storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${o.port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    `  relativeurls: ${o.relativeUrls}`,
  ];
  if (o.htpasswdPath !== undefined) {
    lines.push('auth:', '  htpasswd:', '    realm: signet-test', `    path: ${JSON.stringify(o.htpasswdPath)}`);
  }
  return lines.join('\n') + '\n';
}

class PortTakenError extends Error {}

/** A port that was free a moment ago (the registry may still lose a race for it; the caller retries). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function launch(exe: string, configPath: string, port: number): Promise<ChildProcess> {
  const child = spawn(exe, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited) {
      if (/address already in use/i.test(output)) throw new PortTakenError(`port ${port} taken`);
      throw new Error(`docker-registry exited during start-up: ${output.trim()}`);
    }
    if (await answers(port)) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 15 s: ${output.trim()}`);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      // 200, or 401 with authentication.
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function running(child: ChildProcess, port: number, storageDir: string, dirs: string[]): RunningRegistry {
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    storageDir,
    stop(): Promise<void> {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
          if ((await Promise.race([exited, timer])) === 'timeout') {
            child.kill('SIGKILL');
            await exited;
          }
        }
        for (const d of dirs) await rm(d, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
