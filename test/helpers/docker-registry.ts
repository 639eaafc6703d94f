/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.x) serving plain HTTP on a free
 * 127.0.0.1 port, with filesystem storage in a temporary directory, deletion enabled, and optionally htpasswd
 * (Basic) authentication or Docker token authentication with a token server on 127.0.0.1 that signs ES256 JWTs
 * with a throw-away key (certificate made with `openssl`). `stop()` ends it and removes its files.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPeer, missingPeerMessage, peerAvailable } from './peers.js';

export interface StartRegistryOptions {
  /** Require Basic authentication with this user (htpasswd file made with `htpasswd -Bbn`, apache2-utils). */
  readonly htpasswd?: { readonly user: string; readonly password: string };
  /** Answer upload `Location`s as paths instead of absolute URLs (`http.relativeurls`). */
  readonly relativeUrls?: boolean;
  /**
   * Require bearer tokens from a token server started alongside. `user` gets every action it asks for;
   * anonymous requests get `pull` only when `anonymousPull` is set, nothing otherwise.
   */
  readonly tokenAuth?: { readonly user: string; readonly password: string; readonly anonymousPull?: boolean };
}

export interface TokenServerInfo {
  /** The realm, `http://127.0.0.1:PORT/token`. */
  readonly realm: string;
  readonly service: string;
  /** Every token request so far: the query it came with and whether it carried valid credentials. */
  readonly requests: readonly { readonly query: URLSearchParams; readonly authenticated: boolean }[];
}

export interface RunningRegistry {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, the domain of image references. */
  readonly host: string;
  /** The storage root: blobs live under `docker/registry/v2/blobs/sha256/xx/<hex>/data`. */
  readonly storageDir: string;
  /** Present with `tokenAuth`. */
  readonly tokenServer?: TokenServerInfo;
  /** The registry process (benchmarks read its peak memory from /proc). */
  readonly pid: number;
  stop(): Promise<void>;
}

/** Whether `startDockerRegistry` can run (false: the caller skips with `missingPeerMessage('docker-registry')`; throws under CI). */
/** A port that was free a moment ago on 127.0.0.1 (a server started on it may still lose a race; callers retry). */
export function freePort(): Promise<number> {
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

export function dockerRegistryAvailable(): boolean {
  return peerAvailable('docker-registry');
}

/** Whether htpasswd-protected registries can be started (needs `htpasswd` from apache2-utils for bcrypt). */
export function htpasswdAvailable(): boolean {
  return peerAvailable('htpasswd');
}

/** Whether token-authenticated registries can be started (needs `openssl` for the signing certificate). */
export function tokenAuthAvailable(): boolean {
  return peerAvailable('openssl');
}

export async function startDockerRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const exe = findPeer('docker-registry');
  if (exe === undefined) throw new Error(missingPeerMessage('docker-registry'));
  const configDir = await mkdtemp(join(tmpdir(), 'signet-registry-config-'));
  const storageDir = await mkdtemp(join(tmpdir(), 'signet-registry-data-'));
  let tokens: TokenServer | undefined;
  try {
    let htpasswdPath: string | undefined;
    if (options.htpasswd !== undefined) {
      htpasswdPath = join(configDir, 'htpasswd');
      await writeFile(htpasswdPath, makeHtpasswd(options.htpasswd.user, options.htpasswd.password), { mode: 0o600 });
    }
    if (options.tokenAuth !== undefined) tokens = await startTokenServer(configDir, options.tokenAuth);
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const configPath = join(configDir, 'config.yml');
      await writeFile(configPath, configYaml({ port, storageDir, htpasswdPath, relativeUrls: options.relativeUrls === true, tokens }));
      try {
        const child = await launch(exe, configPath, port);
        return running(child, port, storageDir, [configDir, storageDir], tokens);
      } catch (err) {
        lastError = err;
        if (!(err instanceof PortTakenError)) break;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  } catch (err) {
    await tokens?.close();
    await rm(configDir, { recursive: true, force: true });
    await rm(storageDir, { recursive: true, force: true });
    throw err;
  }
}

interface TokenServer extends TokenServerInfo {
  readonly issuer: string;
  readonly certPath: string;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** A Docker token server: GET /token?service=…&scope=… with optional Basic credentials → `{token, access_token}`. */
async function startTokenServer(dir: string, auth: NonNullable<StartRegistryOptions['tokenAuth']>): Promise<TokenServer> {
  const openssl = findPeer('openssl');
  if (openssl === undefined) throw new Error(missingPeerMessage('openssl'));
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  const r = spawnSync(
    openssl,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=signet-test-token'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl could not make the token signing certificate: ${r.stderr}`);
  const key: KeyObject = createPrivateKey(await readFile(keyPath));
  const certDer = Buffer.from(
    (await readFile(certPath, 'utf8')).replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''),
    'base64',
  ).toString('base64');
  const service = 'signet-test-registry';
  const issuer = 'signet-test-issuer';
  const requests: { query: URLSearchParams; authenticated: boolean }[] = [];
  const expected = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;

  const server: Server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/token') {
      res.writeHead(404);
      res.end();
      return;
    }
    const given = req.headers.authorization;
    if (given !== undefined && given !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const authenticated = given !== undefined;
    requests.push({ query: url.searchParams, authenticated });
    const access: { type: string; name: string; actions: string[] }[] = [];
    for (const scope of url.searchParams.getAll('scope')) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first <= 0 || last === first) continue;
      const wanted = scope.slice(last + 1).split(',');
      const granted = authenticated ? wanted : auth.anonymousPull ? wanted.filter((a) => a === 'pull') : [];
      access.push({ type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: granted });
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: authenticated ? auth.user : '',
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${input}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function makeHtpasswd(user: string, password: string): string {
  const exe = findPeer('htpasswd');
  if (exe === undefined) throw new Error(missingPeerMessage('htpasswd'));
  const r = spawnSync(exe, ['-Bbn', user, password], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
  return r.stdout.trim() + '\n';
}

function configYaml(o: {
  port: number;
  storageDir: string;
  htpasswdPath: string | undefined;
  relativeUrls: boolean;
  tokens: TokenServer | undefined;
}): string {
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
  } else if (o.tokens !== undefined) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(o.tokens.realm)}`,
      `    service: ${JSON.stringify(o.tokens.service)}`,
      `    issuer: ${JSON.stringify(o.tokens.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(o.tokens.certPath)}`,
    );
  }
  return lines.join('\n') + '\n';
}

class PortTakenError extends Error {}

async function launch(exe: string, configPath: string, port: number): Promise<ChildProcess> {
  const child = spawn(exe, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
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

function running(child: ChildProcess, port: number, storageDir: string, dirs: string[], tokens: TokenServer | undefined): RunningRegistry {
  let stopped: Promise<void> | undefined;
  // A test process that dies without calling stop() must not leave the registry running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    storageDir,
    pid: child.pid ?? 0,
    ...(tokens === undefined ? {} : { tokenServer: { realm: tokens.realm, service: tokens.service, requests: tokens.requests } }),
    stop(): Promise<void> {
      stopped ??= (async () => {
        process.off('exit', killOnExit);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
          if ((await Promise.race([exited, timer])) === 'timeout') {
            child.kill('SIGKILL');
            await exited;
          }
        }
        await tokens?.close();
        for (const d of dirs) await rm(d, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
