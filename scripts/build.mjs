#!/usr/bin/env node
// Builds dist/: the CLI as one lean ESM bundle whose commands load their heavy modules on demand
// (code splitting), and the library with its type declarations.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync, chmodSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  define: { SIGNET_VERSION: JSON.stringify(pkg.version) },
  // CommonJS dependencies bundled into ESM need a require().
  banner: { js: "import { createRequire as __signetCreateRequire } from 'node:module'; const require = __signetCreateRequire(import.meta.url);" },
};

await build({
  ...common,
  entryPoints: { signet: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Less to parse at every start; source maps beside the files for debugging (node --enable-source-maps).
  minify: true,
  sourcemap: 'linked',
  // The registry's server, database drivers (one native) and query builder load from node_modules.
  external: ['better-sqlite3', 'pg', 'pg-native', 'fastify', 'kysely'],
  banner: { js: '#!/usr/bin/env node\n' + common.banner.js },
});
chmodSync('dist/cli/signet.js', 0o755);

await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir: 'dist/lib',
  packages: 'external',
  banner: {},
});

if (!process.argv.includes('--no-types')) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
