import type { KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { CodedError, CoreInputError, parseNormalizedNamed, referenceString, type Digest } from '../../core/index.js';
import { copyImage, type CopyOptions, type CopyProgress } from '../../copy/index.js';
import { MediaTypes } from '../../manifest/index.js';
import { renderVerdictJson, renderVerdictText, type Verdict } from '../../policy/index.js';
import { KeyError, createSimpleSignature, decryptCosignPrivateKey, type SimpleSigner } from '../../signature/index.js';
import { signImage } from '../../sign/index.js';
import { parseImageName, type ImageReference, type ImageSource } from '../../transports/index.js';
import { evaluateSource, loadPolicy, loadRegistriesD } from '../../verify/index.js';
import { systemContext } from '../context.js';
import { lookasideStagingFor, readFirstLine } from '../inputs.js';
import type { GlobalOptions } from '../options.js';
import { LineProgress, quietProgress, terminalProgress } from '../progress.js';
import { version } from '../version.js';

/** The source was evaluated against the trust policy and refused. */
class SourceRejectedError extends CodedError<'SOURCE_REJECTED'> {
  readonly category = 'integrity' as const;
  constructor(readonly verdict: Verdict) {
    super('SOURCE_REJECTED', `source image rejected by the trust policy ${verdict.policy.file}`);
  }
}

/** The policy check of `copy`, as containers/image runs it: on the source's top-level manifest, before copying. */
async function policyCheck(globals: GlobalOptions): Promise<NonNullable<CopyOptions['approveSource']>> {
  const loaded = await loadPolicy(globals.policy);
  const registries = await loadRegistriesD(globals['registries.d']);
  return async (source: ImageSource, _manifest: Buffer, digest: Digest) => {
    const verdict = await evaluateSource(source, digest, loaded, registries);
    if (!verdict.allowed) throw new SourceRejectedError(verdict);
  };
}

async function readPassphrase(path: unknown): Promise<string | undefined> {
  return typeof path === 'string' ? readFirstLine(path, '--sign-passphrase-file') : undefined;
}

/** `--sign-by-sigstore-private-key FILE`: a cosign key, decrypted before anything is copied. */
async function sigstoreSigningKey(path: string, passphraseFile: unknown, destination: ImageReference): Promise<KeyObject> {
  if (destination.transport.name !== 'docker') {
    throw new CoreInputError('INVALID_ARGUMENT', `--sign-by-sigstore-private-key: cosign signatures are stored in a registry; ${destination.toString()} is not one`);
  }
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new CoreInputError('INVALID_ARGUMENT', `--sign-by-sigstore-private-key: cannot read ${path}: ${(err as Error).message}`);
  }
  const password = (await readPassphrase(passphraseFile)) ?? process.env['COSIGN_PASSWORD'];
  if (password === undefined) throw new KeyError('PASSWORD_REQUIRED', `${path} is encrypted: give --sign-passphrase-file or set COSIGN_PASSWORD`);
  return decryptCosignPrivateKey(pem, password);
}

/** The destination, named by the digest just written (so signing resolves exactly that manifest). */
function digestReference(destination: ImageReference, digest: Digest): ImageReference {
  const ref = destination.dockerReference;
  if (ref === undefined) return destination;
  return parseImageName(`docker://${ref.domain}/${ref.path}@${digest}`);
}

/** `--sign-by FPR` (system gpg) or `--sign-by-key FILE` (an OpenPGP secret key): simple signatures of what is written. */
async function signer(opts: Record<string, unknown>, destination: ImageReference): Promise<CopyOptions['sign']> {
  const byFingerprint = typeof opts['signBy'] === 'string' ? opts['signBy'] : undefined;
  const byKey = typeof opts['signByKey'] === 'string' ? opts['signByKey'] : undefined;
  if (byFingerprint === undefined && byKey === undefined) {
    const bySigstore = typeof opts['signBySigstorePrivateKey'] === 'string';
    if (!bySigstore && (opts['signPassphraseFile'] !== undefined || opts['signIdentity'] !== undefined)) {
      throw new CoreInputError('INVALID_ARGUMENT', '--sign-passphrase-file and --sign-identity need --sign-by, --sign-by-key or --sign-by-sigstore-private-key');
    }
    return undefined;
  }
  if (byFingerprint !== undefined && byKey !== undefined) throw new CoreInputError('INVALID_ARGUMENT', 'give only one of --sign-by and --sign-by-key');
  let identity: string;
  if (typeof opts['signIdentity'] === 'string') {
    try {
      identity = referenceString(parseNormalizedNamed(opts['signIdentity']));
    } catch (err) {
      throw new CoreInputError('INVALID_REFERENCE', `--sign-identity: ${(err as Error).message}`);
    }
  } else if (destination.dockerReference !== undefined) {
    identity = referenceString(destination.dockerReference);
  } else {
    throw new CoreInputError('INVALID_ARGUMENT', `cannot tell which docker reference to sign for ${destination.toString()}: give --sign-identity`);
  }
  const passphrase = await readPassphrase(opts['signPassphraseFile']);
  let who: SimpleSigner;
  if (byFingerprint !== undefined) {
    who = { kind: 'gpg', fingerprint: byFingerprint, ...(typeof opts['signPassphraseFile'] === 'string' ? { passphraseFile: opts['signPassphraseFile'] } : {}) };
  } else {
    let secretKey: Buffer;
    try {
      secretKey = await readFile(byKey as string);
    } catch (err) {
      throw new CoreInputError('INVALID_ARGUMENT', `--sign-by-key: cannot read ${byKey}: ${(err as Error).message}`);
    }
    who = { kind: 'key', secretKey, ...(passphrase === undefined ? {} : { passphrase }) };
  }
  return async (_manifest: Buffer, digest: Digest) => [
    await createSimpleSignature({ manifestDigest: digest, dockerReference: identity, signer: who, creator: `signet ${version}` }),
  ];
}

export async function runCopy(source: string, destination: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const src = parseImageName(source);
  const dst = parseImageName(destination);
  const options: { -readonly [K in keyof CopyOptions]: CopyOptions[K] } = {
    sourceContext: systemContext(opts, globals, 'src'),
    destinationContext: systemContext(opts, globals, 'dest'),
    all: opts['all'] === true,
    removeSignatures: opts['removeSignatures'] === true,
  };
  const staging = await lookasideStagingFor(dst, globals);
  if (staging !== undefined) options.destinationContext = { ...options.destinationContext, lookasideStaging: staging };
  if (opts['format'] === 'oci') options.manifestMediaType = MediaTypes.ociManifest;
  if (opts['format'] === 'v2s2') options.manifestMediaType = MediaTypes.dockerV2S2Manifest;
  // As skopeo: no copy without a trust policy, unless the user says so.
  if (globals.insecurePolicy !== true) options.approveSource = await policyCheck(globals);
  const sign = await signer(opts, dst);
  if (sign !== undefined) options.sign = sign;

  let progress: CopyProgress;
  let stop = (): void => {};
  if (opts['quiet'] === true) {
    progress = quietProgress;
  } else if (process.stdout.isTTY === true && globals.output !== 'json') {
    const bars = await terminalProgress(process.stdout);
    progress = bars;
    stop = () => bars.stop();
  } else {
    progress = new LineProgress(globals.output === 'json' ? process.stderr : process.stdout);
  }
  options.progress = progress;
  const sigstoreKey = typeof opts['signBySigstorePrivateKey'] === 'string' ? await sigstoreSigningKey(opts['signBySigstorePrivateKey'], opts['signPassphraseFile'], dst) : undefined;
  let result;
  try {
    result = await copyImage(src, dst, options);
  } catch (err) {
    if (err instanceof SourceRejectedError) {
      stop();
      // SPEC §3.2: a rejected copy explains itself with the verdict.
      if (globals.output === 'json') process.stdout.write(renderVerdictJson(err.verdict));
      else process.stderr.write(renderVerdictText(err.verdict));
      return 1;
    }
    throw err;
  } finally {
    stop();
  }
  if (sigstoreKey !== undefined) {
    // A cosign signature of the written manifest, in the destination's sha256-<hex>.sig tag.
    const by = digestReference(dst, result.manifestDigest);
    await signImage(by, { format: 'cosign', key: sigstoreKey }, {
      context: options.destinationContext ?? {},
      ...(typeof opts['signIdentity'] === 'string' ? { identity: opts['signIdentity'] } : {}),
    });
  }
  if (typeof opts['digestfile'] === 'string') await writeFile(opts['digestfile'], result.manifestDigest);
  if (globals.output === 'json') {
    process.stdout.write(
      JSON.stringify({
        source,
        destination,
        manifestDigest: result.manifestDigest,
        mediaType: result.mediaType,
        instances: result.instances,
        blobsCopied: result.blobsCopied,
        blobsSkipped: result.blobsSkipped,
      }) + '\n',
    );
  }
  return 0;
}
