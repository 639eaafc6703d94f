import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage, writeOciLayout } from '../fixtures/images.js';
import { signet } from '../helpers/run.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-cli-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('signet CLI', () => {
  it('prints its version and help', async () => {
    const v = await signet(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
    const h = await signet(['--help']);
    assert.equal(h.code, 0);
    for (const c of ['inspect', 'copy', 'manifest-digest']) assert.match(h.stdout, new RegExp(`\\b${c}\\b`));
  });

  it('exits 2 with a message for usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['copy', 'dir:/x'], /missing required argument/],
      [['inspect'], /missing required argument/],
      [['frobnicate'], /unknown command/],
      [['inspect', '--tls-verify=maybe', 'docker://x/y'], /expected true or false/],
      [['--output', 'yaml', 'inspect', 'dir:/x'], /Allowed choices are text, json/],
    ];
    for (const [args, message] of cases) {
      const r = await signet(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('exits 2 naming the problem for malformed image names, and writes nothing', async () => {
    const dest = join(work, 'never');
    const cases: [string, RegExp, string][] = [
      ['nosuchtransport:/x', /unknown transport "nosuchtransport"/, 'UNKNOWN_TRANSPORT'],
      ['busybox', /expected transport:reference/, 'INVALID_REFERENCE'],
      ['docker://UPPER/Case:tag', /lowercase/, 'INVALID_REFERENCE'],
      ['docker:registry.example.com/app', /\/\//, 'INVALID_REFERENCE'],
      ['docker://registry.example.com/app:bad tag', /invalid/, 'INVALID_REFERENCE'],
      ['docker://registry.example.com/app@sha256:1234', /digest/, 'INVALID_DIGEST'],
    ];
    for (const [name, message, code] of cases) {
      const r = await signet(['--insecure-policy', 'copy', name, `dir:${dest}`]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message, name);
      assert.match(r.stderr, new RegExp(`\\[${code}\\]`), name);
    }
    assert.deepEqual((await readdir(work)).filter((f) => f.includes('never')), []);
  });

  it('reports errors as JSON with --output json', async () => {
    const r = await signet(['--output', 'json', 'inspect', 'nosuchtransport:x']);
    assert.equal(r.code, 2);
    const body = JSON.parse(r.stderr) as { error: { code: string; message: string; exitCode: number } };
    assert.equal(body.error.code, 'UNKNOWN_TRANSPORT');
    assert.equal(body.error.exitCode, 2);
  });

  it('exits 2 for a missing or unreadable path, and 3 when a layout does not hold the image', async () => {
    const missing = await signet(['inspect', `dir:${join(work, 'missing')}`]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /missing does not exist \[PATH_NOT_FOUND\]/);
    const archive = await signet(['--insecure-policy', 'copy', `oci-archive:${join(work, 'missing.tar')}`, `dir:${join(work, 'never-a')}`]);
    assert.equal(archive.code, 2, archive.stderr);
    assert.match(archive.stderr, /missing\.tar does not exist \[PATH_NOT_FOUND\]/);
    const unreadable = join(work, 'unreadable');
    await writeDirImage(unreadable, makeImage({ seed: 'unreadable' }));
    await rm(join(unreadable, 'manifest.json'));
    await mkdir(join(unreadable, 'manifest.json'));
    const r = await signet(['inspect', `dir:${unreadable}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot read .*manifest\.json \(EISDIR\) \[PATH_UNREADABLE\]/);
    const layout = join(work, 'layout');
    await writeOciLayout(layout, makeImage({ seed: 'layout' }), 'present');
    const absent = await signet(['inspect', `oci:${layout}:absent`]);
    assert.equal(absent.code, 3, absent.stderr);
    assert.match(absent.stderr, /no image named "absent"/);
  });

  it('exits 2 for a malformed manifest, naming what is wrong', async () => {
    const bad: [string, string, RegExp][] = [
      ['not-json', '{"schemaVersion": 2,', /JSON/i],
      ['negative-size', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: -5 }] }), /layers\[0\]\.size/],
      ['absurd-size', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 2 ** 60 }] }), /layers\[0\]\.size/],
      ['missing-media-type', JSON.stringify({ schemaVersion: 2, config: { digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] }), /mediaType/],
      ['no-config', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }), /config/],
      ['wrong-media-type', JSON.stringify({ schemaVersion: 2, mediaType: 'application/x-nonsense', config: {}, layers: [] }), /mediaType|media type/i],
    ];
    for (const [name, text, message] of bad) {
      const dir = join(work, `bad-${name}`);
      await writeDirImage(dir, makeImage({ seed: name }));
      await writeFile(join(dir, 'manifest.json'), text);
      const r = await signet(['--insecure-policy', 'copy', `dir:${dir}`, `dir:${join(work, `bad-${name}-out`)}`]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message, name);
      assert.deepEqual((await readdir(work)).filter((f) => f.includes(`bad-${name}-out`)), []);
    }
  });

  it('copies with one line per blob when not on a terminal, and is silent with --quiet', async () => {
    const image = makeImage({ layers: 2, seed: 'cli-copy' });
    const src = join(work, 'cli-src');
    await writeDirImage(src, image);
    const r = await signet(['--insecure-policy', 'copy', `dir:${src}`, `oci:${join(work, 'cli-oci')}:t`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'Getting image source signatures');
    for (const l of image.layers) assert.ok(lines.includes(`Copying blob ${l.digest.slice(7, 19)} done`), r.stdout);
    assert.ok(lines.includes(`Copying config ${image.config.digest.slice(7, 17)} done`), r.stdout);
    assert.equal(lines.at(-2), 'Writing manifest to image destination');
    assert.equal(lines.at(-1), 'Storing signatures');
    const q = await signet(['--insecure-policy', 'copy', '--quiet', `dir:${src}`, `dir:${join(work, 'cli-quiet')}`]);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stdout, '');
  });

  it('manifest-digest prints the digest of a manifest file', async () => {
    const image = makeImage({ seed: 'md' });
    const file = join(work, 'm.json');
    await writeFile(file, image.manifest);
    const r = await signet(['manifest-digest', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${image.manifestDigest}\n`);
    const missing = await signet(['manifest-digest', join(work, 'nope.json')]);
    assert.equal(missing.code, 2);
  });
});

describe('copy under a trust policy', () => {
  it('refuses to run without a readable policy unless --insecure-policy', async () => {
    const src = join(work, 'pol-src');
    await writeDirImage(src, makeImage({ seed: 'policy' }));
    const missing = await signet(['--policy', join(work, 'no-such-policy.json'), 'copy', `dir:${src}`, `dir:${join(work, 'pol-none')}`]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /no-such-policy\.json.*\[POLICY_NOT_FOUND\]/);
    const insecure = await signet(['--policy', join(work, 'no-such-policy.json'), '--insecure-policy', 'copy', '-q', `dir:${src}`, `dir:${join(work, 'pol-insecure')}`]);
    assert.equal(insecure.code, 0, insecure.stderr);
  });

  it('stops a rejected source before writing anything, and prints the verdict', async () => {
    const src = join(work, 'rej-src');
    await writeDirImage(src, makeImage({ seed: 'rejected' }));
    const policy = join(work, 'reject.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'reject' }] }));
    const text = await signet(['--policy', policy, 'copy', `dir:${src}`, `dir:${join(work, 'rej-out')}`]);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stderr, /rejected/);
    assert.match(text.stderr, /REJECTED/);
    const json = await signet(['--policy', policy, '--output', 'json', 'copy', `dir:${src}`, `dir:${join(work, 'rej-out')}`]);
    assert.equal(json.code, 1, json.stderr);
    const verdict = JSON.parse(json.stdout) as { allowed: boolean; policy: { file: string }; requirements: { type: string; code?: string }[] };
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.policy.file, policy);
    assert.equal(verdict.requirements[0]?.type, 'reject');
    assert.deepEqual((await readdir(work)).filter((f) => f.includes('rej-out')), []);
  });
});

describe('reads of untrusted files are capped', () => {
  it('refuses an oversized --key, registries.d file or key file with exit 2', async () => {
    const src = join(work, 'cap-src');
    await writeDirImage(src, makeImage({ seed: 'caps' }));
    const big = join(work, 'big.bin');
    await writeFile(big, Buffer.alloc(5 * 1024 * 1024, 0x41));
    const verifyKey = await signet(['verify', '--key', big, `dir:${src}`]);
    assert.equal(verifyKey.code, 2, verifyKey.stderr);
    assert.match(verifyKey.stderr, /larger than .*\[TOO_LARGE\]/);
    const signKey = await signet(['sign', '--key', big, '--identity', 'registry.example.com/a:1', `dir:${src}`]);
    assert.equal(signKey.code, 2, signKey.stderr);
    assert.match(signKey.stderr, /larger than .*\[INVALID_KEY\]/);
    const registriesD = join(work, 'big-registries.d');
    await mkdir(registriesD);
    await writeFile(join(registriesD, 'huge.yaml'), Buffer.alloc(2 * 1024 * 1024, 0x20));
    const policy = join(work, 'accept.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const reg = await signet(['--policy', policy, '--registries.d', registriesD, 'copy', `dir:${src}`, 'docker://127.0.0.1:9/never:1']);
    assert.equal(reg.code, 2, reg.stderr);
    assert.match(reg.stderr, /huge\.yaml is larger than .*\[POLICY_UNREADABLE\]/);
  });
});
