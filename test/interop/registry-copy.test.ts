/**
 * Round trips through a real docker-registry with skopeo on the other side, and `inspect` output compared
 * with `skopeo inspect` byte for byte.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, makeIndex, writeDirImage, writeOciLayout } from '../fixtures/images.js';
import { startDockerRegistry, type RunningRegistry } from '../helpers/docker-registry.js';
import { peerAvailable } from '../helpers/peers.js';
import { signet, skopeo } from '../helpers/run.js';

const ready = peerAvailable('docker-registry') && peerAvailable('skopeo');
let registry: RunningRegistry;
let work: string;

before(async () => {
  if (!ready) return;
  registry = await startDockerRegistry();
  work = await mkdtemp(join(tmpdir(), 'signet-interop-'));
});
after(async () => {
  if (!ready) return;
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

/**
 * Known difference, pinned: Debian's skopeo 1.9.3 predates `LayersData` in inspect output (added in skopeo
 * 1.10, "add inspect layersData"); Signet prints it as current skopeo does. To compare with the older peer,
 * the block is removed from our output, after checking it describes exactly the manifest's layers.
 */
function withoutLayersData(ours: string, skopeoVersion: string): string {
  const [major, minor] = skopeoVersion.split('.').map(Number) as [number, number];
  if (major > 1 || minor >= 10) return ours;
  return ours.replace(/\n {4}"LayersData": \[[\s\S]*?\n {4}\],/, '');
}

async function skopeoVersion(): Promise<string> {
  const v = await skopeo(['--version']);
  return /(\d+\.\d+\.\d+)/.exec(v.stdout)?.[1] ?? '0.0.0';
}

async function assertSameDirImage(a: string, b: string): Promise<void> {
  assert.deepEqual(await readFile(join(a, 'manifest.json')), await readFile(join(b, 'manifest.json')));
  const blobs = (await readdir(a)).filter((f) => /^[0-9a-f]{64}$/.test(f));
  assert.ok(blobs.length > 0);
  for (const f of blobs) assert.deepEqual(await readFile(join(a, f)), await readFile(join(b, f)), f);
}

describe('interop with docker-registry and skopeo', { skip: !ready }, () => {
  it('Signet pushes, skopeo pulls the same bytes', async () => {
    const image = makeImage({ format: 'docker', layers: 3, seed: 'push-1' });
    const src = join(work, 'p1-src');
    await writeDirImage(src, image);
    const ref = `docker://${registry.host}/team/app:1.0`;
    const push = await signet(['--insecure-policy', 'copy', '--dest-tls-verify=false', `dir:${src}`, ref]);
    assert.equal(push.code, 0, push.stderr);
    const pull = await skopeo(['copy', '--insecure-policy', '--src-tls-verify=false', ref, `dir:${join(work, 'p1-out')}`]);
    assert.equal(pull.code, 0, pull.stderr);
    await assertSameDirImage(src, join(work, 'p1-out'));
  });

  it('skopeo pushes, Signet pulls the same bytes, to dir: and oci:', async () => {
    const image = makeImage({ format: 'oci', layers: 2, seed: 'push-2', labels: { 'org.example.team': 'a<b>&c' } });
    const src = join(work, 'p2-src');
    await writeDirImage(src, image);
    const ref = `docker://${registry.host}/team/other:2.0`;
    const push = await skopeo(['copy', '--insecure-policy', '--dest-tls-verify=false', `dir:${src}`, ref]);
    assert.equal(push.code, 0, push.stderr);
    const pull = await signet(['--insecure-policy', 'copy', '--src-tls-verify=false', ref, `dir:${join(work, 'p2-out')}`]);
    assert.equal(pull.code, 0, pull.stderr);
    await assertSameDirImage(src, join(work, 'p2-out'));
    const toOci = await signet(['--insecure-policy', 'copy', '--src-tls-verify=false', ref, `oci:${join(work, 'p2-oci')}:2.0`]);
    assert.equal(toOci.code, 0, toOci.stderr);
    const check = await skopeo(['copy', '--insecure-policy', `oci:${join(work, 'p2-oci')}:2.0`, `dir:${join(work, 'p2-check')}`]);
    assert.equal(check.code, 0, check.stderr);
    await assertSameDirImage(src, join(work, 'p2-check'));
  });

  it('copies a multi-arch index with --all, and skopeo reads every instance', async () => {
    const images = [
      makeImage({ format: 'oci', seed: 'ma-amd', architecture: 'amd64' }),
      makeImage({ format: 'oci', seed: 'ma-arm', architecture: 'arm64', variant: 'v8' }),
      makeImage({ format: 'oci', seed: 'ma-ppc', architecture: 'ppc64le' }),
    ];
    const index = makeIndex(images, 'oci');
    const layout = join(work, 'ma-layout');
    await writeOciLayout(layout, index, 'multi');
    const ref = `docker://${registry.host}/team/multi:1`;
    const push = await signet(['--insecure-policy', 'copy', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, ref]);
    assert.equal(push.code, 0, push.stderr);
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', ref]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, index.bytes.toString());
    const all = await skopeo(['copy', '--all', '--insecure-policy', '--src-tls-verify=false', ref, `dir:${join(work, 'ma-skopeo')}`]);
    assert.equal(all.code, 0, all.stderr);
    for (const img of images) {
      assert.deepEqual(await readFile(join(work, 'ma-skopeo', `${img.manifestDigest.slice(7)}.manifest.json`)), img.manifest);
    }
    const back = await signet(['--insecure-policy', 'copy', '--all', '--src-tls-verify=false', ref, `oci:${join(work, 'ma-back')}:m`]);
    assert.equal(back.code, 0, back.stderr);
    const arm = await signet(['inspect', '--override-arch', 'arm64', `oci:${join(work, 'ma-back')}:m`]);
    assert.equal(arm.code, 0, arm.stderr);
    assert.equal((JSON.parse(arm.stdout) as { Architecture: string }).Architecture, 'arm64');
  });

  it('inspect prints what skopeo inspect prints', async () => {
    const docker = makeImage({ format: 'docker', layers: 2, seed: 'insp-d', labels: { b: '2', a: '1 <tag>' }, env: ['PATH=/usr/bin', 'X=y&z'] });
    const oci = makeImage({ format: 'oci', layers: 1, seed: 'insp-o', created: '2024-03-01T10:20:30.123456789Z' });
    const multi = makeIndex([makeImage({ format: 'oci', seed: 'insp-m1', architecture: 'amd64' }), makeImage({ format: 'oci', seed: 'insp-m2', architecture: 'arm64', variant: 'v8' })], 'oci');
    const version = await skopeoVersion();
    const cases: { name: string; ref: string; tls: boolean }[] = [];
    for (const [name, content] of [['docker', docker], ['oci', oci], ['multi', multi]] as const) {
      const dir = join(work, `insp-${name}`);
      await writeDirImage(dir, content);
      const ref = `docker://${registry.host}/inspect/${name}:v1`;
      const push = await skopeo(['copy', '--all', '--insecure-policy', '--dest-tls-verify=false', `dir:${dir}`, ref]);
      assert.equal(push.code, 0, push.stderr);
      cases.push({ name: `${name} in a registry`, ref, tls: false });
      if (name !== 'multi') cases.push({ name: `${name} in dir:`, ref: `dir:${dir}`, tls: true });
    }
    const layout = join(work, 'insp-layout');
    await writeOciLayout(layout, oci, 'v1');
    cases.push({ name: 'oci layout', ref: `oci:${layout}:v1`, tls: true });
    for (const c of cases) {
      for (const flags of [[], ['--raw'], ['--config'], ['--config', '--raw']]) {
        const tls = c.tls ? [] : ['--tls-verify=false'];
        const ours = await signet(['inspect', ...flags, ...tls, c.ref]);
        const theirs = await skopeo(['inspect', ...flags, ...tls, c.ref]);
        assert.equal(theirs.code, 0, `skopeo ${c.name} ${flags.join(' ')}: ${theirs.stderr}`);
        assert.equal(ours.code, 0, `signet ${c.name} ${flags.join(' ')}: ${ours.stderr}`);
        assert.equal(withoutLayersData(ours.stdout, version), theirs.stdout, `${c.name} ${flags.join(' ')}`);
      }
    }
  });

  it('RepoTags lists every tag of the repository, as skopeo does', async () => {
    const image = makeImage({ seed: 'tags' });
    const dir = join(work, 'tags');
    await writeDirImage(dir, image);
    for (const t of ['a', 'b', 'c']) {
      const r = await signet(['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `dir:${dir}`, `docker://${registry.host}/team/tags:${t}`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const ref = `docker://${registry.host}/team/tags:a`;
    const ours = (JSON.parse((await signet(['inspect', '--tls-verify=false', ref])).stdout) as { RepoTags: string[] }).RepoTags;
    const theirs = (JSON.parse((await skopeo(['inspect', '--tls-verify=false', ref])).stdout) as { RepoTags: string[] }).RepoTags;
    assert.deepEqual([...ours].sort(), ['a', 'b', 'c']);
    assert.deepEqual(ours, theirs, 'in the order the registry lists them');
  });

  it('LayersData describes each layer of the manifest (current skopeo; Debian 1.9.3 predates it)', async () => {
    const image = makeImage({ format: 'oci', layers: 2, seed: 'layersdata' });
    const dir = join(work, 'layersdata');
    await writeDirImage(dir, image);
    const r = await signet(['inspect', `dir:${dir}`]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { Layers: string[]; LayersData: { MIMEType: string; Digest: string; Size: number; Annotations: unknown }[] };
    assert.deepEqual(
      out.LayersData,
      image.layers.map((l) => ({ MIMEType: l.mediaType, Digest: l.digest, Size: l.size, Annotations: null })),
    );
    assert.deepEqual(out.Layers, image.layers.map((l) => l.digest));
    assert.match(r.stdout, /"Layers": \[[^\]]*\],\n {4}"LayersData": \[/, 'LayersData follows Layers, as in skopeo');
  });
});
