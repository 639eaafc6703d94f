/**
 * `signet verify` and `signet verify-installable` as users run them: the offline check makes no network
 * connection, the verdict has SPEC §3.2's shape and explains itself, every verdict code comes out of real inputs,
 * and `--key` builds an implicit policy from GPG keyrings or cosign public keys.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publicKeyPem } from '../../src/signature/index.js';
import { cosignTestKey, writeSigAttachmentDir, type CosignTestKey } from '../fixtures/cosign-attachments.js';
import { daysAgo, GpgHome, type GpgKey } from '../fixtures/gpg.js';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { corruptPayloadByte, gpgSimpleSignature, registriesDYaml, simplePayload, writeLookasideSignatures, writeRegistriesD } from '../fixtures/lookaside.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { skipUnlessPeers } from '../helpers/peers.js';
import { signet, type RunResult } from '../helpers/run.js';

/** A registry that cannot be reached: a closed port on loopback. */
const unreachableIdentity = '127.0.0.1:9/app:1';
const networkMarker = 'SIGNET-TEST: a network connection was attempted';

/** The SPEC §3.2 keys of each level of the verdict, and the extensions Signet adds. */
const specKeys = {
  verdict: ['image', 'identity', 'manifestDigest', 'allowed', 'policy', 'requirements'],
  verdictExtra: ['nextStep'],
  policy: ['file', 'transport', 'scope'],
  requirement: ['type', 'summary', 'satisfied', 'signatures'],
  requirementExtra: ['code', 'nextStep'],
  signature: ['index', 'source', 'format', 'accepted', 'code', 'signer', 'message'],
  signatureExtra: ['status'],
};

interface SignatureJson {
  index: number;
  source: string;
  format: string;
  accepted: boolean;
  status: string;
  code?: string;
  signer?: string;
  message: string;
}
interface RequirementJson {
  type: string;
  summary: string;
  satisfied: boolean;
  code?: string;
  signatures: SignatureJson[];
  nextStep?: string;
}
interface VerdictJson {
  image: string;
  identity: string;
  manifestDigest: string;
  allowed: boolean;
  policy: { file: string; transport: string; scope: string };
  requirements: RequirementJson[];
  nextStep?: string;
}

function parseVerdict(r: RunResult): VerdictJson {
  try {
    return JSON.parse(r.stdout) as VerdictJson;
  } catch {
    assert.fail(`not a JSON verdict (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
}

/** Keys of `o` are the SPEC's (all of them, except those optional there) plus only the named extensions. */
function assertKeys(o: object, required: readonly string[], extra: readonly string[], optional: readonly string[] = []): void {
  const keys = Object.keys(o);
  for (const k of required) if (!optional.includes(k)) assert.ok(keys.includes(k), `missing key ${k} in ${JSON.stringify(o)}`);
  for (const k of keys) assert.ok(required.includes(k) || extra.includes(k), `unexpected key ${k} in ${JSON.stringify(o)}`);
}

function assertVerdictShape(v: VerdictJson): void {
  assertKeys(v, specKeys.verdict, specKeys.verdictExtra);
  assert.equal(typeof v.image, 'string');
  assert.equal(typeof v.identity, 'string');
  assert.match(v.manifestDigest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(typeof v.allowed, 'boolean');
  assertKeys(v.policy, specKeys.policy, []);
  assert.ok(Array.isArray(v.requirements) && v.requirements.length > 0);
  for (const r of v.requirements) {
    assertKeys(r, specKeys.requirement, specKeys.requirementExtra);
    assert.equal(typeof r.summary, 'string');
    assert.equal(typeof r.satisfied, 'boolean');
    for (const s of r.signatures) {
      // code only on a rejection, signer once the signature verified against a key.
      assertKeys(s, specKeys.signature, specKeys.signatureExtra, ['code', 'signer']);
      assert.equal(typeof s.index, 'number');
      assert.equal(typeof s.accepted, 'boolean');
      assert.equal(typeof s.message, 'string');
      if (!s.accepted && s.status === 'rejected') assert.equal(typeof s.code, 'string');
    }
  }
}

const policyJson = (requirements: unknown[], scopes: Record<string, unknown[]> = {}): string =>
  JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { ...scopes, '127.0.0.1:9/app': requirements } } }, null, 2);

describe('verify-installable and verdict codes (offline)', { skip: skipUnlessPeers('gpg') }, () => {
  let work: string;
  let home: GpgHome;
  let keys: Record<'A' | 'C' | 'expired' | 'revoked' | 'sigExpiring', GpgKey>;
  let image: FixtureImage;
  let preload: string;
  const keyring: Record<'A' | 'all', string> = { A: '', all: '' };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'signet-verify-'));
    home = await GpgHome.create();
    keys = {
      A: await home.generateKey('trusted-a'),
      C: await home.generateKey('untrusted-c'),
      expired: await home.generateKey('expired', { createdAt: daysAgo(10), expire: '2d' }),
      revoked: await home.generateKey('revoked'),
      sigExpiring: await home.generateKey('sig-expiring', { createdAt: daysAgo(10) }),
    };
    image = makeImage({ format: 'oci', layers: 1, layerBytes: 256, seed: 'verify-offline' });
    preload = join(work, 'no-network.mjs');
    await writeFile(
      preload,
      [
        "import net from 'node:net';",
        "import dns from 'node:dns';",
        'const refuse = (what) => function () {',
        `  process.stderr.write(${JSON.stringify(networkMarker)} + ' (' + what + ')\\n');`,
        `  throw new Error(${JSON.stringify(networkMarker)});`,
        '};',
        "net.Socket.prototype.connect = refuse('net.Socket.connect');",
        "dns.lookup = refuse('dns.lookup');",
        "dns.promises.lookup = refuse('dns.promises.lookup');",
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await home?.cleanup();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  let dirCounter = 0;
  /** A dir: download of the image with these signature files. */
  const download = async (signatures: Buffer[]): Promise<string> => {
    const dir = join(work, `download-${++dirCounter}`);
    await writeDirImage(dir, image, signatures);
    return dir;
  };
  const policyFile = async (requirements: unknown[]): Promise<string> => {
    const path = join(work, `policy-${++dirCounter}.json`);
    await writeFile(path, policyJson(requirements));
    return path;
  };
  const offlineEnv = (): NodeJS.ProcessEnv => ({ ...process.env, HOME: work, NODE_OPTIONS: `--import ${preload}` });
  const installable = (policy: string, dir: string, output: 'json' | 'text' = 'json'): Promise<RunResult> =>
    signet(['--policy', policy, '--output', output, 'verify-installable', '--identity', unreachableIdentity, dir], { env: offlineEnv() });
  const signedBy = (path: string): unknown => ({ type: 'signedBy', keyType: 'GPGKeys', keyPath: path });
  const sign = (key: GpgKey, digest: string = image.manifestDigest, identity = unreachableIdentity, options = {}): Promise<Buffer> =>
    gpgSimpleSignature(home, key, digest, identity, options);

  it('the no-network preload really stops connections (control)', async () => {
    const policy = await policyFile([{ type: 'insecureAcceptAnything' }]);
    const r = await signet(['--policy', policy, 'verify', '--tls-verify=false', `docker://${unreachableIdentity}`], { env: offlineEnv() });
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(networkMarker), r.stderr);
  });

  it('verify-installable accepts a good signature with no network connection, for an unreachable registry', async () => {
    keyring.A = join(work, 'a.gpg');
    await writeFile(keyring.A, await home.exportPublic([keys.A.fingerprint]));
    const r = await installable(await policyFile([signedBy(keyring.A)]), await download([await sign(keys.A)]));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!r.stderr.includes(networkMarker), r.stderr);
    const v = parseVerdict(r);
    assertVerdictShape(v);
    assert.equal(v.allowed, true);
    assert.equal(v.identity, unreachableIdentity);
    assert.equal(v.manifestDigest, image.manifestDigest);
    assert.deepEqual(v.policy.scope, '127.0.0.1:9/app');
    assert.equal(v.requirements[0]?.signatures[0]?.source, 'dir');
    assert.equal(v.requirements[0]?.signatures[0]?.signer, keys.A.fingerprint);
  });

  it('verify-installable rejects a bad signature with no network connection', async () => {
    const r = await installable(await policyFile([signedBy(keyring.A)]), await download([await sign(keys.C)]));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(!r.stderr.includes(networkMarker), r.stderr);
    assert.equal(parseVerdict(r).allowed, false);
  });

  /** Scenarios that produce each verdict code from real files. */
  const scenarios: {
    name: string;
    code: string;
    /** The signature's code when it differs from the requirement's (or undefined: no signature verdict). */
    signatureCode?: string | null;
    policy: () => Promise<unknown[]>;
    signatures: () => Promise<Buffer[]>;
  }[] = [
    { name: 'no signatures', code: 'NO_SIGNATURES', signatureCode: null, policy: async () => [signedBy(keyring.A)], signatures: async () => [] },
    { name: 'sig-other-key', code: 'KEY_NOT_TRUSTED', policy: async () => [signedBy(keyring.A)], signatures: async () => [await sign(keys.C)] },
    {
      name: 'sig-corrupted',
      code: 'BAD_SIGNATURE',
      policy: async () => [signedBy(keyring.A)],
      signatures: async () => [corruptPayloadByte(await sign(keys.A, image.manifestDigest, unreachableIdentity, { compress: false }), simplePayload(image.manifestDigest, unreachableIdentity))],
    },
    {
      name: 'sig-malformed-payload',
      code: 'MALFORMED_SIGNATURE',
      policy: async () => [signedBy(keyring.A)],
      signatures: async () => [await home.sign(Buffer.from(JSON.stringify({ critical: { type: 'atomic container signature' }, optional: {} })), keys.A)],
    },
    { name: 'not a signature', code: 'MALFORMED_SIGNATURE', policy: async () => [signedBy(keyring.A)], signatures: async () => [Buffer.from('not a signature')] },
    {
      name: 'sig-other-digest',
      code: 'DIGEST_MISMATCH',
      policy: async () => [signedBy(keyring.A)],
      signatures: async () => [await sign(keys.A, `sha256:${'1'.repeat(64)}`)],
    },
    {
      name: 'sig-other-identity',
      code: 'IDENTITY_MISMATCH',
      policy: async () => [signedBy(keyring.A)],
      signatures: async () => [await sign(keys.A, image.manifestDigest, '127.0.0.1:9/app:2')],
    },
    { name: 'sig-expired-key', code: 'KEY_EXPIRED', policy: async () => [signedBy(keyring.all)], signatures: async () => [await sign(keys.expired, image.manifestDigest, unreachableIdentity, { at: daysAgo(9) })] },
    { name: 'sig-revoked-key', code: 'KEY_REVOKED', policy: async () => [signedBy(keyring.all)], signatures: async () => [await sign(keys.revoked)] },
    {
      name: 'sig-expired',
      code: 'SIGNATURE_EXPIRED',
      policy: async () => [signedBy(keyring.all)],
      signatures: async () => [await sign(keys.sigExpiring, image.manifestDigest, unreachableIdentity, { at: daysAgo(9), sigExpire: '1d' })],
    },
    {
      name: 'keyType signedByGPGKeys',
      code: 'UNSUPPORTED_FORMAT',
      policy: async () => [{ type: 'signedBy', keyType: 'signedByGPGKeys', keyPath: keyring.A }],
      signatures: async () => [await sign(keys.A)],
    },
    { name: 'reject', code: 'REJECTED', policy: async () => [{ type: 'reject' }], signatures: async () => [await sign(keys.A)] },
  ];

  it('every offline verdict code comes out of real inputs, without network', async () => {
    // Signatures by the revoked key are made before it is revoked.
    const made = new Map<string, Buffer[]>();
    for (const s of scenarios) made.set(s.name, await s.signatures());
    await home.revokeKey(keys.revoked);
    keyring.all = join(work, 'all.gpg');
    await writeFile(keyring.all, await home.exportPublic([keys.A.fingerprint, keys.expired.fingerprint, keys.revoked.fingerprint, keys.sigExpiring.fingerprint]));

    const seen = new Set<string>();
    for (const s of scenarios) {
      const r = await installable(await policyFile(await s.policy()), await download(made.get(s.name) ?? []));
      assert.equal(r.code, 1, `${s.name}: ${r.stdout}${r.stderr}`);
      assert.ok(!r.stderr.includes(networkMarker), r.stderr);
      const v = parseVerdict(r);
      assertVerdictShape(v);
      const req = v.requirements[0] as RequirementJson;
      assert.equal(req.code, s.code, `${s.name}: ${JSON.stringify(req)}`);
      if (s.signatureCode !== null) {
        const sig = req.signatures[0] as SignatureJson;
        assert.equal(sig.code, s.signatureCode ?? s.code, `${s.name}: ${JSON.stringify(sig)}`);
        assert.equal(sig.accepted, false);
      }
      assert.equal(typeof v.nextStep, 'string', s.name);
      seen.add(s.code);
    }
    assert.deepEqual(
      [...seen].sort(),
      ['BAD_SIGNATURE', 'DIGEST_MISMATCH', 'IDENTITY_MISMATCH', 'KEY_EXPIRED', 'KEY_NOT_TRUSTED', 'KEY_REVOKED', 'MALFORMED_SIGNATURE', 'NO_SIGNATURES', 'REJECTED', 'SIGNATURE_EXPIRED', 'UNSUPPORTED_FORMAT'],
    );
  });
});

describe('verify against a registry: verdict rendering, --key, sigstore codes', { skip: skipUnlessPeers('gpg', 'docker-registry') }, () => {
  let registry: RunningRegistry;
  let work: string;
  let home: GpgHome;
  let A: GpgKey;
  let C: GpgKey;
  let image: FixtureImage;
  let ref: string;
  let registriesD: string;
  let cosignRegistriesD: string;
  let cosign: CosignTestKey;
  const files: Record<string, string> = {};

  before(async () => {
    registry = await startDockerRegistry();
    work = await mkdtemp(join(tmpdir(), 'signet-verify-registry-'));
    home = await GpgHome.create();
    A = await home.generateKey('trusted-a');
    C = await home.generateKey('untrusted-c');
    image = makeImage({ format: 'oci', layers: 1, layerBytes: 256, seed: 'verify-registry' });
    const dir = join(work, 'image');
    await writeDirImage(dir, image);
    ref = `${registry.host}/ns/app:1`;
    const push = await signet(['--insecure-policy', 'copy', '--dest-tls-verify=false', `dir:${dir}`, `docker://${ref}`]);
    assert.equal(push.code, 0, push.stderr);

    // Simple signatures in lookaside storage: C's (untrusted), then A's naming another tag.
    const lookaside = join(work, 'lookaside');
    await writeLookasideSignatures(lookaside, 'ns/app', image.manifestDigest, [
      await gpgSimpleSignature(home, C, image.manifestDigest, ref),
      await gpgSimpleSignature(home, A, image.manifestDigest, `${registry.host}/ns/app:2`),
      await gpgSimpleSignature(home, A, image.manifestDigest, ref),
    ]);
    registriesD = await writeRegistriesD(join(work, 'registries.d'), registriesDYaml({ defaultDocker: { lookaside } }));
    files['a.gpg'] = join(work, 'a.gpg');
    files['c.gpg'] = join(work, 'c.gpg');
    await writeFile(files['a.gpg'], await home.exportPublic([A.fingerprint]));
    await writeFile(files['c.gpg'], await home.exportPublic([C.fingerprint]));

    // A cosign signature in the sha256-<hex>.sig tag, naming the repository as cosign does.
    cosign = cosignTestKey();
    const sigDir = join(work, 'sig-attachment');
    const tag = await writeSigAttachmentDir(sigDir, image.manifestDigest, [{ key: cosign, dockerReference: `${registry.host}/ns/app`, digest: image.manifestDigest }]);
    const pushSig = await signet(['--insecure-policy', 'copy', '--dest-tls-verify=false', `dir:${sigDir}`, `docker://${registry.host}/ns/app:${tag}`]);
    assert.equal(pushSig.code, 0, pushSig.stderr);
    cosignRegistriesD = await writeRegistriesD(
      join(work, 'registries.d-cosign'),
      registriesDYaml({ defaultDocker: { lookaside: join(work, 'empty') }, docker: { [registry.host]: { useSigstoreAttachments: true } } }),
    );
    await mkdir(join(work, 'empty'), { recursive: true });
    files['cosign.pub'] = join(work, 'cosign.pub');
    await writeFile(files['cosign.pub'], cosign.publicPem);
    files['other-cosign.pub'] = join(work, 'other-cosign.pub');
    await writeFile(files['other-cosign.pub'], cosignTestKey().publicPem);
    files['rekor.pub'] = join(work, 'rekor.pub');
    await writeFile(files['rekor.pub'], publicKeyPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey));
    files['fulcio-ca.pem'] = join(work, 'fulcio-ca.pem');
    await writeFile(files['fulcio-ca.pem'], '');
  });
  after(async () => {
    await registry?.stop();
    await home?.cleanup();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => ({ ...process.env, HOME: work });
  const policyWith = async (name: string, policy: unknown): Promise<string> => {
    const path = join(work, `${name}.json`);
    await writeFile(path, JSON.stringify(policy, null, 2));
    return path;
  };
  it('--output json prints the verdict of SPEC §3.2, with each rejected signature’s code and message', async () => {
    const policy = await policyWith('trust-a-exact', {
      default: [{ type: 'reject' }],
      transports: { docker: { [`${registry.host}/ns/app`]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: files['a.gpg'], signedIdentity: { type: 'matchExact' } }] } },
    });
    const byDigest = `${registry.host}/ns/app@${image.manifestDigest}`;
    const r = await signet(['--policy', policy, '--registries.d', registriesD, '--output', 'json', 'verify', '--tls-verify=false', `docker://${byDigest}`], { env: env() });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const v = parseVerdict(r);
    assertVerdictShape(v);
    assert.equal(v.image, `docker://${byDigest}`);
    assert.equal(v.identity, byDigest);
    assert.equal(v.manifestDigest, image.manifestDigest);
    assert.equal(v.allowed, false);
    assert.deepEqual(v.policy, { file: policy, transport: 'docker', scope: `${registry.host}/ns/app` });
    const req = v.requirements[0] as RequirementJson;
    assert.equal(req.type, 'signedBy');
    assert.equal(req.satisfied, false);
    assert.match(req.summary, /GPG keys from .*a\.gpg/);
    const [s1, s2, s3] = req.signatures as [SignatureJson, SignatureJson, SignatureJson];
    for (const [i, s] of [s1, s2, s3].entries()) {
      assert.equal(s.index, i + 1);
      assert.equal(s.source, 'lookaside');
      assert.equal(s.format, 'simple-signing');
      assert.equal(s.accepted, false);
    }
    assert.equal(s1.code, 'KEY_NOT_TRUSTED');
    assert.equal(s1.signer, C.fingerprint);
    assert.equal(s1.message, `signed with a key that is not trusted here (fingerprint ${C.fingerprint})`);
    assert.equal(s2.code, 'IDENTITY_MISMATCH');
    assert.equal(s2.signer, A.fingerprint);
    assert.equal(s2.message, `valid, but it names ${registry.host}/ns/app:2, not ${byDigest}`);
    assert.equal(s3.code, 'IDENTITY_MISMATCH');
    assert.equal(s3.message, `valid, but it names ${ref}, not ${byDigest}`);
  });

  it('text output names the policy file and scope, each requirement and signature with where it was found, and ends with the next step', async () => {
    const policy = await policyWith('two-requirements', {
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          [`${registry.host}/ns`]: [
            { type: 'signedBy', keyType: 'GPGKeys', keyPath: files['a.gpg'] },
            { type: 'signedBy', keyType: 'GPGKeys', keyPath: files['c.gpg'], signedIdentity: { type: 'matchRepository' } },
            { type: 'reject' },
          ],
        },
      },
    });
    const r = await signet(['--policy', policy, '--registries.d', registriesD, 'verify', '--tls-verify=false', `docker://${ref}`], { env: env() });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /is rejected by the policy/);
    assert.ok(r.stdout.includes(policy), r.stdout);
    assert.ok(r.stdout.includes(`scope "${registry.host}/ns"`), r.stdout);
    assert.match(r.stdout, /Requirement 1 of 3, signedBy: .*a\.gpg — satisfied/);
    assert.match(r.stdout, /Requirement 2 of 3, signedBy: .*c\.gpg.* — satisfied/);
    assert.match(r.stdout, /Requirement 3 of 3, reject: .* — not satisfied \(REJECTED\)/);
    assert.match(r.stdout, /Signature 1 \(simple-signing, from lookaside storage, signer [0-9A-F]{40}\): rejected \(KEY_NOT_TRUSTED\)/);
    assert.match(r.stdout, /Signature 2 \(simple-signing, from lookaside storage, signer [0-9A-F]{40}\): rejected \(IDENTITY_MISMATCH\)/);
    assert.match(r.stdout, /Signature 3 \(simple-signing, from lookaside storage, signer [0-9A-F]{40}\): accepted/);
    assert.match(lines.at(-1) ?? '', /^Next step: /);
  });

  it('verify --key pubring.gpg: an implicit policy trusting that keyring', async () => {
    const good = await signet(['--registries.d', registriesD, '--output', 'json', 'verify', '--key', files['a.gpg'] as string, '--tls-verify=false', `docker://${ref}`], { env: env() });
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const v = parseVerdict(good);
    assert.equal(v.allowed, true);
    assert.equal(v.requirements[0]?.type, 'signedBy');
    assert.match(v.policy.file, /--key .*a\.gpg/);
    const other = join(work, 'b-only.gpg');
    const B = await home.generateKey('b');
    await writeFile(other, await home.exportPublic([B.fingerprint]));
    const bad = await signet(['--registries.d', registriesD, '--output', 'json', 'verify', '--key', other, '--tls-verify=false', `docker://${ref}`], { env: env() });
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.equal(parseVerdict(bad).requirements[0]?.code, 'KEY_NOT_TRUSTED');
  });

  it('verify --key cosign.pub: an implicit sigstoreSigned policy over the .sig attachment', async () => {
    const good = await signet(['--registries.d', cosignRegistriesD, '--output', 'json', 'verify', '--key', files['cosign.pub'] as string, '--tls-verify=false', `docker://${ref}`], {
      env: env(),
    });
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const v = parseVerdict(good);
    assertVerdictShape(v);
    assert.equal(v.requirements[0]?.type, 'sigstoreSigned');
    assert.equal(v.requirements[0]?.signatures[0]?.source, 'sigstore-attachment');
    assert.equal(v.requirements[0]?.signatures[0]?.format, 'sigstore');
    const bad = await signet(['--registries.d', cosignRegistriesD, '--output', 'json', 'verify', '--key', files['other-cosign.pub'] as string, '--tls-verify=false', `docker://${ref}`], {
      env: env(),
    });
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.equal(parseVerdict(bad).requirements[0]?.code, 'KEY_NOT_TRUSTED');
  });

  it('TLOG_INVALID and CERTIFICATE_INVALID from a cosign signature without a Rekor bundle or a certificate', async () => {
    const run = async (name: string, requirement: unknown): Promise<VerdictJson> => {
      const policy = await policyWith(name, { default: [requirement] });
      const r = await signet(['--policy', policy, '--registries.d', cosignRegistriesD, '--output', 'json', 'verify', '--tls-verify=false', `docker://${ref}`], { env: env() });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const v = parseVerdict(r);
      assertVerdictShape(v);
      return v;
    };
    const tlog = await run('rekor', {
      type: 'sigstoreSigned',
      keyPath: files['cosign.pub'],
      rekorPublicKeyPath: files['rekor.pub'],
      signedIdentity: { type: 'matchRepository' },
    });
    assert.equal(tlog.requirements[0]?.signatures[0]?.code, 'TLOG_INVALID');
    assert.equal(tlog.requirements[0]?.code, 'TLOG_INVALID');
    const cert = await run('fulcio', {
      type: 'sigstoreSigned',
      fulcio: { caPath: files['fulcio-ca.pem'], oidcIssuer: 'https://issuer.example.com', subjectEmail: 'dev@example.com' },
      rekorPublicKeyPath: files['rekor.pub'],
      signedIdentity: { type: 'matchRepository' },
    });
    assert.equal(cert.requirements[0]?.signatures[0]?.code, 'CERTIFICATE_INVALID');
  });
});
