/**
 * The registry's configuration (SPEC §5.1): an optional YAML file, then `SIGNET_*` environment variables over
 * it, then defaults for whatever is still unset. The result is normalised once: every default filled in, every
 * path absolute, users' roles and password hashes checked.
 *
 *   listen: 127.0.0.1:5000                      host:port, or [v6-address]:port
 *   tls: {cert: server.crt, key: server.key}     optional; both or neither
 *   storage: {path: ./signet-data}
 *   database: {url: sqlite:./signet-data/signet.db}   or sqlite::memory:, postgres://…, postgresql://…
 *   auth: {anonymousPull: false, tokenTtlSeconds: 300, realm: https://…/token, service: signet}
 *   users: [{name, password | passwordHash, roles: [{repository: "team/*", role: push}]}]
 *   keys: [{id, type: openpgp | cosign, privateKeyPath, passphraseFile | passwordFile}]
 *   log: {level: info}                           fatal, error, warn, info, debug, trace or silent
 *   adminPassword: …                             the first admin's password when no users are configured
 *
 * Reading rules:
 * - The file is strict: unknown keys, duplicate keys, wrong types and bad values are errors that name the file
 *   and the key path (`users[1].roles[0].role`). YAML 1.2 core schema, one document; a `null` value is the
 *   same as an absent key. Strings must be YAML strings: quote a password that looks like a number.
 * - Relative paths in the file (tls, storage, a `sqlite:` database, keys) are resolved against the file's
 *   folder; relative paths from the environment, and the defaults, against the working directory.
 * - Environment variables: the name of each scalar key is its path, upper-snake-cased, under `SIGNET_`:
 *   `listen` → `SIGNET_LISTEN`, `tls.cert` → `SIGNET_TLS_CERT`, `auth.anonymousPull` →
 *   `SIGNET_AUTH_ANONYMOUS_PULL`, `adminPassword` → `SIGNET_ADMIN_PASSWORD`. A set variable overrides the
 *   file; an empty one counts as unset. Booleans are `true`, `false`, `1` or `0`. The lists (`users`, `keys`)
 *   have no variables.
 */
import { createReadStream } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CodedError, describeError, limits, readAllCapped } from '../core/index.js';
import { parsePasswordHash, parseRepositoryPattern, roles as roleNames, type Role, type RoleGrant, type StoredCredential } from './auth/index.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export const keyTypes = ['openpgp', 'cosign'] as const;
export type KeyType = (typeof keyTypes)[number];

export interface ListenAddress {
  /** A host name or IP address; an IPv6 address without brackets (`::1`). */
  readonly host: string;
  /** 0 to 65535; 0 lets the system choose. */
  readonly port: number;
}

export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
}

export type DatabaseConfig =
  /** `path` is absolute, or `:memory:`; `url` is `sqlite:<path>`. */
  | { readonly kind: 'sqlite'; readonly url: string; readonly path: string }
  /** `url` as configured (`postgres://…` or `postgresql://…`); it may hold a password: do not log it. */
  | { readonly kind: 'postgres'; readonly url: string };

export interface AuthConfig {
  readonly anonymousPull: boolean;
  readonly tokenTtlSeconds: number;
  /** An external token endpoint's URL; undefined when the registry issues its own tokens. */
  readonly realm: string | undefined;
  readonly service: string;
}

export interface UserConfig {
  readonly name: string;
  readonly credential: StoredCredential;
  readonly roles: readonly RoleGrant[];
}

export interface KeyConfig {
  readonly id: string;
  readonly type: KeyType;
  readonly privateKeyPath: string;
  /** The file holding the key's passphrase (`passphraseFile`, or cosign's `passwordFile`); undefined if none. */
  readonly passphraseFile: string | undefined;
}

export interface RegistryConfig {
  /** The config file read (absolute), or undefined when there was none. */
  readonly file: string | undefined;
  readonly listen: ListenAddress;
  readonly tls: TlsConfig | undefined;
  readonly storage: { readonly path: string };
  readonly database: DatabaseConfig;
  readonly auth: AuthConfig;
  readonly users: readonly UserConfig[];
  readonly keys: readonly KeyConfig[];
  readonly log: { readonly level: LogLevel };
  /** The first admin's password, used only when `users` is empty. */
  readonly adminPassword: string | undefined;
}

export type RegistryConfigErrorCode =
  /** The file or an environment variable holds something unusable. */
  | 'INVALID_CONFIG'
  /** The file could not be read (missing, unreadable, too large). */
  | 'CONFIG_NOT_READABLE';

/** A configuration that cannot be used. `source` is the file or the environment variable; `path` the key. */
export class RegistryConfigError extends CodedError<RegistryConfigErrorCode> {
  readonly category = 'input' as const;
  readonly source: string;
  readonly path: string;

  constructor(code: RegistryConfigErrorCode, source: string, path: string, what: string, options?: { cause?: unknown }) {
    const prefix = code === 'CONFIG_NOT_READABLE' ? 'cannot read registry config' : 'invalid registry config';
    super(code, `${prefix} ${source}: ${path === '' ? '' : `${path}: `}${what}`, options);
    this.source = source;
    this.path = path;
  }
}

export const registryConfigDefaults = {
  listen: '127.0.0.1:5000',
  storagePath: './signet-data',
  databaseFile: 'signet.db',
  anonymousPull: false,
  tokenTtlSeconds: 300,
  service: 'signet',
  logLevel: 'info',
} as const satisfies Record<string, string | number | boolean>;

const maxTokenTtlSeconds = 24 * 60 * 60;

/** The scalar keys, by path; each has an environment variable. */
interface Scalars {
  listen: ListenAddress;
  'tls.cert': string;
  'tls.key': string;
  'storage.path': string;
  'database.url': DatabaseConfig;
  'auth.anonymousPull': boolean;
  'auth.tokenTtlSeconds': number;
  'auth.realm': string;
  'auth.service': string;
  'log.level': LogLevel;
  adminPassword: string;
}
type ScalarPath = keyof Scalars;
type Layer = { [K in ScalarPath]?: Scalars[K] };

/** Where a value came from: what to name in an error, and what relative paths are relative to. */
interface Context {
  readonly base: string;
  fail(what: string): never;
}

interface ScalarReader<T> {
  fromYaml(value: unknown, ctx: Context): T;
  /** Default: the text read as a YAML string. */
  fromEnv?(text: string, ctx: Context): T;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a sequence';
  if (value instanceof Map) return 'a mapping';
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}

// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;

function stringValue(value: unknown, ctx: Context, options: { secret?: boolean } = {}): string {
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' || typeof value === 'boolean' ? ' (quote it)' : '';
    return ctx.fail(`must be a string${hint}, got ${options.secret === true ? describeKind(value) : describe(value)}`);
  }
  if (value === '') return ctx.fail('must not be empty');
  return value;
}

function describeKind(value: unknown): string {
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return describe(value);
}

function pathValue(value: unknown, ctx: Context): string {
  const text = stringValue(value, ctx);
  if (text.includes('\u0000')) return ctx.fail('must not contain NUL characters');
  return resolve(ctx.base, text);
}

function enumValue<T extends string>(allowed: readonly T[], value: unknown, ctx: Context): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  return ctx.fail(`must be one of ${allowed.join(', ')}, got ${describe(value)}`);
}

const hostGrammar = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const ipv6Grammar = /^[0-9A-Fa-f:.]+$/;

/** `host:port` or `[ipv6]:port`. */
function parseListen(text: string): ListenAddress | string {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return 'expected [address]:port';
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!ipv6Grammar.test(host) || !host.includes(':')) return `${JSON.stringify(host)} is not an IPv6 address`;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return 'expected host:port';
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return 'an IPv6 address needs brackets: [address]:port';
    if (!hostGrammar.test(host)) return `${JSON.stringify(host)} is not a host name or IPv4 address`;
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) return `port must be a number from 0 to 65535, got ${JSON.stringify(portText)}`;
  return { host, port };
}

function parseDatabase(value: unknown, ctx: Context): DatabaseConfig {
  const url = stringValue(value, ctx, { secret: true });
  if (url === 'sqlite::memory:') return { kind: 'sqlite', url, path: ':memory:' };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file === '') return ctx.fail('sqlite: needs a file path (or :memory:)');
    if (file.includes('\u0000')) return ctx.fail('must not contain NUL characters');
    const path = resolve(ctx.base, file);
    return { kind: 'sqlite', url: `sqlite:${path}`, path };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      // The URL may hold a password: it is not repeated.
      return ctx.fail(`is not a valid ${scheme}:// URL`);
    }
    if (!/^[A-Za-z]+:\/\//.test(url)) return ctx.fail(`must start with ${scheme}://`);
    if (parsed.hostname === '' && parsed.pathname.length <= 1) return ctx.fail(`${scheme}:// URL names neither a host nor a database`);
    return { kind: 'postgres', url };
  }
  return ctx.fail(`expected sqlite:PATH, sqlite::memory:, postgres://… or postgresql://…, got a URL with scheme ${JSON.stringify(scheme ?? '')}`);
}

function parseBoolean(value: unknown, ctx: Context): boolean {
  if (typeof value === 'boolean') return value;
  return ctx.fail(`must be true or false, got ${describe(value)}`);
}

function parseTtl(value: unknown, ctx: Context): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxTokenTtlSeconds) {
    return ctx.fail(`must be a whole number of seconds from 1 to ${maxTokenTtlSeconds}, got ${describe(value)}`);
  }
  return value;
}

const scalars: { readonly [K in ScalarPath]: ScalarReader<Scalars[K]> } = {
  listen: {
    fromYaml(value, ctx) {
      const parsed = parseListen(stringValue(value, ctx));
      return typeof parsed === 'string' ? ctx.fail(`${parsed}, got ${describe(value)}`) : parsed;
    },
  },
  'tls.cert': { fromYaml: pathValue },
  'tls.key': { fromYaml: pathValue },
  'storage.path': { fromYaml: pathValue },
  'database.url': { fromYaml: parseDatabase },
  'auth.anonymousPull': {
    fromYaml: parseBoolean,
    fromEnv(text, ctx) {
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      return ctx.fail(`must be true, false, 1 or 0, got ${JSON.stringify(text)}`);
    },
  },
  'auth.tokenTtlSeconds': {
    fromYaml: parseTtl,
    fromEnv(text, ctx) {
      return parseTtl(/^[0-9]{1,10}$/.test(text) ? Number(text) : text, ctx);
    },
  },
  'auth.realm': {
    fromYaml(value, ctx) {
      const text = stringValue(value, ctx);
      let url: URL | undefined;
      try {
        url = new URL(text);
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || controlCharacters.test(text) || text.includes('"')) {
        return ctx.fail(`must be an http:// or https:// URL, got ${JSON.stringify(text)}`);
      }
      return text;
    },
  },
  'auth.service': {
    fromYaml(value, ctx) {
      const text = stringValue(value, ctx);
      if (!/^[\x21-\x7e]+$/.test(text) || text.includes('"') || text.includes('\\')) {
        return ctx.fail(`must be printable ASCII without spaces, quotes or backslashes, got ${JSON.stringify(text)}`);
      }
      return text;
    },
  },
  'log.level': { fromYaml: (value, ctx) => enumValue(logLevels, value, ctx) },
  adminPassword: { fromYaml: (value, ctx) => stringValue(value, ctx, { secret: true }) },
};

/** `auth.anonymousPull` → `SIGNET_AUTH_ANONYMOUS_PULL`. */
export function environmentVariableFor(path: string): string {
  return `SIGNET_${path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')}`;
}

/** Every environment variable read, with the key it sets. */
export const environmentVariables: ReadonlyMap<string, string> = new Map(
  (Object.keys(scalars) as ScalarPath[]).map((path) => [environmentVariableFor(path), path]),
);

function setScalar<K extends ScalarPath>(layer: Layer, path: K, read: ScalarReader<Scalars[K]>, value: unknown, ctx: Context, fromEnv: boolean): void {
  layer[path] = fromEnv && read.fromEnv !== undefined ? read.fromEnv(value as string, ctx) : read.fromYaml(value, ctx);
}

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Reads the plain value tree of the file (YAML maps as `Map`s), failing with the file and the key path. */
class FileReader {
  constructor(
    readonly file: string,
    readonly base: string,
  ) {}

  fail(path: readonly (string | number)[], what: string): never {
    throw new RegistryConfigError('INVALID_CONFIG', this.file, formatPath(path), what);
  }

  context(path: readonly (string | number)[]): Context {
    return { base: this.base, fail: (what) => this.fail(path, what) };
  }

  /** A mapping's entries; keys must be among `allowed`. `null` is an empty mapping. */
  mapping(value: unknown, path: readonly (string | number)[], allowed: readonly string[]): Map<string, unknown> {
    if (value === null || value === undefined) return new Map();
    if (!(value instanceof Map)) return this.fail(path, `must be a mapping, got ${describe(value)}`);
    const out = new Map<string, unknown>();
    for (const [key, v] of value as Map<unknown, unknown>) {
      if (typeof key !== 'string' || !allowed.includes(key)) {
        const name = typeof key === 'string' ? key : describe(key);
        this.fail([...path, name], `unknown key (allowed: ${allowed.join(', ')})`);
      }
      if (v !== null) out.set(key, v);
    }
    return out;
  }

  sequence(value: unknown, path: readonly (string | number)[]): unknown[] {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) return this.fail(path, `must be a sequence, got ${describe(value)}`);
    return value as unknown[];
  }

  required(fields: Map<string, unknown>, key: string, path: readonly (string | number)[]): unknown {
    const v = fields.get(key);
    if (v === undefined) this.fail([...path, key], 'is required');
    return v;
  }
}

const sections = ['tls', 'storage', 'database', 'auth', 'log'] as const;
const topLevelKeys = ['listen', ...sections, 'users', 'keys', 'adminPassword'];

function sectionKeys(section: string): string[] {
  return (Object.keys(scalars) as string[]).filter((p) => p.startsWith(`${section}.`)).map((p) => p.slice(section.length + 1));
}

interface FileLayer {
  readonly scalars: Layer;
  readonly users: readonly UserConfig[] | undefined;
  readonly keys: readonly KeyConfig[] | undefined;
}

// eslint-disable-next-line no-control-regex
const userNameGrammar = /^[^\s:\u0000-\u001f\u007f]{1,255}$/;

function parseUsers(r: FileReader, value: unknown): UserConfig[] {
  const users: UserConfig[] = [];
  const seen = new Map<string, number>();
  r.sequence(value, ['users']).forEach((item, i) => {
    const path = ['users', i];
    if (item === null) r.fail(path, 'must be a mapping, got null');
    const fields = r.mapping(item, path, ['name', 'password', 'passwordHash', 'roles']);
    const name = stringValue(r.required(fields, 'name', path), r.context([...path, 'name']));
    if (!userNameGrammar.test(name)) {
      r.fail([...path, 'name'], `user names are 1 to 255 characters without spaces, colons or control characters, got ${JSON.stringify(name)}`);
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) r.fail([...path, 'name'], `duplicate user name ${JSON.stringify(name)} (also users[${earlier}])`);
    seen.set(name, i);

    const password = fields.get('password');
    const passwordHash = fields.get('passwordHash');
    let credential: StoredCredential;
    if (password !== undefined && passwordHash !== undefined) {
      return r.fail(path, 'has both password and passwordHash; give one');
    } else if (password !== undefined) {
      credential = { kind: 'password', password: stringValue(password, r.context([...path, 'password']), { secret: true }) };
    } else if (passwordHash !== undefined) {
      const hash = stringValue(passwordHash, r.context([...path, 'passwordHash']), { secret: true });
      try {
        parsePasswordHash(hash);
      } catch (err: unknown) {
        r.fail([...path, 'passwordHash'], describeError(err));
      }
      credential = { kind: 'passwordHash', passwordHash: hash };
    } else {
      return r.fail(path, 'needs a password or a passwordHash');
    }

    const grants: RoleGrant[] = r.sequence(fields.get('roles'), [...path, 'roles']).map((grant, j) => {
      const gpath = [...path, 'roles', j];
      if (grant === null) r.fail(gpath, 'must be a mapping, got null');
      const g = r.mapping(grant, gpath, ['repository', 'role']);
      const repository = stringValue(r.required(g, 'repository', gpath), r.context([...gpath, 'repository']));
      try {
        parseRepositoryPattern(repository);
      } catch (err: unknown) {
        r.fail([...gpath, 'repository'], describeError(err));
      }
      const role: Role = enumValue(roleNames, r.required(g, 'role', gpath), r.context([...gpath, 'role']));
      return Object.freeze({ repository, role });
    });
    users.push(Object.freeze({ name, credential: Object.freeze(credential), roles: Object.freeze(grants) }));
  });
  return users;
}

const keyIdGrammar = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function parseKeys(r: FileReader, value: unknown): KeyConfig[] {
  const keys: KeyConfig[] = [];
  const seen = new Map<string, number>();
  r.sequence(value, ['keys']).forEach((item, i) => {
    const path = ['keys', i];
    if (item === null) r.fail(path, 'must be a mapping, got null');
    const fields = r.mapping(item, path, ['id', 'type', 'privateKeyPath', 'passphraseFile', 'passwordFile']);
    const id = stringValue(r.required(fields, 'id', path), r.context([...path, 'id']));
    if (!keyIdGrammar.test(id)) r.fail([...path, 'id'], `key ids are letters, digits, ".", "_" and "-", starting with a letter or digit, got ${JSON.stringify(id)}`);
    const earlier = seen.get(id);
    if (earlier !== undefined) r.fail([...path, 'id'], `duplicate key id ${JSON.stringify(id)} (also keys[${earlier}])`);
    seen.set(id, i);
    const type = enumValue(keyTypes, r.required(fields, 'type', path), r.context([...path, 'type']));
    const privateKeyPath = pathValue(r.required(fields, 'privateKeyPath', path), r.context([...path, 'privateKeyPath']));
    const passphrase = fields.get('passphraseFile');
    const password = fields.get('passwordFile');
    if (passphrase !== undefined && password !== undefined) r.fail(path, 'has both passphraseFile and passwordFile; give one');
    const passphraseFile =
      passphrase !== undefined
        ? pathValue(passphrase, r.context([...path, 'passphraseFile']))
        : password !== undefined
          ? pathValue(password, r.context([...path, 'passwordFile']))
          : undefined;
    keys.push(Object.freeze({ id, type, privateKeyPath, passphraseFile }));
  });
  return keys;
}

function parseFileContent(r: FileReader, root: unknown): FileLayer {
  const top = r.mapping(root, [], topLevelKeys);
  const layer: Layer = {};
  for (const [key, value] of top) {
    if ((sections as readonly string[]).includes(key)) {
      for (const [sub, v] of r.mapping(value, [key], sectionKeys(key))) {
        const path = `${key}.${sub}` as ScalarPath;
        setScalar(layer, path, scalars[path], v, r.context([key, sub]), false);
      }
    } else if (key === 'listen' || key === 'adminPassword') {
      setScalar(layer, key, scalars[key], value, r.context([key]), false);
    }
  }
  return {
    scalars: layer,
    users: top.has('users') ? parseUsers(r, top.get('users')) : undefined,
    keys: top.has('keys') ? parseKeys(r, top.get('keys')) : undefined,
  };
}

/** The YAML parser, loaded only when there is a file to read. */
async function parseYaml(file: string, text: string): Promise<unknown> {
  const yaml = await import('yaml');
  const doc = yaml.parseDocument(text, { uniqueKeys: true, version: '1.2', prettyErrors: true, strict: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    const pos = problem.linePos?.[0];
    const message = (problem.message.split('\n')[0] ?? problem.message).replace(/ at line \d+, column \d+:?$/, '');
    throw new RegistryConfigError('INVALID_CONFIG', file, pos !== undefined ? `line ${pos.line} column ${pos.col}` : '', message);
  }
  try {
    return doc.toJS({ mapAsMap: true, maxAliasCount: 100 });
  } catch (err: unknown) {
    throw new RegistryConfigError('INVALID_CONFIG', file, '', describeError(err), { cause: err });
  }
}

async function readConfigFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readAllCapped(createReadStream(file), limits.registryConfigBytes, 'the file');
  } catch (err: unknown) {
    throw new RegistryConfigError('CONFIG_NOT_READABLE', file, '', describeError(err), { cause: err });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RegistryConfigError('INVALID_CONFIG', file, '', 'not valid UTF-8');
  }
}

function environmentLayer(env: Record<string, string | undefined>, cwd: string): Layer {
  const layer: Layer = {};
  for (const [name, path] of environmentVariables) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const ctx: Context = {
      base: cwd,
      fail: (what) => {
        throw new RegistryConfigError('INVALID_CONFIG', `(environment variable ${name})`, path, what);
      },
    };
    setScalar(layer, path as ScalarPath, scalars[path as ScalarPath], text, ctx, true);
  }
  return layer;
}

/**
 * Reads the configuration: `options.file` (relative to `options.cwd`) if given, then the `SIGNET_*`
 * variables of `options.env` over it, then defaults. Throws `RegistryConfigError` (`INVALID_CONFIG`, or
 * `CONFIG_NOT_READABLE` when the file cannot be read).
 */
export async function loadRegistryConfig(options: { file?: string; env: Record<string, string | undefined>; cwd: string }): Promise<RegistryConfig> {
  const cwd = resolve(options.cwd);
  const file = options.file === undefined ? undefined : isAbsolute(options.file) ? resolve(options.file) : resolve(cwd, options.file);
  let fromFile: FileLayer = { scalars: {}, users: undefined, keys: undefined };
  if (file !== undefined) {
    const text = await readConfigFile(file);
    fromFile = parseFileContent(new FileReader(file, dirname(file)), await parseYaml(file, text));
  }
  const fromEnv = environmentLayer(options.env, cwd);
  const s: Layer = { ...fromFile.scalars, ...fromEnv };
  const source = file ?? '(no file)';
  const sourceOf = (path: ScalarPath): string => (fromEnv[path] !== undefined ? `(environment variable ${environmentVariableFor(path)})` : source);

  const cert = s['tls.cert'];
  const key = s['tls.key'];
  if ((cert === undefined) !== (key === undefined)) {
    const [missing, given] = cert === undefined ? (['tls.cert', 'tls.key'] as const) : (['tls.key', 'tls.cert'] as const);
    throw new RegistryConfigError('INVALID_CONFIG', sourceOf(given), missing, `is required when ${given} is set (${environmentVariableFor(missing)} or the file)`);
  }
  const listen = s.listen ?? (parseListen(registryConfigDefaults.listen) as ListenAddress);
  const storagePath = s['storage.path'] ?? resolve(cwd, registryConfigDefaults.storagePath);
  const databasePath = join(storagePath, registryConfigDefaults.databaseFile);
  const database: DatabaseConfig = s['database.url'] ?? { kind: 'sqlite', url: `sqlite:${databasePath}`, path: databasePath };

  return Object.freeze({
    file,
    listen: Object.freeze({ ...listen }),
    tls: cert !== undefined && key !== undefined ? Object.freeze({ cert, key }) : undefined,
    storage: Object.freeze({ path: storagePath }),
    database: Object.freeze({ ...database }),
    auth: Object.freeze({
      anonymousPull: s['auth.anonymousPull'] ?? registryConfigDefaults.anonymousPull,
      tokenTtlSeconds: s['auth.tokenTtlSeconds'] ?? registryConfigDefaults.tokenTtlSeconds,
      realm: s['auth.realm'],
      service: s['auth.service'] ?? registryConfigDefaults.service,
    }),
    users: Object.freeze([...(fromFile.users ?? [])]),
    keys: Object.freeze([...(fromFile.keys ?? [])]),
    log: Object.freeze({ level: s['log.level'] ?? registryConfigDefaults.logLevel }),
    adminPassword: s.adminPassword,
  });
}
