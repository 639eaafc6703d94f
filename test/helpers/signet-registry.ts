/**
 * `signet serve` for tests, in this process: a registry on a free 127.0.0.1 port with its blobs in a temporary
 * directory and its metadata in SQLite there — or, with `SIGNET_TEST_BACKEND=postgres`, in a fresh database on a
 * PostgreSQL server the tests start (see postgres.ts).
 * By default one user `admin` (password `admin-secret`) with the admin role everywhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRegistryConfig, startRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { createDatabase, testBackend } from './postgres.js';

export interface TestRegistryOptions {
  /** Users as in the YAML config; default one admin. */
  readonly users?: readonly { name: string; password: string; roles: { repository: string; role: string }[] }[];
  readonly anonymousPull?: boolean;
  /** Use this storage directory (e.g. to restart on the same data); default a fresh temporary one. */
  readonly storageDir?: string;
  /** The database URL; default SQLite in the storage directory, or a new PostgreSQL database (see above). */
  readonly databaseUrl?: string;
  /** Port to listen on; default a free one. */
  readonly port?: number;
  /** Serve HTTPS with this certificate and key (PEM files). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface TestRegistry extends RunningRegistry {
  readonly storageDir: string;
  /** The database URL, credentials included (`sqlite:…` or `postgres://…`). */
  readonly databaseUrl: string;
  /** `Basic` credentials of the first user. */
  readonly user: string;
  readonly password: string;
  /** Stop and remove the storage directory (unless it was given). */
  stop(): Promise<void>;
}

export const adminUser = { name: 'admin', password: 'admin-secret', roles: [{ repository: '*', role: 'admin' }] };

export async function startSignetRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const storageDir = options.storageDir ?? (await mkdtemp(join(tmpdir(), 'signet-serve-')));
  const users = options.users ?? [adminUser];
  const databaseUrl = options.databaseUrl ?? (testBackend() === 'postgres' ? await createDatabase() : undefined);
  const config = await loadRegistryConfig({
    env: {
      SIGNET_LISTEN: `127.0.0.1:${options.port ?? 0}`,
      SIGNET_STORAGE_PATH: storageDir,
      SIGNET_LOG_LEVEL: 'silent',
      SIGNET_AUTH_ANONYMOUS_PULL: options.anonymousPull === true ? 'true' : 'false',
      ...(databaseUrl === undefined ? {} : { SIGNET_DATABASE_URL: databaseUrl }),
      ...(options.tls === undefined ? {} : { SIGNET_TLS_CERT: options.tls.cert, SIGNET_TLS_KEY: options.tls.key }),
    },
    cwd: storageDir,
  });
  const running = await startRegistry({
    ...config,
    users: users.map((u) => ({
      name: u.name,
      credential: { kind: 'password' as const, password: u.password },
      roles: u.roles.map((r) => ({ repository: r.repository, role: r.role as 'pull' })),
    })),
  });
  const first = users[0] ?? adminUser;
  return {
    ...running,
    url: running.url,
    address: running.address,
    databaseLocation: running.databaseLocation,
    storageDir,
    databaseUrl: config.database.url,
    user: first.name,
    password: first.password,
    close: () => running.close(),
    stop: async () => {
      await running.close();
      if (options.storageDir === undefined) await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** `Authorization: Basic …` for a user. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
