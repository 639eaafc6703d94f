import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNormalizedNamed, policyConfigurationIdentity, policyConfigurationNamespaces, tagNameOnly } from '../../src/core/index.js';
import { parsePolicy, requirementsFor, type Policy } from '../../src/policy/index.js';

/** Each scope gets a distinct `exactRepository` value, so the test can tell which one applied. */
function policyWith(dockerScopes: readonly string[], extra: Record<string, Record<string, string>> = {}): Policy {
  const marker = (name: string): unknown[] => [
    { type: 'signedBy', keyType: 'GPGKeys', keyPath: `/keys/${encodeURIComponent(name)}`, signedIdentity: { type: 'matchRepository' } },
  ];
  const transports: Record<string, Record<string, unknown>> = { docker: Object.fromEntries(dockerScopes.map((s) => [s, marker(s)])) };
  for (const [t, scopes] of Object.entries(extra)) transports[t] = Object.fromEntries(Object.keys(scopes).map((s) => [s, marker(`${t}:${s}`)]));
  return parsePolicy(JSON.stringify({ default: [{ type: 'reject' }], transports }), 'p.json');
}

function dockerImage(ref: string): { transport: string; policyIdentity: string; namespaces: string[] } {
  const r = tagNameOnly(parseNormalizedNamed(ref));
  return { transport: 'docker', policyIdentity: policyConfigurationIdentity(r), namespaces: policyConfigurationNamespaces(r) };
}

const everyLevel = [
  'docker.io/library/busybox:latest',
  'docker.io/library/busybox',
  'docker.io/library',
  'docker.io',
  'registry.example.com:5000/ns/app',
  'registry.example.com:5000',
  'registry.example.com',
  '*.example.com',
  '*.com',
  'localhost/app',
  'localhost',
  '',
];

const table: ReadonlyArray<{ ref: string; scopes: readonly string[]; want: string; level: string }> = [
  { ref: 'busybox', scopes: everyLevel, want: 'docker.io/library/busybox:latest', level: 'identity' },
  { ref: 'busybox:1.36', scopes: everyLevel, want: 'docker.io/library/busybox', level: 'namespace' },
  { ref: 'index.docker.io/library/busybox:1', scopes: everyLevel, want: 'docker.io/library/busybox', level: 'namespace' },
  { ref: 'alpine', scopes: everyLevel, want: 'docker.io/library', level: 'namespace' },
  { ref: 'someone/tool', scopes: everyLevel, want: 'docker.io', level: 'namespace' },
  { ref: 'registry.example.com:5000/ns/app:2', scopes: everyLevel, want: 'registry.example.com:5000/ns/app', level: 'namespace' },
  { ref: 'registry.example.com:5000/ns/other:2', scopes: everyLevel, want: 'registry.example.com:5000', level: 'namespace' },
  // host:port never matches the port-less host entry, but does match the wildcard derived from the host.
  { ref: 'registry.example.com:5000/x', scopes: ['registry.example.com', '*.example.com'], want: '*.example.com', level: 'namespace' },
  { ref: 'registry.example.com/x', scopes: everyLevel, want: 'registry.example.com', level: 'namespace' },
  { ref: 'a.b.example.com/x', scopes: everyLevel, want: '*.example.com', level: 'namespace' },
  { ref: 'a.b.example.com/x', scopes: ['*.com', '*.b.example.com'], want: '*.b.example.com', level: 'namespace' },
  { ref: 'quay.io/x', scopes: ['*.io', '*.quay.io'], want: '*.io', level: 'namespace' },
  { ref: 'other.org/x', scopes: everyLevel, want: '', level: 'transport' },
  { ref: 'localhost/app:1', scopes: everyLevel, want: 'localhost/app', level: 'namespace' },
  { ref: 'localhost/other', scopes: everyLevel, want: 'localhost', level: 'namespace' },
  // localhost gets no wildcard scopes.
  { ref: 'localhost:5000/app', scopes: ['*.localhost', ''], want: '', level: 'transport' },
  // Short names are never written in scopes: "busybox" as a scope matches nothing.
  { ref: 'busybox', scopes: ['busybox', 'library/busybox'], want: 'default', level: 'default' },
  { ref: `quay.io/x@sha256:${'a'.repeat(64)}`, scopes: [`quay.io/x@sha256:${'a'.repeat(64)}`, 'quay.io/x'], want: `quay.io/x@sha256:${'a'.repeat(64)}`, level: 'identity' },
  { ref: 'other.org/x', scopes: ['registry.example.com'], want: 'default', level: 'default' },
];

describe('requirementsFor: docker scopes', () => {
  for (const c of table) {
    it(`${c.ref} → ${JSON.stringify(c.want)}`, () => {
      const applied = requirementsFor(policyWith(c.scopes), dockerImage(c.ref));
      assert.equal(applied.scope, c.want);
      assert.equal(applied.level, c.level);
      const first = applied.requirements[0];
      if (c.level === 'default') {
        assert.equal(first?.type, 'reject');
      } else {
        assert.equal(first?.type === 'signedBy' ? first.keyPath : undefined, `/keys/${encodeURIComponent(c.want)}`);
      }
    });
  }

  it('does not merge: a matching namespace with a reject hides an insecureAcceptAnything transport default', () => {
    const p = parsePolicy(
      JSON.stringify({
        default: [{ type: 'insecureAcceptAnything' }],
        transports: { docker: { '': [{ type: 'insecureAcceptAnything' }], 'registry.example.com/ns': [{ type: 'reject' }] } },
      }),
      'p.json',
    );
    const applied = requirementsFor(p, dockerImage('registry.example.com/ns/app:1'));
    assert.deepEqual(applied.requirements, [{ type: 'reject' }]);
  });

  it('falls back to the global default for a transport that has no section', () => {
    const p = policyWith(['']);
    const applied = requirementsFor(p, { transport: 'oci', policyIdentity: '/srv/oci/app', namespaces: ['/srv/oci', '/srv'] });
    assert.equal(applied.scope, 'default');
  });
});

describe('requirementsFor: path transports', () => {
  it('uses the longest path prefix scope', () => {
    const p = policyWith([], { dir: { '/srv/images': '', '/srv': '', '': '' } });
    const applied = requirementsFor(p, { transport: 'dir', policyIdentity: '/srv/images/app', namespaces: ['/srv/images', '/srv'] });
    assert.equal(applied.scope, '/srv/images');
    const other = requirementsFor(p, { transport: 'dir', policyIdentity: '/home/u/app', namespaces: ['/home/u', '/home'] });
    assert.equal(other.scope, '');
    assert.equal(other.level, 'transport');
  });
});
