/**
 * Path handling shared by the local transports (`dir:`, `oci:`, `oci-archive:`): turning what the user typed
 * into the canonical absolute path used as the policy identity, and validating policy scopes, with the same
 * rules as containers/image.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, join, normalize, resolve } from 'node:path';
import { TransportError, isErrnoCode } from '../errors.js';

/**
 * The absolute, symlink-free, cleaned form of `path`. Every component must exist, except that the last one
 * may be missing (but not be a dangling symlink). Throws `INVALID_REFERENCE` otherwise.
 */
export function resolvePathToFullyExplicit(path: string, transportName: string): string {
  const absolute = resolve(path);
  let exists = true;
  try {
    lstatSync(absolute);
  } catch (err) {
    if (!isErrnoCode(err, 'ENOENT')) throw resolveError(path, transportName, err);
    exists = false;
  }
  try {
    if (exists) return realpathSync(absolute);
    const parent = realpathSync(dirname(absolute));
    return join(parent, basename(absolute));
  } catch (err) {
    throw resolveError(path, transportName, err);
  }
}

function resolveError(path: string, transportName: string, cause: unknown): TransportError {
  const reason = isErrnoCode(cause, 'ENOENT')
    ? exists(dirname(resolve(path)))
      ? 'it is a symbolic link to a missing file'
      : `its parent directory ${dirname(resolve(path))} does not exist`
    : cause instanceof Error
      ? cause.message
      : String(cause);
  return new TransportError('INVALID_REFERENCE', `invalid ${transportName}: reference "${path}": ${reason}`, { cause, path });
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The parent directories of an absolute path, nearest first, without "/" (the `dir:` namespaces). */
export function parentDirectories(resolved: string): string[] {
  const out: string[] = [];
  let current = resolved;
  for (;;) {
    const slash = current.lastIndexOf('/');
    if (slash <= 0) break;
    current = current.slice(0, slash);
    out.push(current);
  }
  return out;
}

/** The path itself and then its parent directories, without "/" (the `oci:` / `oci-archive:` namespaces). */
export function pathAndParentDirectories(resolved: string): string[] {
  return resolved === '/' ? [] : [resolved, ...parentDirectories(resolved)];
}

/**
 * A policy.json scope for a path-based transport: an absolute, cleaned path other than "/" (which would
 * shadow the "" default). Throws `INVALID_REFERENCE`.
 */
export function validatePathScope(scope: string, transportName: string): void {
  if (!scope.startsWith('/')) {
    throw new TransportError('INVALID_REFERENCE', `invalid ${transportName}: policy scope "${scope}": must be an absolute path`);
  }
  if (scope === '/') {
    throw new TransportError('INVALID_REFERENCE', `invalid ${transportName}: policy scope "/": use the default scope "" instead`);
  }
  const cleaned = cleanPath(scope);
  if (cleaned !== scope) {
    throw new TransportError(
      'INVALID_REFERENCE',
      `invalid ${transportName}: policy scope "${scope}": not in canonical form, perhaps try "${cleaned}"`,
    );
  }
}

/** Lexical clean-up like Go's filepath.Clean (no trailing slash, no "." or ".." components, no "//"). */
function cleanPath(path: string): string {
  const n = normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
