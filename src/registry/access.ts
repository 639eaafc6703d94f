/**
 * Who is asking, and may they: the Docker bearer-token flow (challenge, `/token`, signed short-lived tokens
 * limited to the granted actions), Basic credentials on any request, and anonymous pull when enabled. Users
 * and their roles live in the metadata database; verified passwords are remembered briefly so a client that
 * sends Basic credentials on every request does not pay for a slow hash each time.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Metadata } from '../store/index.js';
import {
  AuthError,
  anonymousGrants,
  authorizeScopes,
  challenge,
  formatScope,
  grantedActions,
  isRole,
  parseAuthorization,
  parseScopes,
  tokenResponse,
  TokenIssuer,
  verifyPassword,
  type RoleGrant,
  type TokenAccess,
  type TokenResponse,
} from './auth/index.js';
import { RegistryHttpError } from './errors.js';

export interface Principal {
  /** The user name; null for an anonymous client. */
  readonly user: string | null;
  readonly grants: readonly RoleGrant[];
  /** The access a bearer token carries (it limits the grants); undefined for Basic or anonymous. */
  readonly token?: readonly TokenAccess[];
}

export interface AccessOptions {
  readonly anonymousPull: boolean;
  readonly service: string;
  readonly tokenTtlSeconds: number;
  /** The token endpoint to announce; by default `<scheme>://<Host>/token` of the request. */
  readonly realm?: string;
}

const rememberMs = 60_000;

export class AccessControl {
  readonly #meta: Metadata;
  readonly #issuer: TokenIssuer;
  readonly #options: AccessOptions;
  readonly #verified = new Map<string, { at: number; grants: readonly RoleGrant[] }>();

  private constructor(meta: Metadata, issuer: TokenIssuer, options: AccessOptions) {
    this.#meta = meta;
    this.#issuer = issuer;
    this.#options = options;
  }

  /** The token secret is shared through the database, so every instance on it accepts every instance's tokens. */
  static async create(meta: Metadata, options: AccessOptions): Promise<AccessControl> {
    const secret = await meta.saveSettingOnce('token-secret', randomBytes(32).toString('hex'));
    const issuer = new TokenIssuer(Buffer.from(secret, 'hex'), { ttlSeconds: options.tokenTtlSeconds, service: options.service });
    return new AccessControl(meta, issuer, options);
  }

  realm(req: IncomingMessage, secure: boolean): string {
    if (this.#options.realm !== undefined) return this.#options.realm;
    return `${secure ? 'https' : 'http'}://${req.headers.host ?? '127.0.0.1'}/token`;
  }

  async #userGrants(user: string, password: string): Promise<readonly RoleGrant[] | undefined> {
    const key = createHash('sha256').update(`${user}\u0000${password}`).digest('hex');
    const now = Date.now();
    const remembered = this.#verified.get(key);
    if (remembered !== undefined && now - remembered.at < rememberMs) return remembered.grants;
    const record = await this.#meta.findUser(user);
    if (record === undefined || !(await verifyPassword(password, record.passwordHash))) return undefined;
    const grants = record.roles.flatMap((r) => (isRole(r.role) ? [{ repository: r.repository, role: r.role }] : []));
    if (this.#verified.size > 1000) this.#verified.clear();
    this.#verified.set(key, { at: now, grants });
    return grants;
  }

  /** Forget remembered credentials (after a user or role change). */
  forget(): void {
    this.#verified.clear();
  }

  /** The principal behind a request's `Authorization` header, or undefined when the header is wrong. */
  async #principal(req: IncomingMessage): Promise<Principal | undefined> {
    let credentials;
    try {
      credentials = parseAuthorization(req.headers.authorization);
    } catch {
      return undefined;
    }
    const anonymous = anonymousGrants(this.#options.anonymousPull);
    if (credentials === undefined) return { user: null, grants: anonymous };
    if (credentials.kind === 'basic') {
      const grants = await this.#userGrants(credentials.user, credentials.password);
      return grants === undefined ? undefined : { user: credentials.user, grants };
    }
    const claims = this.#issuer.verify(credentials.token);
    if (claims === undefined) return undefined;
    return { user: claims.sub === '' ? null : claims.sub, grants: [], token: claims.access };
  }

  /**
   * The principal, if it may do everything in `needs`; otherwise a 401 with the challenge that leads a Docker
   * client to a token for exactly `needs` (or a 403 when known credentials lack a permission).
   */
  async require(req: IncomingMessage, secure: boolean, needs: readonly TokenAccess[]): Promise<Principal> {
    const principal = await this.#principal(req);
    const challengeHeader = (error?: 'invalid_token' | 'insufficient_scope'): Record<string, string> => ({
      'WWW-Authenticate': challenge({
        realm: this.realm(req, secure),
        service: this.#options.service,
        scope: needs.map(formatScope),
        ...(error === undefined ? {} : { error }),
      }),
    });
    if (principal === undefined) {
      throw new RegistryHttpError('UNAUTHORIZED', 'authentication required: the credentials or token were not accepted', { headers: challengeHeader('invalid_token') });
    }
    const missing = needs.filter((need) => !this.allows(principal, need));
    if (missing.length === 0) return principal;
    const detail = missing.map((m) => ({ Type: m.type, Name: m.name, Action: m.actions.join(',') }));
    if (principal.user === null || principal.token !== undefined) {
      throw new RegistryHttpError('UNAUTHORIZED', `authentication required for ${missing.map(formatScope).join(' ')}`, {
        headers: challengeHeader(principal.token === undefined ? undefined : 'insufficient_scope'),
        detail,
      });
    }
    throw new RegistryHttpError('DENIED', `${principal.user} may not ${missing.map(formatScope).join(' ')}`, { detail });
  }

  /** The roles a user holds now (none for an anonymous client or an unknown user). */
  async grantsOf(principal: Principal): Promise<readonly RoleGrant[]> {
    if (principal.token === undefined) return principal.grants;
    if (principal.user === null) return anonymousGrants(this.#options.anonymousPull);
    const record = await this.#meta.findUser(principal.user);
    return (record?.roles ?? []).flatMap((r) => (isRole(r.role) ? [{ repository: r.repository, role: r.role }] : []));
  }

  /**
   * Permission to store a signature in `repository`. Docker clients ask for tokens scoped `pull,push` (they know
   * no `sign` action), so a token must cover the repository for `push` or `sign`, and the user behind it must
   * hold the `sign` role there; Basic credentials need the `sign` role directly.
   */
  async requireSign(req: IncomingMessage, secure: boolean, repository: string): Promise<Principal> {
    const principal = await this.#principal(req);
    if (principal !== undefined && principal.token !== undefined) {
      const covered =
        this.allows(principal, { type: 'repository', name: repository, actions: ['push'] }) || this.allows(principal, { type: 'repository', name: repository, actions: ['sign'] });
      if (covered) {
        const grants = await this.grantsOf(principal);
        const [authorized] = authorizeScopes(grants, [{ type: 'repository', name: repository, actions: ['sign'] }]);
        if (authorized !== undefined && authorized.actions.includes('sign')) return principal;
        throw new RegistryHttpError('DENIED', `${principal.user ?? 'an anonymous client'} may not sign in ${repository} (the sign role is needed)`, {
          detail: [{ Type: 'repository', Name: repository, Action: 'sign' }],
        });
      }
    }
    return this.require(req, secure, [{ type: 'repository', name: repository, actions: ['sign'] }]);
  }

  /** The 401 that tells a client without credentials where to get a token. */
  challengeAnonymous(req: IncomingMessage, secure: boolean): Promise<never> {
    return Promise.reject(
      new RegistryHttpError('UNAUTHORIZED', 'authentication required', {
        headers: { 'WWW-Authenticate': challenge({ realm: this.realm(req, secure), service: this.#options.service }) },
      }),
    );
  }

  allows(principal: Principal, need: TokenAccess): boolean {
    if (principal.token !== undefined) {
      const claims = { access: principal.token } as Parameters<typeof grantedActions>[0];
      const granted = grantedActions(claims, need.type, need.name);
      return need.actions.every((a) => granted.has(a) || granted.has('*'));
    }
    const [authorized] = authorizeScopes(principal.grants, [need]);
    return authorized !== undefined && need.actions.every((a) => authorized.actions.includes(a));
  }

  /** Whether a principal may pull from a repository (for filtering `_catalog`). */
  canPull(principal: Principal, repository: string): boolean {
    return this.allows(principal, { type: 'repository', name: repository, actions: ['pull'] });
  }

  /** `GET /token`: a token for as much of the requested scope as the client may have. */
  async token(req: IncomingMessage, scopes: readonly string[]): Promise<TokenResponse> {
    let credentials;
    try {
      credentials = parseAuthorization(req.headers.authorization);
    } catch (err) {
      throw new RegistryHttpError('UNAUTHORIZED', err instanceof AuthError ? err.message : 'malformed Authorization header');
    }
    let user: string | null = null;
    let grants: readonly RoleGrant[] = anonymousGrants(this.#options.anonymousPull);
    if (credentials?.kind === 'basic') {
      const found = await this.#userGrants(credentials.user, credentials.password);
      if (found === undefined) throw new RegistryHttpError('UNAUTHORIZED', `wrong user name or password for ${JSON.stringify(credentials.user)}`);
      user = credentials.user;
      grants = found;
    } else if (credentials?.kind === 'bearer') {
      throw new RegistryHttpError('UNAUTHORIZED', 'the token endpoint takes Basic credentials or none');
    }
    let requested: TokenAccess[];
    try {
      requested = parseScopes(scopes);
    } catch (err) {
      throw new RegistryHttpError('INVALID_REQUEST', err instanceof Error ? err.message : 'invalid scope');
    }
    const granted = authorizeScopes(grants, requested).filter((a) => a.actions.length > 0);
    return tokenResponse(this.#issuer.issue(user, granted));
  }
}
