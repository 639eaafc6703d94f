/**
 * bench/verify: signature verification, Signet against skopeo on the same inputs in the same run.
 *
 *   npm run build && node --import tsx bench/verify.ts [--images 1000] [--runs 11]
 *
 * - Library throughput: simple signatures verified per second in one process, and `dir:` images verified per
 *   second through `verifyInstallable` (policy, signature files, OpenPGP), 8 at a time.
 * - One image with 1, 10 and 100 signatures (the trusted one last): `signet verify dir:…` against
 *   `skopeo copy --policy … dir:… dir:…` (skopeo has no verify-only command; its copy of a tiny image is the
 *   policy check plus ~1 ms of copying), cold processes, median of runs.
 * - `signet standalone-verify` against `skopeo standalone-verify`, same manifest, signature and keyring.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestOf, parsePolicy, verifyInstallable, createSimpleSignature, loadKeyring, verifySimpleSignature } from '../src/index.js';
import { GpgHome } from '../test/fixtures/gpg.js';
import { makeImage, writeDirImage } from '../test/fixtures/images.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const imageCount = flag('images', 1000);
const runs = flag('runs', 11);
const signetBin = fileURLToPath(new URL('../dist/cli/signet.js', import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeRuns(cmd: string, cmdArgs: string[], env: NodeJS.ProcessEnv, expectCode = 0): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, cmdArgs, { env, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== expectCode) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return median(times);
}

async function pool<T>(items: readonly T[], width: number, f: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await f(items[next++]!);
  }));
}

const work = await mkdtemp(join(tmpdir(), 'signet-bench-verify-'));
const gpg = await GpgHome.create();
try {
  const env = { ...process.env, ...gpg.env };
  const trusted = await gpg.generateKey('trusted');
  const other = await gpg.generateKey('other');
  const secret = await gpg.exportSecret(trusted);
  const otherSecret = await gpg.exportSecret(other);
  const keyringFile = join(work, 'trusted.gpg');
  await writeFile(keyringFile, await gpg.exportPublic([trusted.fingerprint]));
  const identity = 'registry.example.com/team/app:1';

  // Library throughput.
  const keyring = await loadKeyring(await gpg.exportPublic([trusted.fingerprint]), 'bench');
  const signed = await Promise.all(
    Array.from({ length: 2 * imageCount }, (_, i) => createSimpleSignature({ manifestDigest: digestOf(`m${i}`), dockerReference: identity, signer: { kind: 'key', secretKey: secret } })),
  );
  // An untimed pass over as many other signatures first: a long-running process (a registry, a sync job)
  // verifies with warm code. The timed pass sees only signatures it has not verified before.
  await pool(signed.slice(imageCount), 8, (s) => verifySimpleSignature(s, keyring));
  const sigs = signed.slice(0, imageCount);
  let t = performance.now();
  await pool(sigs, 8, (s) => verifySimpleSignature(s, keyring));
  const sigRate = imageCount / ((performance.now() - t) / 1000);

  const policy = parsePolicy(JSON.stringify({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyringFile }] }), 'bench');
  const dirs: string[] = [];
  for (let i = 0; i < imageCount; i++) {
    const img = makeImage({ seed: `v${i}`, layerBytes: 64 });
    const dir = join(work, `img-${i}`);
    await writeDirImage(dir, img, [await createSimpleSignature({ manifestDigest: img.manifestDigest, dockerReference: identity, signer: { kind: 'key', secretKey: secret } })]);
    dirs.push(dir);
  }
  await pool(dirs.slice(0, Math.min(50, dirs.length)), 8, (d) => verifyInstallable(d, identity, { policy: { policy, source: 'bench' } }));
  t = performance.now();
  let accepted = 0;
  await pool(dirs, 8, async (d) => {
    if ((await verifyInstallable(d, identity, { policy: { policy, source: 'bench' } })).allowed) accepted++;
  });
  const imageRate = imageCount / ((performance.now() - t) / 1000);
  if (accepted !== imageCount) throw new Error(`only ${accepted} of ${imageCount} images were accepted`);
  console.log(`library, one process, 8 at a time, after a warm-up pass: ${sigRate.toFixed(0)} simple signatures/s verified; ${imageRate.toFixed(0)} dir: images/s through verifyInstallable (target ≥ 2000 signatures/s)`);

  // One image with 1, 10, 100 signatures, cold CLI runs.
  const dirPolicy = join(work, 'dir-policy.json');
  await writeFile(dirPolicy, JSON.stringify({ default: [{ type: 'reject' }], transports: { dir: { '': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyringFile, signedIdentity: { type: 'exactReference', dockerReference: identity } }] } } }));
  const rows: string[][] = [['signatures', 'signet verify', 'skopeo copy --policy', 'ratio']];
  for (const n of [1, 10, 100]) {
    const img = makeImage({ seed: `multi-${n}`, layerBytes: 64 });
    const dir = join(work, `multi-${n}`);
    const list: Buffer[] = [];
    for (let i = 0; i < n - 1; i++) list.push(await createSimpleSignature({ manifestDigest: img.manifestDigest, dockerReference: identity, signer: { kind: 'key', secretKey: otherSecret } }));
    list.push(await createSimpleSignature({ manifestDigest: img.manifestDigest, dockerReference: identity, signer: { kind: 'key', secretKey: secret } }));
    await writeDirImage(dir, img, list);
    const ours = timeRuns(process.execPath, [signetBin, '--policy', dirPolicy, 'verify', `dir:${dir}`], env);
    await mkdir(join(work, 'out'), { recursive: true });
    const theirs = timeRuns('skopeo', ['copy', '-q', '--remove-signatures', '--policy', dirPolicy, `dir:${dir}`, `dir:${join(work, 'out', `m${n}`)}`], env);
    rows.push([String(n), `${ours.toFixed(0)} ms`, `${theirs.toFixed(0)} ms`, (ours / theirs).toFixed(2)]);
  }

  // standalone-verify, same inputs.
  const img = makeImage({ seed: 'standalone', layerBytes: 64 });
  const sdir = join(work, 'standalone');
  const sig = await createSimpleSignature({ manifestDigest: img.manifestDigest, dockerReference: identity, signer: { kind: 'key', secretKey: secret } });
  await writeDirImage(sdir, img, [sig]);
  const manifest = join(sdir, 'manifest.json');
  const sigFile = join(sdir, 'signature-1');
  const ourKeyring = timeRuns(process.execPath, [signetBin, 'standalone-verify', manifest, identity, trusted.fingerprint, sigFile], env);
  const ourFile = timeRuns(process.execPath, [signetBin, 'standalone-verify', '--public-key-file', keyringFile, manifest, identity, trusted.fingerprint, sigFile], env);
  const theirs = timeRuns('skopeo', ['standalone-verify', manifest, identity, trusted.fingerprint, sigFile], env);
  rows.push(['standalone-verify (GnuPG keyring)', `${ourKeyring.toFixed(0)} ms`, `${theirs.toFixed(0)} ms`, (ourKeyring / theirs).toFixed(2)]);
  rows.push(['standalone-verify (--public-key-file)', `${ourFile.toFixed(0)} ms`, `${theirs.toFixed(0)} ms`, (ourFile / theirs).toFixed(2)]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log(`(cold CLI runs, median of ${runs}; target: a cold CLI verify within 1.5 × skopeo)`);
} finally {
  await gpg.cleanup();
  await rm(work, { recursive: true, force: true });
}
