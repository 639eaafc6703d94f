/**
 * The `signet` command line: commands and their options. Each command loads its own modules on demand.
 */
import { Command, CommanderError, Option } from 'commander';
import { normaliseBooleanFlags, parseBooleanValue, type GlobalOptions } from './options.js';

import { version } from './version.js';

/** Flags that take an explicit boolean as skopeo's do (`--tls-verify=false`); a bare flag means true. */
const booleanValueFlags = ['--tls-verify', '--src-tls-verify', '--dest-tls-verify'];

function tlsOption(flag: string, what: string): Option {
  return new Option(`${flag} <bool>`, `require HTTPS and verify certificates when talking to ${what}`).argParser(parseBooleanValue);
}

/** Commands set `result.code` when they end with something other than success (a rejected verdict: 1). */
function program(result: { code: number }): Command {
  const cmd = new Command('signet')
    .description('Inspect, copy, sign and verify container images; serve a registry that treats signatures as first-class content.')
    .version(version, '-v, --version', 'print the version')
    .option('--policy <file>', 'trust policy file (containers-policy.json)')
    .option('--registries.d <dir>', 'directory with registries.d configuration (signature locations)')
    .option('--insecure-policy', 'run without a trust policy (accept any image)')
    .option('--authfile <file>', 'registry credentials file (auth.json)')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--debug', 'print debugging information')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });

  cmd
    .command('inspect')
    .description('print low-level information about an image, as skopeo inspect does')
    .argument('<image>', 'image name, e.g. docker://registry.example.com/app:1.2, dir:/path, oci:/path:ref')
    .option('--raw', 'print the raw manifest (with --config: the raw config blob)')
    .option('--config', 'print the image configuration')
    .option('-n, --no-tags', 'do not list the repository tags')
    .addOption(tlsOption('--tls-verify', 'the registry'))
    .option('--creds <user:password>', 'credentials for the registry')
    .option('--override-os <os>', 'choose this OS from a multi-platform image')
    .option('--override-arch <arch>', 'choose this architecture from a multi-platform image')
    .option('--override-variant <variant>', 'choose this variant from a multi-platform image')
    .action(async (image: string, opts: Record<string, unknown>, self: Command) => {
      const { runInspect } = await import('./commands/inspect.js');
      await runInspect(image, opts, globals(self));
    });

  cmd
    .command('copy')
    .description('copy an image between transports, checking every digest on the way')
    .argument('<source>', 'source image name')
    .argument('<destination>', 'destination image name')
    .option('-a, --all', 'copy every image of a multi-platform image, not just the current platform\'s')
    .option('--remove-signatures', 'do not copy signatures')
    .option('-q, --quiet', 'print nothing while copying')
    .addOption(new Option('-f, --format <format>', 'manifest type for the destination').choices(['oci', 'v2s2']))
    .addOption(tlsOption('--src-tls-verify', 'the source registry'))
    .addOption(tlsOption('--dest-tls-verify', 'the destination registry'))
    .option('--src-creds <user:password>', 'credentials for the source registry')
    .option('--dest-creds <user:password>', 'credentials for the destination registry')
    .option('--override-os <os>', 'choose this OS from a multi-platform image')
    .option('--override-arch <arch>', 'choose this architecture from a multi-platform image')
    .option('--override-variant <variant>', 'choose this variant from a multi-platform image')
    .option('--digestfile <file>', 'write the digest of the copied manifest to this file')
    .option('--sign-by <fingerprint>', 'sign the copied image with this GPG key (simple signing, through the system gpg)')
    .option('--sign-by-key <file>', 'sign the copied image with this OpenPGP secret key file (no gpg needed)')
    .option('--sign-by-sigstore-private-key <file>', 'sign the copied image with this cosign private key (a .sig tag in the destination registry)')
    .option('--sign-passphrase-file <file>', 'passphrase of the signing key (first line of the file)')
    .option('--sign-identity <ref>', 'the docker reference the signature names (default: the destination\'s)')
    .action(async (source: string, destination: string, opts: Record<string, unknown>, self: Command) => {
      const { runCopy } = await import('./commands/copy.js');
      result.code = await runCopy(source, destination, opts, globals(self));
    });

  cmd
    .command('manifest-digest')
    .description('print the digest a signature of this manifest must name')
    .argument('<file>', 'manifest file')
    .action(async (file: string, _opts: unknown, self: Command) => {
      const { runManifestDigest } = await import('./commands/manifest-digest.js');
      await runManifestDigest(file, globals(self));
    });

  cmd
    .command('verify')
    .description('evaluate the trust policy for an image and explain the verdict')
    .argument('<image>', 'image name')
    .option('--identity <ref>', 'evaluate as if the image were this docker reference')
    .option('--key <file>', 'trust these keys (GPG keyring or cosign public key) instead of a policy file; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .addOption(tlsOption('--tls-verify', 'the registry'))
    .option('--creds <user:password>', 'credentials for the registry')
    .action(async (image: string, opts: Record<string, unknown>, self: Command) => {
      const { runVerify } = await import('./commands/verify.js');
      result.code = await runVerify(image, opts, globals(self));
    });

  cmd
    .command('verify-installable')
    .description('verify a dir: download offline against the policy for the identity it will be installed as')
    .argument('<dir>', 'directory in skopeo\'s dir: layout (manifest.json, signature-N)')
    .requiredOption('--identity <ref>', 'the docker reference the image is installed as')
    .action(async (dir: string, opts: Record<string, unknown>, self: Command) => {
      const { runVerifyInstallable } = await import('./commands/verify.js');
      result.code = await runVerifyInstallable(dir, opts, globals(self));
    });

  cmd
    .command('standalone-sign')
    .description('create a simple signature of a manifest file with a GPG key (as skopeo standalone-sign)')
    .argument('<manifest>', 'manifest file')
    .argument('<docker-reference>', 'the reference the signature names')
    .argument('<key-fingerprint>', 'GPG key to sign with')
    .requiredOption('-o, --output <signature>', 'where to write the signature')
    .option('--passphrase-file <file>', 'file holding the key\'s passphrase')
    .action(async (manifest: string, ref: string, fpr: string, opts: Record<string, unknown>, self: Command) => {
      const { runStandaloneSign } = await import('./commands/standalone.js');
      result.code = await runStandaloneSign(manifest, ref, fpr, opts, globals(self));
    });

  cmd
    .command('standalone-verify')
    .description('verify a simple signature of a manifest file (as skopeo standalone-verify)')
    .argument('<manifest>', 'manifest file')
    .argument('<docker-reference>', 'the reference the signature must name')
    .argument('<key-fingerprints>', 'comma-separated fingerprints of accepted keys, or "any" with --public-key-file')
    .argument('<signature>', 'signature file')
    .option('--public-key-file <file>', 'public keys to verify with (default: the local GPG keyring)')
    .action(async (manifest: string, ref: string, fprs: string, sig: string, opts: Record<string, unknown>, self: Command) => {
      const { runStandaloneVerify } = await import('./commands/standalone.js');
      result.code = await runStandaloneVerify(manifest, ref, fprs, sig, opts, globals(self));
    });

  cmd
    .command('sign')
    .description('sign the digest an image resolves to, and store the signature where its format belongs')
    .argument('<image>', 'image name (docker:// or dir:)')
    .requiredOption('--key <file>', 'OpenPGP secret key (simple signing) or cosign private key (cosign or bundle format)')
    .addOption(
      new Option('--format <format>', 'signature format (default: from the key): simple, cosign (.sig tag) or bundle (sigstore bundle, OCI referrer)').choices([
        'simple',
        'cosign',
        'bundle',
      ]),
    )
    .option('-a, --annotation <key=value>', 'cosign: an annotation in the signed payload; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--identity <ref>', 'the docker reference the signature names (default: the image\'s)')
    .option('--passphrase-file <file>', 'passphrase of the key (first line); cosign keys also read COSIGN_PASSWORD')
    .addOption(tlsOption('--tls-verify', 'the registry'))
    .option('--creds <user:password>', 'credentials for the registry')
    .action(async (image: string, opts: Record<string, unknown>, self: Command) => {
      const { runSign } = await import('./commands/sign.js');
      result.code = await runSign(image, opts, globals(self));
    });

  cmd
    .command('tree')
    .description('list every supply-chain artifact attached to an image: signatures, attestations, SBOMs, referrers')
    .argument('<image>', 'image name')
    .addOption(tlsOption('--tls-verify', 'the registry'))
    .option('--creds <user:password>', 'credentials for the registry')
    .action(async (image: string, opts: Record<string, unknown>, self: Command) => {
      const { runTree } = await import('./commands/tree.js');
      result.code = await runTree(image, opts, globals(self));
    });

  cmd
    .command('attest')
    .description('sign an in-toto statement about the image digest (DSSE) and store it in the sha256-<hex>.att tag, as cosign attest does')
    .argument('<image>', 'registry image name (docker://…)')
    .requiredOption('--predicate <file>', 'the predicate: JSON, or any text for --type custom')
    .option('--type <type>', 'predicate type: slsaprovenance, slsaprovenance02, slsaprovenance1, link, spdx, spdxjson, cyclonedx, vuln, openvex, custom, or a URI', 'custom')
    .requiredOption('--key <file>', 'cosign private key')
    .option('--passphrase-file <file>', 'password of the key (first line); default COSIGN_PASSWORD or a prompt')
    .addOption(tlsOption('--tls-verify', 'the registry'))
    .option('--creds <user:password>', 'credentials for the registry')
    .action(async (image: string, opts: Record<string, unknown>, self: Command) => {
      const { runAttest } = await import('./commands/attest.js');
      result.code = await runAttest(image, opts, globals(self));
    });

  cmd
    .command('verify-attestation')
    .description('verify the attestations in an image\'s sha256-<hex>.att tag and explain each')
    .argument('<image>', 'registry image name (docker://…)')
    .option('--key <file>', 'cosign public key to trust; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--type <type>', 'only attestations of this predicate type (a cosign type name or a URI); default: every type')
    .addOption(tlsOption('--tls-verify', 'the registry'))
    .option('--creds <user:password>', 'credentials for the registry')
    .action(async (image: string, opts: Record<string, unknown>, self: Command) => {
      const { runVerifyAttestation } = await import('./commands/attest.js');
      result.code = await runVerifyAttestation(image, opts, globals(self));
    });

  cmd
    .command('generate-key-pair')
    .description('write a cosign-compatible key pair: PREFIX.key (encrypted; password from COSIGN_PASSWORD or a prompt) and PREFIX.pub')
    .option('--output-key-prefix <prefix>', 'file name prefix', 'cosign')
    .action(async (opts: Record<string, unknown>, self: Command) => {
      const { runGenerateKeyPair } = await import('./commands/generate-key-pair.js');
      result.code = await runGenerateKeyPair(opts, globals(self));
    });

  cmd
    .command('serve')
    .description('run the registry')
    .option('--config <file>', 'registry configuration (YAML)')
    .action(async (opts: { config?: string }) => {
      const { runServe } = await import('./commands/serve.js');
      result.code = await runServe(opts);
    });

  const registry = cmd.command('registry').description('administer a running registry (SIGNET_URL and SIGNET_CREDS may stand in for --url and --creds)');
  const user = registry.command('user').description('users and their roles');
  const adminOptions = (c: Command): Command =>
    c.option('--url <url>', 'the registry (default http://127.0.0.1:5000)').option('--creds <user:password>', 'credentials of an admin of every repository');
  adminOptions(user.command('list').description('list users and their roles')).action(async (opts: Record<string, string>, self: Command) => {
    const { runUserList } = await import('./commands/registry-admin.js');
    result.code = await runUserList(opts, globals(self));
  });
  adminOptions(user.command('add <name>').description('create a user, or set its password and roles'))
    .option('--password-file <file>', 'the first line is the password (/dev/stdin for standard input)')
    .option('--role <pattern=role>', 'a role on the repositories a pattern matches, e.g. "team/*=push" (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .action(async (name: string, opts: Record<string, string> & { role?: string[] }, self: Command) => {
      const { runUserAdd } = await import('./commands/registry-admin.js');
      result.code = await runUserAdd(name, opts, globals(self));
    });
  adminOptions(user.command('remove <name>').description('remove a user')).action(async (name: string, opts: Record<string, string>, self: Command) => {
    const { runUserRemove } = await import('./commands/registry-admin.js');
    result.code = await runUserRemove(name, opts, globals(self));
  });
  adminOptions(user.command('grant <name> <pattern=role>').description('add a role, e.g. grant ci "team/*=sign"')).action(
    async (name: string, grant: string, opts: Record<string, string>, self: Command) => {
      const { runUserGrant } = await import('./commands/registry-admin.js');
      result.code = await runUserGrant(name, grant, opts, globals(self));
    },
  );

  return cmd;
}

function globals(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent !== null) root = root.parent;
  return root.opts<GlobalOptions>();
}

export async function main(argv: string[]): Promise<number> {
  const result = { code: 0 };
  const cmd = program(result);
  try {
    await cmd.parseAsync(normaliseBooleanFlags(argv, booleanValueFlags), { from: 'user' });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    const { reportError } = await import('./report-error.js');
    return reportError(err, globalsFromArgv(argv));
  }
}

function globalsFromArgv(argv: string[]): { output: string; debug: boolean } {
  const i = argv.findIndex((a) => a === '--output' || a.startsWith('--output='));
  let output = 'text';
  if (i >= 0) output = argv[i]?.includes('=') === true ? (argv[i]?.split('=')[1] ?? 'text') : (argv[i + 1] ?? 'text');
  return { output, debug: argv.includes('--debug') };
}
