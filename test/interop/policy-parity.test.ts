/**
 * The differential suite: for the same containers-policy.json, registries.d, image and signatures, `signet
 * verify` must decide what `skopeo copy --policy …` decides. skopeo is the oracle.
 *
 * One docker-registry holds a few images; GPG keys (trusted A and B, untrusted C, a key with a signing subkey,
 * an expired, a revoked and a signature-expiring key) sign simple-signing payloads with `gpg` itself; each
 * signature set lives in its own `file:` lookaside directory with a registries.d pointing at it. Cases are the
 * cross products of policies × signature sets × references, in groups; every case runs both tools and the
 * decisions must agree (and policies that must not load make both refuse).
 *
 * Known differences with Debian's skopeo 1.9.3 (containers/image 5.23.1) are pinned in separate named tests.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { daysAgo, GpgHome, type GpgKey } from '../fixtures/gpg.js';
import {
  corruptPayloadByte,
  gpgSimpleSignature,
  registriesDYaml,
  simplePayload,
  typedBlob,
  writeLookasideSignatures,
  type RegistriesDSection,
} from '../fixtures/lookaside.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { skipUnlessPeers } from '../helpers/peers.js';
import { signet, skopeo, type RunResult } from '../helpers/run.js';

const skip = skipUnlessPeers('docker-registry', 'skopeo', 'gpg');

// ---- the world -----------------------------------------------------------------------------------------

/** Images in the registry, by name. `app-1` and `app-2` share a repository. */
const imageSpecs = {
  'app-1': { repo: 'ns/app', tag: '1', seed: 'parity-app-1' },
  'app-2': { repo: 'ns/app', tag: '2', seed: 'parity-app-2' },
  'lib-1': { repo: 'other/lib', tag: '1', seed: 'parity-lib-1' },
} as const;
type ImageName = keyof typeof imageSpecs;

interface Img {
  readonly name: ImageName;
  readonly repo: string;
  readonly tag: string;
  readonly fixture: FixtureImage;
  readonly digest: string;
  /** The digest of another image, for `sig-other-digest`. */
  readonly otherDigest: string;
}

/** References the tools are pointed at (without `docker://`). */
const refSpecs = {
  'app:1': { image: 'app-1', by: 'tag' },
  'app@digest': { image: 'app-1', by: 'digest' },
  'app:2': { image: 'app-2', by: 'tag' },
  'lib:1': { image: 'lib-1', by: 'tag' },
} as const satisfies Record<string, { image: ImageName; by: 'tag' | 'digest' }>;
type RefName = keyof typeof refSpecs;

type KeyName = 'A' | 'B' | 'C' | 'sub' | 'expired' | 'revoked' | 'sigExpiring';

interface World {
  readonly registry: RunningRegistry;
  readonly host: string;
  readonly work: string;
  readonly home: GpgHome;
  readonly keys: Readonly<Record<KeyName, GpgKey>>;
  readonly images: Readonly<Record<ImageName, Img>>;
  /** Keyring files. */
  readonly keyring: Readonly<Record<'A' | 'Aarmored' | 'B' | 'all' | 'sub' | 'empty', string>>;
  readonly keyringBytes: Readonly<Record<'A', Buffer>>;
  /** An empty lookaside directory. */
  readonly emptyLookaside: string;
  /** HOME for both tools (the built-in lookaside default of a non-root user lies below it). */
  readonly userHome: string;
}

let world: World;

function refString(w: World, name: RefName): string {
  const spec = refSpecs[name];
  const img = w.images[spec.image];
  return spec.by === 'tag' ? `${w.host}/${img.repo}:${img.tag}` : `${w.host}/${img.repo}@${img.digest}`;
}

/** The identity an image's own signatures name: its repository and tag on this registry. */
function ownIdentity(w: World, img: Img): string {
  return `${w.host}/${img.repo}:${img.tag}`;
}

// ---- signature sets ------------------------------------------------------------------------------------

type Blobs = (Buffer | undefined)[];
type SigSetBuilder = (w: World, img: Img) => Promise<Blobs>;

const sign = (w: World, key: KeyName, img: Img, identity = ownIdentity(w, img), digest = img.digest, options = {}): Promise<Buffer> =>
  gpgSimpleSignature(w.home, w.keys[key], digest, identity, options);

/** Payload variants that are not what containers/image writes. */
function malformedPayload(digest: string, identity: string, kind: 'extra-critical-key' | 'wrong-type'): Buffer {
  const critical: Record<string, unknown> = {
    identity: { 'docker-reference': identity },
    image: { 'docker-manifest-digest': digest },
    type: kind === 'wrong-type' ? 'cosign container image signature' : 'atomic container signature',
  };
  if (kind === 'extra-critical-key') critical['zzz'] = 'unexpected';
  return Buffer.from(JSON.stringify({ critical, optional: { creator: 'signet test', timestamp: 1_700_000_000 } }));
}

const garbage = Buffer.from('this is not a signature\n');

const sigSets: Readonly<Record<string, SigSetBuilder>> = {
  none: async () => [],
  'sig-A': async (w, img) => [await sign(w, 'A', img)],
  'sig-B': async (w, img) => [await sign(w, 'B', img)],
  'sig-other-key': async (w, img) => [await sign(w, 'C', img)],
  'sig-A+B': async (w, img) => [await sign(w, 'A', img), await sign(w, 'B', img)],
  'sig-other-key+A': async (w, img) => [await sign(w, 'C', img), await sign(w, 'A', img)],
  'sig-A-uncompressed': async (w, img) => [await sign(w, 'A', img, undefined, undefined, { compress: false })],
  'sig-other-digest': async (w, img) => [await sign(w, 'A', img, undefined, img.otherDigest)],
  'sig-corrupted': async (w, img) => {
    const identity = ownIdentity(w, img);
    const blob = await sign(w, 'A', img, identity, img.digest, { compress: false });
    return [corruptPayloadByte(blob, simplePayload(img.digest, identity))];
  },
  'sig-truncated': async (w, img) => {
    const blob = await sign(w, 'A', img);
    return [blob.subarray(0, blob.length - 20)];
  },
  'sig-garbage+A': async (w, img) => [garbage, await sign(w, 'A', img)],
  'sig-A+garbage': async (w, img) => [await sign(w, 'A', img), garbage],
  'sig-empty+A': async (w, img) => [Buffer.alloc(0), await sign(w, 'A', img)],
  'sig-pgp-garbage+A': async (w, img) => [Buffer.concat([Buffer.from([0xa3, 0x01]), garbage]), await sign(w, 'A', img)],
  'sig-armored': async (w, img) => [await sign(w, 'A', img, undefined, undefined, { mode: 'armor-sign' })],
  'sig-clearsign': async (w, img) => [await sign(w, 'A', img, undefined, undefined, { mode: 'clearsign' })],
  'sig-detached+A': async (w, img) => [await sign(w, 'A', img, undefined, undefined, { mode: 'detach-sign' }), await sign(w, 'A', img)],
  'sig-typed-simple-signing': async (w, img) => [typedBlob('simple-signing', await sign(w, 'A', img))],
  'sig-typed-unknown+A': async (w, img) => [typedBlob('x-unknown-format', Buffer.from('{}')), await sign(w, 'A', img)],
  'sig-extra-critical-key': async (w, img) => [await w.home.sign(malformedPayload(img.digest, ownIdentity(w, img), 'extra-critical-key'), w.keys.A)],
  'sig-wrong-type': async (w, img) => [await w.home.sign(malformedPayload(img.digest, ownIdentity(w, img), 'wrong-type'), w.keys.A)],
  'sig-two-signers': async (w, img) => [await sign(w, 'A', img, undefined, undefined, { alsoBy: [w.keys.B.fingerprint] })],
  'sig-gap-then-A': async (w, img) => [await sign(w, 'A', img, undefined, img.otherDigest), undefined, await sign(w, 'A', img)],
  'sig-expired-key': async (w, img) => [await sign(w, 'expired', img, undefined, undefined, { at: daysAgo(9) })],
  'sig-revoked-key': async (w, img) => [await sign(w, 'revoked', img)],
  'sig-expired': async (w, img) => [await sign(w, 'sigExpiring', img, undefined, undefined, { at: daysAgo(9), sigExpire: '1d' })],
  'sig-subkey': async (w, img) => [await sign(w, 'sub', img)],
  // Identity variants, all by A over the right digest.
  'sig-other-tag': async (w, img) => [await sign(w, 'A', img, `${w.host}/${img.repo}:other`)],
  'sig-other-repo': async (w, img) => [await sign(w, 'A', img, `${w.host}/elsewhere/${img.repo.split('/').pop() ?? ''}:${img.tag}`)],
  'sig-repo-only': async (w, img) => [await sign(w, 'A', img, `${w.host}/${img.repo}`)],
  'sig-digest-identity': async (w, img) => [await sign(w, 'A', img, `${w.host}/${img.repo}@${img.digest}`)],
  'sig-other-port': async (w, img) => [await sign(w, 'A', img, `127.0.0.1:1/${img.repo}:${img.tag}`)],
  /** What a vendor signed before the image was mirrored: `vendor.example.com/prod/<repo without its first segment>`. */
  'sig-vendor-ns': async (w, img) => [await sign(w, 'A', img, `vendor.example.com/prod/${img.repo.split('/').slice(1).join('/')}:${img.tag}`)],
  /** `vendor.example.com/<repo>`: the registry host replaced. */
  'sig-vendor-host': async (w, img) => [await sign(w, 'A', img, `vendor.example.com/${img.repo}:${img.tag}`)],
  /** A Docker Hub short name (`app:1` = docker.io/library/app:1). */
  'sig-short-name': async (w, img) => [await sign(w, 'A', img, `${img.repo.split('/').pop() ?? ''}:${img.tag}`)],
};
type SigSetName = keyof typeof sigSets;

// ---- registries.d layouts --------------------------------------------------------------------------------

/** Where a signature set's lookaside directory is configured; `L` is that directory, `E` an empty one. */
type RegistriesLayout = (host: string, L: string, E: string) => string[];

const one = (config: { defaultDocker?: RegistriesDSection; docker?: Record<string, RegistriesDSection> }): string[] => [registriesDYaml(config)];

const layouts: Readonly<Record<string, RegistriesLayout>> = {
  'default-docker': (_h, L) => one({ defaultDocker: { lookaside: L } }),
  'host-scope': (h, L) => one({ docker: { [h]: { lookaside: L } } }),
  'namespace-scope': (h, L, E) => one({ defaultDocker: { lookaside: E }, docker: { [`${h}/ns`]: { lookaside: L } } }),
  'repository-scope': (h, L, E) => one({ defaultDocker: { lookaside: E }, docker: { [`${h}/ns/app`]: { lookaside: L }, [`${h}/ns`]: { lookaside: E } } }),
  'tag-scope': (h, L, E) => one({ defaultDocker: { lookaside: E }, docker: { [`${h}/ns/app:1`]: { lookaside: L } } }),
  'wildcard-scope': (_h, L, E) => one({ defaultDocker: { lookaside: E }, docker: { '*.0.0.1': { lookaside: L } } }),
  'short-wildcard-scope': (_h, L, E) => one({ defaultDocker: { lookaside: E }, docker: { '*.1': { lookaside: L } } }),
  'host-beats-wildcard': (h, L, E) => one({ docker: { '*.0.0.1': { lookaside: E }, [h]: { lookaside: L } } }),
  'falls-through': (h, L) => one({ defaultDocker: { lookaside: L }, docker: { [`${h}/ns/app`]: { useSigstoreAttachments: false } } }),
  'deprecated-sigstore-key': (h, L) => one({ docker: { [h]: { sigstore: L } } }),
  'host-without-port': (_h, L, E) => one({ defaultDocker: { lookaside: E }, docker: { '127.0.0.1': { lookaside: L } } }),
  'two-files': (h, L, E) => [registriesDYaml({ defaultDocker: { lookaside: E } }), registriesDYaml({ docker: { [`${h}/ns`]: { lookaside: L } } })],
};

/** registries.d directories that must not load. */
const badLayouts: Readonly<Record<string, RegistriesLayout>> = {
  'default-docker in two files': (_h, L, E) => [registriesDYaml({ defaultDocker: { lookaside: L } }), registriesDYaml({ defaultDocker: { lookaside: E } })],
  'the same scope in two files': (h, L, E) => [registriesDYaml({ docker: { [h]: { lookaside: L } } }), registriesDYaml({ docker: { [h]: { lookaside: E } } })],
  'not YAML': () => ['default-docker: [lookaside: {\n'],
};

// ---- policies --------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
type PolicyBuilder = (w: World) => Json | string;

const signedBy = (keyPath: string, signedIdentity?: Json): Json => ({
  type: 'signedBy',
  keyType: 'GPGKeys',
  keyPath,
  ...(signedIdentity !== undefined ? { signedIdentity } : {}),
});
const byA = (w: World, signedIdentity?: Json): Json => signedBy(w.keyring.A, signedIdentity);
const byB = (w: World): Json => signedBy(w.keyring.B);
const insecure: Json = { type: 'insecureAcceptAnything' };
const reject: Json = { type: 'reject' };
const docker = (scopes: Record<string, Json[]>, dflt: Json[] = [reject]): Json => ({ default: dflt, transports: { docker: scopes } });

/** Key and signature-shape policies. */
const keyPolicies: Readonly<Record<string, PolicyBuilder>> = {
  'signedBy A': (w) => ({ default: [byA(w)] }),
  'signedBy A or B (keyPaths)': (w) => ({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPaths: [w.keyring.A, w.keyring.B] }] }),
  'signedBy A and signedBy B': (w) => ({ default: [byA(w), byB(w)] }),
  'signedBy every trusted key': (w) => ({ default: [signedBy(w.keyring.all)] }),
};

const otherKeyPolicies: Readonly<Record<string, PolicyBuilder>> = {
  'signedBy A (keyData)': (w) => ({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyData: w.keyringBytes.A.toString('base64') }] }),
  'signedBy A (armored keyring)': (w) => ({ default: [signedBy(w.keyring.Aarmored)] }),
  'insecureAcceptAnything and signedBy A': (w) => ({ default: [insecure, byA(w)] }),
  'keyType signedByGPGKeys (not implemented)': (w) => ({ default: [{ type: 'signedBy', keyType: 'signedByGPGKeys', keyPath: w.keyring.A }] }),
  'signedBy an empty keyring': (w) => ({ default: [signedBy(w.keyring.empty)] }),
  insecureAcceptAnything: () => ({ default: [insecure] }),
  reject: () => ({ default: [reject] }),
};

/** signedIdentity rules, all signedBy A. */
const identityPolicies: Readonly<Record<string, PolicyBuilder>> = {
  'default identity (matchRepoDigestOrExact)': (w) => ({ default: [byA(w)] }),
  matchExact: (w) => ({ default: [byA(w, { type: 'matchExact' })] }),
  matchRepoDigestOrExact: (w) => ({ default: [byA(w, { type: 'matchRepoDigestOrExact' })] }),
  matchRepository: (w) => ({ default: [byA(w, { type: 'matchRepository' })] }),
  'exactReference app:1': (w) => ({ default: [byA(w, { type: 'exactReference', dockerReference: `${w.host}/ns/app:1` })] }),
  'exactReference app@digest': (w) => ({ default: [byA(w, { type: 'exactReference', dockerReference: `${w.host}/ns/app@${w.images['app-1'].digest}` })] }),
  'exactRepository ns/app': (w) => ({ default: [byA(w, { type: 'exactRepository', dockerRepository: `${w.host}/ns/app` })] }),
  'exactRepository elsewhere/app': (w) => ({ default: [byA(w, { type: 'exactRepository', dockerRepository: `${w.host}/elsewhere/app` })] }),
  'remapIdentity ns → vendor.example.com/prod': (w) => ({
    default: [byA(w, { type: 'remapIdentity', prefix: `${w.host}/ns`, signedPrefix: 'vendor.example.com/prod' })],
  }),
  'remapIdentity host → vendor.example.com': (w) => ({ default: [byA(w, { type: 'remapIdentity', prefix: w.host, signedPrefix: 'vendor.example.com' })] }),
  'remapIdentity ns → docker.io/library': (w) => ({ default: [byA(w, { type: 'remapIdentity', prefix: `${w.host}/ns`, signedPrefix: 'docker.io/library' })] }),
  'remapIdentity partial segment (never applies)': (w) => ({
    default: [byA(w, { type: 'remapIdentity', prefix: `${w.host}/n`, signedPrefix: 'vendor.example.com/prod' })],
  }),
  'remapIdentity ns/app (a short prefix: valid, never applies)': (w) => ({
    default: [byA(w, { type: 'remapIdentity', prefix: 'ns/app', signedPrefix: 'vendor.example.com/prod' })],
  }),
  'remapIdentity host without port (never applies)': (w) => ({
    default: [byA(w, { type: 'remapIdentity', prefix: '127.0.0.1', signedPrefix: 'vendor.example.com' })],
  }),
  'remapIdentity repository → bare host (rewrite is invalid)': (w) => ({
    default: [byA(w, { type: 'remapIdentity', prefix: `${w.host}/ns/app`, signedPrefix: 'vendor.example.com' })],
  }),
};
const identitySigSets: readonly SigSetName[] = [
  'sig-A',
  'sig-other-tag',
  'sig-other-repo',
  'sig-repo-only',
  'sig-digest-identity',
  'sig-other-port',
  'sig-vendor-ns',
  'sig-vendor-host',
  'sig-short-name',
];

/** Scope precedence: which requirement list applies. */
const scopePolicies: Readonly<Record<string, PolicyBuilder>> = {
  'tag, repository, namespace, host scopes': (w) =>
    docker({ [`${w.host}/ns/app:1`]: [byA(w)], [`${w.host}/ns/app`]: [byB(w)], [`${w.host}/ns`]: [insecure], [w.host]: [reject] }),
  'digest scope beats transport default': (w) => docker({ '': [byA(w)], [`${w.host}/ns/app@${w.images['app-1'].digest}`]: [reject] }, [insecure]),
  'transport default beats global default': (w) => docker({ '': [byA(w)] }, [byB(w)]),
  'global default when docker has no scopes': (w) => docker({}, [byA(w)]),
  'other transports do not apply': (w) => ({ default: [byA(w)], transports: { dir: { '': [reject] }, 'docker-daemon': { '': [insecure] } } }),
  'wildcard *.0.0.1': (w) => docker({ '*.0.0.1': [byA(w)] }, [insecure]),
  'wildcard *.0.0.1 beats *.0.1 and *.1': (w) => docker({ '*.1': [reject], '*.0.1': [byB(w)], '*.0.0.1': [byA(w)] }, [insecure]),
  'wildcard *.1': (w) => docker({ '*.1': [byA(w)] }, [reject]),
  'host beats wildcard': (w) => docker({ [w.host]: [byA(w)], '*.0.0.1': [byB(w)] }),
  'namespace beats wildcard': (w) => docker({ [`${w.host}/ns`]: [byA(w)], '*.0.0.1': [reject] }, [insecure]),
  'wildcard that never matches (*.127.0.0.1)': (w) => docker({ '*.127.0.0.1': [reject] }, [byA(w)]),
  'host without port never matches': (w) => docker({ '127.0.0.1': [reject] }, [byA(w)]),
  'partial path segment never matches': (w) => docker({ [`${w.host}/ns/ap`]: [reject], [`${w.host}/n`]: [reject] }, [byA(w)]),
  'two requirements in a namespace': (w) => docker({ [`${w.host}/ns`]: [byA(w), byB(w)] }, [insecure]),
  'first match wins, no merging': (w) => docker({ [`${w.host}/ns/app`]: [insecure], [`${w.host}/ns`]: [reject] }, [reject]),
  'other repository scopes': (w) => docker({ [`${w.host}/other`]: [byB(w)], [`${w.host}/ns/app:2`]: [insecure] }, [byA(w)]),
};

/** Policies that must not load: skopeo fails with a policy error, Signet exits 2. */
const unloadablePolicies: Readonly<Record<string, PolicyBuilder>> = {
  'not JSON': () => '{"default": [{"type": "insecureAcceptAnything"}]',
  'trailing data': () => '{"default": [{"type": "insecureAcceptAnything"}]} {}',
  'duplicate top-level key': () => '{"default": [{"type": "reject"}], "default": [{"type": "insecureAcceptAnything"}]}',
  'duplicate key in a requirement': () => '{"default": [{"type": "insecureAcceptAnything", "type": "insecureAcceptAnything"}]}',
  'duplicate scope': (w) => `{"default": [{"type": "reject"}], "transports": {"docker": {"${w.host}": [{"type": "reject"}], "${w.host}": [{"type": "insecureAcceptAnything"}]}}}`,
  'unknown top-level key': () => ({ default: [insecure], extra: true }),
  'unknown key in a requirement': () => ({ default: [{ type: 'insecureAcceptAnything', extra: 1 }] }),
  'unknown key in signedBy': (w) => ({ default: [{ ...byA(w), keyPathz: 'x' }] }),
  'unknown requirement type': () => ({ default: [{ type: 'acceptEverything' }] }),
  'empty default list': () => ({ default: [] }),
  'empty scope list': (w) => docker({ [w.host]: [] }, [insecure]),
  'empty transport default list': () => docker({ '': [] }, [insecure]),
  'no default': (w) => ({ transports: { docker: { [w.host]: [insecure] } } }),
  'default is null': () => ({ default: null }),
  'signedBy without keyType': (w) => ({ default: [{ type: 'signedBy', keyPath: w.keyring.A }] }),
  'signedBy with an unknown keyType': (w) => ({ default: [{ type: 'signedBy', keyType: 'PGPKeys', keyPath: w.keyring.A }] }),
  'signedBy with keyPath and keyData': (w) => ({ default: [{ ...byA(w), keyData: w.keyringBytes.A.toString('base64') }] }),
  'signedBy with no key': () => ({ default: [{ type: 'signedBy', keyType: 'GPGKeys' }] }),
  'signedBy keyData not base64': () => ({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyData: '***' }] }),
  'signedIdentity of unknown type': (w) => ({ default: [byA(w, { type: 'matchAnything' })] }),
  'exactReference without tag or digest': (w) => ({ default: [byA(w, { type: 'exactReference', dockerReference: `${w.host}/ns/app` })] }),
  'exactRepository that is not a reference': (w) => ({ default: [byA(w, { type: 'exactRepository', dockerRepository: 'example.com/UPPER' })] }),
  'remapIdentity prefix that is not a name': (w) => ({ default: [byA(w, { type: 'remapIdentity', prefix: 'example.com/UPPER', signedPrefix: 'vendor.example.com/prod' })] }),
  'remapIdentity prefix with a tag': (w) => ({ default: [byA(w, { type: 'remapIdentity', prefix: `${w.host}/ns/app:1`, signedPrefix: 'vendor.example.com/prod' })] }),
  'remapIdentity without signedPrefix': (w) => ({ default: [byA(w, { type: 'remapIdentity', prefix: `${w.host}/ns` })] }),
  'requirement list is not a list': () => ({ default: { type: 'insecureAcceptAnything' } }),
  'transport scopes not an object': () => ({ default: [insecure], transports: { docker: [] } }),
};

// ---- cases -----------------------------------------------------------------------------------------------

interface Case {
  readonly group: string;
  readonly policy: string;
  readonly sigSet: SigSetName;
  readonly layout: string;
  readonly ref: RefName;
  /** Both tools must refuse to evaluate (unloadable policy or registries.d). */
  readonly mustNotLoad?: boolean;
}

function cross(group: string, policies: readonly string[], sets: readonly SigSetName[], refs: readonly RefName[], layout = 'default-docker'): Case[] {
  return policies.flatMap((policy) => sets.flatMap((sigSet) => refs.map((ref) => ({ group, policy, sigSet, layout, ref }))));
}

const shapeSigSets = Object.keys(sigSets).filter((s) => !identitySigSets.includes(s) || s === 'sig-A').filter((s) => s !== 'sig-subkey');

const remapPolicies = Object.keys(identityPolicies).filter((p) => p.startsWith('remapIdentity'));
const plainIdentityPolicies = Object.keys(identityPolicies).filter((p) => !p.startsWith('remapIdentity'));

const groups: Readonly<Record<string, Case[]>> = {
  'keys and signature shapes': [
    ...cross('keys', ['signedBy A', 'signedBy every trusted key'], shapeSigSets, ['app:1']),
    ...cross(
      'keys',
      ['signedBy A and signedBy B'],
      ['none', 'sig-A', 'sig-B', 'sig-A+B', 'sig-other-key+A', 'sig-two-signers', 'sig-garbage+A', 'sig-A+garbage'],
      ['app:1'],
    ),
    ...cross('keys', ['signedBy A or B (keyPaths)'], ['none', 'sig-A', 'sig-B', 'sig-other-key', 'sig-A+B', 'sig-two-signers'], ['app:1']),
    ...cross('keys', ['signedBy A', 'signedBy A and signedBy B'], ['none', 'sig-A', 'sig-A+B', 'sig-other-digest', 'sig-garbage+A'], ['app@digest']),
    ...cross('keys', Object.keys(otherKeyPolicies), ['none', 'sig-A', 'sig-other-key', 'sig-garbage+A'], ['app:1']),
  ],
  'signedIdentity rules': [
    ...cross('identity', plainIdentityPolicies, ['sig-A', 'sig-other-tag', 'sig-other-repo', 'sig-repo-only', 'sig-digest-identity', 'sig-other-port'], ['app:1']),
    ...cross('identity', remapPolicies, identitySigSets, ['app:1']),
    ...cross('identity', plainIdentityPolicies, ['sig-A', 'sig-other-tag', 'sig-other-repo', 'sig-repo-only', 'sig-digest-identity'], ['app@digest']),
    ...cross('identity', remapPolicies.filter((p) => /ns → vendor|bare host/.test(p)), ['sig-A', 'sig-vendor-ns'], ['app@digest']),
    ...cross('identity', remapPolicies.filter((p) => /→ vendor|→ docker/.test(p)), ['sig-A', 'sig-vendor-ns', 'sig-vendor-host', 'sig-short-name'], ['lib:1']),
  ],
  'scope precedence': [
    ...cross('scopes', Object.keys(scopePolicies), ['sig-A', 'sig-B'], ['app:1', 'app@digest', 'lib:1']),
    ...cross('scopes', ['tag, repository, namespace, host scopes', 'other repository scopes'], ['sig-A', 'sig-B'], ['app:2']),
  ],
  'registries.d lookaside locations': Object.keys(layouts).flatMap((layout) => cross('registries.d', ['signedBy A'], ['sig-A'], ['app:1', 'app@digest', 'lib:1'], layout)),
  'policies and registries.d that must not load': [
    ...Object.keys(unloadablePolicies).map((policy): Case => ({ group: 'unloadable', policy, sigSet: 'sig-A', layout: 'default-docker', ref: 'app:1', mustNotLoad: true })),
    ...Object.keys(badLayouts).map((layout): Case => ({ group: 'unloadable', policy: 'insecureAcceptAnything', sigSet: 'sig-A', layout, ref: 'app:1', mustNotLoad: true })),
  ],
};

/** Policies of the known-difference tests. */
const knownDifferencePolicies: Readonly<Record<string, PolicyBuilder>> = {
  'signedBy the subkey holder': (w) => ({ default: [signedBy(w.keyring.sub)] }),
  'exactRepository UPPER/case': (w) => ({ default: [byA(w, { type: 'exactRepository', dockerRepository: 'UPPER/case' })] }),
};

const allPolicies: Readonly<Record<string, PolicyBuilder>> = {
  ...keyPolicies,
  ...otherKeyPolicies,
  ...identityPolicies,
  ...scopePolicies,
  ...unloadablePolicies,
  ...knownDifferencePolicies,
};
const allLayouts: Readonly<Record<string, RegistriesLayout>> = { ...layouts, ...badLayouts };

// ---- running -------------------------------------------------------------------------------------------

const slug = (s: string): string => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();

const policyFiles = new Map<string, string>();
const registriesDirs = new Map<string, string>();

async function policyFile(name: string): Promise<string> {
  let path = policyFiles.get(name);
  if (path === undefined) {
    const builder = allPolicies[name];
    if (builder === undefined) throw new Error(`no policy ${name}`);
    const built = builder(world);
    path = join(world.work, 'policies', `${slug(name)}.json`);
    await writeFile(path, typeof built === 'string' ? built : JSON.stringify(built, null, 2));
    policyFiles.set(name, path);
  }
  return path;
}

/** The registries.d directory for a signature set in a layout (written on first use). */
async function registriesDir(sigSet: SigSetName, layout: string): Promise<string> {
  const key = `${sigSet}/${layout}`;
  let dir = registriesDirs.get(key);
  if (dir === undefined) {
    const builder = allLayouts[layout];
    if (builder === undefined) throw new Error(`no registries.d layout ${layout}`);
    dir = join(world.work, 'registries.d', slug(sigSet), slug(layout));
    await mkdir(dir, { recursive: true });
    const files = builder(world.host, lookasideOf(world.work, sigSet), world.emptyLookaside);
    for (const [i, text] of files.entries()) await writeFile(join(dir, `${i + 1}-signet-test.yaml`), text);
    registriesDirs.set(key, dir);
  }
  return dir;
}

function lookasideOf(work: string, sigSet: SigSetName): string {
  return join(work, 'lookaside', slug(sigSet));
}

type Decision = 'accepted' | 'rejected' | 'refused' | 'error';

interface Outcome {
  readonly skopeo: Decision;
  readonly signet: Decision;
  readonly skopeoResult: RunResult;
  readonly signetResult: RunResult;
}

function toolEnv(): NodeJS.ProcessEnv {
  return { ...process.env, HOME: world.userHome, XDG_RUNTIME_DIR: world.userHome, LC_ALL: 'C' };
}

let outCounter = 0;

async function runCase(c: Case, options: { copySignatures?: boolean } = {}): Promise<Outcome> {
  const policy = await policyFile(c.policy);
  const registries = await registriesDir(c.sigSet, c.layout);
  const ref = `docker://${refString(world, c.ref)}`;
  const dest = join(world.work, 'out', String(++outCounter));
  const env = toolEnv();
  const [skopeoResult, signetResult] = await Promise.all([
    // --remove-signatures: the decision is the policy's alone (copying would also read every signature, and
    // fail on an unreadable one even when the policy never looks at signatures).
    skopeo(
      ['--policy', policy, '--registries.d', registries, 'copy', ...(options.copySignatures === true ? [] : ['--remove-signatures']), '--src-tls-verify=false', ref, `dir:${dest}`],
      { env },
    ),
    signet(['--policy', policy, '--registries.d', registries, '--output', 'json', 'verify', '--tls-verify=false', ref], { env }),
  ]);
  await rm(dest, { recursive: true, force: true });
  return { skopeo: skopeoDecision(skopeoResult), signet: signetDecision(signetResult), skopeoResult, signetResult };
}

function skopeoDecision(r: RunResult): Decision {
  if (r.code === 0) return 'accepted';
  if (/Source image rejected/.test(r.stderr)) return 'rejected';
  if (/polic|registries\.d|registries configuration|signature storage/i.test(r.stderr)) return 'refused';
  return 'error';
}

function signetDecision(r: RunResult): Decision {
  if (r.code === 2) return 'refused';
  if (r.code !== 0 && r.code !== 1) return 'error';
  try {
    const verdict = JSON.parse(r.stdout) as { allowed?: unknown };
    if (verdict.allowed === true && r.code === 0) return 'accepted';
    if (verdict.allowed === false && r.code === 1) return 'rejected';
  } catch {
    // not a verdict
  }
  return 'error';
}

function agrees(c: Case, o: Outcome): boolean {
  if (c.mustNotLoad === true) return o.skopeo === 'refused' && o.signet === 'refused';
  if (o.signet === 'error' || o.skopeo === 'error') return false;
  return (o.skopeo === 'accepted') === (o.signet === 'accepted');
}

function describeCase(c: Case): string {
  return `[${c.group}] policy "${c.policy}", ${c.sigSet}${c.layout === 'default-docker' ? '' : ` (registries.d ${c.layout})`}, ${c.ref}`;
}

function describeDisagreement(c: Case, o: Outcome): string {
  const skopeoWhy = o.skopeoResult.stderr.trim().split('\n').pop() ?? '';
  let signetWhy = o.signetResult.stderr.trim();
  if (signetWhy === '') {
    try {
      const v = JSON.parse(o.signetResult.stdout) as { requirements?: { code?: string }[] };
      signetWhy = (v.requirements ?? []).map((r) => r.code ?? 'ok').join(', ');
    } catch {
      signetWhy = o.signetResult.stdout.slice(0, 200);
    }
  }
  return `${describeCase(c)}: skopeo ${o.skopeo} (${o.skopeoResult.code}: ${skopeoWhy}); signet ${o.signet} (${o.signetResult.code}: ${signetWhy})`;
}

/** Run `cases` a few at a time; returns the disagreements and how often skopeo decided each way. */
async function runAll(cases: readonly Case[], concurrency = 4): Promise<{ problems: string[]; decisions: Record<Decision, number> }> {
  const problems: string[] = [];
  const decisions: Record<Decision, number> = { accepted: 0, rejected: 0, refused: 0, error: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++] as Case;
      const o = await runCase(c);
      decisions[o.skopeo]++;
      if (!agrees(c, o)) problems.push(describeDisagreement(c, o));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { problems, decisions };
}

// ---- setup ---------------------------------------------------------------------------------------------

async function exportKeyring(home: GpgHome, path: string, keys: readonly GpgKey[], armor = false): Promise<string> {
  await writeFile(path, await home.exportPublic(keys.map((k) => k.fingerprint), { armor }));
  return path;
}

/** What `after` must clean up even when setting up failed half-way. */
const started: { registry?: RunningRegistry; home?: GpgHome; work?: string } = {};

async function setUp(): Promise<World> {
  const registry = (started.registry = await startDockerRegistry());
  const work = (started.work = await mkdtemp(join(tmpdir(), 'signet-parity-')));
  const home = (started.home = await GpgHome.create());
  for (const d of ['policies', 'registries.d', 'lookaside', 'out', 'images', 'user-home', 'empty-lookaside']) await mkdir(join(work, d), { recursive: true });

  const fixtures = Object.fromEntries(
    Object.entries(imageSpecs).map(([name, spec]) => [name, makeImage({ format: 'oci', layers: 1, layerBytes: 256, seed: spec.seed })]),
  ) as Record<ImageName, FixtureImage>;
  const names = Object.keys(imageSpecs) as ImageName[];
  const images = {} as Record<ImageName, Img>;
  for (const [i, name] of names.entries()) {
    const spec = imageSpecs[name];
    const fixture = fixtures[name];
    const other = fixtures[names[(i + 1) % names.length] as ImageName];
    images[name] = { name, repo: spec.repo, tag: spec.tag, fixture, digest: fixture.manifestDigest, otherDigest: other.manifestDigest };
  }
  for (const img of Object.values(images)) {
    const dir = join(work, 'images', img.name);
    await writeDirImage(dir, img.fixture);
    const push = await signet(['--insecure-policy', 'copy', '--dest-tls-verify=false', `dir:${dir}`, `docker://${registry.host}/${img.repo}:${img.tag}`]);
    if (push.code !== 0) throw new Error(`pushing ${img.name}: ${push.stderr}`);
  }

  const past = daysAgo(10);
  const keys: Record<KeyName, GpgKey> = {
    A: await home.generateKey('trusted-a'),
    B: await home.generateKey('trusted-b'),
    C: await home.generateKey('untrusted-c'),
    sub: await home.generateKey('with-subkey', { signingSubkey: true }),
    expired: await home.generateKey('expired', { createdAt: past, expire: '2d' }),
    revoked: await home.generateKey('revoked'),
    sigExpiring: await home.generateKey('sig-expiring', { createdAt: past }),
  };
  const partial: World = {
    registry,
    host: registry.host,
    work,
    home,
    keys,
    images,
    keyring: { A: '', Aarmored: '', B: '', all: '', sub: '', empty: '' },
    keyringBytes: { A: Buffer.alloc(0) },
    emptyLookaside: join(work, 'empty-lookaside'),
    userHome: join(work, 'user-home'),
  };

  // Signatures first: a revoked key cannot sign any more.
  const sets = Object.entries(sigSets);
  for (const [name, build] of sets) {
    for (const img of Object.values(images)) {
      await writeLookasideSignatures(lookasideOf(work, name), img.repo, img.digest, await build(partial, img));
    }
  }
  await home.revokeKey(keys.revoked);

  const k = (name: string): string => join(work, name);
  const keyring = {
    A: await exportKeyring(home, k('a.gpg'), [keys.A]),
    Aarmored: await exportKeyring(home, k('a.asc'), [keys.A], true),
    B: await exportKeyring(home, k('b.gpg'), [keys.B]),
    all: await exportKeyring(home, k('all.gpg'), [keys.A, keys.B, keys.sub, keys.expired, keys.revoked, keys.sigExpiring]),
    sub: await exportKeyring(home, k('sub.gpg'), [keys.sub]),
    empty: k('empty.gpg'),
  };
  await writeFile(keyring.empty, Buffer.alloc(0));
  return { ...partial, keyring, keyringBytes: { A: await home.exportPublic([keys.A.fingerprint]) } };
}

// ---- tests ---------------------------------------------------------------------------------------------

describe('signet verify decides what skopeo copy --policy decides', { skip }, () => {
  before(async () => {
    world = await setUp();
  });
  after(async () => {
    await started.registry?.stop();
    await started.home?.cleanup();
    if (started.work !== undefined) await rm(started.work, { recursive: true, force: true });
  });

  for (const [title, cases] of Object.entries(groups)) {
    it(`${title}: ${cases.length} cases agree`, async (t) => {
      const { problems, decisions } = await runAll(cases);
      t.diagnostic(`skopeo decisions: ${JSON.stringify(decisions)}`);
      assert.deepEqual(problems, [], `${problems.length} of ${cases.length} cases disagree:\n${problems.join('\n')}`);
      // The matrix is not vacuous: both answers occur (policies that must not load are all refused).
      if (cases.every((c) => c.mustNotLoad === true)) assert.equal(decisions.refused, cases.length);
      else assert.ok(decisions.accepted > 0 && decisions.rejected > 0, JSON.stringify(decisions));
    });
  }

  it('the suite has at least 100 generated cases', () => {
    const total = Object.values(groups).reduce((n, g) => n + g.length, 0);
    assert.ok(total >= 100, `${total} cases`);
  });

  it('known difference (signing subkey): Signet accepts a signature by a trusted key’s signing subkey as current containers/image does; Debian skopeo 1.9.3 rejects it', async () => {
    const o = await runCase({ group: 'known difference', policy: 'signedBy the subkey holder', sigSet: 'sig-subkey', layout: 'default-docker', ref: 'app:1' });
    assert.equal(o.signet, 'accepted', o.signetResult.stdout + o.signetResult.stderr);
    assert.equal(o.skopeo, 'rejected', o.skopeoResult.stderr);
  });

  it('known difference (uppercase first path component): Signet reads UPPER/case as host UPPER as current docker/reference does and loads exactRepository UPPER/case; Debian skopeo 1.9.3 refuses the policy', async () => {
    const o = await runCase({ group: 'known difference', policy: 'exactRepository UPPER/case', sigSet: 'sig-A', layout: 'default-docker', ref: 'app:1' });
    assert.equal(o.skopeo, 'refused', o.skopeoResult.stderr);
    assert.match(o.skopeoResult.stderr, /must be lowercase/);
    assert.equal(o.signet, 'rejected', o.signetResult.stdout + o.signetResult.stderr);
    assert.match(o.signetResult.stdout, /IDENTITY_MISMATCH/);
  });

  it('not a policy difference: with insecureAcceptAnything and an unreadable signature, skopeo copy fails while copying the signatures (its policy accepted); signet verify accepts', async () => {
    const c: Case = { group: 'copy', policy: 'insecureAcceptAnything', sigSet: 'sig-garbage+A', layout: 'default-docker', ref: 'app:1' };
    const copying = await runCase(c, { copySignatures: true });
    assert.equal(copying.skopeo, 'error', copying.skopeoResult.stderr);
    assert.match(copying.skopeoResult.stderr, /reading signatures: parsing signature/);
    assert.equal(copying.signet, 'accepted');
    const policyOnly = await runCase(c);
    assert.equal(policyOnly.skopeo, 'accepted', policyOnly.skopeoResult.stderr);
  });
});
