/**
 * Which requirements of a policy apply to an image (containers/image `requirementsForImageRef`): the first
 * match wins and nothing is merged — the transport's entry for the exact identity, then each namespace in
 * order (for docker: repository, parent namespaces, host[:port], then `*.example.com` wildcards), then the
 * transport default `""`, then the global `default`.
 */
import type { Policy, Requirement } from './policy.types.js';

/** The image as the policy sees it: transport name and the scopes derived from its reference. */
export interface PolicyImage {
  readonly transport: string;
  /** The most specific scope, e.g. `registry.example.com/ns/app:1.2` or `/srv/images/app`. */
  readonly policyIdentity: string;
  /** Less specific scopes, most specific first. */
  readonly namespaces: readonly string[];
}

/**
 * How specific the policy entry that applied is:
 * - `identity`: `transports[transport][policyIdentity]`;
 * - `namespace`: `transports[transport][namespace]` for one of the namespaces;
 * - `transport`: `transports[transport][""]`, the transport's default;
 * - `default`: the global `default`.
 */
export type ScopeLevel = 'identity' | 'namespace' | 'transport' | 'default';

export interface AppliedRequirements {
  /**
   * The scope key that matched: the identity or namespace itself (e.g. `registry.example.com/ns`), `""` for the
   * transport default, and `"default"` for the global default.
   */
  readonly scope: string;
  readonly level: ScopeLevel;
  readonly requirements: readonly Requirement[];
}

/** The requirements that apply to `image` under `policy` (first match wins, no merging). */
export function requirementsFor(policy: Policy, image: PolicyImage): AppliedRequirements {
  const scopes = policy.transports.get(image.transport);
  if (scopes !== undefined) {
    const exact = scopes.get(image.policyIdentity);
    if (exact !== undefined) return { scope: image.policyIdentity, level: 'identity', requirements: exact };
    for (const ns of image.namespaces) {
      const reqs = scopes.get(ns);
      if (reqs !== undefined) return { scope: ns, level: 'namespace', requirements: reqs };
    }
    const transportDefault = scopes.get('');
    if (transportDefault !== undefined) return { scope: '', level: 'transport', requirements: transportDefault };
  }
  return { scope: 'default', level: 'default', requirements: policy.default };
}
