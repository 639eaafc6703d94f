import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigest, parseNormalizedNamed, tagNameOnly } from '../../src/core/index.js';
import { defaultLookasideBase, lookasideUrl, parseRegistriesDirectory, signatureLocationsFor } from '../../src/policy/index.js';
import { expectCode } from '../helpers/expect-code.js';

const ref = (s: string) => tagNameOnly(parseNormalizedNamed(s));
const digest = parseDigest(`sha256:${'817a'.repeat(16)}`);

describe('parseRegistriesDirectory: merging', () => {
  it('merges scopes from several files and ignores files that are not *.yaml', () => {
    const config = parseRegistriesDirectory([
      { name: '/etc/containers/registries.d/a.yaml', text: 'docker:\n  quay.io:\n    lookaside: https://q.example/sigs\n' },
      { name: '/etc/containers/registries.d/b.yaml', text: 'default-docker:\n  lookaside: file:///var/lib/sigs\ndocker:\n  ghcr.io:\n    use-sigstore-attachments: true\n' },
      { name: '/etc/containers/registries.d/c.yml', text: 'this: is ignored' },
    ]);
    assert.deepEqual([...config.docker.keys()].sort(), ['ghcr.io', 'quay.io']);
    assert.equal(config.defaultDocker?.lookaside, 'file:///var/lib/sigs');
    assert.equal(config.definedIn.get('quay.io'), '/etc/containers/registries.d/a.yaml');
    assert.equal(config.definedIn.get('default-docker'), '/etc/containers/registries.d/b.yaml');
  });

  it('rejects the same docker scope in two files, naming both', () => {
    const err = expectCode(
      () =>
        parseRegistriesDirectory([
          { name: '/d/one.yaml', text: 'docker:\n  quay.io:\n    lookaside: https://a\n' },
          { name: '/d/two.yaml', text: 'docker:\n  quay.io:\n    use-sigstore-attachments: true\n' },
        ]),
      'INVALID_REGISTRIES_D',
    );
    assert.match(err.message, /"quay\.io" is defined both in \/d\/one\.yaml and in \/d\/two\.yaml/);
  });

  it('rejects default-docker in two files', () => {
    const err = expectCode(
      () =>
        parseRegistriesDirectory([
          { name: '/d/one.yaml', text: 'default-docker:\n  lookaside: https://a\n' },
          { name: '/d/two.yaml', text: 'default-docker:\n  lookaside: https://b\n' },
        ]),
      'INVALID_REGISTRIES_D',
    );
    assert.match(err.message, /"default-docker" is defined both in \/d\/one\.yaml and in \/d\/two\.yaml/);
  });

  it('treats an empty default-docker as absent (it may then be defined elsewhere)', () => {
    const config = parseRegistriesDirectory([
      { name: '/d/one.yaml', text: 'default-docker:\n' },
      { name: '/d/two.yaml', text: 'default-docker:\n  lookaside: https://b\n' },
    ]);
    assert.equal(config.defaultDocker?.lookaside, 'https://b');
  });

  it('accepts empty files and comment-only files', () => {
    const config = parseRegistriesDirectory([
      { name: '/d/empty.yaml', text: '' },
      { name: '/d/comments.yaml', text: '# docker:\n#   example.com:\n' },
    ]);
    assert.equal(config.docker.size, 0);
    assert.equal(config.defaultDocker, undefined);
  });

  const invalid: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['duplicate key in one file', 'docker:\n  quay.io:\n    lookaside: a\n  quay.io:\n    lookaside: b\n', /\/d\/x\.yaml: .*(unique|duplicate)/i],
    ['duplicate section key', 'default-docker:\n  lookaside: a\n  lookaside: b\n', /\/d\/x\.yaml/],
    ['unknown top-level key', 'dockers:\n  quay.io: {}\n', /dockers: unknown top-level key/],
    ['unknown section key', 'docker:\n  quay.io:\n    lookaside-url: https://a\n', /docker\["quay\.io"\]\.lookaside-url: unknown key/],
    ['unknown default-docker key', 'default-docker:\n  sigstore-url: x\n', /default-docker\.sigstore-url: unknown key/],
    ['section is a list', 'docker:\n  quay.io:\n    - lookaside\n', /docker\["quay\.io"\]: must be a mapping/],
    ['docker is a scalar', 'docker: quay.io\n', /docker: must be a mapping/],
    ['lookaside is a mapping', 'default-docker:\n  lookaside:\n    url: x\n', /default-docker\.lookaside: must be a string/],
    ['use-sigstore-attachments not a boolean', 'default-docker:\n  use-sigstore-attachments: maybe\n', /use-sigstore-attachments: must be true or false/],
    ['not YAML', 'docker: [\n', /\/d\/x\.yaml/],
    ['top level is a list', '- docker\n', /\(top level\): must be a mapping/],
  ];
  for (const [name, text, pattern] of invalid) {
    it(`rejects: ${name}`, () => {
      const err = expectCode(() => parseRegistriesDirectory([{ name: '/d/x.yaml', text }]), 'INVALID_REGISTRIES_D');
      assert.match(err.message, pattern);
    });
  }

  it('reads values as yaml.v3 does: scalars as strings, yes/no for booleans', () => {
    const config = parseRegistriesDirectory([{ name: '/d/x.yaml', text: 'docker:\n  a.io:\n    lookaside: 12345\n    use-sigstore-attachments: yes\n  b.io:\n' }]);
    assert.equal(config.docker.get('a.io')?.lookaside, '12345');
    assert.equal(config.docker.get('a.io')?.useSigstoreAttachments, true);
    assert.equal(config.docker.get('b.io')?.lookaside, '');
  });
});

describe('signatureLocationsFor', () => {
  const config = parseRegistriesDirectory([
    {
      name: '/d/x.yaml',
      text: [
        'default-docker:',
        '  lookaside: file:///var/lib/containers/sigstore',
        'docker:',
        '  registry.example.com:',
        '    lookaside: https://sigs.example.com/lookaside',
        '    lookaside-staging: file:///srv/staging',
        '    use-sigstore-attachments: true',
        '  registry.example.com/team:',
        '    use-sigstore-attachments: false',
        '  registry.example.com/team/app:',
        '    lookaside: https://team.example.com/sigs',
        '  "*.example.org":',
        '    sigstore: https://legacy.example.org/sigs',
        '    sigstore-staging: file:///legacy-staging',
        '  both.example.net:',
        '    lookaside: https://new.example.net',
        '    sigstore: https://old.example.net',
        '  quay.io:',
        '    lookaside: ""',
        '',
      ].join('\n'),
    },
  ]);

  it('uses the most specific entry that has a lookaside', () => {
    const loc = signatureLocationsFor(config, ref('registry.example.com/team/app:1'));
    assert.equal(loc.lookaside, 'https://team.example.com/sigs');
    assert.equal(loc.scope, 'registry.example.com/team/app');
    // The entry has no staging URL: writes go to its lookaside (same entry, before falling through).
    assert.equal(loc.lookasideStaging, 'https://team.example.com/sigs');
  });

  it('falls through entries without a lookaside to less specific ones (unlike the policy)', () => {
    const loc = signatureLocationsFor(config, ref('registry.example.com/team/other:1'));
    assert.equal(loc.lookaside, 'https://sigs.example.com/lookaside');
    assert.equal(loc.scope, 'registry.example.com');
    assert.equal(loc.lookasideStaging, 'file:///srv/staging');
    // use-sigstore-attachments is decided by the most specific entry that sets it.
    assert.equal(loc.useSigstoreAttachments, false);
  });

  it('inherits use-sigstore-attachments from a less specific entry', () => {
    assert.equal(signatureLocationsFor(config, ref('registry.example.com/team/app:1')).useSigstoreAttachments, false);
    assert.equal(signatureLocationsFor(config, ref('registry.example.com/other/app:1')).useSigstoreAttachments, true);
  });

  it('uses the deprecated keys only when the new ones are empty', () => {
    const legacy = signatureLocationsFor(config, ref('a.example.org/x:1'));
    assert.equal(legacy.lookaside, 'https://legacy.example.org/sigs');
    assert.equal(legacy.lookasideStaging, 'file:///legacy-staging');
    assert.equal(legacy.scope, '*.example.org');
    assert.equal(signatureLocationsFor(config, ref('both.example.net/x:1')).lookaside, 'https://new.example.net');
  });

  it('falls back to default-docker, and use-sigstore-attachments defaults to false', () => {
    const loc = signatureLocationsFor(config, ref('quay.io/x/y:1'));
    assert.equal(loc.lookaside, 'file:///var/lib/containers/sigstore');
    assert.equal(loc.scope, 'default-docker');
    assert.equal(loc.useSigstoreAttachments, false);
  });

  it('reports nothing configured for an empty directory', () => {
    const loc = signatureLocationsFor(parseRegistriesDirectory([]), ref('quay.io/x/y:1'));
    assert.deepEqual(loc, { useSigstoreAttachments: false, scope: '' });
  });
});

describe('lookaside URLs', () => {
  it('lays out <base>/<path>@<algo>=<hex>/signature-<N>', () => {
    assert.equal(
      lookasideUrl('https://example.com/lookaside', ref('busybox'), digest, 1),
      `https://example.com/lookaside/library/busybox@sha256=${'817a'.repeat(16)}/signature-1`,
    );
    assert.equal(
      lookasideUrl('file:///var/lib/containers/sigstore', ref('registry.example.com:5000/ns/app:1.2'), digest, 3),
      `file:///var/lib/containers/sigstore/ns/app@sha256=${'817a'.repeat(16)}/signature-3`,
    );
  });

  it('keeps a query string at the end and rejects index 0', () => {
    assert.equal(lookasideUrl('https://x/s?token=1', ref('quay.io/a/b:1'), digest, 2), `https://x/s/a/b@sha256=${'817a'.repeat(16)}/signature-2?token=1`);
    expectCode(() => lookasideUrl('https://x', ref('quay.io/a/b:1'), digest, 0), 'INVALID_REGISTRIES_D');
  });

  it('has a built-in default base', () => {
    assert.equal(defaultLookasideBase({ root: true, home: '/root' }), 'file:///var/lib/containers/sigstore');
    assert.equal(defaultLookasideBase({ root: false, home: '/home/u/' }), 'file:///home/u/.local/share/containers/sigstore');
  });
});
