/**
 * `inspect`: what skopeo inspect reports about an image, computed from verified bytes only.
 */
import { pipeline } from 'node:stream';
import { DigestVerifier, IntegrityError, goMap, goMarshalIndent, goTimeString, limits, readAllCapped, referenceName, type Digest } from '../core/index.js';
import { choosePlatformInstance, imageBlobs, manifestDigest, matchesDigest, parseManifest, type ImageManifest, type Manifest } from '../manifest/index.js';
import type { ImageReference, ImageSource, SystemContext } from '../transports/index.js';
import { InspectError } from './errors.js';

export interface InspectLayer {
  readonly MIMEType: string;
  readonly Digest: Digest;
  readonly Size: number;
  readonly Annotations: Record<string, string> | null;
}

/** Field names and order as skopeo's inspect output (LayersData since skopeo 1.10). */
export interface InspectOutput {
  readonly Name?: string;
  readonly Digest: Digest;
  readonly RepoTags: string[];
  readonly Created: string | null;
  readonly DockerVersion: string;
  readonly Labels: Record<string, string> | null;
  readonly Architecture: string;
  readonly Os: string;
  readonly Layers: string[];
  readonly LayersData: InspectLayer[];
  readonly Env: string[] | null;
}

export interface InspectOptions {
  /** List the repository's tags (docker transport); default true. */
  readonly listTags?: boolean;
}

interface ResolvedImage {
  /** The top-level manifest as stored. */
  readonly topLevel: Buffer;
  /** The manifest of the image chosen for this platform (the top-level one unless it is an index). */
  readonly manifest: ImageManifest;
}

function asImage(m: Manifest): ImageManifest {
  if (m.kind === 'oci-index' || m.kind === 'docker-list') {
    throw new InspectError('NESTED_INDEX', 'the chosen manifest is an index inside an index, which is not supported');
  }
  return m;
}

async function withSource<T>(ref: ImageReference, ctx: SystemContext, f: (src: ImageSource) => Promise<T>): Promise<T> {
  const src = await ref.newImageSource(ctx);
  try {
    return await f(src);
  } finally {
    await src.close();
  }
}

async function readTopLevel(src: ImageSource): Promise<{ bytes: Buffer; mediaType: string }> {
  const m = await src.getManifest();
  const named = src.reference.dockerReference?.digest;
  if (named !== undefined && !matchesDigest(m.bytes, named)) {
    const actual = manifestDigest(m.bytes);
    throw new IntegrityError('DIGEST_MISMATCH', `manifest: digest mismatch: expected ${named}, got ${actual}`, named, actual);
  }
  return m;
}

async function resolve(src: ImageSource, ctx: SystemContext): Promise<ResolvedImage> {
  const top = await readTopLevel(src);
  const parsed = parseManifest(top.bytes, top.mediaType);
  if (parsed.kind !== 'oci-index' && parsed.kind !== 'docker-list') return { topLevel: top.bytes, manifest: parsed };
  const want: { os?: string; architecture?: string; variant?: string } = {};
  if (ctx.overrideOS !== undefined) want.os = ctx.overrideOS;
  if (ctx.overrideArch !== undefined) want.architecture = ctx.overrideArch;
  if (ctx.overrideVariant !== undefined) want.variant = ctx.overrideVariant;
  const chosen = choosePlatformInstance(parsed, want);
  const instance = await src.getManifest(chosen.digest);
  if (!matchesDigest(instance.bytes, chosen.digest)) {
    const actual = manifestDigest(instance.bytes);
    throw new IntegrityError('DIGEST_MISMATCH', `manifest: digest mismatch: expected ${chosen.digest}, got ${actual}`, chosen.digest, actual);
  }
  return { topLevel: top.bytes, manifest: asImage(parseManifest(instance.bytes, instance.mediaType)) };
}

async function readConfigBlob(src: ImageSource, manifest: ImageManifest): Promise<Buffer | undefined> {
  const { config } = imageBlobs(manifest);
  if (config === undefined) return undefined;
  if (config.size > limits.configBytes) {
    throw new InspectError('TOO_LARGE', `config ${config.digest} is ${config.size} bytes, over the limit of ${limits.configBytes}`);
  }
  const { stream } = await src.getBlob(config);
  const verifier = new DigestVerifier(config.digest, { size: config.size, what: `config ${config.digest}` });
  return readAllCapped(pipeline(stream, verifier, () => {}), limits.configBytes, `config ${config.digest}`);
}

/** The raw top-level manifest (`inspect --raw`). */
export async function readRawManifest(ref: ImageReference, ctx: SystemContext = {}): Promise<Buffer> {
  return withSource(ref, ctx, async (src) => (await readTopLevel(src)).bytes);
}

/** The raw config blob of the platform's image (`inspect --config --raw`), verified against its digest. */
export async function readRawConfig(ref: ImageReference, ctx: SystemContext = {}): Promise<Buffer> {
  return withSource(ref, ctx, async (src) => {
    const image = await resolve(src, ctx);
    const config = await readConfigBlob(src, image.manifest);
    if (config === undefined) throw new InspectError('NO_CONFIG', `${ref.toString()} has a schema 1 manifest, which has no config blob`);
    return config;
  });
}

type Json = Record<string, unknown>;

function asObject(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}
function asString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function asStringArray(v: unknown): string[] | null {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
}
function asStringMap(v: unknown): Record<string, string> | null {
  const o = asObject(v);
  if (o === undefined) return null;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) if (typeof val === 'string') out[k] = val;
  return goMap(out);
}

function parseConfigJson(bytes: Buffer): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InspectError('INVALID_CONFIG', `image config is not valid JSON: ${(err as Error).message}`);
  }
  const obj = asObject(parsed);
  if (obj === undefined) throw new InspectError('INVALID_CONFIG', 'image config is not a JSON object');
  return obj;
}

/** Everything `skopeo inspect` prints. */
export async function inspectImage(ref: ImageReference, ctx: SystemContext = {}, options: InspectOptions = {}): Promise<InspectOutput> {
  return withSource(ref, ctx, async (src) => {
    const image = await resolve(src, ctx);
    const m = image.manifest;
    const { layers } = imageBlobs(m);
    const configBytes = await readConfigBlob(src, m);
    let config: Json;
    if (configBytes !== undefined) {
      config = parseConfigJson(configBytes);
    } else if (m.kind === 'docker-v2s1') {
      const first = m.history[0]?.v1Compatibility;
      config = first === undefined ? {} : parseConfigJson(Buffer.from(first));
    } else {
      config = {};
    }
    const inner = asObject(config['config']) ?? {};
    const created = typeof config['created'] === 'string' ? (goTimeString(config['created']) ?? null) : null;
    const isOci = m.kind === 'oci-manifest';
    let repoTags: string[] = [];
    if (options.listTags !== false && src.listTags !== undefined) repoTags = await src.listTags();
    const name = ref.dockerReference === undefined ? undefined : referenceName(ref.dockerReference);
    const out: InspectOutput = {
      ...(name === undefined ? {} : { Name: name }),
      Digest: manifestDigest(image.topLevel),
      RepoTags: repoTags,
      Created: created ?? (isOci ? null : '0001-01-01T00:00:00Z'),
      DockerVersion: asString(config['docker_version']),
      Labels: asStringMap(inner['Labels']),
      Architecture: asString(config['architecture']),
      Os: asString(config['os']),
      Layers: layers.map((l) => l.digest),
      LayersData: layers.map((l) => ({
        MIMEType: l.mediaType ?? '',
        Digest: l.digest,
        Size: l.size,
        Annotations: l.annotations === undefined ? null : goMap({ ...l.annotations }),
      })),
      Env: asStringArray(inner['Env']),
    };
    return out;
  });
}

/** The JSON text `skopeo inspect` prints (ending in a newline). */
export function renderInspect(output: InspectOutput): string {
  return goMarshalIndent(output) + '\n';
}
