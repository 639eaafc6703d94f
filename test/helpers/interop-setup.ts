/**
 * Set-up shared by the interop tests that sign, attest and list what is attached to images: images pushed to a
 * registry with `signet copy`, cosign key pairs from `signet generate-key-pair`, and a registries.d whose lookaside
 * is a folder of the test's own.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signet } from './run.js';

/** Push each `dir:` image under `work` to its `docker://` target (plain HTTP), asserting success. */
export async function pushDirImages(work: string, pushes: readonly (readonly [dir: string, target: string])[]): Promise<void> {
  for (const [dir, target] of pushes) {
    const push = await signet(['--insecure-policy', 'copy', '-q', '--dest-tls-verify=false', `dir:${join(work, dir)}`, target]);
    assert.equal(push.code, 0, push.stderr);
  }
}

/** `signet generate-key-pair` for each prefix (`<work>/<prefix>.key` and `.pub`); `env` carries COSIGN_PASSWORD. */
export async function generateKeyPairs(work: string, prefixes: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  for (const prefix of prefixes) {
    const gen = await signet(['generate-key-pair', '--output-key-prefix', join(work, prefix)], { env });
    assert.equal(gen.code, 0, gen.stderr);
  }
}

/**
 * A registries.d (`<work>/registries.d`) sending every docker image's lookaside signatures to
 * `file://<work>/lookaside`, with `use-sigstore-attachments` when asked. Returns its path.
 */
export async function fileLookasideRegistriesD(work: string, options: { sigstoreAttachments?: boolean } = {}): Promise<string> {
  const dir = join(work, 'registries.d');
  await mkdir(dir);
  const attachments = options.sigstoreAttachments === true ? '  use-sigstore-attachments: true\n' : '';
  await writeFile(join(dir, 'd.yaml'), `default-docker:\n${attachments}  lookaside: file://${join(work, 'lookaside')}\n`);
  return dir;
}
