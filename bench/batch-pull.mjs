// Pull many images in one process through Signet's library (dist/lib), as a program or a sync job would.
//   node bench/batch-pull.mjs HOST REPO_PREFIX COUNT OUT_DIR
import { mkdir } from 'node:fs/promises';
import { copyImage, parseImageName } from '../dist/lib/index.js';

const [host, prefix, count, out] = process.argv.slice(2);
const n = Number(count);
await mkdir(out, { recursive: true });
const limit = 8;
let next = 0;
async function worker() {
  while (next < n) {
    const i = next++;
    await copyImage(parseImageName(`docker://${host}/${prefix}/img${i}:1`), parseImageName(`dir:${out}/img${i}`), {
      sourceContext: { tlsVerify: false },
    });
  }
}
await Promise.all(Array.from({ length: limit }, worker));
process.exit(0);
