#!/usr/bin/env node
// Runs the test suite with Node's test runner: every test/**/*.test.ts, or the files and folders named
// on the command line (e.g. `node scripts/test.mjs test/core`). A whole run then repeats the registry's suites
// with SIGNET_TEST_BACKEND=postgres, so that they hold on both metadata back-ends.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path, out) {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const entry of readdirSync(path).sort()) collect(join(path, entry), out);
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = (roots.length > 0 ? roots : ['test']).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.SIGNET_TEST_CONCURRENCY ?? '2';
function runTests(list, env) {
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...passThrough, ...list],
    { stdio: 'inherit', env: { ...process.env, ...env } },
  ).status ?? 1;
}
let status = runTests(files, {});
// The whole run covers the registry twice: on SQLite (above) and again on PostgreSQL.
const registrySuites = ['test/store', 'test/registry', 'test/interop/serve.test.ts', 'test/interop/serve-durability.test.ts'];
if (roots.length === 0 && status === 0 && process.env.SIGNET_TEST_BACKEND === undefined) {
  const again = registrySuites.flatMap((r) => {
    try {
      return collect(r, []);
    } catch {
      return [];
    }
  });
  console.log(`\nThe registry suites again, on PostgreSQL (${again.length} files)`);
  status = runTests(again, { SIGNET_TEST_BACKEND: 'postgres' });
}
process.exit(status);
