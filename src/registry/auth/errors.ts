/** Errors of the registry's auth module: credentials, scopes, patterns and roles that cannot be used. */
import { CodedError } from '../../core/index.js';

export type AuthErrorCode =
  /** An `Authorization` header that cannot be read (unknown scheme, bad base64, no colon, empty token). */
  | 'UNAUTHORIZED'
  /** A token `scope` that does not follow `type:name:actions`, or names an unknown type or action. */
  | 'INVALID_SCOPE'
  /** A stored password hash that is not `$scrypt$N=…,r=…,p=…$<salt>$<key>` with acceptable parameters. */
  | 'INVALID_PASSWORD_HASH'
  /** A repository pattern that is not `*`, `<repository>/*` or a repository name. */
  | 'INVALID_REPOSITORY_PATTERN'
  /** A role name that is not one of `pull`, `push`, `sign`, `audit`, `admin`. */
  | 'INVALID_ROLE';

/** Malformed auth input. Every code is an input problem: the caller sent or configured something unusable. */
export class AuthError extends CodedError<AuthErrorCode> {
  readonly category = 'input' as const;
}
