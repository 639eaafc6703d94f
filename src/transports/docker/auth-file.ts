/**
 * Registry credentials from containers auth files and Docker config files, with the lookup rules of
 * containers/image `pkg/docker/config`:
 *
 * - files: `--authfile`, else `$REGISTRY_AUTH_FILE` (either one alone, when given); otherwise
 *   `${XDG_RUNTIME_DIR}/containers/auth.json`, `${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json`,
 *   `${DOCKER_CONFIG:-$HOME/.docker}/config.json`, and the legacy `$HOME/.dockercfg`; the first file with a
 *   usable entry wins;
 * - keys within a file: the repository (`host/ns/repo`), then each parent namespace, then the host; then any
 *   key that normalises to the host (`https://host/v1/`, `http://host`); `docker.io`,
 *   `registry-1.docker.io` and `index.docker.io` are one registry.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError, limits, readAllCapped, describeError } from '../../core/index.js';
import type { SystemContext } from '../types.js';
import { AuthFileError } from './errors.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
  /** An OAuth2 refresh token (`identitytoken`); used with the token server's POST flow. */
  readonly identityToken?: string;
}

export interface AuthFileLocation {
  readonly path: string;
  /** `~/.dockercfg`: the `auths` map is the whole file and keys are registry URLs. */
  readonly legacyFormat: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The auth files to search for `ctx`, in order. Files that do not exist are skipped by the reader. */
export function authFileLocations(ctx: SystemContext = {}): AuthFileLocation[] {
  const env: Env = ctx.env ?? process.env;
  if (ctx.authFile !== undefined && ctx.authFile !== '') return [{ path: ctx.authFile, legacyFormat: false }];
  const fromEnv = env['REGISTRY_AUTH_FILE'];
  if (fromEnv !== undefined && fromEnv !== '') return [{ path: fromEnv, legacyFormat: false }];

  const out: AuthFileLocation[] = [];
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  if (runtimeDir !== undefined && runtimeDir !== '') out.push({ path: join(runtimeDir, 'containers', 'auth.json'), legacyFormat: false });
  const home = env['HOME'];
  const configHome = env['XDG_CONFIG_HOME'] || (home ? join(home, '.config') : undefined);
  if (configHome !== undefined) out.push({ path: join(configHome, 'containers', 'auth.json'), legacyFormat: false });
  const dockerConfig = env['DOCKER_CONFIG'];
  if (dockerConfig !== undefined && dockerConfig !== '') out.push({ path: join(dockerConfig, 'config.json'), legacyFormat: false });
  else if (home) out.push({ path: join(home, '.docker', 'config.json'), legacyFormat: false });
  if (home) out.push({ path: join(home, '.dockercfg'), legacyFormat: true });
  return out;
}

/**
 * Credentials for `key`, a repository name (`host/ns/repo`) or a registry host: `ctx.credentials` when given,
 * else the first match in the auth files. `undefined` when there are none (anonymous access).
 */
export async function findCredentials(ctx: SystemContext, key: string): Promise<RegistryCredentials | undefined> {
  if (ctx.credentials !== undefined) return { username: ctx.credentials.username, password: ctx.credentials.password };
  const slash = key.indexOf('/');
  const registry = slash === -1 ? key : key.slice(0, slash);
  for (const location of authFileLocations(ctx)) {
    const auths = await readAuths(location);
    if (auths === undefined) continue;
    const found = lookupInAuths(auths, key, registry, location);
    if (found !== undefined) return found;
  }
  return undefined;
}

interface AuthEntry {
  readonly auth?: unknown;
  readonly username?: unknown;
  readonly password?: unknown;
  readonly identitytoken?: unknown;
}

/** Read the `auths` map of one file; `undefined` when the file does not exist. */
async function readAuths(location: AuthFileLocation): Promise<Record<string, AuthEntry> | undefined> {
  let text: string;
  try {
    const handle = await open(location.path, 'r');
    try {
      text = (await readAllCapped(handle.createReadStream({ autoClose: false }), limits.authFileBytes, `auth file ${location.path}`)).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EISDIR') throw new AuthFileError(location.path, 'is a directory, not an auth file');
    if (err instanceof CodedError) throw err;
    throw new AuthFileError(location.path, `cannot be read: ${describeError(err)}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AuthFileError(location.path, `is not valid JSON: ${describeError(err)}`, { cause: err });
  }
  if (!isRecord(parsed)) throw new AuthFileError(location.path, 'must hold a JSON object');
  const auths = location.legacyFormat ? parsed : parsed['auths'];
  if (auths === undefined || auths === null) return {};
  if (!isRecord(auths)) throw new AuthFileError(location.path, '"auths" must be a JSON object');
  const out: Record<string, AuthEntry> = {};
  for (const [k, v] of Object.entries(auths)) {
    if (!isRecord(v)) throw new AuthFileError(location.path, `auths["${k}"] must be a JSON object`);
    out[k] = v;
  }
  return out;
}

function lookupInAuths(
  auths: Record<string, AuthEntry>,
  key: string,
  registry: string,
  location: AuthFileLocation,
): RegistryCredentials | undefined {
  for (const candidate of authKeyLookupOrder(key, registry, location.legacyFormat)) {
    const entry = auths[candidate];
    if (entry !== undefined) return decodeEntry(entry, candidate, location.path);
  }
  const normalized = normalizeRegistry(registry);
  for (const [k, entry] of Object.entries(auths)) {
    if (normalizeAuthFileKey(k, location.legacyFormat) === normalized) return decodeEntry(entry, k, location.path);
  }
  return undefined;
}

/** `host/ns/repo`, `host/ns`, `host` (most specific first); legacy files only know hosts. */
export function authKeyLookupOrder(key: string, registry: string, legacyFormat: boolean): string[] {
  if (legacyFormat) return [registry];
  const out: string[] = [];
  let k = key;
  for (;;) {
    out.push(k);
    const slash = k.lastIndexOf('/');
    if (slash === -1) break;
    k = k.slice(0, slash);
  }
  return out;
}

/** `https://host/v1/` → `host`; docker.io's aliases → `index.docker.io`. */
export function normalizeAuthFileKey(key: string, legacyFormat: boolean): string {
  let stripped = key;
  if (stripped.startsWith('http://')) stripped = stripped.slice('http://'.length);
  else if (stripped.startsWith('https://')) stripped = stripped.slice('https://'.length);
  if (legacyFormat || stripped !== key) {
    const slash = stripped.indexOf('/');
    if (slash !== -1) stripped = stripped.slice(0, slash);
  }
  return normalizeRegistry(stripped);
}

function normalizeRegistry(registry: string): string {
  return registry === 'registry-1.docker.io' || registry === 'docker.io' ? 'index.docker.io' : registry;
}

function decodeEntry(entry: AuthEntry, key: string, path: string): RegistryCredentials | undefined {
  const identityToken = typeof entry.identitytoken === 'string' && entry.identitytoken !== '' ? entry.identitytoken : undefined;
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // Like docker: an entry whose `auth` has no colon is skipped.
    if (colon === -1) return undefined;
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '');
    return identityToken === undefined ? { username, password } : { username, password, identityToken };
  }
  if (entry.auth !== undefined && typeof entry.auth !== 'string') {
    throw new AuthFileError(path, `auths["${key}"].auth must be a string`);
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username !== '') {
    return identityToken === undefined
      ? { username: entry.username, password: entry.password }
      : { username: entry.username, password: entry.password, identityToken };
  }
  if (identityToken !== undefined) return { username: '', password: '', identityToken };
  // `"host": {}` entries are markers left behind by credential helpers.
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
