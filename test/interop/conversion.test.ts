/**
 * Manifest conversion agrees with skopeo byte for byte: the manifests Signet writes when a destination needs
 * another format (Docker schema 2 → OCI for oci:, `--format`, lists ↔ indexes with --all) equal skopeo's.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, makeIndex, writeDirImage } from '../fixtures/images.js';
import { peerAvailable } from '../helpers/peers.js';
import { signet, skopeo } from '../helpers/run.js';

const ready = peerAvailable('skopeo');
let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-conv-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function ociTopManifest(layout: string): Promise<Buffer> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  return readFile(join(layout, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)));
}

describe('conversion agrees with skopeo', { skip: !ready }, () => {
  it('Docker schema 2 → OCI for an oci: destination', async () => {
    const src = join(work, 'd2o');
    await writeDirImage(src, makeImage({ format: 'docker', layers: 2, seed: 'd2o', labels: { x: 'y' } }));
    assert.equal((await skopeo(['copy', '-q', '--insecure-policy', `dir:${src}`, `oci:${join(work, 'd2o-k')}:t`])).code, 0);
    const r = await signet(['--insecure-policy', 'copy', '-q', `dir:${src}`, `oci:${join(work, 'd2o-s')}:t`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await ociTopManifest(join(work, 'd2o-s'))).toString(), (await ociTopManifest(join(work, 'd2o-k'))).toString());
  });

  for (const [format, from] of [['oci', 'docker'], ['v2s2', 'oci']] as const) {
    it(`--format ${format} from a ${from} image`, async () => {
      const src = join(work, `f-${format}`);
      await writeDirImage(src, makeImage({ format: from, layers: 1, seed: `f-${format}` }));
      const k = await skopeo(['copy', '-q', '--insecure-policy', '--format', format, `dir:${src}`, `dir:${join(work, `f-${format}-k`)}`]);
      assert.equal(k.code, 0, k.stderr);
      const r = await signet(['--insecure-policy', 'copy', '-q', '--format', format, `dir:${src}`, `dir:${join(work, `f-${format}-s`)}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        (await readFile(join(work, `f-${format}-s`, 'manifest.json'))).toString(),
        (await readFile(join(work, `f-${format}-k`, 'manifest.json'))).toString(),
      );
    });
  }

  it('a Docker manifest list with --all into an oci: layout', async () => {
    const list = makeIndex(
      [makeImage({ format: 'docker', seed: 'l-amd', architecture: 'amd64' }), makeImage({ format: 'docker', seed: 'l-arm', architecture: 'arm', variant: 'v7' })],
      'docker',
    );
    const src = join(work, 'list');
    await writeDirImage(src, list);
    const k = await skopeo(['copy', '-q', '--all', '--insecure-policy', `dir:${src}`, `oci:${join(work, 'list-k')}:t`]);
    assert.equal(k.code, 0, k.stderr);
    const r = await signet(['--insecure-policy', 'copy', '-q', '--all', `dir:${src}`, `oci:${join(work, 'list-s')}:t`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await ociTopManifest(join(work, 'list-s'))).toString(), (await ociTopManifest(join(work, 'list-k'))).toString());
  });
});
