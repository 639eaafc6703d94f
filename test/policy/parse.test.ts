import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePolicy, type SignedByRequirement, type SigstoreSignedRequirement } from '../../src/policy/index.js';
import { expectCode } from '../helpers/expect-code.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const keyB64 = Buffer.from('not really a key').toString('base64');

/** A valid policy exercising every requirement type; each case breaks it one way. */
function validPolicy(): { [key: string]: Json } {
  return {
    default: [{ type: 'reject' }],
    transports: {
      docker: {
        '': [{ type: 'insecureAcceptAnything' }],
        'registry.example.com': [
          { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/vendor.gpg' },
          {
            type: 'signedBy',
            keyType: 'GPGKeys',
            keyPaths: ['/etc/pki/a.gpg', '/etc/pki/b.gpg'],
            signedIdentity: { type: 'remapIdentity', prefix: 'mirror.example.com', signedPrefix: 'registry.example.com/ns' },
          },
        ],
        'quay.io/team': [{ type: 'signedBy', keyType: 'GPGKeys', keyData: keyB64, signedIdentity: { type: 'matchRepository' } }],
        'ghcr.io/org/app': [
          { type: 'sigstoreSigned', keyPath: '/etc/pki/cosign.pub', signedIdentity: { type: 'exactRepository', dockerRepository: 'ghcr.io/org/app' } },
        ],
        '*.example.org': [
          {
            type: 'sigstoreSigned',
            fulcio: { caPath: '/etc/pki/fulcio.pem', oidcIssuer: 'https://oauth2.sigstore.dev/auth', subjectEmail: 'dev@example.org' },
            rekorPublicKeyPath: '/etc/pki/rekor.pub',
          },
        ],
        'pki.example.net': [{ type: 'sigstoreSigned', pki: { caRootsPath: '/etc/pki/roots.pem', subjectHostname: 'build.example.net' } }],
        'pinned.example.com/app:1.0': [
          { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'exactReference', dockerReference: 'pinned.example.com/app:1.0' } },
        ],
      },
      dir: { '/srv/images': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'matchExact' } }] },
      oci: { '/srv/oci/app': [{ type: 'insecureAcceptAnything' }] },
      'made-up-transport': { 'anything goes here': [{ type: 'reject' }] },
    },
  };
}

type Obj = { [key: string]: Json };
const o = (v: Json | undefined): Obj => v as Obj;
const a = (v: Json | undefined): Json[] => v as Json[];
const docker = (p: Obj): Obj => o(o(p['transports'])['docker']);
const req = (p: Obj, scope: string, i: number): Obj => o(a(docker(p)[scope])[i]);

function mutated(f: (p: Obj) => void): string {
  const p = validPolicy();
  f(p);
  return JSON.stringify(p);
}

/** Inserts a duplicate key right after the opening brace of the object that contains `anchor`. */
function duplicated(anchor: string, dup: string): string {
  const text = JSON.stringify(validPolicy());
  const at = text.indexOf(anchor);
  assert.ok(at >= 0, anchor);
  const brace = text.lastIndexOf('{', at);
  return `${text.slice(0, brace + 1)}${dup},${text.slice(brace + 1)}`;
}

function expectInvalid(text: string, path: string, fragment: string): void {
  const err = expectCode(() => parsePolicy(text, '/etc/containers/policy.json'), 'INVALID_POLICY');
  assert.match(err.message, /^invalid policy in \/etc\/containers\/policy\.json: /);
  assert.ok(err.message.includes(`: ${path}: `), `path ${path} not in: ${err.message}`);
  assert.ok(err.message.includes(fragment), `"${fragment}" not in: ${err.message}`);
}

describe('parsePolicy: the valid policy', () => {
  it('parses every requirement type', () => {
    const p = parsePolicy(JSON.stringify(validPolicy()), 'p.json');
    assert.deepEqual(p.default, [{ type: 'reject' }]);
    const d = p.transports.get('docker');
    assert.ok(d !== undefined);
    assert.deepEqual(d.get(''), [{ type: 'insecureAcceptAnything' }]);
    const [first, second] = d.get('registry.example.com') as SignedByRequirement[];
    assert.deepEqual(first, { type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/vendor.gpg', signedIdentity: { type: 'matchRepoDigestOrExact' } });
    assert.deepEqual(second?.keyPaths, ['/etc/pki/a.gpg', '/etc/pki/b.gpg']);
    assert.deepEqual(second?.signedIdentity, { type: 'remapIdentity', prefix: 'mirror.example.com', signedPrefix: 'registry.example.com/ns' });
    const quay = (d.get('quay.io/team') as SignedByRequirement[])[0];
    assert.equal(Buffer.from(quay?.keyData ?? []).toString(), 'not really a key');
    const fulcio = (d.get('*.example.org') as SigstoreSignedRequirement[])[0];
    assert.equal(fulcio?.fulcio?.subjectEmail, 'dev@example.org');
    assert.equal(fulcio?.rekorPublicKeyPath, '/etc/pki/rekor.pub');
    assert.deepEqual(p.transports.get('made-up-transport')?.get('anything goes here'), [{ type: 'reject' }]);
  });

  it('accepts bytes and a minimal policy', () => {
    const p = parsePolicy(Buffer.from('{"default":[{"type":"insecureAcceptAnything"}]}'), 'p.json');
    assert.equal(p.transports.size, 0);
  });

  it('accepts the oddities containers/image accepts', () => {
    // signedBy with an empty keyPaths list parses (and trusts nothing).
    parsePolicy(mutated((p) => (docker(p)['x.io'] = [{ type: 'signedBy', keyType: 'GPGKeys', keyPaths: [] }])), 'p.json');
    // null for an optional sigstore key field counts as absent.
    parsePolicy(mutated((p) => (req(p, 'ghcr.io/org/app', 0)['keyData'] = null)), 'p.json');
    // keyData "" is an (empty) key source.
    parsePolicy(mutated((p) => (docker(p)['x.io'] = [{ type: 'signedBy', keyType: 'signedByGPGKeys', keyData: '' }])), 'p.json');
    // docker scopes are not validated; signedBaseLayer parses.
    parsePolicy(mutated((p) => (docker(p)['NOT A VALID SCOPE'] = [{ type: 'signedBaseLayer', baseLayerIdentity: { type: 'matchRepository' } }])), 'p.json');
    // dir/oci scopes that are absolute and clean; the transport default.
    parsePolicy(mutated((p) => (o(p['transports'])['oci-archive'] = { '/a/b.tar': [{ type: 'reject' }] })), 'p.json');
    parsePolicy(mutated((p) => (o(p['transports'])['containers-storage'] = { '[overlay@/var/lib/containers/storage]docker.io/library/busybox': [{ type: 'reject' }] })), 'p.json');
    parsePolicy(mutated((p) => (o(p['transports'])['docker-daemon'] = { 'docker.io/library/busybox:latest': [{ type: 'reject' }] })), 'p.json');
  });
});

const cases: ReadonlyArray<{ name: string; text: () => string; path: string; fragment: string }> = [
  // Syntax and top level
  { name: 'not JSON', text: () => '{"default": [}', path: 'default[0]', fragment: 'expected a JSON value' },
  { name: 'trailing data', text: () => `${JSON.stringify(validPolicy())} {}`, path: '(top level)', fragment: 'unexpected data after' },
  { name: 'trailing comma', text: () => '{"default":[{"type":"reject"}],}', path: '(top level)', fragment: 'expected a string key' },
  { name: 'top level is an array', text: () => '[]', path: '(top level)', fragment: 'must be a JSON object' },
  { name: 'byte-order mark', text: () => `\ufeff${JSON.stringify(validPolicy())}`, path: '(top level)', fragment: 'expected a JSON value' },
  { name: 'missing default', text: () => mutated((p) => delete p['default']), path: '(top level)', fragment: '"default" requirement list is missing' },
  { name: 'empty default', text: () => mutated((p) => (p['default'] = [])), path: 'default', fragment: 'must not be empty' },
  { name: 'null default', text: () => mutated((p) => (p['default'] = null)), path: 'default', fragment: 'must be a non-empty JSON array' },
  { name: 'unknown top-level key', text: () => mutated((p) => (p['defaults'] = [])), path: 'defaults', fragment: 'unknown key "defaults"' },
  { name: 'transports not an object', text: () => mutated((p) => (p['transports'] = [])), path: 'transports', fragment: 'must be a JSON object' },
  { name: 'transport not an object', text: () => mutated((p) => (o(p['transports'])['docker'] = null)), path: 'transports.docker', fragment: 'must be a JSON object' },
  { name: 'scope not a list', text: () => mutated((p) => (docker(p)['registry.example.com'] = {})), path: 'transports.docker["registry.example.com"]', fragment: 'must be a non-empty JSON array' },
  { name: 'empty scope list', text: () => mutated((p) => (docker(p)['quay.io/team'] = [])), path: 'transports.docker["quay.io/team"]', fragment: 'must not be empty' },
  // Duplicate keys at several depths
  { name: 'duplicate top-level key', text: () => duplicated('"default"', '"default":[{"type":"reject"}]'), path: 'default', fragment: 'duplicate key "default"' },
  { name: 'duplicate transport', text: () => duplicated('"docker"', '"docker":{}'), path: 'transports.docker', fragment: 'duplicate key "docker"' },
  { name: 'duplicate scope', text: () => duplicated('"":[{"type":"insecureAcceptAnything"}]', '"registry.example.com":[{"type":"reject"}]'), path: 'transports.docker["registry.example.com"]', fragment: 'duplicate key' },
  { name: 'duplicate requirement key', text: () => duplicated('"keyPath":"/etc/pki/vendor.gpg"', '"type":"reject"'), path: 'transports.docker["registry.example.com"][0].type', fragment: 'duplicate key "type"' },
  { name: 'duplicate signedIdentity key', text: () => duplicated('"prefix":"mirror.example.com"', '"prefix":"other.example.com"'), path: 'transports.docker["registry.example.com"][1].signedIdentity.prefix', fragment: 'duplicate key "prefix"' },
  { name: 'duplicate fulcio key', text: () => duplicated('"oidcIssuer"', '"subjectEmail":"x@example.org"'), path: 'transports.docker["*.example.org"][0].fulcio.subjectEmail', fragment: 'duplicate key "subjectEmail"' },
  // Requirements
  { name: 'requirement not an object', text: () => mutated((p) => (p['default'] = ['reject'])), path: 'default[0]', fragment: 'must be a JSON object' },
  { name: 'requirement without type', text: () => mutated((p) => (p['default'] = [{}])), path: 'default[0]', fragment: 'has no "type"' },
  { name: 'requirement type not a string', text: () => mutated((p) => (p['default'] = [{ type: 1 }])), path: 'default[0].type', fragment: 'must be a string, got the number 1' },
  { name: 'unknown requirement type', text: () => mutated((p) => (p['default'] = [{ type: 'acceptAnything' }])), path: 'default[0].type', fragment: 'unknown requirement type "acceptAnything"' },
  { name: 'requirement type in the wrong case', text: () => mutated((p) => (p['default'] = [{ type: 'Reject' }])), path: 'default[0].type', fragment: 'unknown requirement type "Reject"' },
  { name: 'extra key on reject', text: () => mutated((p) => (p['default'] = [{ type: 'reject', keyPath: '/k' }])), path: 'default[0].keyPath', fragment: 'unknown key "keyPath"' },
  { name: 'extra key on insecureAcceptAnything', text: () => mutated((p) => (a(docker(p)[''])[0] = { type: 'insecureAcceptAnything', why: 'x' })), path: 'transports.docker[""][0].why', fragment: 'unknown key "why"' },
  // signedBy
  { name: 'signedBy without keyType', text: () => mutated((p) => delete req(p, 'registry.example.com', 0)['keyType']), path: 'transports.docker["registry.example.com"][0]', fragment: 'needs "keyType"' },
  { name: 'signedBy unknown keyType', text: () => mutated((p) => (req(p, 'registry.example.com', 0)['keyType'] = 'GPGKey')), path: 'transports.docker["registry.example.com"][0].keyType', fragment: 'unknown keyType "GPGKey"' },
  { name: 'signedBy keyType null', text: () => mutated((p) => (req(p, 'registry.example.com', 0)['keyType'] = null)), path: 'transports.docker["registry.example.com"][0].keyType', fragment: 'must be a string, got null' },
  { name: 'signedBy without key source', text: () => mutated((p) => delete req(p, 'registry.example.com', 0)['keyPath']), path: 'transports.docker["registry.example.com"][0]', fragment: 'none is present' },
  { name: 'signedBy with two key sources', text: () => mutated((p) => (req(p, 'registry.example.com', 0)['keyData'] = keyB64)), path: 'transports.docker["registry.example.com"][0]', fragment: 'keyPath and keyData are present' },
  { name: 'signedBy keyPath empty', text: () => mutated((p) => (req(p, 'registry.example.com', 0)['keyPath'] = '')), path: 'transports.docker["registry.example.com"][0].keyPath', fragment: 'must not be empty' },
  { name: 'signedBy keyPath null', text: () => mutated((p) => (req(p, 'registry.example.com', 0)['keyPath'] = null)), path: 'transports.docker["registry.example.com"][0].keyPath', fragment: 'must not be null' },
  { name: 'signedBy keyPaths not a list', text: () => mutated((p) => (req(p, 'registry.example.com', 1)['keyPaths'] = '/k')), path: 'transports.docker["registry.example.com"][1].keyPaths', fragment: 'must be an array of strings' },
  { name: 'signedBy keyPaths element a number', text: () => mutated((p) => (req(p, 'registry.example.com', 1)['keyPaths'] = ['/k', 2])), path: 'transports.docker["registry.example.com"][1].keyPaths[1]', fragment: 'must be a string' },
  { name: 'signedBy keyData not base64', text: () => mutated((p) => (req(p, 'quay.io/team', 0)['keyData'] = 'not base64!')), path: 'transports.docker["quay.io/team"][0].keyData', fragment: 'base64' },
  { name: 'signedBy keyData unpadded', text: () => mutated((p) => (req(p, 'quay.io/team', 0)['keyData'] = 'YWJj' + 'ZA')), path: 'transports.docker["quay.io/team"][0].keyData', fragment: 'base64' },
  { name: 'signedBy unknown key', text: () => mutated((p) => (req(p, 'registry.example.com', 0)['keyFile'] = '/k')), path: 'transports.docker["registry.example.com"][0].keyFile', fragment: 'unknown key "keyFile"' },
  // signedIdentity
  { name: 'signedIdentity null', text: () => mutated((p) => (req(p, 'quay.io/team', 0)['signedIdentity'] = null)), path: 'transports.docker["quay.io/team"][0].signedIdentity', fragment: 'must be a JSON object' },
  { name: 'signedIdentity unknown type', text: () => mutated((p) => (o(req(p, 'quay.io/team', 0)['signedIdentity'])['type'] = 'matchTag')), path: 'transports.docker["quay.io/team"][0].signedIdentity.type', fragment: 'unknown signedIdentity type "matchTag"' },
  { name: 'signedIdentity without type', text: () => mutated((p) => (req(p, 'quay.io/team', 0)['signedIdentity'] = {})), path: 'transports.docker["quay.io/team"][0].signedIdentity', fragment: 'has no "type"' },
  { name: 'matchRepository with an extra key', text: () => mutated((p) => (o(req(p, 'quay.io/team', 0)['signedIdentity'])['dockerRepository'] = 'quay.io/x')), path: 'transports.docker["quay.io/team"][0].signedIdentity.dockerRepository', fragment: 'unknown key' },
  { name: 'exactReference without tag or digest', text: () => mutated((p) => (o(req(p, 'pinned.example.com/app:1.0', 0)['signedIdentity'])['dockerReference'] = 'pinned.example.com/app')), path: 'transports.docker["pinned.example.com/app:1.0"][0].signedIdentity.dockerReference', fragment: 'neither a tag nor a digest' },
  { name: 'exactReference invalid', text: () => mutated((p) => (o(req(p, 'pinned.example.com/app:1.0', 0)['signedIdentity'])['dockerReference'] = 'example.com/UPPER:1')), path: 'transports.docker["pinned.example.com/app:1.0"][0].signedIdentity.dockerReference', fragment: 'invalid dockerReference' },
  { name: 'exactReference missing its value', text: () => mutated((p) => delete o(req(p, 'pinned.example.com/app:1.0', 0)['signedIdentity'])['dockerReference']), path: 'transports.docker["pinned.example.com/app:1.0"][0].signedIdentity', fragment: 'needs "dockerReference"' },
  { name: 'exactRepository invalid', text: () => mutated((p) => (o(req(p, 'ghcr.io/org/app', 0)['signedIdentity'])['dockerRepository'] = '')), path: 'transports.docker["ghcr.io/org/app"][0].signedIdentity.dockerRepository', fragment: 'invalid dockerRepository' },
  { name: 'remapIdentity prefix with an uppercase path', text: () => mutated((p) => (o(req(p, 'registry.example.com', 1)['signedIdentity'])['prefix'] = 'example.com/NS')), path: 'transports.docker["registry.example.com"][1].signedIdentity.prefix', fragment: 'prefix "example.com/NS" is not valid' },
  { name: 'remapIdentity empty prefix', text: () => mutated((p) => (o(req(p, 'registry.example.com', 1)['signedIdentity'])['prefix'] = '')), path: 'transports.docker["registry.example.com"][1].signedIdentity.prefix', fragment: 'is not valid' },
  { name: 'remapIdentity prefix with a tag', text: () => mutated((p) => (o(req(p, 'registry.example.com', 1)['signedIdentity'])['signedPrefix'] = 'example.com/ns:tag')), path: 'transports.docker["registry.example.com"][1].signedIdentity.signedPrefix', fragment: 'is not valid' },
  { name: 'remapIdentity missing signedPrefix', text: () => mutated((p) => delete o(req(p, 'registry.example.com', 1)['signedIdentity'])['signedPrefix']), path: 'transports.docker["registry.example.com"][1].signedIdentity', fragment: 'needs "signedPrefix"' },
  // sigstoreSigned
  { name: 'sigstoreSigned without key source', text: () => mutated((p) => delete req(p, 'ghcr.io/org/app', 0)['keyPath']), path: 'transports.docker["ghcr.io/org/app"][0]', fragment: 'none is present' },
  { name: 'sigstoreSigned with key and fulcio', text: () => mutated((p) => (req(p, '*.example.org', 0)['keyPath'] = '/k')), path: 'transports.docker["*.example.org"][0]', fragment: 'keyPath and fulcio are present' },
  { name: 'sigstoreSigned empty keyPaths', text: () => mutated((p) => (docker(p)['ghcr.io/org/app'] = [{ type: 'sigstoreSigned', keyPaths: [] }])), path: 'transports.docker["ghcr.io/org/app"][0].keyPaths', fragment: 'at least one path' },
  { name: 'sigstoreSigned empty keyDatas', text: () => mutated((p) => (docker(p)['ghcr.io/org/app'] = [{ type: 'sigstoreSigned', keyDatas: [] }])), path: 'transports.docker["ghcr.io/org/app"][0].keyDatas', fragment: 'at least one key' },
  { name: 'fulcio without Rekor key', text: () => mutated((p) => delete req(p, '*.example.org', 0)['rekorPublicKeyPath']), path: 'transports.docker["*.example.org"][0]', fragment: 'fulcio needs a Rekor public key' },
  { name: 'two Rekor key sources', text: () => mutated((p) => (req(p, '*.example.org', 0)['rekorPublicKeyData'] = keyB64)), path: 'transports.docker["*.example.org"][0]', fragment: 'at most one Rekor key source' },
  { name: 'pki with a Rekor key', text: () => mutated((p) => (req(p, 'pki.example.net', 0)['rekorPublicKeyPath'] = '/r')), path: 'transports.docker["pki.example.net"][0].rekorPublicKeyPath', fragment: 'not supported together with pki' },
  { name: 'pki without subject', text: () => mutated((p) => delete o(req(p, 'pki.example.net', 0)['pki'])['subjectHostname']), path: 'transports.docker["pki.example.net"][0].pki', fragment: 'subjectEmail and subjectHostname' },
  { name: 'pki with two root sources', text: () => mutated((p) => (o(req(p, 'pki.example.net', 0)['pki'])['caRootsData'] = keyB64)), path: 'transports.docker["pki.example.net"][0].pki', fragment: 'caRootsPath and caRootsData' },
  { name: 'fulcio without CA', text: () => mutated((p) => delete o(req(p, '*.example.org', 0)['fulcio'])['caPath']), path: 'transports.docker["*.example.org"][0].fulcio', fragment: 'one of caPath and caData' },
  { name: 'fulcio without issuer', text: () => mutated((p) => delete o(req(p, '*.example.org', 0)['fulcio'])['oidcIssuer']), path: 'transports.docker["*.example.org"][0].fulcio.oidcIssuer', fragment: 'oidcIssuer must be specified' },
  { name: 'fulcio unknown key', text: () => mutated((p) => (o(req(p, '*.example.org', 0)['fulcio'])['subjectURI'] = 'x')), path: 'transports.docker["*.example.org"][0].fulcio.subjectURI', fragment: 'unknown key "subjectURI"' },
  { name: 'sigstoreSigned unknown key', text: () => mutated((p) => (req(p, 'ghcr.io/org/app', 0)['keyType'] = 'GPGKeys')), path: 'transports.docker["ghcr.io/org/app"][0].keyType', fragment: 'unknown key "keyType"' },
  { name: 'signedBaseLayer without identity', text: () => mutated((p) => (p['default'] = [{ type: 'signedBaseLayer' }])), path: 'default[0]', fragment: 'needs "baseLayerIdentity"' },
  // Scopes of known transports
  { name: 'dir scope relative', text: () => mutated((p) => (o(o(p['transports'])['dir'])['srv/images'] = [{ type: 'reject' }])), path: 'transports.dir["srv/images"]', fragment: 'must be an absolute path' },
  { name: 'dir scope "/"', text: () => mutated((p) => (o(o(p['transports'])['dir'])['/'] = [{ type: 'reject' }])), path: 'transports.dir["/"]', fragment: 'use the transport default' },
  { name: 'dir scope not clean', text: () => mutated((p) => (o(o(p['transports'])['dir'])['/srv//images/'] = [{ type: 'reject' }])), path: 'transports.dir["/srv//images/"]', fragment: 'perhaps "/srv/images"' },
  { name: 'oci scope with ..', text: () => mutated((p) => (o(o(p['transports'])['oci'])['/srv/oci/../x'] = [{ type: 'reject' }])), path: 'transports.oci["/srv/oci/../x"]', fragment: 'perhaps "/srv/x"' },
  { name: 'oci-archive scope relative', text: () => mutated((p) => (o(p['transports'])['oci-archive'] = { 'a.tar': [{ type: 'reject' }] })), path: 'transports["oci-archive"]["a.tar"]', fragment: 'must be an absolute path' },
  { name: 'docker-archive scope', text: () => mutated((p) => (o(p['transports'])['docker-archive'] = { '/a.tar': [{ type: 'reject' }] })), path: 'transports["docker-archive"]["/a.tar"]', fragment: 'supports no scope' },
  { name: 'docker-daemon image-ID scope', text: () => mutated((p) => (o(p['transports'])['docker-daemon'] = { [`sha256:${'a'.repeat(64)}`]: [{ type: 'reject' }] })), path: `transports["docker-daemon"]["sha256:${'a'.repeat(64)}"]`, fragment: 'image ID' },
  { name: 'containers-storage scope without store', text: () => mutated((p) => (o(p['transports'])['containers-storage'] = { 'docker.io/library/busybox': [{ type: 'reject' }] })), path: 'transports["containers-storage"]["docker.io/library/busybox"]', fragment: 'store specification' },
];

describe('parsePolicy: one thing broken at a time', () => {
  for (const c of cases) {
    it(c.name, () => expectInvalid(c.text(), c.path, c.fragment));
  }
});
