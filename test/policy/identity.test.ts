import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNormalizedNamed } from '../../src/core/index.js';
import { explainIdentityMismatch, matchesSignedIdentity, remapReference, type SignedIdentity } from '../../src/policy/index.js';

const d1 = `@sha256:${'0123456789abcdef'.repeat(4)}`;
const d2 = `@sha256:${'a'.repeat(64)}`;

const exact: SignedIdentity = { type: 'matchExact' };
const repoDigest: SignedIdentity = { type: 'matchRepoDigestOrExact' };
const repo: SignedIdentity = { type: 'matchRepository' };
const exactRef = (dockerReference: string): SignedIdentity => ({ type: 'exactReference', dockerReference });
const exactRepo = (dockerRepository: string): SignedIdentity => ({ type: 'exactRepository', dockerRepository });
const remap = (prefix: string, signedPrefix: string): SignedIdentity => ({ type: 'remapIdentity', prefix, signedPrefix });

/** [rule, image reference (undefined: no docker identity), signature's reference, expected]. */
const table: ReadonlyArray<readonly [SignedIdentity, string | undefined, string, boolean]> = [
  // matchExact
  [exact, 'busybox:latest', 'docker.io/library/busybox:latest', true],
  [exact, 'busybox:latest', 'busybox:1', false],
  [exact, `busybox${d1}`, `busybox${d1}`, true],
  [exact, `busybox${d1}`, 'busybox:latest', false],
  [exact, 'busybox', 'busybox', false],
  [exact, 'busybox:latest', 'busybox', false],
  [exact, `busybox:latest${d1}`, `busybox:latest${d1}`, true],
  [exact, `busybox:latest${d1}`, 'busybox:latest', false],
  [exact, undefined, 'busybox:latest', false],
  // matchRepoDigestOrExact
  [repoDigest, 'busybox:latest', 'busybox:latest', true],
  [repoDigest, 'busybox:latest', 'busybox:1', false],
  [repoDigest, 'busybox:latest', `busybox${d1}`, false],
  [repoDigest, 'busybox:latest', 'busybox', false],
  [repoDigest, `busybox${d1}`, 'busybox:whatever', true],
  [repoDigest, `busybox${d1}`, `busybox${d2}`, true],
  [repoDigest, `busybox${d1}`, 'busybox', false],
  [repoDigest, `busybox${d1}`, 'other:latest', false],
  [repoDigest, 'busybox', 'busybox:latest', false],
  [repoDigest, `busybox:latest${d1}`, 'busybox:latest', false],
  [repoDigest, `busybox:latest${d1}`, `busybox:latest${d1}`, true],
  [repoDigest, 'registry.example.com/ns/app:1.2', 'registry.example.com/ns/app:1.2', true],
  [repoDigest, 'hostname/library/busybox:latest', 'busybox:latest', false],
  [repoDigest, undefined, 'busybox:latest', false],
  // matchRepository
  [repo, 'busybox:latest', 'busybox:1', true],
  [repo, 'busybox:latest', 'busybox', true],
  [repo, 'busybox:latest', 'index.docker.io/library/busybox', true],
  [repo, `busybox${d1}`, `busybox${d2}`, true],
  [repo, 'busybox:latest', 'other:latest', false],
  [repo, 'registry.example.com:5000/ns/app:1', 'registry.example.com/ns/app:1', false],
  [repo, undefined, 'busybox', false],
  // exactReference: the image's own reference does not matter
  [exactRef('busybox:latest'), 'other:1', 'docker.io/library/busybox:latest', true],
  [exactRef('busybox:latest'), undefined, 'busybox:latest', true],
  [exactRef('busybox:latest'), 'busybox:latest', 'busybox:1', false],
  [exactRef('busybox:latest'), 'busybox:latest', 'busybox', false],
  [exactRef(`busybox${d1}`), undefined, `busybox${d1}`, true],
  [exactRef('INVALID'), undefined, 'INVALID', false],
  // exactRepository
  [exactRepo('quay.io/org/app'), undefined, 'quay.io/org/app', true],
  [exactRepo('quay.io/org/app'), 'other:1', 'quay.io/org/app:9', true],
  [exactRepo('quay.io/org/app:1'), undefined, 'quay.io/org/app:2', true],
  [exactRepo('quay.io/org/app'), undefined, 'quay.io/org/app2', false],
  // remapIdentity
  [remap('mirror.example', 'public.com'), 'mirror.example/busybox:1', 'public.com/busybox:1', true],
  [remap('mirror.example', 'public.com'), 'mirror.example/busybox:1', 'public.com/busybox:2', false],
  [remap('mirror.example', 'public.com'), 'mirror.example/busybox:1', 'mirror.example/busybox:1', false],
  [remap('mirror.example', 'docker.io/library'), 'mirror.example/busybox:latest', 'busybox:latest', true],
  [remap('docker.io/library', 'original.com'), 'copied:latest', 'original.com/copied:latest', true],
  [remap('docker.io/library', 'original.com'), 'copied:latest', 'original.com/ns/copied:latest', false],
  [remap('does-not-match.com', 'x.com'), 'busybox:latest', 'busybox:latest', true],
  [remap('example.com/ns', 'vendor.com'), 'example.com:5000/ns/app:1', 'vendor.com/app:1', false],
  [remap('example.com/ns', 'vendor.com'), 'example.com:5000/ns/app:1', 'example.com:5000/ns/app:1', true],
  [remap('docker.io/library', 'vendor.com'), 'docker.io/libraryy/x:1', 'vendor.com/y/x:1', false],
  [remap('docker.io/library', 'vendor.com'), 'docker.io/libraryy/x:1', 'libraryy/x:1', true],
  [remap('mirror.example', 'vendor.example'), `mirror.example/image${d1}`, 'vendor.example/image:any', true],
  // A rewrite that does not parse as a canonical reference matches nothing, not even the original.
  [remap('mirror.example/ns/image', 'notlocalhost'), 'mirror.example/ns/image:tag', 'notlocalhost:tag', false],
  [remap('mirror.example/ns/image', 'notlocalhost'), 'mirror.example/ns/image:tag', 'mirror.example/ns/image:tag', false],
  [remap('mirror.example/ns/image', 'vendor.example:5000'), `mirror.example/ns/image${d1}`, `vendor.example:5000${d1}`, false],
  // Rewriting to docker.io without "library/" is not canonical either.
  [remap('mirror.example', 'docker.io'), 'mirror.example/busybox:1', 'busybox:1', false],
  [remap('mirror.example', 'vendor.example'), 'mirror.example/x:1', 'vendor.example/x', false],
  [remap('mirror.example', 'vendor.example'), undefined, 'vendor.example/x:1', false],
];

describe('matchesSignedIdentity', () => {
  for (const [rule, image, sig, want] of table) {
    const name = `${rule.type}${'prefix' in rule ? `(${rule.prefix} → ${rule.signedPrefix})` : ''}${'dockerReference' in rule ? `(${rule.dockerReference})` : ''}${
      'dockerRepository' in rule ? `(${rule.dockerRepository})` : ''
    }: image ${image ?? '(none)'} vs signed ${sig} → ${want}`;
    it(name, () => {
      const intended = image === undefined ? undefined : parseNormalizedNamed(image);
      let signature;
      try {
        signature = parseNormalizedNamed(sig);
      } catch {
        assert.equal(want, false);
        return;
      }
      assert.equal(matchesSignedIdentity(rule, intended, signature), want);
      if (!want) assert.match(explainIdentityMismatch(rule, intended, signature), /./);
    });
  }
});

describe('remapReference', () => {
  it('rewrites the first occurrence only when the name starts with the prefix', () => {
    const r = remapReference({ prefix: 'example.com/mirror', signedPrefix: 'example.com/vendor' }, parseNormalizedNamed('example.com/mirror/image:tag'));
    assert.equal(r.kind, 'rewritten');
    assert.equal(r.kind === 'rewritten' ? r.to : '', 'example.com/vendor/image:tag');
    const unchanged = remapReference({ prefix: 'mirror.example', signedPrefix: 'vendor.example' }, parseNormalizedNamed('prefixmirror.example/ns/image:tag'));
    assert.equal(unchanged.kind, 'unchanged');
  });

  it('keeps tag and digest', () => {
    const r = remapReference({ prefix: 'mirror.example', signedPrefix: 'vendor.example' }, parseNormalizedNamed(`mirror.example/image:tag${d1}`));
    assert.equal(r.kind === 'rewritten' ? r.to : '', `vendor.example/image:tag${d1}`);
  });

  it('reports rewrites that do not parse', () => {
    const r = remapReference({ prefix: 'mirror.example/ns/image', signedPrefix: 'notlocalhost' }, parseNormalizedNamed('mirror.example/ns/image:tag'));
    assert.deepEqual(r, { kind: 'invalid', from: 'mirror.example/ns/image:tag', to: 'notlocalhost:tag' });
  });
});

describe('explainIdentityMismatch', () => {
  const p = parseNormalizedNamed;
  it('names both references for a tag mismatch', () => {
    assert.equal(
      explainIdentityMismatch(repoDigest, p('registry.example.com/ns/app:1.2'), p('registry.example.com/ns/other:1.2')),
      'valid, but it names registry.example.com/ns/other:1.2, not registry.example.com/ns/app:1.2',
    );
  });
  it('explains cosign-style name-only identities', () => {
    assert.match(explainIdentityMismatch(repoDigest, p('quay.io/a/b:1'), p('quay.io/a/b')), /only the repository quay\.io\/a\/b .*matchRepository/);
  });
  it('explains images without a docker identity', () => {
    assert.match(explainIdentityMismatch(repo, undefined, p('quay.io/a/b')), /no docker reference.*exactReference or exactRepository/);
  });
  it('explains failed remaps', () => {
    assert.match(explainIdentityMismatch(remap('mirror.example/ns/image', 'notlocalhost'), p('mirror.example/ns/image:tag'), p('notlocalhost:tag')), /notlocalhost:tag, which is not a valid canonical reference/);
  });
  it('compares with the repository for digest references', () => {
    assert.equal(explainIdentityMismatch(repoDigest, p(`quay.io/a/b${d1}`), p('quay.io/a/c:1')), 'valid, but it names the repository quay.io/a/c, not quay.io/a/b');
  });
});
