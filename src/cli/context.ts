/** Turn command-line options into the `SystemContext` the transports take. */
import { CoreInputError } from '../core/index.js';
import type { SystemContext } from '../transports/index.js';
import type { GlobalOptions } from './options.js';

export function parseCreds(value: string, flag: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new CoreInputError('INVALID_ARGUMENT', `${flag}: expected USER:PASSWORD, got "${value.replace(/:.*/, ':…')}"`);
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** Options of one side of a command: `tlsVerify`/`creds` (inspect) or `srcTlsVerify`/`srcCreds` (copy). */
export function systemContext(opts: Record<string, unknown>, globals: GlobalOptions, prefix: '' | 'src' | 'dest' = ''): SystemContext {
  const key = (name: string): string => (prefix === '' ? name.charAt(0).toLowerCase() + name.slice(1) : prefix + name);
  const ctx: { -readonly [K in keyof SystemContext]: SystemContext[K] } = {};
  const tls = opts[key('TlsVerify')];
  if (typeof tls === 'boolean') ctx.tlsVerify = tls;
  const creds = opts[key('Creds')];
  if (typeof creds === 'string') ctx.credentials = parseCreds(creds, prefix === '' ? '--creds' : `--${prefix}-creds`);
  if (globals.authfile !== undefined) ctx.authFile = globals.authfile;
  if (typeof opts['overrideOs'] === 'string') ctx.overrideOS = opts['overrideOs'];
  if (typeof opts['overrideArch'] === 'string') ctx.overrideArch = opts['overrideArch'];
  if (typeof opts['overrideVariant'] === 'string') ctx.overrideVariant = opts['overrideVariant'];
  return ctx;
}
