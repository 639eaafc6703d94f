/**
 * Starting and stopping a registry: open the blob store and the database, bring users in line with the
 * configuration (or create the first admin), and listen.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { FsBlobDriver, Metadata, openDatabase } from '../store/index.js';
import { AccessControl } from './access.js';
import { hashPassword } from './auth/index.js';
import type { RegistryConfig } from './config.js';
import { createRegistryServer } from './server.js';
import { RegistryService } from './service.js';

export interface RunningRegistry {
  /** `http(s)://host:port`, with the port actually bound. */
  readonly url: string;
  /** `host:port`, as a client names the registry. */
  readonly address: string;
  readonly databaseLocation: string;
  /** Set when this start created the first admin: its name, and the password when it was generated. */
  readonly createdAdmin?: { readonly name: string; readonly generatedPassword?: string };
  close(): Promise<void>;
}

async function syncUsers(meta: Metadata, config: RegistryConfig): Promise<RunningRegistry['createdAdmin']> {
  if (config.users.length > 0) {
    for (const user of config.users) {
      const passwordHash = user.credential.kind === 'passwordHash' ? user.credential.passwordHash : await hashPassword(user.credential.password);
      await meta.saveUser({ name: user.name, passwordHash, roles: user.roles });
    }
    return undefined;
  }
  if ((await meta.countUsers()) > 0) return undefined;
  const generated = config.adminPassword === undefined ? randomBytes(18).toString('base64url') : undefined;
  const password = config.adminPassword ?? (generated as string);
  await meta.saveUser({ name: 'admin', passwordHash: await hashPassword(password), roles: [{ repository: '*', role: 'admin' }] });
  return { name: 'admin', ...(generated === undefined ? {} : { generatedPassword: generated }) };
}

export async function startRegistry(config: RegistryConfig): Promise<RunningRegistry> {
  const blobs = new FsBlobDriver(config.storage.path);
  await blobs.init();
  const opened = await openDatabase(config.database.url);
  const meta = new Metadata(opened.db, opened.dialect);
  let app: FastifyInstance | undefined;
  try {
    const createdAdmin = await syncUsers(meta, config);
    const access = await AccessControl.create(meta, {
      anonymousPull: config.auth.anonymousPull,
      service: config.auth.service,
      tokenTtlSeconds: config.auth.tokenTtlSeconds,
      ...(config.auth.realm === undefined ? {} : { realm: config.auth.realm }),
    });
    const tls = config.tls === undefined ? undefined : { cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) };
    app = await createRegistryServer({ service: new RegistryService(blobs, meta), access, logLevel: config.log.level, ...(tls === undefined ? {} : { tls }) });
    await app.listen({ host: config.listen.host, port: config.listen.port });
    const bound = app.server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : config.listen.port;
    const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
    const address = `${host}:${port}`;
    const server = app;
    return {
      url: `${tls === undefined ? 'http' : 'https'}://${address}`,
      address,
      databaseLocation: opened.location,
      ...(createdAdmin === undefined ? {} : { createdAdmin }),
      close: async () => {
        await server.close();
        await meta.close();
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await meta.close().catch(() => undefined);
    throw err;
  }
}
