/**
 * Every place a signature of an image can live, read for one manifest digest: `dir:` signature files, the
 * registry extension API (when `/v2/` says `X-Registry-Supports-Signatures: 1`, containers/image then uses
 * only it), lookaside storage (`file:` or `http(s):`, from registries.d) otherwise, and cosign `.sig`
 * attachments when `use-sigstore-attachments` is on. Nothing read here is trusted: the policy verifies.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { limits, readAllCapped, verifyBytes, type Digest, type DockerReference } from '../core/index.js';
import { defaultLookasideBase, lookasideUrl, signatureLocationsFor, type CandidateSignature, type RegistriesConfig } from '../policy/index.js';
import { parseSignatureBlob, parseSignatureManifest, sigTagFor } from '../signature/index.js';
import { RegistryClient, type ImageSource, type SystemContext } from '../transports/index.js';
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
    return [...simple, ...sigstore.map((s, i) => ({ ...s, index: simple.length + i + 1 }))];
  } finally {
    if (own === undefined) await client.close();
  }
}
