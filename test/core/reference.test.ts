import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigest, type Digest } from '../../src/core/digest.js';
import {
  familiarName,
  familiarString,
  isNameOnly,
  parseNamed,
  parseNormalizedNamed,
  policyConfigurationIdentity,
  policyConfigurationNamespaces,
  referenceName,
  referenceString,
  tagNameOnly,
  withDigest,
  withTag,
  type DockerReference,
} from '../../src/core/reference.js';
import { expectCode } from '../helpers/expect-code.js';

const hex256 = '0123456789abcdef'.repeat(4);
const sha256 = `sha256:${hex256}`;
const otherSha256 = `sha256:${'9'.repeat(64)}`;
const sha512 = `sha512:${'fedcba9876543210'.repeat(8)}`;
const long = (n: number, c = 'a'): string => c.repeat(n);

interface ValidCase {
  readonly input: string;
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
  /** The fully qualified string form. */
  readonly canonical: string;
  readonly familiar: string;
  /** The familiar form is a bare 64-hex string, which the parser refuses. */
  readonly familiarRefused?: true;
}

const valid: ValidCase[] = [
  // Docker Hub short names and their expansions.
  { input: 'alpine', domain: 'docker.io', path: 'library/alpine', canonical: 'docker.io/library/alpine', familiar: 'alpine' },
  { input: 'alpine:3.19', domain: 'docker.io', path: 'library/alpine', tag: '3.19', canonical: 'docker.io/library/alpine:3.19', familiar: 'alpine:3.19' },
  { input: 'x', domain: 'docker.io', path: 'library/x', canonical: 'docker.io/library/x', familiar: 'x' },
  { input: 'library/alpine', domain: 'docker.io', path: 'library/alpine', canonical: 'docker.io/library/alpine', familiar: 'alpine' },
  { input: 'docker.io/alpine', domain: 'docker.io', path: 'library/alpine', canonical: 'docker.io/library/alpine', familiar: 'alpine' },
  { input: 'docker.io/library/alpine:edge', domain: 'docker.io', path: 'library/alpine', tag: 'edge', canonical: 'docker.io/library/alpine:edge', familiar: 'alpine:edge' },
  { input: 'index.docker.io/alpine', domain: 'docker.io', path: 'library/alpine', canonical: 'docker.io/library/alpine', familiar: 'alpine' },
  { input: 'index.docker.io/acme/tool:v1', domain: 'docker.io', path: 'acme/tool', tag: 'v1', canonical: 'docker.io/acme/tool:v1', familiar: 'acme/tool:v1' },
  { input: 'acme/tool', domain: 'docker.io', path: 'acme/tool', canonical: 'docker.io/acme/tool', familiar: 'acme/tool' },
  { input: 'acme/team/tool:1.0', domain: 'docker.io', path: 'acme/team/tool', tag: '1.0', canonical: 'docker.io/acme/team/tool:1.0', familiar: 'acme/team/tool:1.0' },
  // Only a single-component official name loses "library/".
  { input: 'docker.io/library/sub/app', domain: 'docker.io', path: 'library/sub/app', canonical: 'docker.io/library/sub/app', familiar: 'library/sub/app' },
  { input: '0/1', domain: 'docker.io', path: '0/1', canonical: 'docker.io/0/1', familiar: '0/1' },
  // A first component without ".", ":" or uppercase is a Docker Hub namespace, even if it looks like a host.
  { input: 'registry/app', domain: 'docker.io', path: 'registry/app', canonical: 'docker.io/registry/app', familiar: 'registry/app' },
  { input: 'notlocalhost/app', domain: 'docker.io', path: 'notlocalhost/app', canonical: 'docker.io/notlocalhost/app', familiar: 'notlocalhost/app' },
  // Without a "/", a host-like name is a Docker Hub repository and ":N" is a tag.
  { input: 'localhost', domain: 'docker.io', path: 'library/localhost', canonical: 'docker.io/library/localhost', familiar: 'localhost' },
  { input: 'localhost:5000', domain: 'docker.io', path: 'library/localhost', tag: '5000', canonical: 'docker.io/library/localhost:5000', familiar: 'localhost:5000' },
  { input: 'example.com', domain: 'docker.io', path: 'library/example.com', canonical: 'docker.io/library/example.com', familiar: 'example.com' },
  { input: 'example.com:443', domain: 'docker.io', path: 'library/example.com', tag: '443', canonical: 'docker.io/library/example.com:443', familiar: 'example.com:443' },
  { input: '10.0.0.1', domain: 'docker.io', path: 'library/10.0.0.1', canonical: 'docker.io/library/10.0.0.1', familiar: '10.0.0.1' },
  { input: 'my_app.v2:1', domain: 'docker.io', path: 'library/my_app.v2', tag: '1', canonical: 'docker.io/library/my_app.v2:1', familiar: 'my_app.v2:1' },
  // Other registries keep their domain; single-component paths get no "library/".
  { input: 'quay.io/coreos/etcd:v3.5.0', domain: 'quay.io', path: 'coreos/etcd', tag: 'v3.5.0', canonical: 'quay.io/coreos/etcd:v3.5.0', familiar: 'quay.io/coreos/etcd:v3.5.0' },
  { input: 'ghcr.io/app', domain: 'ghcr.io', path: 'app', canonical: 'ghcr.io/app', familiar: 'ghcr.io/app' },
  { input: 'localhost/app', domain: 'localhost', path: 'app', canonical: 'localhost/app', familiar: 'localhost/app' },
  { input: 'localhost:5000/app:dev', domain: 'localhost:5000', path: 'app', tag: 'dev', canonical: 'localhost:5000/app:dev', familiar: 'localhost:5000/app:dev' },
  { input: 'registry:5000/app', domain: 'registry:5000', path: 'app', canonical: 'registry:5000/app', familiar: 'registry:5000/app' },
  { input: 'registry.example.org:0/ns/app', domain: 'registry.example.org:0', path: 'ns/app', canonical: 'registry.example.org:0/ns/app', familiar: 'registry.example.org:0/ns/app' },
  { input: 'my-registry.local:5000/a/b/c/d:e', domain: 'my-registry.local:5000', path: 'a/b/c/d', tag: 'e', canonical: 'my-registry.local:5000/a/b/c/d:e', familiar: 'my-registry.local:5000/a/b/c/d:e' },
  { input: 'xn--bcher-kva.example/app', domain: 'xn--bcher-kva.example', path: 'app', canonical: 'xn--bcher-kva.example/app', familiar: 'xn--bcher-kva.example/app' },
  // Uppercase is allowed in the domain, and an uppercase first component is taken as a domain.
  { input: 'REGISTRY/app', domain: 'REGISTRY', path: 'app', canonical: 'REGISTRY/app', familiar: 'REGISTRY/app' },
  { input: 'Mixed.Case.Example/app:T', domain: 'Mixed.Case.Example', path: 'app', tag: 'T', canonical: 'Mixed.Case.Example/app:T', familiar: 'Mixed.Case.Example/app:T' },
  // IPv4 and bracketed IPv6 hosts.
  { input: '10.0.0.1/app', domain: '10.0.0.1', path: 'app', canonical: '10.0.0.1/app', familiar: '10.0.0.1/app' },
  { input: '10.0.0.1:5000/team/app:t', domain: '10.0.0.1:5000', path: 'team/app', tag: 't', canonical: '10.0.0.1:5000/team/app:t', familiar: '10.0.0.1:5000/team/app:t' },
  { input: '[::1]/app', domain: '[::1]', path: 'app', canonical: '[::1]/app', familiar: '[::1]/app' },
  { input: '[::1]:5000/app:v', domain: '[::1]:5000', path: 'app', tag: 'v', canonical: '[::1]:5000/app:v', familiar: '[::1]:5000/app:v' },
  { input: `[2001:DB8:0:0:0:0:0:1]:443/x/y@${sha256}`, domain: '[2001:DB8:0:0:0:0:0:1]:443', path: 'x/y', digest: sha256, canonical: `[2001:DB8:0:0:0:0:0:1]:443/x/y@${sha256}`, familiar: `[2001:DB8:0:0:0:0:0:1]:443/x/y@${sha256}` },
  // Separators in path components.
  { input: 'a.b-c.d/x--y/z__w:tag', domain: 'a.b-c.d', path: 'x--y/z__w', tag: 'tag', canonical: 'a.b-c.d/x--y/z__w:tag', familiar: 'a.b-c.d/x--y/z__w:tag' },
  { input: 'acme/x.y_z-w', domain: 'docker.io', path: 'acme/x.y_z-w', canonical: 'docker.io/acme/x.y_z-w', familiar: 'acme/x.y_z-w' },
  { input: 'acme/a---b', domain: 'docker.io', path: 'acme/a---b', canonical: 'docker.io/acme/a---b', familiar: 'acme/a---b' },
  // Tags.
  { input: 'app:Tag_With.UPPER-1', domain: 'docker.io', path: 'library/app', tag: 'Tag_With.UPPER-1', canonical: 'docker.io/library/app:Tag_With.UPPER-1', familiar: 'app:Tag_With.UPPER-1' },
  { input: 'app:_x', domain: 'docker.io', path: 'library/app', tag: '_x', canonical: 'docker.io/library/app:_x', familiar: 'app:_x' },
  { input: `app:${long(128, 't')}`, domain: 'docker.io', path: 'library/app', tag: long(128, 't'), canonical: `docker.io/library/app:${long(128, 't')}`, familiar: `app:${long(128, 't')}` },
  // Digests, alone and with a tag.
  { input: `alpine@${sha256}`, domain: 'docker.io', path: 'library/alpine', digest: sha256, canonical: `docker.io/library/alpine@${sha256}`, familiar: `alpine@${sha256}` },
  { input: `alpine:3@${sha256}`, domain: 'docker.io', path: 'library/alpine', tag: '3', digest: sha256, canonical: `docker.io/library/alpine:3@${sha256}`, familiar: `alpine:3@${sha256}` },
  { input: `registry.example.org:8443/ns/app@${sha256}`, domain: 'registry.example.org:8443', path: 'ns/app', digest: sha256, canonical: `registry.example.org:8443/ns/app@${sha256}`, familiar: `registry.example.org:8443/ns/app@${sha256}` },
  { input: `registry.example.org:8443/ns/app:1.2@${sha256}`, domain: 'registry.example.org:8443', path: 'ns/app', tag: '1.2', digest: sha256, canonical: `registry.example.org:8443/ns/app:1.2@${sha256}`, familiar: `registry.example.org:8443/ns/app:1.2@${sha256}` },
  { input: `acme/tool@${sha512}`, domain: 'docker.io', path: 'acme/tool', digest: sha512, canonical: `docker.io/acme/tool@${sha512}`, familiar: `acme/tool@${sha512}` },
  // A 64-hex string is refused only on its own: with a domain or a tag it is a name.
  { input: `docker.io/${hex256}`, domain: 'docker.io', path: `library/${hex256}`, canonical: `docker.io/library/${hex256}`, familiar: hex256, familiarRefused: true },
  { input: `${hex256}:v1`, domain: 'docker.io', path: `library/${hex256}`, tag: 'v1', canonical: `docker.io/library/${hex256}:v1`, familiar: `${hex256}:v1` },
  // The 255-character limit applies to the path, not the domain.
  { input: `registry.example.org/${long(255)}`, domain: 'registry.example.org', path: long(255), canonical: `registry.example.org/${long(255)}`, familiar: `registry.example.org/${long(255)}` },
  { input: long(247), domain: 'docker.io', path: `library/${long(247)}`, canonical: `docker.io/library/${long(247)}`, familiar: long(247) },
];

interface InvalidCase {
  readonly input: string;
  readonly code: 'INVALID_REFERENCE' | 'INVALID_DIGEST' | 'UNSUPPORTED_DIGEST_ALGORITHM';
  /** A fragment the message must contain (besides the input, which every message names). */
  readonly message: string;
}

const invalid: InvalidCase[] = [
  { input: '', code: 'INVALID_REFERENCE', message: 'empty' },
  { input: ':tag', code: 'INVALID_REFERENCE', message: 'at least one component' },
  { input: `@${sha256}`, code: 'INVALID_REFERENCE', message: 'at least one component' },
  { input: 'alpine:', code: 'INVALID_REFERENCE', message: 'invalid tag ""' },
  { input: `alpine:@${sha256}`, code: 'INVALID_REFERENCE', message: 'invalid tag ""' },
  { input: 'alpine@', code: 'INVALID_DIGEST', message: 'not a digest' },
  { input: 'alpine:1@', code: 'INVALID_DIGEST', message: 'not a digest' },
  // Uppercase in the repository path.
  { input: 'Alpine', code: 'INVALID_REFERENCE', message: 'must be lowercase' },
  { input: 'Alpine:latest', code: 'INVALID_REFERENCE', message: 'must be lowercase' },
  { input: 'acme/Tool', code: 'INVALID_REFERENCE', message: 'must be lowercase' },
  { input: 'localhost:5000/App', code: 'INVALID_REFERENCE', message: 'must be lowercase' },
  { input: 'docker.io/Acme/tool', code: 'INVALID_REFERENCE', message: 'must be lowercase' },
  { input: 'REGISTRY/Upper/lower:tag', code: 'INVALID_REFERENCE', message: 'must be lowercase' },
  // A bare 64-hex identifier.
  { input: hex256, code: 'INVALID_REFERENCE', message: 'hexadecimal' },
  // Path components and separators.
  { input: '-app', code: 'INVALID_REFERENCE', message: 'path component "-app"' },
  { input: 'app-', code: 'INVALID_REFERENCE', message: 'path component "app-"' },
  { input: 'acme/-app', code: 'INVALID_REFERENCE', message: 'path component "-app"' },
  { input: 'a..b', code: 'INVALID_REFERENCE', message: 'path component "a..b"' },
  { input: 'a_.b', code: 'INVALID_REFERENCE', message: 'path component "a_.b"' },
  { input: 'a-.b', code: 'INVALID_REFERENCE', message: 'path component "a-.b"' },
  { input: 'a___b', code: 'INVALID_REFERENCE', message: 'path component "a___b"' },
  { input: '_a/b', code: 'INVALID_REFERENCE', message: 'path component "_a"' },
  { input: '____/____', code: 'INVALID_REFERENCE', message: 'path component "____"' },
  { input: 'a/b$/c', code: 'INVALID_REFERENCE', message: 'path component "b$"' },
  { input: ' app', code: 'INVALID_REFERENCE', message: 'path component " app"' },
  { input: 'a//b', code: 'INVALID_REFERENCE', message: 'empty path component' },
  { input: 'acme/', code: 'INVALID_REFERENCE', message: 'empty path component' },
  { input: '/app', code: 'INVALID_REFERENCE', message: 'empty path component' },
  { input: 'quay.io/', code: 'INVALID_REFERENCE', message: 'empty path component' },
  // Domains and ports.
  { input: 'https://example.com/app', code: 'INVALID_REFERENCE', message: 'invalid port ""' },
  { input: 'example.com:port/app', code: 'INVALID_REFERENCE', message: 'invalid port "port"' },
  { input: 'app:v1/x', code: 'INVALID_REFERENCE', message: 'invalid port "v1"' },
  { input: '-bad.example.com/app', code: 'INVALID_REFERENCE', message: 'label "-bad"' },
  { input: 'bad-.example.com/app', code: 'INVALID_REFERENCE', message: 'label "bad-"' },
  { input: 'a..example.com/app', code: 'INVALID_REFERENCE', message: 'label ""' },
  { input: 'exa_mple.com/app', code: 'INVALID_REFERENCE', message: 'not a valid host name' },
  { input: ':5000/app', code: 'INVALID_REFERENCE', message: 'empty host name' },
  { input: 'fd00::1:5000/app', code: 'INVALID_REFERENCE', message: 'invalid port' },
  { input: '[fd00::1]', code: 'INVALID_REFERENCE', message: 'path component' },
  { input: '[fd00::1]:5000', code: 'INVALID_REFERENCE', message: 'path component' },
  { input: '[fe80::1%eth0]:5000/app', code: 'INVALID_REFERENCE', message: 'IPv6' },
  { input: '[::ffff:192.0.2.1]/app', code: 'INVALID_REFERENCE', message: 'IPv6' },
  { input: '[::1/app', code: 'INVALID_REFERENCE', message: 'unterminated IPv6' },
  { input: '[::1]x/app', code: 'INVALID_REFERENCE', message: 'after the IPv6 address' },
  { input: '[::1]:http/app', code: 'INVALID_REFERENCE', message: 'invalid port "http"' },
  // Length.
  { input: `registry.example.org/${long(256)}`, code: 'INVALID_REFERENCE', message: 'must not be more than 255 characters' },
  { input: `${long(200)}/${long(60)}:tag`, code: 'INVALID_REFERENCE', message: 'must not be more than 255 characters (got 261)' },
  // "library/" counts towards the limit of a short name.
  { input: long(248), code: 'INVALID_REFERENCE', message: 'must not be more than 255 characters (got 256)' },
  // Tags.
  { input: `app:${long(129, 't')}`, code: 'INVALID_REFERENCE', message: 'invalid tag' },
  { input: 'app:.hidden', code: 'INVALID_REFERENCE', message: 'invalid tag ".hidden"' },
  { input: 'app:-x', code: 'INVALID_REFERENCE', message: 'invalid tag "-x"' },
  { input: 'app:v 1', code: 'INVALID_REFERENCE', message: 'invalid tag "v 1"' },
  { input: 'app:v+1', code: 'INVALID_REFERENCE', message: 'invalid tag "v+1"' },
  { input: 'app:tést', code: 'INVALID_REFERENCE', message: 'invalid tag' },
  // Digests.
  { input: 'app@sha256:abc', code: 'INVALID_DIGEST', message: 'lowercase hex' },
  { input: `app@sha256:${hex256.toUpperCase()}`, code: 'INVALID_DIGEST', message: 'lowercase hex' },
  { input: `app@sha256:${hex256}@x`, code: 'INVALID_DIGEST', message: 'not a valid digest' },
  { input: `app@${hex256}`, code: 'INVALID_DIGEST', message: 'not a digest' },
  { input: `app@md5:${long(32, 'f')}`, code: 'UNSUPPORTED_DIGEST_ALGORITHM', message: '"md5"' },
  { input: `app@sha384:${long(96, 'f')}`, code: 'UNSUPPORTED_DIGEST_ALGORITHM', message: '"sha384"' },
];

function describeRef(r: DockerReference): string {
  return JSON.stringify(r);
}

describe('parseNormalizedNamed', () => {
  it('has at least 60 table cases', () => {
    assert.ok(valid.length + invalid.length >= 60, `only ${valid.length + invalid.length} cases`);
  });

  for (const c of valid) {
    it(`accepts ${JSON.stringify(c.input.length > 80 ? `${c.input.slice(0, 77)}...` : c.input)}`, () => {
      const r = parseNormalizedNamed(c.input);
      assert.equal(r.domain, c.domain, describeRef(r));
      assert.equal(r.path, c.path, describeRef(r));
      assert.equal(r.tag, c.tag, describeRef(r));
      assert.equal(r.digest, c.digest, describeRef(r));
      assert.equal(referenceName(r), `${c.domain}/${c.path}`);
      assert.equal(referenceString(r), c.canonical);
      assert.equal(familiarString(r), c.familiar);
      assert.equal(isNameOnly(r), c.tag === undefined && c.digest === undefined);
      // The canonical form is a fixed point of both parsers.
      assert.deepEqual(parseNormalizedNamed(c.canonical), r);
      assert.deepEqual(parseNamed(c.canonical), r);
      // So is the familiar form, for the normalising parser.
      if (c.familiarRefused === true) {
        expectCode(() => parseNormalizedNamed(c.familiar), 'INVALID_REFERENCE');
      } else {
        assert.deepEqual(parseNormalizedNamed(c.familiar), r);
      }
    });
  }

  for (const c of invalid) {
    it(`rejects ${JSON.stringify(c.input.length > 80 ? `${c.input.slice(0, 77)}...` : c.input)} with ${c.code}`, () => {
      const err = expectCode(() => parseNormalizedNamed(c.input), c.code);
      assert.ok(err.message.includes(JSON.stringify(c.input)), `message does not name the input: ${err.message}`);
      assert.ok(err.message.includes(c.message), `message lacks ${JSON.stringify(c.message)}: ${err.message}`);
    });
  }

  it('returns frozen references', () => {
    const r = parseNormalizedNamed('alpine:3');
    assert.ok(Object.isFrozen(r));
    assert.deepEqual(Object.keys(r).sort(), ['digest', 'domain', 'path', 'tag']);
  });
});

describe('parseNamed', () => {
  for (const input of [
    'docker.io/library/alpine',
    'docker.io/library/alpine:latest',
    `docker.io/acme/tool:1@${sha256}`,
    'localhost:5000/app',
    'localhost/app',
    'quay.io/app',
    '[::1]:5000/app:v',
    'REGISTRY/app',
  ]) {
    it(`accepts canonical ${JSON.stringify(input)}`, () => {
      assert.equal(referenceString(parseNamed(input)), input);
    });
  }

  for (const [input, canonical] of [
    ['alpine', 'docker.io/library/alpine'],
    ['alpine:3', 'docker.io/library/alpine:3'],
    ['library/alpine', 'docker.io/library/alpine'],
    ['docker.io/alpine', 'docker.io/library/alpine'],
    ['index.docker.io/library/alpine', 'docker.io/library/alpine'],
    ['acme/tool', 'docker.io/acme/tool'],
    ['localhost:5000', 'docker.io/library/localhost:5000'],
  ] as const) {
    it(`rejects non-canonical ${JSON.stringify(input)}`, () => {
      const err = expectCode(() => parseNamed(input), 'INVALID_REFERENCE');
      assert.ok(err.message.includes('must be canonical'), err.message);
      assert.ok(err.message.includes(JSON.stringify(input)), err.message);
      assert.ok(err.message.includes(JSON.stringify(canonical)), err.message);
    });
  }

  it('passes on the parse error of invalid input', () => {
    const err = expectCode(() => parseNamed('docker.io/library/Alpine'), 'INVALID_REFERENCE');
    assert.ok(err.message.includes('must be lowercase'), err.message);
    expectCode(() => parseNamed('docker.io/library/alpine@sha256:00'), 'INVALID_DIGEST');
  });
});

describe('familiarName', () => {
  for (const [input, familiar] of [
    ['docker.io/library/busybox:1', 'busybox'],
    ['docker.io/foo/bar', 'foo/bar'],
    ['docker.io/library/a/b', 'library/a/b'],
    ['docker.io/libraryx/b', 'libraryx/b'],
    ['quay.io/library/busybox', 'quay.io/library/busybox'],
    ['localhost/library/busybox', 'localhost/library/busybox'],
  ] as const) {
    it(`${input} -> ${familiar}`, () => {
      assert.equal(familiarName(parseNormalizedNamed(input)), familiar);
    });
  }
});

describe('tags and digests', () => {
  const digest = parseDigest(sha256);
  const other = parseDigest(otherSha256);

  it('tagNameOnly adds "latest" only to a name-only reference', () => {
    assert.equal(referenceString(tagNameOnly(parseNormalizedNamed('alpine'))), 'docker.io/library/alpine:latest');
    const tagged = parseNormalizedNamed('alpine:3');
    assert.equal(tagNameOnly(tagged), tagged);
    const digested = parseNormalizedNamed(`alpine@${sha256}`);
    assert.equal(tagNameOnly(digested), digested);
    assert.equal(tagNameOnly(digested).tag, undefined);
  });

  it('withTag sets the tag and drops any digest', () => {
    const r = withTag(parseNormalizedNamed(`quay.io/a/b:1@${sha256}`), 'v2');
    assert.equal(referenceString(r), 'quay.io/a/b:v2');
    assert.equal(r.digest, undefined);
    assert.ok(Object.isFrozen(r));
  });

  for (const tag of ['', '.x', '-x', 'a/b', 'a:b', 'a@b', long(129, 'v')]) {
    it(`withTag rejects ${JSON.stringify(tag.length > 20 ? `${tag.slice(0, 17)}...` : tag)}`, () => {
      const err = expectCode(() => withTag(parseNormalizedNamed('alpine'), tag), 'INVALID_REFERENCE');
      assert.ok(err.message.startsWith('invalid tag'), err.message);
    });
  }

  it('withDigest sets the digest and keeps the tag', () => {
    const base = parseNormalizedNamed(`alpine:3@${sha256}`);
    const r = withDigest(base, other);
    assert.equal(referenceString(r), `docker.io/library/alpine:3@${otherSha256}`);
    assert.equal(referenceString(withDigest(parseNormalizedNamed('alpine'), digest)), `docker.io/library/alpine@${sha256}`);
    // The input is left alone.
    assert.equal(base.digest, digest);
  });

  it('withDigest validates a digest that did not come from parseDigest', () => {
    expectCode(() => withDigest(parseNormalizedNamed('alpine'), 'sha256:zz' as Digest), 'INVALID_DIGEST');
    expectCode(() => withDigest(parseNormalizedNamed('alpine'), `md5:${long(32, 'f')}` as Digest), 'UNSUPPORTED_DIGEST_ALGORITHM');
  });
});

interface PolicyCase {
  readonly input: string;
  /** undefined: policyConfigurationIdentity must throw INVALID_REFERENCE. */
  readonly identity: string | undefined;
  readonly namespaces: readonly string[];
}

const hubBusybox = ['docker.io/library/busybox', 'docker.io/library', 'docker.io', '*.io'];

const policyCases: PolicyCase[] = [
  { input: 'busybox:latest', identity: 'docker.io/library/busybox:latest', namespaces: hubBusybox },
  { input: 'busybox', identity: 'docker.io/library/busybox', namespaces: hubBusybox },
  { input: `docker.io/busybox@${sha256}`, identity: `docker.io/library/busybox@${sha256}`, namespaces: hubBusybox },
  { input: 'acme/tool:1', identity: 'docker.io/acme/tool:1', namespaces: ['docker.io/acme/tool', 'docker.io/acme', 'docker.io', '*.io'] },
  { input: 'notlocalhost/app:t', identity: 'docker.io/notlocalhost/app:t', namespaces: ['docker.io/notlocalhost/app', 'docker.io/notlocalhost', 'docker.io', '*.io'] },
  { input: 'localhost/app:1', identity: 'localhost/app:1', namespaces: ['localhost/app', 'localhost'] },
  { input: 'localhost/ns/app:1', identity: 'localhost/ns/app:1', namespaces: ['localhost/ns/app', 'localhost/ns', 'localhost'] },
  { input: 'localhost:5000/ns/app:1', identity: 'localhost:5000/ns/app:1', namespaces: ['localhost:5000/ns/app', 'localhost:5000/ns', 'localhost:5000'] },
  { input: 'registry:5000/app:t', identity: 'registry:5000/app:t', namespaces: ['registry:5000/app', 'registry:5000'] },
  { input: 'quay.io/app:t', identity: 'quay.io/app:t', namespaces: ['quay.io/app', 'quay.io', '*.io'] },
  {
    input: 'registry.example.org:8443/a/b/c:t',
    identity: 'registry.example.org:8443/a/b/c:t',
    namespaces: ['registry.example.org:8443/a/b/c', 'registry.example.org:8443/a/b', 'registry.example.org:8443/a', 'registry.example.org:8443', '*.example.org', '*.org'],
  },
  {
    input: `a.b.c.example.com/x@${sha256}`,
    identity: `a.b.c.example.com/x@${sha256}`,
    namespaces: ['a.b.c.example.com/x', 'a.b.c.example.com', '*.b.c.example.com', '*.c.example.com', '*.example.com', '*.com'],
  },
  // An IPv4 host yields dotted wildcards like any other host name, as upstream does.
  { input: '10.1.2.3:5000/app:t', identity: '10.1.2.3:5000/app:t', namespaces: ['10.1.2.3:5000/app', '10.1.2.3:5000', '*.1.2.3', '*.2.3', '*.3'] },
  // Bracketed IPv6 hosts yield none.
  { input: '[::1]:5000/app:t', identity: '[::1]:5000/app:t', namespaces: ['[::1]:5000/app', '[::1]:5000'] },
  { input: `[2001:db8::1]/ns/app@${sha256}`, identity: `[2001:db8::1]/ns/app@${sha256}`, namespaces: ['[2001:db8::1]/ns/app', '[2001:db8::1]/ns', '[2001:db8::1]'] },
  // A tag and a digest together have no single identity; the namespaces still exist.
  { input: `quay.io/a/b:1@${sha256}`, identity: undefined, namespaces: ['quay.io/a/b', 'quay.io/a', 'quay.io', '*.io'] },
];

describe('policy configuration scopes', () => {
  for (const c of policyCases) {
    it(`${c.input.length > 60 ? `${c.input.slice(0, 57)}...` : c.input}`, () => {
      const r = parseNormalizedNamed(c.input);
      const namespaces = policyConfigurationNamespaces(r);
      assert.deepEqual(namespaces, c.namespaces);
      if (c.identity === undefined) {
        const err = expectCode(() => policyConfigurationIdentity(r), 'INVALID_REFERENCE');
        assert.ok(err.message.includes('both a tag and a digest'), err.message);
        return;
      }
      const identity = policyConfigurationIdentity(r);
      assert.equal(identity, c.identity);
      // Each scope is less specific than the one before it.
      let moreSpecific = identity;
      for (const ns of namespaces) {
        if (ns.startsWith('*.')) {
          assert.ok(moreSpecific.includes(ns.slice(1)), `${ns} after ${moreSpecific}`);
        } else {
          assert.ok(moreSpecific.startsWith(ns), `${ns} after ${moreSpecific}`);
        }
        moreSpecific = ns;
      }
    });
  }
});
