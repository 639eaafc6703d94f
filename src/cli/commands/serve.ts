/** `serve`: run the registry until SIGINT or SIGTERM. */
import { loadRegistryConfig, startRegistry } from '../../registry/index.js';

export async function runServe(opts: { config?: string }): Promise<number> {
  const config = await loadRegistryConfig({ ...(opts.config === undefined ? {} : { file: opts.config }), env: process.env, cwd: process.cwd() });
  const registry = await startRegistry(config);
  const insecure = registry.url.startsWith('http:') ? ' --tls-verify=false' : '';
  const destInsecure = registry.url.startsWith('http:') ? ' --dest-tls-verify=false' : '';
  const admin = registry.createdAdmin;
  const password = admin?.generatedPassword ?? (config.adminPassword !== undefined && config.users.length === 0 ? '$SIGNET_ADMIN_PASSWORD' : 'PASSWORD');
  const user = config.users[0]?.name ?? 'admin';
  const lines = [
    `Signet registry listening on ${registry.url}`,
    `  blobs in ${config.storage.path}; metadata in ${config.database.kind === 'sqlite' ? `SQLite ${registry.databaseLocation}` : `PostgreSQL ${registry.databaseLocation}`}`,
  ];
  if (admin?.generatedPassword !== undefined) {
    lines.push(`  created user admin with password ${admin.generatedPassword} (shown only now; set SIGNET_ADMIN_PASSWORD before the first start to choose it)`);
  } else if (admin !== undefined) {
    lines.push('  created user admin with the password from SIGNET_ADMIN_PASSWORD');
  } else if (config.users.length > 0) {
    lines.push(`  users from ${config.file ?? 'the configuration'}: ${config.users.map((u) => u.name).join(', ')}`);
  } else {
    lines.push('  users as stored in the database (the first start created admin)');
  }
  lines.push(
    '',
    'Try it:',
    `  skopeo copy${destInsecure} --dest-creds ${user}:${password} oci-archive:image.tar docker://${registry.address}/demo/app:1`,
    `  signet generate-key-pair && signet sign${insecure} --creds ${user}:${password} --key cosign.key docker://${registry.address}/demo/app:1`,
    `  signet verify${insecure} --creds ${user}:${password} --key cosign.pub docker://${registry.address}/demo/app:1`,
    '',
    'Stop with Ctrl-C.',
  );
  process.stdout.write(lines.join('\n') + '\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await registry.close();
  return 0;
}
