/**
 * On a terminal `signet copy` draws one bar per blob (short digest, bytes, rate, then "done"); the status lines
 * come before and after the bars. The terminal is a pseudo-terminal made by util-linux `script`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage } from '../fixtures/images.js';
import { run, signetBin } from '../helpers/run.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'signet-tty-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The text a terminal ends up showing, roughly: escape sequences removed, carriage-return redraws collapsed. */
function screenText(raw: string): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = raw.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
  return plain
    .split('\n')
    .map((l) => l.split('\r').filter((part) => part.trim() !== '').at(-1) ?? '')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
}

describe('progress on a terminal', () => {
  it('draws a bar per blob with its short digest, size and outcome', async () => {
    const image = makeImage({ layers: 2, seed: 'tty-bars', layerBytes: 3_000_000 });
    const src = join(work, 'src');
    await writeDirImage(src, image);
    const command = `${process.execPath} ${signetBin} --insecure-policy copy dir:${src} dir:${join(work, 'dst')}`;
    const r = await run('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, COLUMNS: '100', LINES: '30' } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.stdout.includes('\u001b['), 'a terminal gets escape sequences (bars are redrawn in place)');
    const lines = screenText(r.stdout);
    assert.equal(lines[0], 'Getting image source signatures');
    for (const layer of image.layers) {
      const bar = lines.find((l) => l.startsWith(`Copying blob ${layer.digest.slice(7, 19)} `));
      assert.ok(bar !== undefined, `a bar for ${layer.digest} in:\n${lines.join('\n')}`);
      assert.match(bar, /█+ 2\.9 MiB \/ 2\.9 MiB \| done$/);
    }
    assert.ok(lines.some((l) => l.startsWith(`Copying config ${image.config.digest.slice(7, 17)} `) && l.endsWith('| done')));
    assert.deepEqual(lines.slice(-2), ['Writing manifest to image destination', 'Storing signatures']);
  });
});
