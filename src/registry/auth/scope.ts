/**
 * Docker token scopes (`scope` query parameter of the token endpoint, `scope` of a challenge):
 *
 *   scope    := type ":" name ":" action ("," action)*
 *   type     := "repository" | "registry"
 *
 * For `repository`, the name is a repository path (no registry host, so no `:port`) and the actions are the
 * registry's (`pull`, `push`, `delete`, `sign`, `audit`, `admin`) or `*` (all of them). The only `registry`
 * scope is `registry:catalog:*`. One parameter value may hold several scopes separated by spaces, and the
 * parameter may repeat.
 */
import { AuthError } from './errors.js';
import { actions, actionsFor, canPullSomething, isAction, isRepositoryName, type RoleGrant } from './roles.js';

/** One resource and actions on it: a requested scope, or an entry of a token's `access` claim. */
export interface TokenAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

function invalidScope(scope: string, what: string): AuthError {
  return new AuthError('INVALID_SCOPE', `invalid scope ${JSON.stringify(scope.length > 300 ? `${scope.slice(0, 300)}…` : scope)}: ${what}`);
}

/** Parses one scope. Duplicate actions are dropped. Throws `AuthError('INVALID_SCOPE')`. */
export function parseScope(scope: string): TokenAccess {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) throw invalidScope(scope, 'expected <type>:<name>:<actions>');
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const actionList = scope.slice(last + 1);
  if (actionList === '') throw invalidScope(scope, 'no actions');
  const requested = [...new Set(actionList.split(','))];
  if (requested.includes('')) throw invalidScope(scope, 'empty action in the list');
  if (type === 'repository') {
    if (!isRepositoryName(name)) {
      throw invalidScope(scope, `${JSON.stringify(name)} is not a repository name (lowercase path components separated by "/", no registry host)`);
    }
    for (const a of requested) {
      if (a !== '*' && !isAction(a)) throw invalidScope(scope, `unknown action ${JSON.stringify(a)} (expected ${actions.join(', ')} or *)`);
    }
    return { type, name, actions: requested };
  }
  if (type === 'registry') {
    if (name !== 'catalog') throw invalidScope(scope, `unknown registry resource ${JSON.stringify(name)} (expected catalog)`);
    if (requested.length !== 1 || requested[0] !== '*') throw invalidScope(scope, 'the catalog scope takes the action * only');
    return { type, name, actions: requested };
  }
  throw invalidScope(scope, `unknown resource type ${JSON.stringify(type)} (expected repository or registry)`);
}

/**
 * Parses every `scope` parameter value of a request, each holding one or more space-separated scopes.
 * Scopes on the same resource are merged (their actions united), in order of first appearance.
 */
export function parseScopes(values: readonly string[]): TokenAccess[] {
  const merged = new Map<string, { type: string; name: string; actions: Set<string> }>();
  for (const value of values) {
    for (const part of value.split(' ')) {
      if (part === '') continue;
      const s = parseScope(part);
      const key = `${s.type}:${s.name}`;
      const entry = merged.get(key);
      if (entry === undefined) merged.set(key, { type: s.type, name: s.name, actions: new Set(s.actions) });
      else for (const a of s.actions) entry.actions.add(a);
    }
  }
  return [...merged.values()].map((e) => ({ type: e.type, name: e.name, actions: [...e.actions] }));
}

/** A scope as text: `repository:team/app:pull,push`. */
export function formatScope(access: TokenAccess): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}

/**
 * What a token may grant for the requested scopes: each requested resource with the requested actions that
 * `grants` allow (possibly none, as the Docker token spec has it). `*` on a repository is granted only with
 * every action there (admin); `registry:catalog:*` is granted when the user can pull from some repository
 * (the catalog then lists only those).
 */
export function authorizeScopes(grants: readonly RoleGrant[], requested: readonly TokenAccess[]): TokenAccess[] {
  return requested.map((r) => {
    let granted: string[] = [];
    if (r.type === 'repository') {
      const allowed = actionsFor(grants, r.name);
      granted = r.actions.filter((a) => (a === '*' ? allowed.size === actions.length : isAction(a) && allowed.has(a)));
    } else if (r.type === 'registry' && r.name === 'catalog') {
      granted = r.actions.filter((a) => a === '*' && canPullSomething(grants));
    }
    return { type: r.type, name: r.name, actions: granted };
  });
}
