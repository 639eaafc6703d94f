/**
 * Roles, registry actions and repository patterns: what a user may do in a repository.
 *
 * A user holds grants `{repository: pattern, role}`. A role stands for a set of actions:
 *
 *   pull  → pull              audit → pull, audit
 *   push  → pull, push        admin → every action, delete included
 *   sign  → pull, sign
 *
 * A pattern is `*` (every repository), `<prefix>/*` (every repository below `<prefix>`, at any depth, but not
 * `<prefix>` itself) or a repository name (that repository only). The actions in a repository are the union
 * over every grant whose pattern matches it.
 */
import { AuthError } from './errors.js';

export const roles = ['pull', 'push', 'sign', 'audit', 'admin'] as const;
export type Role = (typeof roles)[number];

export const actions = ['pull', 'push', 'delete', 'sign', 'audit', 'admin'] as const;
export type Action = (typeof actions)[number];

/** One grant of a role on the repositories a pattern matches. */
export interface RoleGrant {
  readonly repository: string;
  readonly role: Role;
}

const roleActions: { readonly [R in Role]: readonly Action[] } = {
  pull: ['pull'],
  push: ['pull', 'push'],
  sign: ['pull', 'sign'],
  audit: ['pull', 'audit'],
  admin: actions,
};

/** The actions a role stands for. */
export function roleActionsOf(role: Role): readonly Action[] {
  return roleActions[role];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (actions as readonly string[]).includes(value);
}

/** Checks a role name. Throws `AuthError('INVALID_ROLE')`. */
export function parseRole(value: string): Role {
  if (isRole(value)) return value;
  throw new AuthError('INVALID_ROLE', `invalid role ${JSON.stringify(value)}: expected one of ${roles.join(', ')}`);
}

const componentGrammar = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const maxRepositoryLength = 255;

/**
 * Whether `name` is a repository name as the distribution spec writes it: lowercase components joined by
 * `/`, each `[a-z0-9]+` with single `.`, `_`, `__` or runs of `-` between, at most 255 characters in all.
 */
export function isRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= maxRepositoryLength && name.split('/').every((c) => componentGrammar.test(c));
}

/** A parsed repository pattern. */
export type RepositoryPattern =
  | { readonly kind: 'any' }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'exact'; readonly repository: string };

/** Parses `*`, `<prefix>/*` or a repository name. Throws `AuthError('INVALID_REPOSITORY_PATTERN')`. */
export function parseRepositoryPattern(pattern: string): RepositoryPattern {
  if (pattern === '*') return { kind: 'any' };
  const prefix = pattern.endsWith('/*') ? pattern.slice(0, -2) : undefined;
  const name = prefix ?? pattern;
  if (!isRepositoryName(name)) {
    const what = prefix !== undefined ? `the prefix ${JSON.stringify(prefix)} is not a repository name` : 'expected "*", "<repository>/*" or a repository name';
    throw new AuthError('INVALID_REPOSITORY_PATTERN', `invalid repository pattern ${JSON.stringify(pattern)}: ${what}`);
  }
  return prefix !== undefined ? { kind: 'prefix', prefix } : { kind: 'exact', repository: pattern };
}

/** Whether a pattern (text or parsed) matches `repository`. Text that is not a valid pattern matches nothing. */
export function patternMatches(pattern: string | RepositoryPattern, repository: string): boolean {
  let p: RepositoryPattern;
  if (typeof pattern === 'string') {
    try {
      p = parseRepositoryPattern(pattern);
    } catch {
      return false;
    }
  } else {
    p = pattern;
  }
  switch (p.kind) {
    case 'any':
      return true;
    case 'prefix':
      return repository.startsWith(`${p.prefix}/`) && repository.length > p.prefix.length + 1;
    case 'exact':
      return repository === p.repository;
  }
}

/** The actions `grants` allow in `repository`. */
export function actionsFor(grants: readonly RoleGrant[], repository: string): Set<Action> {
  const out = new Set<Action>();
  for (const grant of grants) {
    if (patternMatches(grant.repository, repository)) {
      for (const action of roleActions[grant.role]) out.add(action);
    }
  }
  return out;
}

/** Whether `grants` allow `action` in `repository`. */
export function isAllowed(grants: readonly RoleGrant[], repository: string, action: Action): boolean {
  return actionsFor(grants, repository).has(action);
}

/**
 * Whether `grants` allow pulling from at least one repository, i.e. whether `_catalog` can list anything for
 * this user (every role includes pull). Filter the catalog with `repositoryFilter`.
 */
export function canPullSomething(grants: readonly RoleGrant[]): boolean {
  return grants.some((g) => isValidPattern(g.repository));
}

function isValidPattern(pattern: string): boolean {
  try {
    parseRepositoryPattern(pattern);
    return true;
  } catch {
    return false;
  }
}

/** A predicate on repository names: whether `grants` allow `action` there (default `pull`, for `_catalog`). */
export function repositoryFilter(grants: readonly RoleGrant[], action: Action = 'pull'): (repository: string) => boolean {
  const patterns: RepositoryPattern[] = [];
  for (const grant of grants) {
    if (!roleActions[grant.role].includes(action)) continue;
    try {
      patterns.push(parseRepositoryPattern(grant.repository));
    } catch {
      // An invalid pattern matches nothing.
    }
  }
  return (repository) => patterns.some((p) => patternMatches(p, repository));
}

/** Whether `grants` include `admin` on some repository (not necessarily all). */
export function isAdminAnywhere(grants: readonly RoleGrant[]): boolean {
  return grants.some((g) => g.role === 'admin' && isValidPattern(g.repository));
}

/**
 * Whether `grants` include `admin` on `*`: registry-wide operations (invalidating a key's signatures in every
 * repository, GC) need it.
 */
export function isAdminEverywhere(grants: readonly RoleGrant[]): boolean {
  return grants.some((g) => g.role === 'admin' && g.repository === '*');
}

/** The grants of a client that sent no credentials: pull everywhere when anonymous pull is on, else nothing. */
export function anonymousGrants(anonymousPull: boolean): readonly RoleGrant[] {
  return anonymousPull ? [{ repository: '*', role: 'pull' }] : [];
}
