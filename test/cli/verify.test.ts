/**
 * Bad input to `verify`, `verify-installable` and `standalone-verify`: exit 2, a stable error code, and for
 * structured files the JSON path (or registries.d key) of the problem. Each case starts from a valid input and
 * breaks it one way.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GpgHome, type GpgKey } from '../fixtures/gpg.js';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { gpgSimpleSignature } from '../fixtures/lookaside.js';
import { skipUnlessPeers } from '../helpers/peers.js';
import { signet, type RunResult } from '../helpers/run.js';

const identity = '127.0.0.1:9/app:1';

interface CliError {
  error: { code: string; message: string; exitCode: number };
}

/** Exit 2 and the JSON error object on stderr with `code`; returns its message. */
function expectInputError(r: RunResult, code: string): string {
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stdout}${r.stderr}`);
  let parsed: CliError;
  try {
    parsed = JSON.parse(r.stderr.trim().split('\n').pop() ?? '') as CliError;
  } catch {
    assert.fail(`no JSON error on stderr: ${r.stderr}`);
  }
  assert.equal(parsed.error.code, code, parsed.error.message);
  assert.equal(parsed.error.exitCode, 2);
  assert.equal(r.stdout, '', 'nothing on stdout');
  return parsed.error.message;
}

describe('verify: bad input exits 2 with a stable code', () => {
  let work: string;
  let image: FixtureImage;
  let dir: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, HOME: work });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'signet-cli-verify-'));
    image = makeImage({ format: 'oci', layers: 1, layerBytes: 128, seed: 'cli-verify' });
    dir = join(work, 'download');
    await writeDirImage(dir, image);
  });
  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const installable = async (policy: unknown, extra: string[] = []): Promise<RunResult> => {
    const path = join(work, `policy-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(path, typeof policy === 'string' ? policy : JSON.stringify(policy));
    return signet(['--policy', path, ...extra, '--output', 'json', 'verify-installable', '--identity', identity, dir], { env: env() });
  };
  const valid = { default: [{ type: 'reject' }], transports: { docker: { '127.0.0.1:9/app': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg' }] } } };

  it('the valid policy loads (the starting point of the cases below)', async () => {
    const r = await installable(valid);
    assert.equal(r.code, 1, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { requirements: { code: string }[] }).requirements[0]?.code, 'NO_SIGNATURES');
  });

  const brokenPolicies: { name: string; policy: unknown; path: string }[] = [
    { name: 'a signedBy without keyType', policy: { ...valid, transports: { docker: { '127.0.0.1:9/app': [{ type: 'signedBy', keyPath: '/k.gpg' }] } } }, path: 'transports.docker["127.0.0.1:9/app"][0]' },
    { name: 'an unknown key', policy: { ...valid, transports: { docker: { '127.0.0.1:9/app': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg', keyPathz: 1 }] } } }, path: 'keyPathz' },
    { name: 'a wrong type', policy: { ...valid, default: {} }, path: 'default' },
    { name: 'an empty requirement list', policy: { ...valid, transports: { docker: { '127.0.0.1:9/app': [] } } }, path: 'transports.docker["127.0.0.1:9/app"]' },
    {
      name: 'a duplicate key',
      policy: '{"default": [{"type": "reject"}], "transports": {"docker": {"127.0.0.1:9/app": [{"type": "reject", "type": "reject"}]}}}',
      path: 'transports.docker["127.0.0.1:9/app"][0]',
    },
    {
      name: 'an invalid signedIdentity',
      policy: { ...valid, transports: { docker: { '127.0.0.1:9/app': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg', signedIdentity: { type: 'exactReference', dockerReference: 'x.example.com/app' } }] } } },
      path: 'signedIdentity.dockerReference',
    },
  ];
  for (const b of brokenPolicies) {
    it(`a malformed policy (${b.name}) → INVALID_POLICY naming ${b.path}`, async () => {
      const message = expectInputError(await installable(b.policy), 'INVALID_POLICY');
      assert.ok(message.includes(b.path), `${message} should name ${b.path}`);
    });
  }

  it('a policy that is not JSON → INVALID_POLICY', async () => {
    expectInputError(await installable('{"default": ['), 'INVALID_POLICY');
  });

  it('a missing policy file → POLICY_NOT_FOUND naming the file', async () => {
    const missing = join(work, 'no-such-policy.json');
    const r = await signet(['--policy', missing, '--output', 'json', 'verify-installable', '--identity', identity, dir], { env: env() });
    const message = expectInputError(r, 'POLICY_NOT_FOUND');
    assert.ok(message.includes(missing), message);
  });

  it('a malformed registries.d → INVALID_REGISTRIES_D naming the file and the key', async () => {
    const registries = join(work, 'registries.d');
    await mkdir(registries, { recursive: true });
    const file = join(registries, 'bad.yaml');
    await writeFile(file, 'default-docker:\n  lookaside: file:///tmp/x\n  lookasid: file:///tmp/y\n');
    const policy = join(work, 'accept.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const r = await signet(['--policy', policy, '--registries.d', registries, '--output', 'json', 'verify', '--tls-verify=false', 'docker://127.0.0.1:9/app:1'], { env: env() });
    const message = expectInputError(r, 'INVALID_REGISTRIES_D');
    assert.ok(message.includes(file), message);
    assert.ok(message.includes('lookasid'), message);
  });

  it('registries.d that is not YAML → INVALID_REGISTRIES_D', async () => {
    const registries = join(work, 'registries.d-not-yaml');
    await mkdir(registries, { recursive: true });
    await writeFile(join(registries, 'bad.yaml'), 'default-docker: [lookaside: {\n');
    const policy = join(work, 'accept.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const r = await signet(['--policy', policy, '--registries.d', registries, '--output', 'json', 'verify', '--tls-verify=false', 'docker://127.0.0.1:9/app:1'], { env: env() });
    expectInputError(r, 'INVALID_REGISTRIES_D');
  });

  it('verify-installable without --identity → INVALID_ARGUMENT', async () => {
    const r = await signet(['--policy', join(work, 'accept.json'), '--output', 'json', 'verify-installable', dir], { env: env() });
    assert.equal(r.code, 2, r.stderr);
  });

  it('verify-installable with an --identity that is not a reference → INVALID_REFERENCE', async () => {
    const policy = join(work, 'accept.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const r = await signet(['--policy', policy, '--output', 'json', 'verify-installable', '--identity', 'Not A Reference', dir], { env: env() });
    expectInputError(r, 'INVALID_REFERENCE');
  });
});

describe('standalone-verify and --key: bad signatures and keyrings exit 2', { skip: skipUnlessPeers('gpg') }, () => {
  let work: string;
  let home: GpgHome;
  let key: GpgKey;
  let manifest: string;
  let pubring: string;
  let digest: string;
  const reference = 'registry.example.com/ns/app:1';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'signet-cli-standalone-'));
    home = await GpgHome.create();
    key = await home.generateKey('standalone');
    const image = makeImage({ format: 'oci', layers: 1, layerBytes: 128, seed: 'cli-standalone' });
    digest = image.manifestDigest;
    manifest = join(work, 'manifest.json');
    await writeFile(manifest, image.manifest);
    pubring = join(work, 'pubring.gpg');
    await writeFile(pubring, await home.exportPublic([key.fingerprint]));
  });
  after(async () => {
    await home?.cleanup();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const standaloneVerify = async (signature: Buffer, keyring = pubring): Promise<RunResult> => {
    const path = join(work, `sig-${Math.random().toString(36).slice(2)}`);
    await writeFile(path, signature);
    return signet(['--output', 'json', 'standalone-verify', manifest, reference, key.fingerprint, path, '--public-key-file', keyring], { env: { ...process.env, GNUPGHOME: home.dir } });
  };

  it('a good signature verifies (the starting point of the cases below)', async () => {
    const r = await standaloneVerify(await gpgSimpleSignature(home, key, digest, reference));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(digest));
  });

  it('a garbage signature file → MALFORMED_SIGNATURE', async () => {
    expectInputError(await standaloneVerify(Buffer.from('this is not a signature\n')), 'MALFORMED_SIGNATURE');
  });

  it('an ASCII-armored signature → MALFORMED_SIGNATURE saying it is armored', async () => {
    const message = expectInputError(await standaloneVerify(await gpgSimpleSignature(home, key, digest, reference, { mode: 'armor-sign' })), 'MALFORMED_SIGNATURE');
    assert.match(message, /armored/i);
  });

  it('a keyring with no keys → INVALID_KEY', async () => {
    const empty = join(work, 'empty.gpg');
    await writeFile(empty, Buffer.alloc(0));
    expectInputError(await standaloneVerify(await gpgSimpleSignature(home, key, digest, reference), empty), 'INVALID_KEY');
  });

  for (const [what, content] of [
    ['holds no keys (an empty file)', Buffer.alloc(0)],
    ['is not a keyring', Buffer.from('not a keyring\n')],
  ] as const) {
    it(`verify --key with a keyring that ${what} → INVALID_KEY`, async () => {
      const dir = join(work, 'download');
      await writeDirImage(dir, makeImage({ format: 'oci', layers: 1, layerBytes: 128, seed: 'cli-standalone' }), [await gpgSimpleSignature(home, key, digest, reference)]);
      const keyring = join(work, `bad-${Math.random().toString(36).slice(2)}.gpg`);
      await writeFile(keyring, content);
      const r = await signet(['--output', 'json', 'verify', '--key', keyring, `dir:${dir}`], { env: { ...process.env, HOME: work } });
      const message = expectInputError(r, 'INVALID_KEY');
      assert.ok(message.includes(keyring), message);
    });
  }
});
