/**
 * `verify` and `verify-installable`: evaluate the trust policy for an image and return the verdict. The
 * manifest digest comes from verified bytes; signatures come from every place they live; the policy decides.
 */
import {
  CoreInputError,
  IntegrityError,
  parseNormalizedNamed,
  policyConfigurationIdentity,
  policyConfigurationNamespaces,
  tagNameOnly,
  type Digest,
  type DockerReference,
} from '../core/index.js';
import { manifestDigest, matchesDigest } from '../manifest/index.js';
import { evaluatePolicy, parseRegistriesDirectory, type RegistriesConfig, type Verdict } from '../policy/index.js';
import { dirTransport, openImage, type ImageReference, type ImageSource, type SystemContext } from '../transports/index.js';
import { collectSignatures } from './collect.js';
import { loadPolicy, loadRegistriesD, type LoadedPolicy } from './policy-file.js';
import { fileTrustMaterial } from './trust.js';

export interface VerifyOptions {
  /** `--policy FILE`; otherwise the default locations. */
  readonly policyPath?: string;
  /** A policy given directly (e.g. the implicit one of `--key`); wins over `policyPath`. */
  readonly policy?: LoadedPolicy;
  /** `--registries.d DIR`. */
  readonly registriesDir?: string;
  /**
   * `--identity REF`: evaluate as if the image were the docker reference REF (its policy scope, and the
   * reference signatures must name), instead of the reference it was read from.
   */
  readonly identity?: string;
  readonly context?: SystemContext;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Evaluate the policy for an image in any transport (registry, dir:, oci:, …). */
export async function verifyImage(ref: ImageReference, options: VerifyOptions = {}): Promise<Verdict> {
  const loaded = options.policy ?? (await loadPolicy(options.policyPath, options.env));
  const registries = await loadRegistriesD(options.registriesDir, options.env);
  const { source, digest } = await openImage(ref, options.context ?? {});
  try {
    return await evaluateSource(source, digest, loaded, registries, {
      ...(options.identity === undefined ? {} : { identity: options.identity }),
      ...(options.context === undefined ? {} : { context: options.context }),
    });
  } finally {
    await source.close();
  }
}

/**
 * The policy decision for an open image whose top-level manifest has `digest` (already checked against the
 * bytes): its signatures are collected from every place they live and evaluated. `copy` runs this on its
 * source before writing anything; `verify` runs it and prints the verdict.
 */
export async function evaluateSource(
  source: ImageSource,
  digest: Digest,
  loaded: LoadedPolicy,
  registries: RegistriesConfig,
  options: { readonly identity?: string; readonly context?: SystemContext } = {},
): Promise<Verdict> {
  const ref = source.reference;
  const verifyBundles = loaded.verifyBundles === true;
  const signatures = await collectSignatures(source, digest, {
    registries,
    ...(verifyBundles ? { bundles: true } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
  });
  return evaluatePolicy({
    policy: loaded.policy,
    policySource: loaded.source,
    image: {
      name: ref.toString(),
      ...(options.identity === undefined
        ? {
            transport: ref.transport.name,
            policyIdentity: ref.policyConfigurationIdentity(),
            namespaces: ref.policyConfigurationNamespaces(),
            dockerReference: ref.dockerReference,
          }
        : dockerIdentity(parseIdentity(options.identity))),
      manifestDigest: digest,
    },
    signatures,
    trust: fileTrustMaterial(),
    verifyBundles,
  });
}

/**
 * The offline check of skopeo#2435: a `dir:` download verified against the policy that applies to `identity`
 * (a docker reference such as `registry.example.com/app:1.2`), as if it were pulled from there. Reads only
 * local files: no network connection is ever made.
 */
export async function verifyInstallable(dir: string, identity: string, options: VerifyOptions = {}): Promise<Verdict> {
  const reference = parseIdentity(identity);
  const loaded = options.policy ?? (await loadPolicy(options.policyPath, options.env));
  const ref = dirTransport.parseReference(dir);
  const src = await ref.newImageSource({});
  try {
    const { bytes } = await src.getManifest();
    const digest = manifestDigest(bytes);
    if (reference.digest !== undefined && !matchesDigest(bytes, reference.digest)) {
      throw new IntegrityError('DIGEST_MISMATCH', `manifest: digest mismatch: expected ${reference.digest}, got ${digest}`, reference.digest, digest);
    }
    return await evaluatePolicy({
      policy: loaded.policy,
      policySource: loaded.source,
      image: { name: `dir:${dir}`, ...dockerIdentity(reference), manifestDigest: digest },
      // A dir: source: the signature-N files beside the manifest, nothing else.
      signatures: await collectSignatures(src, digest, { registries: parseRegistriesDirectory([]) }),
      trust: fileTrustMaterial(),
    });
  } finally {
    await src.close();
  }
}

/** `--identity REF` as a docker reference: name-only gets `:latest`, as the docker transport does. */
function parseIdentity(identity: string): DockerReference {
  let named;
  try {
    named = parseNormalizedNamed(identity);
  } catch (err) {
    throw new CoreInputError('INVALID_REFERENCE', `--identity: ${(err as Error).message}`, { cause: err });
  }
  if (named.tag !== undefined && named.digest !== undefined) {
    throw new CoreInputError('INVALID_REFERENCE', `--identity ${identity}: a tag and a digest together are not supported`);
  }
  return named.digest === undefined ? tagNameOnly(named) : named;
}

/** What the policy sees of an image that claims the docker identity `reference`. */
function dockerIdentity(reference: DockerReference): { transport: string; policyIdentity: string; namespaces: string[]; dockerReference: DockerReference } {
  return {
    transport: 'docker',
    policyIdentity: policyConfigurationIdentity(reference),
    namespaces: policyConfigurationNamespaces(reference),
    dockerReference: reference,
  };
}
