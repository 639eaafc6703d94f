/**
 * The HTTP side of authentication: reading an `Authorization` header (RFC 7617 Basic, RFC 6750 Bearer) and
 * writing `WWW-Authenticate` challenges (RFC 7235; the Docker token flow's `Bearer realm=…,service=…,scope=…`).
 */
import { AuthError } from './errors.js';

export type Credentials =
  | { readonly kind: 'basic'; readonly user: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

const base64Grammar = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** RFC 6750 b64token (token68). */
const token68Grammar = /^[A-Za-z0-9\-._~+/]+=*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;
/** Control characters other than tab. */
// eslint-disable-next-line no-control-regex
const headerControlCharacters = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function unauthorized(what: string): AuthError {
  return new AuthError('UNAUTHORIZED', `invalid Authorization header: ${what}`);
}

/**
 * Reads an `Authorization` header. Absent (or blank) → undefined; `Basic <base64(user:password)>` → the user
 * (before the first colon) and password; `Bearer <token>` → the token. The scheme is case-insensitive.
 * Anything else throws `AuthError('UNAUTHORIZED')` saying what is wrong; the message never repeats the
 * credentials.
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  const space = text.search(/[ \t]/);
  const scheme = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  const rest = space < 0 ? '' : text.slice(space).trim();
  if (scheme === 'basic') {
    if (rest === '') throw unauthorized('Basic credentials are missing');
    if (!base64Grammar.test(rest)) throw unauthorized('Basic credentials are not base64');
    let decoded: string;
    try {
      decoded = utf8.decode(Buffer.from(rest, 'base64'));
    } catch {
      throw unauthorized('Basic credentials are not UTF-8');
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) throw unauthorized('Basic credentials have no ":" between user and password');
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    if (user === '') throw unauthorized('the Basic user name is empty');
    if (controlCharacters.test(user) || controlCharacters.test(password)) throw unauthorized('Basic credentials contain control characters');
    return { kind: 'basic', user, password };
  }
  if (scheme === 'bearer') {
    if (rest === '') throw unauthorized('the Bearer token is missing');
    if (!token68Grammar.test(rest)) throw unauthorized('the Bearer token contains characters a token cannot have');
    return { kind: 'bearer', token: rest };
  }
  throw unauthorized(`unsupported scheme ${JSON.stringify(scheme.slice(0, 32))} (expected Basic or Bearer)`);
}

/** A `quoted-string` (RFC 7230 §3.2.6): `"` and `\` escaped; control characters are refused. */
function quote(name: string, value: string): string {
  if (headerControlCharacters.test(value)) {
    throw new TypeError(`WWW-Authenticate ${name} must not contain control characters`);
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface BearerChallenge {
  /** The token endpoint's URL. */
  readonly realm: string;
  /** The service name the token must be issued for (its `aud`). */
  readonly service: string;
  /** The scope(s) the request needs, e.g. `repository:team/app:pull,push`; several are joined by spaces. */
  readonly scope?: string | readonly string[];
  /** `invalid_token`, `insufficient_scope` or `invalid_request` (RFC 6750 §3.1). */
  readonly error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
}

/** The `WWW-Authenticate` value asking for a bearer token: `Bearer realm="…",service="…",scope="…"`. */
export function challenge(c: BearerChallenge): string {
  const params = [`realm=${quote('realm', c.realm)}`, `service=${quote('service', c.service)}`];
  const scope = typeof c.scope === 'string' ? c.scope : c.scope?.join(' ');
  if (scope !== undefined && scope !== '') params.push(`scope=${quote('scope', scope)}`);
  if (c.error !== undefined) params.push(`error=${quote('error', c.error)}`);
  return `Bearer ${params.join(',')}`;
}

/** The `WWW-Authenticate` value asking for Basic credentials: `Basic realm="…",charset="UTF-8"`. */
export function basicChallenge(realm: string): string {
  return `Basic realm=${quote('realm', realm)},charset="UTF-8"`;
}
