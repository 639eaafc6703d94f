/**
 * Every place a signature of an image can live, read for one manifest digest: `dir:` signature files, the
 * registry extension API (when `/v2/` says `X-Registry-Supports-Signatures: 1`, containers/image then uses
 * only it), lookaside storage (`file:` or `http(s):`, from registries.d) otherwise, cosign `.sig` attachments
 * when `use-sigstore-attachments` is on, and sigstore bundles among the image's OCI referrers (the referrers
 * API, else the `sha256-<hex>` tag schema). Nothing read here is trusted: the policy verifies.
 */
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CodedError, DigestVerifier, IntegrityError, describeError, limits, readAllCapped, verifyBytes, type Digest, type DockerReference } from '../core/index.js';
import { defaultLookasideBase, lookasideUrl, signatureLocationsFor, type CandidateSignature, type RegistriesConfig } from '../policy/index.js';
import { isBundleArtifactType, parseBundleReferrer, parseSignatureBlob, parseSignatureManifest, sigTagFor, SignatureVerificationError } from '../signature/index.js';
import { RegistryClient, isNotFoundError, listReferrers, type ImageSource, type SystemContext } from '../transports/index.js';
import { VerifyError } from './errors.js';

export interface CollectOptions {
  /** Parsed registries.d configuration (where lookaside storage is). */
  readonly registries: RegistriesConfig;
  /** The client the image was read with, to reuse its connections and credentials. */
  readonly client?: RegistryClient;
  /** TLS and credentials for a client made here, when neither `client` nor the source's own client is there. */
  readonly context?: SystemContext;
  /** The home directory for the built-in lookaside default of non-root users. */
  readonly home?: string;
  /**
   * Whether to read sigstore bundles from the image's OCI referrers. `true`: always, because they will be verified
   * (the implicit policy of `verify --key`); a referrer that cannot be fetched is an error, one that is not a
   * well-formed bundle attachment a candidate with a `defect`. `false`: never. Default: when registries.d turns
   * on `use-sigstore-attachments` for the registry, so that a verdict can list them — containers/image policies
   * do not read bundles, so then nothing read there may change the outcome, and a failure to read referrers
   * leaves them out.
   */
  readonly bundles?: boolean;
}

/** Signatures stored with the image itself (`dir:` signature-N files, …). */
async function fromSource(src: ImageSource, instance: Digest | undefined): Promise<CandidateSignature[]> {
  const blobs = await src.getSignatures(instance);
  return blobs.map((blob, i) => candidate(blob, i + 1, 'dir'));
}

function candidate(blob: Buffer, index: number, source: CandidateSignature['source']): CandidateSignature {
  let format: CandidateSignature['format'] = 'unknown';
  try {
    format = parseSignatureBlob(blob).kind === 'simple-signing' ? 'simple-signing' : 'sigstore';
  } catch {
    // Left as 'unknown': the policy reports it as MALFORMED_SIGNATURE where it matters.
  }
  return { index, source, format, blob };
}

/** Read lookaside signatures 1..N until the first one that does not exist. */
async function fromLookaside(base: string, ref: DockerReference, digest: Digest): Promise<CandidateSignature[]> {
  const out: CandidateSignature[] = [];
  for (let n = 1; n <= limits.signatureCount; n++) {
    const url = lookasideUrl(base, ref, digest, n);
    const blob = url.startsWith('file:') ? await readLookasideFile(url) : await readLookasideHttp(url);
    if (blob === undefined) break;
    out.push(candidate(blob, n, 'lookaside'));
  }
  return out;
}

async function readLookasideFile(url: string): Promise<Buffer | undefined> {
  try {
    const bytes = await readFile(fileURLToPath(url));
    if (bytes.length > limits.signatureBytes) throw new VerifyError('SIGNATURE_UNREADABLE', `${url} is larger than ${limits.signatureBytes} bytes`);
    return bytes;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof VerifyError) throw err;
    throw new VerifyError('SIGNATURE_UNREADABLE', `cannot read signature ${url}: ${(err as Error).message}`, { cause: err });
  }
}

/** Lookaside over HTTP(S): a plain web server, not the registry (no registry credentials are sent). */
async function readLookasideHttp(url: string): Promise<Buffer | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw new VerifyError('SIGNATURE_UNREADABLE', `reading signature ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status !== 200 || res.body === null) {
    await res.body?.cancel();
    throw new VerifyError('SIGNATURE_UNREADABLE', `reading signature ${url}: HTTP ${res.status}`);
  }
  return readAllCapped(res.body as unknown as AsyncIterable<Uint8Array>, limits.signatureBytes, `signature ${url}`);
}

interface ExtensionList {
  signatures?: { schemaVersion?: unknown; type?: unknown; content?: unknown; name?: unknown }[];
}

/** The Docker signature extension API (OpenShift, pulp, signet serve). */
async function fromExtension(client: RegistryClient, ref: DockerReference, digest: Digest): Promise<CandidateSignature[]> {
  const res = await client.request(ref, { method: 'GET', path: `/extensions/v2/${ref.path}/signatures/${digest}` });
  if (res.status === 404) {
    res.body.destroy();
    return [];
  }
  if (res.status !== 200) {
    res.body.destroy();
    throw new VerifyError('SIGNATURE_UNREADABLE', `reading signatures of ${ref.path}@${digest} through the extension API: HTTP ${res.status}`);
  }
  const body = await readAllCapped(res.body, limits.signatureBytes, 'signature list');
  let parsed: ExtensionList;
  try {
    parsed = JSON.parse(body.toString('utf8')) as ExtensionList;
  } catch (err) {
    throw new VerifyError('SIGNATURE_UNREADABLE', `the registry's signature list is not JSON: ${(err as Error).message}`);
  }
  const out: CandidateSignature[] = [];
  for (const s of parsed.signatures ?? []) {
    // As containers/image: only schemaVersion 2, type "atomic" entries are signatures.
    if (s.schemaVersion !== 2 || s.type !== 'atomic' || typeof s.content !== 'string') continue;
    out.push(candidate(Buffer.from(s.content, 'base64'), out.length + 1, 'extension'));
  }
  return out;
}

/** cosign `sha256-<hex>.sig` attachments: each layer is a payload, its annotations carry the signature. */
async function fromAttachments(client: RegistryClient, ref: DockerReference, digest: Digest): Promise<CandidateSignature[]> {
  let manifest;
  try {
    manifest = await client.getManifest(ref, sigTagFor(digest));
  } catch (err) {
    if ((err as { code?: string }).code === 'MANIFEST_UNKNOWN' || (err as { status?: number }).status === 404) return [];
    throw err;
  }
  const parsed = parseSignatureManifest(manifest.bytes);
  const out: CandidateSignature[] = [];
  for (const layer of parsed.layers) {
    if (layer.size > limits.signatureBytes) continue;
    const { stream } = await client.getBlob(ref, { digest: layer.digest });
    const payload = await readAllCapped(stream, limits.signatureBytes, `signature payload ${layer.digest}`);
    verifyBytes(payload, layer.digest, `signature payload ${layer.digest}`);
    out.push({ index: out.length + 1, source: 'sigstore-attachment', format: 'sigstore', blob: payload, annotations: layer.annotations, mimeType: layer.mediaType });
  }
  return out;
}

/**
 * Sigstore bundles among the OCI referrers of `digest`: each index entry whose `artifactType` is a bundle type is
 * fetched by digest (checked), read as a bundle attachment, and its one layer read (size-capped, checked against
 * its descriptor). A referrer that is listed but missing, malformed, or whose bundle blob does not match its
 * descriptor becomes a candidate with a `defect`.
 */
async function fromReferrers(client: RegistryClient, ref: DockerReference, digest: Digest): Promise<CandidateSignature[]> {
  const { manifests } = await listReferrers(client, ref, digest);
  const out: CandidateSignature[] = [];
  for (const entry of manifests.filter((m) => isBundleArtifactType(m.artifactType)).slice(0, limits.signatureCount)) {
    const base = { index: out.length + 1, source: 'referrer', format: 'sigstore-bundle' } as const;
    const defect = (code: 'MALFORMED_SIGNATURE' | 'DIGEST_MISMATCH', message: string): CandidateSignature => ({ ...base, blob: Buffer.alloc(0), defect: { code, message } });
    try {
      if (entry.size > limits.manifestBytes) {
        out.push(defect('MALFORMED_SIGNATURE', `referrer ${entry.digest} has ${entry.size} bytes, over the ${limits.manifestBytes}-byte manifest limit`));
        continue;
      }
      const m = await client.getManifest(ref, entry.digest);
      const referrer = parseBundleReferrer(m.bytes, m.mediaType);
      const { stream } = await client.getBlob(ref, { digest: referrer.layer.digest });
      const verifier = new DigestVerifier(referrer.layer.digest, { size: referrer.layer.size, what: `the bundle of referrer ${entry.digest}` });
      const blob = await readAllCapped(pipeline(stream, verifier, () => {}), limits.signatureBytes, `the bundle of referrer ${entry.digest}`);
      out.push({ ...base, blob, annotations: referrer.annotations, mimeType: referrer.layer.mediaType });
    } catch (err: unknown) {
      if (err instanceof IntegrityError) out.push(defect('DIGEST_MISMATCH', `referrer ${entry.digest}: ${err.message}`));
      else if (isNotFoundError(err)) out.push(defect('MALFORMED_SIGNATURE', `referrer ${entry.digest} is listed, but the registry does not have it or its bundle: ${describeError(err)}`));
      else if (err instanceof SignatureVerificationError || (err instanceof CodedError && err.code === 'TOO_LARGE')) out.push(defect('MALFORMED_SIGNATURE', `referrer ${entry.digest}: ${err.message}`));
      else throw err;
    }
  }
  return out;
}

/** Bundles for a verdict that only lists them: any failure to read referrers leaves them out. */
async function listedBundles(client: RegistryClient, ref: DockerReference, digest: Digest): Promise<CandidateSignature[]> {
  try {
    return await fromReferrers(client, ref, digest);
  } catch (err: unknown) {
    if (err instanceof CodedError) return [];
    throw err;
  }
}

/** The registry client a docker source reads with: the same TLS settings, credentials and connections. */
function sourceClient(src: ImageSource): RegistryClient | undefined {
  const client: unknown = (src as { registryClient?: unknown }).registryClient;
  return client instanceof RegistryClient ? client : undefined;
}

/** Every candidate signature of the image whose manifest has `digest`, from every place that applies. */
export async function collectSignatures(
  src: ImageSource,
  digest: Digest,
  options: CollectOptions,
  instance?: Digest,
): Promise<CandidateSignature[]> {
  const ref = src.reference.dockerReference;
  if (ref === undefined || src.reference.transport.name !== 'docker') return fromSource(src, instance);
  const own = options.client ?? sourceClient(src);
  const client = own ?? new RegistryClient(options.context ?? {});
  try {
    const locations = signatureLocationsFor(options.registries, ref);
    // Without a configured lookaside, containers/image reads its built-in default location.
    const lookaside = locations.lookaside ?? defaultLookasideBase({ root: process.getuid?.() === 0, home: options.home ?? homedir() });
    const simple = (await client.supportsSignatures(ref.domain)) ? await fromExtension(client, ref, digest) : await fromLookaside(lookaside, ref, digest);
    const sigstore = locations.useSigstoreAttachments ? await fromAttachments(client, ref, digest) : [];
    let bundles: CandidateSignature[] = [];
    if (options.bundles === true) bundles = await fromReferrers(client, ref, digest);
    else if (options.bundles === undefined && locations.useSigstoreAttachments) bundles = await listedBundles(client, ref, digest);
    return [...simple, ...[...sigstore, ...bundles].map((s, i) => ({ ...s, index: simple.length + i + 1 }))];
  } finally {
    if (own === undefined) await client.close();
  }
}
