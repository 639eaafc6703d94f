/**
 * Bearer tokens of the Docker token flow: compact JWTs (RFC 7519) signed with HMAC-SHA256, carrying the
 * claims of the Docker token spec:
 *
 *   iss     the issuer (by default the service name)
 *   sub     the user name; "" for an anonymous client
 *   aud     the service name
 *   exp/nbf/iat   seconds since the epoch; nbf = iat, exp = iat + ttl
 *   jti     a random id
 *   access  [{type, name, actions}] — what the bearer may do
 *
 * `verify` accepts only what `issue` produces: header alg HS256, a valid signature (compared in constant
 * time), the right issuer and audience, and a time within [nbf − 60 s, exp + 60 s].
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { actions as allActions } from './roles.js';
import type { TokenAccess } from './scope.js';

export interface TokenClaims {
  readonly iss: string;
  /** The user name; the empty string for an anonymous client. */
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly access: readonly TokenAccess[];
}

export interface IssuedToken {
  readonly token: string;
  /** Seconds the token is valid for. */
  readonly expiresIn: number;
  /** When it was issued, RFC 3339 (UTC, whole seconds). */
  readonly issuedAt: string;
}

export interface TokenIssuerOptions {
  /** How long a token is valid, in whole seconds (at least 1). */
  readonly ttlSeconds: number;
  /** The service name: the tokens' audience. */
  readonly service: string;
  /** The tokens' `iss`; default the service name. */
  readonly issuer?: string;
  /** The clock, in milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
}

/** How far a token's times may be off the verifier's clock. */
export const clockLeewaySeconds = 60;
/** The shortest accepted HMAC secret. */
export const minSecretBytes = 32;

const headerSegment = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const segmentGrammar = /^[A-Za-z0-9_-]+$/;

function decodeSegment(segment: string): Buffer | undefined {
  if (!segmentGrammar.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

function parseJsonObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function readAccess(v: unknown): TokenAccess[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: TokenAccess[] = [];
  for (const item of v as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { type, name, actions } = item as Record<string, unknown>;
    if (typeof type !== 'string' || typeof name !== 'string' || !Array.isArray(actions)) return undefined;
    if (!(actions as unknown[]).every((a) => typeof a === 'string')) return undefined;
    out.push(Object.freeze({ type, name, actions: Object.freeze([...(actions as string[])]) }));
  }
  return out;
}

/** Issues and verifies the registry's bearer tokens with one HMAC secret. */
export class TokenIssuer {
  readonly #secret: Buffer;
  readonly #ttlSeconds: number;
  readonly #service: string;
  readonly #issuer: string;
  readonly #now: () => number;

  /** Throws a `RangeError` for a secret shorter than 32 bytes or a TTL that is not a positive integer. */
  constructor(secret: Uint8Array, options: TokenIssuerOptions) {
    if (secret.length < minSecretBytes) throw new RangeError(`token secret must be at least ${minSecretBytes} bytes, got ${secret.length}`);
    if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds < 1) {
      throw new RangeError(`token ttlSeconds must be a positive integer, got ${options.ttlSeconds}`);
    }
    this.#secret = Buffer.from(secret);
    this.#ttlSeconds = options.ttlSeconds;
    this.#service = options.service;
    this.#issuer = options.issuer ?? options.service;
    this.#now = options.now ?? Date.now;
  }

  #sign(signingInput: string): Buffer {
    return createHmac('sha256', this.#secret).update(signingInput, 'ascii').digest();
  }

  /** A token for `subject` (null: anonymous) allowing `access`. */
  issue(subject: string | null, access: readonly TokenAccess[]): IssuedToken {
    const iat = Math.floor(this.#now() / 1000);
    const claims: TokenClaims = {
      iss: this.#issuer,
      sub: subject ?? '',
      aud: this.#service,
      exp: iat + this.#ttlSeconds,
      nbf: iat,
      iat,
      jti: randomBytes(16).toString('base64url'),
      access: access.map((a) => ({ type: a.type, name: a.name, actions: [...a.actions] })),
    };
    const signingInput = `${headerSegment}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const token = `${signingInput}.${this.#sign(signingInput).toString('base64url')}`;
    return { token, expiresIn: this.#ttlSeconds, issuedAt: rfc3339(iat) };
  }

  /** The claims of a valid token; undefined for anything this issuer did not sign, or that is not valid now. */
  verify(token: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [headerText, payloadText, signatureText] = parts as [string, string, string];
    const headerBytes = decodeSegment(headerText);
    const payloadBytes = decodeSegment(payloadText);
    const signature = decodeSegment(signatureText);
    if (headerBytes === undefined || payloadBytes === undefined || signature === undefined) return undefined;
    const header = parseJsonObject(headerBytes);
    if (header === undefined || header.alg !== 'HS256' || (header.typ !== undefined && header.typ !== 'JWT') || header.crit !== undefined) return undefined;
    const expected = this.#sign(`${headerText}.${payloadText}`);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;

    const p = parseJsonObject(payloadBytes);
    if (p === undefined) return undefined;
    const { iss, sub, aud, exp, nbf, iat, jti } = p;
    if (iss !== this.#issuer || typeof sub !== 'string' || typeof jti !== 'string') return undefined;
    if (!(aud === this.#service || (Array.isArray(aud) && (aud as unknown[]).includes(this.#service)))) return undefined;
    if (!isTime(exp) || !isTime(nbf) || !isTime(iat)) return undefined;
    const access = readAccess(p.access);
    if (access === undefined) return undefined;
    const now = Math.floor(this.#now() / 1000);
    if (now > exp + clockLeewaySeconds || now < nbf - clockLeewaySeconds) return undefined;
    return Object.freeze({ iss, sub, aud: this.#service, exp, nbf, iat, jti, access: Object.freeze(access) });
  }
}

/** Seconds since the epoch as RFC 3339 in UTC: `2024-05-01T12:00:00Z`. */
function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The actions a token grants on one resource (`type` `repository` with a repository name, or `registry` /
 * `catalog`). `*` grants every registry action; it stays in the set as well.
 */
export function grantedActions(claims: TokenClaims, type: string, name: string): Set<string> {
  const out = new Set<string>();
  for (const entry of claims.access) {
    if (entry.type !== type || entry.name !== name) continue;
    for (const a of entry.actions) {
      out.add(a);
      if (a === '*') for (const every of allActions) out.add(every);
    }
  }
  return out;
}

/** The token endpoint's JSON body (Docker token spec; `access_token` for OAuth 2 clients). */
export interface TokenResponse {
  readonly token: string;
  readonly access_token: string;
  readonly expires_in: number;
  readonly issued_at: string;
}

export function tokenResponse(issued: IssuedToken): TokenResponse {
  return { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt };
}
