/**
 * Docker image references (`[domain/]path[:tag][@digest]`), parsed and normalised with the semantics of
 * distribution's `reference` package, and the policy scopes containers/image derives from them.
 *
 * Grammar (after normalisation every reference has a domain):
 *
 *   reference := name [":" tag] ["@" digest]
 *   name      := [domain "/"] path
 *   domain    := host [":" port]
 *   host      := label ("." label)* | "[" ipv6-hex-and-colons "]"
 *   label     := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   port      := [0-9]+
 *   path      := component ("/" component)*          at most 255 characters
 *   component := [a-z0-9]+ (separator [a-z0-9]+)*
 *   separator := "." | "_" | "__" | "-"+
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    := see parseDigest
 *
 * Normalisation of the part before the first "/": it names the registry when it is "localhost", contains a
 * "." or a ":", or contains an uppercase letter; otherwise the name is on Docker Hub ("docker.io"), and a
 * single-component Docker Hub path gets the "library/" namespace. "index.docker.io" becomes "docker.io".
 */
import { parseDigest, type Digest } from './digest.js';
import { CoreInputError } from './errors.js';

export interface DockerReference {
  /** The registry: "docker.io", "localhost:5000", "[::1]:5000". Never empty. */
  readonly domain: string;
  /** The repository path within the registry: "library/busybox". */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: Digest | undefined;
}

const defaultDomain = 'docker.io';
const legacyDefaultDomain = 'index.docker.io';
const officialRepoPrefix = 'library/';
const defaultTag = 'latest';
const maxPathLength = 255;

const identifierGrammar = /^[a-f0-9]{64}$/;
const tagGrammar = /^\w[\w.-]{0,127}$/;
const pathComponentGrammar = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainLabelGrammar = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const ipv6Grammar = /^\[[a-fA-F0-9:]+\]$/;
const portGrammar = /^[0-9]+$/;

function invalid(input: string, violation: string): CoreInputError {
  return new CoreInputError('INVALID_REFERENCE', `invalid reference ${JSON.stringify(input)}: ${violation}`);
}

function make(domain: string, path: string, tag: string | undefined, digest: Digest | undefined): DockerReference {
  return Object.freeze({ domain, path, tag, digest });
}

/** Returns a description of what is wrong with `domain`, or undefined when it is a valid registry domain. */
function domainViolation(domain: string): string | undefined {
  let host: string;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close < 0) return `registry domain ${JSON.stringify(domain)} has an unterminated IPv6 address`;
    host = domain.slice(0, close + 1);
    const after = domain.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return `registry domain ${JSON.stringify(domain)} has text after the IPv6 address`;
      port = after.slice(1);
    }
    if (!ipv6Grammar.test(host)) {
      return `registry domain ${JSON.stringify(domain)}: an IPv6 address may contain only hex digits and ":" (no zone, no embedded IPv4)`;
    }
  } else {
    const colon = domain.indexOf(':');
    host = colon < 0 ? domain : domain.slice(0, colon);
    port = colon < 0 ? undefined : domain.slice(colon + 1);
    if (host === '') return `registry domain ${JSON.stringify(domain)} has an empty host name`;
    for (const label of host.split('.')) {
      if (!domainLabelGrammar.test(label)) {
        return `registry domain ${JSON.stringify(domain)} is not a valid host name (label ${JSON.stringify(label)}: letters, digits and inner "-" only; IPv6 addresses need brackets)`;
      }
    }
  }
  if (port !== undefined && !portGrammar.test(port)) {
    return `registry domain ${JSON.stringify(domain)} has an invalid port ${JSON.stringify(port)} (digits only)`;
  }
  return undefined;
}

/** Returns a description of what is wrong with `path`, or undefined when it is a valid repository path. */
function pathViolation(path: string): string | undefined {
  if (path.toLowerCase() !== path) return `repository name must be lowercase (got ${JSON.stringify(path)})`;
  for (const component of path.split('/')) {
    if (component === '') return `repository name ${JSON.stringify(path)} has an empty path component`;
    if (!pathComponentGrammar.test(component)) {
      return `path component ${JSON.stringify(component)} is not valid (lowercase letters and digits, joined by ".", "_", "__" or dashes)`;
    }
  }
  if (path.length > maxPathLength) {
    return `repository name must not be more than ${maxPathLength} characters (got ${path.length})`;
  }
  return undefined;
}

function isValidTag(tag: string): boolean {
  return tagGrammar.test(tag);
}

function tagViolation(tag: string): string {
  if (tag === '') return 'invalid tag "": a tag must not be empty';
  return `invalid tag ${JSON.stringify(tag)}: a tag is 1 to 128 of [A-Za-z0-9_.-] and must not start with "." or "-"`;
}

/**
 * Splits the name part (no tag or digest) into the registry domain and the repository path, applying Docker's
 * normalisation (as `splitDockerDomain` upstream).
 */
function splitDockerDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  let domain: string;
  let path: string;
  if (slash < 0) {
    domain = defaultDomain;
    path = name;
  } else {
    const first = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (first === 'localhost') {
      domain = first;
      path = rest;
    } else if (first === legacyDefaultDomain) {
      domain = defaultDomain;
      path = rest;
    } else if (first.includes('.') || first.includes(':') || first.toLowerCase() !== first) {
      domain = first;
      path = rest;
    } else {
      domain = defaultDomain;
      path = name;
    }
  }
  if (domain === defaultDomain && !path.includes('/')) path = officialRepoPrefix + path;
  return { domain, path };
}

/**
 * Parses a reference as users type it ("busybox", "foo/bar:1", "quay.io/x/y@sha256:…") into its fully
 * qualified form ("docker.io/library/busybox"), like `ParseNormalizedNamed`.
 *
 * Throws `INVALID_REFERENCE`, or `INVALID_DIGEST` / `UNSUPPORTED_DIGEST_ALGORITHM` for a malformed or
 * unsupported digest after "@".
 */
export function parseNormalizedNamed(s: string): DockerReference {
  if (s === '') throw invalid(s, 'reference is empty');
  if (identifierGrammar.test(s)) {
    throw invalid(s, 'a repository name cannot be a 64-character hexadecimal identifier');
  }

  const at = s.indexOf('@');
  const nameAndTag = at < 0 ? s : s.slice(0, at);
  const digestText = at < 0 ? undefined : s.slice(at + 1);

  // A tag follows the last ":" that has no "/" after it; any other ":" belongs to the domain's port.
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon >= 0 && !nameAndTag.includes('/', colon);
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;

  if (name === '') throw invalid(s, 'repository name must have at least one component');
  const { domain, path } = splitDockerDomain(name);

  const domainProblem = domainViolation(domain);
  if (domainProblem !== undefined) throw invalid(s, domainProblem);
  const pathProblem = pathViolation(path);
  if (pathProblem !== undefined) throw invalid(s, pathProblem);
  if (tag !== undefined && !isValidTag(tag)) throw invalid(s, tagViolation(tag));
  const digest = digestText === undefined ? undefined : parseDigest(digestText, `invalid reference ${JSON.stringify(s)}: digest`);

  return make(domain, path, tag, digest);
}

/**
 * Parses a reference that must already be in canonical form ("docker.io/library/busybox:latest", not
 * "busybox:latest"), like `ParseNamed`. Throws `INVALID_REFERENCE` for anything else.
 */
export function parseNamed(s: string): DockerReference {
  const ref = parseNormalizedNamed(s);
  const canonical = referenceString(ref);
  if (canonical !== s) {
    throw invalid(s, `repository name must be canonical (the canonical form is ${JSON.stringify(canonical)})`);
  }
  return ref;
}

/** The fully qualified repository name: "docker.io/library/busybox". */
export function referenceName(r: DockerReference): string {
  return `${r.domain}/${r.path}`;
}

function withSuffixes(name: string, r: DockerReference): string {
  let s = name;
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/** The fully qualified reference: name[:tag][@digest]. */
export function referenceString(r: DockerReference): string {
  return withSuffixes(referenceName(r), r);
}

/** The name as Docker shows it: "docker.io/library/busybox" → "busybox", "docker.io/foo/bar" → "foo/bar". */
export function familiarName(r: DockerReference): string {
  if (r.domain !== defaultDomain) return referenceName(r);
  if (r.path.startsWith(officialRepoPrefix)) {
    const rest = r.path.slice(officialRepoPrefix.length);
    // Only single-component official names are shortened; "library/a/b" keeps its namespace.
    if (!rest.includes('/')) return rest;
  }
  return r.path;
}

/** The reference as Docker shows it: familiar name[:tag][@digest]. */
export function familiarString(r: DockerReference): string {
  return withSuffixes(familiarName(r), r);
}

/** True when the reference has neither a tag nor a digest. */
export function isNameOnly(r: DockerReference): boolean {
  return r.tag === undefined && r.digest === undefined;
}

/** Adds the tag "latest" to a name-only reference; returns any other reference unchanged. */
export function tagNameOnly(r: DockerReference): DockerReference {
  return isNameOnly(r) ? make(r.domain, r.path, defaultTag, undefined) : r;
}

/** The same repository with `tag` and no digest. Throws `INVALID_REFERENCE` for an invalid tag. */
export function withTag(r: DockerReference, tag: string): DockerReference {
  if (!isValidTag(tag)) throw new CoreInputError('INVALID_REFERENCE', tagViolation(tag));
  return make(r.domain, r.path, tag, undefined);
}

/** The same repository and tag with `digest`. Throws `INVALID_DIGEST` / `UNSUPPORTED_DIGEST_ALGORITHM`. */
export function withDigest(r: DockerReference, digest: Digest): DockerReference {
  return make(r.domain, r.path, r.tag, parseDigest(digest));
}

/**
 * The most specific policy scope for the reference: "docker.io/library/busybox:latest" or
 * "quay.io/x/y@sha256:…"; the bare name for a name-only reference. A reference with both a tag and a
 * digest has no single identity (containers/image refuses such references): throws `INVALID_REFERENCE`.
 */
export function policyConfigurationIdentity(r: DockerReference): string {
  if (r.tag !== undefined && r.digest !== undefined) {
    throw new CoreInputError(
      'INVALID_REFERENCE',
      `reference ${JSON.stringify(referenceString(r))} has both a tag and a digest; a policy identity needs exactly one`,
    );
  }
  return referenceString(r);
}

/**
 * The less specific policy scopes to search after the identity, most specific first: the repository, each
 * parent namespace, the domain (with its port), then "*.example.com"-style wildcards from the host name
 * with the port removed. As containers/image: none for "localhost" or bracketed IPv6 hosts; an IPv4 host
 * does produce wildcards ("127.0.0.1" → "*.0.0.1", "*.0.1", "*.1").
 */
export function policyConfigurationNamespaces(r: DockerReference): string[] {
  const result: string[] = [];
  let name = referenceName(r);
  for (;;) {
    result.push(name);
    const lastSlash = name.lastIndexOf('/');
    if (lastSlash < 0) break;
    name = name.slice(0, lastSlash);
  }
  // `name` is now the domain. Everything from the first ":" goes, which for "[::1]:5000" leaves "[".
  const colon = name.indexOf(':');
  if (colon >= 0) name = name.slice(0, colon);
  for (;;) {
    const dot = name.indexOf('.');
    if (dot < 0) break;
    name = name.slice(dot + 1);
    result.push(`*.${name}`);
  }
  return result;
}
