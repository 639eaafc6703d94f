/**
 * Platforms and the choice of an instance from an index, with containers/image's matching rules: OS and
 * architecture must be equal; variants are tried in a fixed compatibility order (e.g. arm v7 accepts
 * v7, then v6, then v5, then no variant).
 */
import { endianness } from 'node:os';
import { ManifestError } from './errors.js';
import type { Descriptor, DockerManifestList, OciIndex, Platform } from './manifest.types.js';

/** Which platform to pick; unset or empty members come from the host (`currentPlatform()`). */
export interface PlatformChoice {
  readonly os?: string | undefined;
  readonly architecture?: string | undefined;
  readonly variant?: string | undefined;
}

export interface ChooseInstanceOptions {
  /** The platform to use for members `want` leaves unset; defaults to `currentPlatform()`. */
  readonly host?: Platform;
  /**
   * Among equally good OCI index entries, prefer gzip over zstd instances (those annotated
   * `io.github.containers.compression.zstd: "true"`). Default false: zstd instances win, as in containers/image.
   */
  readonly preferGzip?: boolean;
}

const goosOf: Readonly<Record<string, string>> = {
  win32: 'windows',
  sunos: 'solaris',
  cygwin: 'windows',
};

function goarchOf(arch: string): string {
  switch (arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'ppc64':
      return endianness() === 'LE' ? 'ppc64le' : 'ppc64';
    case 'mipsel':
      return 'mipsle';
    case 'mips64el':
      return 'mips64le';
    default:
      return arch; // arm, arm64, s390x, riscv64, loong64, mips, ppc, s390 are spelled the same way.
  }
}

function armVariant(): string {
  const variables = process.config.variables as unknown as Readonly<Record<string, unknown>>;
  const version = variables['arm_version'];
  return (typeof version === 'string' || typeof version === 'number') && /^[5-8]$/.test(String(version)) ? `v${version}` : 'v7';
}

/** The platform this process runs on, in Go's GOOS/GOARCH spelling (and the CPU variant for ARM). */
export function currentPlatform(): Platform {
  const os = goosOf[process.platform] ?? process.platform;
  const architecture = goarchOf(process.arch);
  if (architecture === 'arm64') return { architecture, os, variant: 'v8' };
  if (architecture === 'arm') return { architecture, os, variant: os === 'darwin' || os === 'windows' ? 'v7' : armVariant() };
  return { architecture, os };
}

/** Known variants of an architecture, from most capable to most compatible. */
const variantCompatibility: Readonly<Record<string, readonly string[]>> = {
  arm: ['v8', 'v7', 'v6', 'v5'],
  arm64: ['v8'],
};

/**
 * The platforms acceptable for `want`, most preferred first. The host's variant is used only when the
 * architecture is not chosen explicitly (a chosen architecture says nothing about the CPU it will run on).
 */
export function wantedPlatforms(want: PlatformChoice = {}, host: Platform = currentPlatform()): Platform[] {
  const chosenArch = want.architecture ?? '';
  const architecture = chosenArch !== '' ? chosenArch : host.architecture;
  let variant = chosenArch !== '' ? '' : (host.variant ?? '');
  if ((want.variant ?? '') !== '') variant = want.variant as string;
  const os = (want.os ?? '') !== '' ? (want.os as string) : host.os;

  const known = variantCompatibility[architecture];
  let variants: string[];
  if (variant !== '') {
    const at = known?.indexOf(variant) ?? -1;
    variants = known !== undefined && at !== -1 ? [...known.slice(at), ''] : [variant, ''];
  } else {
    variants = ['', ...(known ?? [])];
  }
  return variants.map((v) => (v === '' ? { architecture, os } : { architecture, os, variant: v }));
}

function matches(image: Platform, wanted: Platform): boolean {
  return image.architecture === wanted.architecture && image.os === wanted.os && (image.variant ?? '') === (wanted.variant ?? '');
}

const zstdAnnotation = 'io.github.containers.compression.zstd';

/**
 * The entry of an index to use for a platform. Docker lists: the first entry matching the most preferred
 * wanted platform. OCI indexes additionally accept entries without a platform (after all matching ones)
 * and order equally good entries by compression (see `preferGzip`), then by position.
 * Throws `NO_MATCHING_PLATFORM`.
 */
export function choosePlatformInstance(
  index: OciIndex | DockerManifestList,
  want: PlatformChoice = {},
  options: ChooseInstanceOptions = {},
): Descriptor {
  const wanted = wantedPlatforms(want, options.host ?? currentPlatform());
  if (index.kind === 'docker-list') {
    for (const w of wanted) {
      const found = index.manifests.find((d) => d.platform !== undefined && matches(d.platform, w));
      if (found !== undefined) return found;
    }
  } else {
    const preferZstd = options.preferGzip !== true;
    let best: { rank: number; zstd: boolean; entry: Descriptor } | undefined;
    for (const entry of index.manifests) {
      let rank = Number.MAX_SAFE_INTEGER;
      if (entry.platform !== undefined) {
        const p = entry.platform;
        rank = wanted.findIndex((w) => matches(p, w));
        if (rank === -1) continue;
      }
      const zstd = entry.annotations?.[zstdAnnotation] === 'true';
      const better = best === undefined || rank < best.rank || (rank === best.rank && zstd !== best.zstd && zstd === preferZstd);
      if (better) best = { rank, zstd, entry };
    }
    if (best !== undefined) return best.entry;
  }
  const first = wanted[0] as Platform;
  const what = index.kind === 'docker-list' ? 'manifest list' : 'image index';
  throw new ManifestError(
    'NO_MATCHING_PLATFORM',
    `no image found in ${what} for architecture "${first.architecture}", variant "${first.variant ?? ''}", OS "${first.os}"`,
  );
}
