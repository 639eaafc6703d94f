/** `registry user list|add|remove|grant`: administration of a running registry through its /api/v1/ API. */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CoreInputError, limits, readAllCapped } from '../../core/index.js';
import type { GlobalOptions } from '../options.js';
import { readFirstLine } from '../inputs.js';

export interface AdminOptions {
  readonly url?: string;
  readonly creds?: string;
}

async function call(options: AdminOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const base = (options.url ?? process.env['SIGNET_URL'] ?? 'http://127.0.0.1:5000').replace(/\/+$/, '');
  const creds = options.creds ?? process.env['SIGNET_CREDS'];
  if (creds === undefined || !creds.includes(':')) throw new CoreInputError('INVALID_ARGUMENT', 'registry administration needs --creds USER:PASSWORD (or SIGNET_CREDS) of an admin');
  const headers: Record<string, string> = { Authorization: `Basic ${Buffer.from(creds).toString('base64')}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (err) {
    throw new CoreInputError('INVALID_ARGUMENT', `cannot reach the registry at ${base}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`);
  }
  const text = res.body === null ? '' : (await readAllCapped(Readable.fromWeb(res.body as WebReadableStream), limits.smallJsonBytes, 'the registry\'s answer')).toString('utf8');
  if (!res.ok) {
    let message = text;
    try {
      const parsed = JSON.parse(text) as { errors?: { code: string; message: string }[] };
      if (parsed.errors?.[0] !== undefined) message = `${parsed.errors[0].code}: ${parsed.errors[0].message}`;
    } catch {
      // not JSON
    }
    throw new CoreInputError('INVALID_ARGUMENT', `${method} ${path}: ${res.status} ${message}`);
  }
  return text === '' ? undefined : JSON.parse(text);
}

function parseGrants(values: readonly string[]): { repository: string; role: string }[] {
  return values.map((v) => {
    const eq = v.lastIndexOf('=');
    if (eq <= 0) throw new CoreInputError('INVALID_ARGUMENT', `--role ${v}: expected REPOSITORY_PATTERN=ROLE, e.g. "team/*=push"`);
    return { repository: v.slice(0, eq), role: v.slice(eq + 1) };
  });
}

function print(globals: GlobalOptions, value: unknown, text: string): void {
  process.stdout.write(globals.output === 'json' ? JSON.stringify(value) + '\n' : text);
}

interface UserView {
  name: string;
  roles: { repository: string; role: string }[];
}

const describeUser = (u: UserView): string => `${u.name}: ${u.roles.length === 0 ? '(no roles)' : u.roles.map((r) => `${r.role} on ${r.repository}`).join(', ')}\n`;

export async function runUserList(options: AdminOptions, globals: GlobalOptions): Promise<number> {
  const result = (await call(options, 'GET', '/api/v1/users')) as { users: UserView[] };
  print(globals, result, result.users.map(describeUser).join(''));
  return 0;
}

export async function runUserAdd(name: string, options: AdminOptions & { passwordFile?: string; role?: string[] }, globals: GlobalOptions): Promise<number> {
  if (options.passwordFile === undefined) throw new CoreInputError('INVALID_ARGUMENT', 'user add needs --password-file FILE (/dev/stdin for standard input)');
  const password = await readFirstLine(options.passwordFile, 'the password file');
  const result = (await call(options, 'PUT', `/api/v1/users/${encodeURIComponent(name)}`, { password, roles: parseGrants(options.role ?? []) })) as UserView;
  print(globals, result, describeUser(result));
  return 0;
}

export async function runUserRemove(name: string, options: AdminOptions, globals: GlobalOptions): Promise<number> {
  await call(options, 'DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
  print(globals, { name, removed: true }, `removed ${name}\n`);
  return 0;
}

export async function runUserGrant(name: string, grant: string, options: AdminOptions, globals: GlobalOptions): Promise<number> {
  const [parsed] = parseGrants([grant]);
  const result = (await call(options, 'POST', `/api/v1/users/${encodeURIComponent(name)}/roles`, parsed)) as UserView;
  print(globals, result, describeUser(result));
  return 0;
}
