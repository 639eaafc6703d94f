import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  choosePlatformInstance,
  currentPlatform,
  MediaTypes,
  parseManifest,
  wantedPlatforms,
  type DockerManifestList,
  type IndexManifest,
  type OciIndex,
  type Platform,
} from '../../src/manifest/index.js';
import { bytes, descriptor, expectCode, fakeDigest, platformEntry, type Json } from './helpers.js';

const amd64Host: Platform = { architecture: 'amd64', os: 'linux' };
const armHost: Platform = { architecture: 'arm', os: 'linux', variant: 'v7' };

function index(kind: 'oci' | 'docker', entries: Json[]): IndexManifest {
  const mediaType = kind === 'oci' ? MediaTypes.ociIndex : MediaTypes.dockerManifestList;
  return parseManifest(bytes({ schemaVersion: 2, mediaType, manifests: entries })) as IndexManifest;
}

function p(architecture: string, variant?: string, os = 'linux'): Json {
  return variant === undefined ? { architecture, os } : { architecture, os, variant };
}

/** A list of ARM variants and others, in an order that makes positional mistakes visible. */
function variantEntries(type: string): Json[] {
  return [
    platformEntry(type, 'amd64', p('amd64')),
    platformEntry(type, 'arm-v5', p('arm', 'v5')),
    platformEntry(type, 'arm-none', p('arm')),
    platformEntry(type, 'arm-v7', p('arm', 'v7')),
    platformEntry(type, 'arm-v6', p('arm', 'v6')),
    platformEntry(type, 'arm64-v8', p('arm64', 'v8')),
    platformEntry(type, 'arm-odd', p('arm', 'odd')),
    platformEntry(type, 'windows', p('amd64', undefined, 'windows')),
  ];
}

describe('currentPlatform', () => {
  it('uses Go names for the host', () => {
    const cur = currentPlatform();
    const goarch: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', s390x: 's390x', riscv64: 'riscv64' };
    const expected = goarch[process.arch];
    if (expected !== undefined) assert.equal(cur.architecture, expected);
    assert.equal(cur.os, process.platform === 'win32' ? 'windows' : process.platform);
    if (cur.architecture === 'arm64') assert.equal(cur.variant, 'v8');
    if (cur.architecture === 'amd64') assert.equal(cur.variant, undefined);
  });
});

describe('wantedPlatforms', () => {
  const names = (ps: Platform[]) => ps.map((x) => `${x.os}/${x.architecture}${x.variant === undefined ? '' : `/${x.variant}`}`);

  it('tries no variant first, then known variants, when none is wanted', () => {
    assert.deepEqual(names(wantedPlatforms({}, amd64Host)), ['linux/amd64']);
    assert.deepEqual(names(wantedPlatforms({ architecture: 'arm' }, amd64Host)), ['linux/arm', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(names(wantedPlatforms({ architecture: 'arm64' }, amd64Host)), ['linux/arm64', 'linux/arm64/v8']);
  });

  it('walks down the compatibility order from a wanted variant, then no variant', () => {
    assert.deepEqual(names(wantedPlatforms({ architecture: 'arm', variant: 'v7' }, amd64Host)), ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5', 'linux/arm']);
    assert.deepEqual(names(wantedPlatforms({ architecture: 'arm64', variant: 'v8' }, amd64Host)), ['linux/arm64/v8', 'linux/arm64']);
    assert.deepEqual(names(wantedPlatforms({ architecture: 'arm', variant: 'odd' }, amd64Host)), ['linux/arm/odd', 'linux/arm']);
  });

  it("uses the host's variant only when the architecture is not chosen", () => {
    assert.deepEqual(names(wantedPlatforms({}, armHost)), ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5', 'linux/arm']);
    assert.deepEqual(names(wantedPlatforms({ architecture: 'arm' }, armHost))[0], 'linux/arm');
    assert.deepEqual(names(wantedPlatforms({ variant: 'v6' }, armHost))[0], 'linux/arm/v6');
  });

  it('overrides the OS, and treats empty strings and undefined as unset', () => {
    assert.deepEqual(names(wantedPlatforms({ os: 'windows' }, amd64Host)), ['windows/amd64']);
    assert.deepEqual(names(wantedPlatforms({ os: '', architecture: undefined, variant: '' }, armHost))[0], 'linux/arm/v7');
  });
});

describe('choosePlatformInstance', () => {
  const want = (architecture: string, variant?: string) => ({ os: 'linux', architecture, variant });
  for (const kind of ['oci', 'docker'] as const) {
    const type = kind === 'oci' ? MediaTypes.ociManifest : MediaTypes.dockerV2S2Manifest;
    const list = index(kind, variantEntries(type));
    const chosen = (w: ReturnType<typeof want>) => choosePlatformInstance(list, w, { host: amd64Host }).digest;

    it(`${kind}: picks exact OS and architecture`, () => {
      assert.equal(chosen(want('amd64')), fakeDigest('amd64'));
      assert.equal(choosePlatformInstance(list, { os: 'windows' }, { host: amd64Host }).digest, fakeDigest('windows'));
      assert.equal(choosePlatformInstance(list, {}, { host: amd64Host }).digest, fakeDigest('amd64'));
    });

    it(`${kind}: falls back through ARM variants in compatibility order`, () => {
      assert.equal(chosen(want('arm', 'v7')), fakeDigest('arm-v7'));
      assert.equal(chosen(want('arm', 'v6')), fakeDigest('arm-v6'));
      assert.equal(chosen(want('arm', 'v5')), fakeDigest('arm-v5'));
      assert.equal(chosen(want('arm', 'v8')), fakeDigest('arm-v7'));
      assert.equal(chosen(want('arm')), fakeDigest('arm-none'));
      assert.equal(chosen(want('arm', 'odd')), fakeDigest('arm-odd'));
      assert.equal(chosen(want('arm', 'unknown')), fakeDigest('arm-none'));
      const noV7 = index(kind, variantEntries(type).filter((e) => e['digest'] !== fakeDigest('arm-v7')));
      assert.equal(choosePlatformInstance(noV7, want('arm', 'v7'), { host: amd64Host }).digest, fakeDigest('arm-v6'));
    });

    it(`${kind}: treats arm64 v8 and arm64 without variant as the same`, () => {
      assert.equal(chosen(want('arm64')), fakeDigest('arm64-v8'));
      assert.equal(chosen(want('arm64', 'v8')), fakeDigest('arm64-v8'));
      const bare = index(kind, [platformEntry(type, 'arm64-bare', p('arm64'))]);
      assert.equal(choosePlatformInstance(bare, want('arm64', 'v8'), { host: amd64Host }).digest, fakeDigest('arm64-bare'));
    });

    it(`${kind}: takes the host's variant when the architecture is not given`, () => {
      assert.equal(choosePlatformInstance(list, {}, { host: armHost }).digest, fakeDigest('arm-v7'));
      assert.equal(choosePlatformInstance(list, { variant: 'v5' }, { host: armHost }).digest, fakeDigest('arm-v5'));
    });

    it(`${kind}: picks the first of equally good entries`, () => {
      const twice = index(kind, [platformEntry(type, 'first', p('amd64')), platformEntry(type, 'second', p('amd64'))]);
      assert.equal(choosePlatformInstance(twice, {}, { host: amd64Host }).digest, fakeDigest('first'));
    });

    it(`${kind}: throws NO_MATCHING_PLATFORM naming the wanted platform`, () => {
      const err = expectCode(() => chosen(want('s390x')), 'NO_MATCHING_PLATFORM');
      const what = kind === 'oci' ? 'image index' : 'manifest list';
      assert.equal(err.message, `no image found in ${what} for architecture "s390x", variant "", OS "linux"`);
      const armErr = expectCode(() => choosePlatformInstance(list, { os: 'freebsd', architecture: 'arm', variant: 'v7' }, { host: amd64Host }), 'NO_MATCHING_PLATFORM');
      assert.match(armErr.message, /architecture "arm", variant "v7", OS "freebsd"/);
      expectCode(() => choosePlatformInstance(index(kind, []), {}, { host: amd64Host }), 'NO_MATCHING_PLATFORM');
    });
  }

  it('oci: accepts an entry without platform, after all matching ones', () => {
    const idx = index('oci', [descriptor(MediaTypes.ociManifest, 'anything'), platformEntry(MediaTypes.ociManifest, 'amd64', p('amd64'))]) as OciIndex;
    assert.equal(choosePlatformInstance(idx, {}, { host: amd64Host }).digest, fakeDigest('amd64'));
    assert.equal(choosePlatformInstance(idx, { architecture: 's390x' }, { host: amd64Host }).digest, fakeDigest('anything'));
  });

  it('docker: never picks an entry without platform', () => {
    const list = index('docker', [descriptor(MediaTypes.dockerV2S2Manifest, 'anything')]) as DockerManifestList;
    expectCode(() => choosePlatformInstance(list, {}, { host: amd64Host }), 'NO_MATCHING_PLATFORM');
  });

  it('oci: prefers zstd instances among equals unless preferGzip', () => {
    const zstd = (label: string, platform: Json) => ({ ...platformEntry(MediaTypes.ociManifest, label, platform), annotations: { 'io.github.containers.compression.zstd': 'true' } });
    const idx = index('oci', [
      platformEntry(MediaTypes.ociManifest, 'gzip-1', p('amd64')),
      zstd('zstd-1', p('amd64')),
      zstd('zstd-2', p('amd64')),
      platformEntry(MediaTypes.ociManifest, 'gzip-2', p('amd64')),
      zstd('zstd-arm', p('arm', 'v6')),
      platformEntry(MediaTypes.ociManifest, 'gzip-arm', p('arm', 'v7')),
    ]);
    assert.equal(choosePlatformInstance(idx, {}, { host: amd64Host }).digest, fakeDigest('zstd-1'));
    assert.equal(choosePlatformInstance(idx, {}, { host: amd64Host, preferGzip: true }).digest, fakeDigest('gzip-1'));
    // A better platform match wins over compression.
    assert.equal(choosePlatformInstance(idx, { architecture: 'arm', variant: 'v7' }, { host: amd64Host }).digest, fakeDigest('gzip-arm'));
  });
});
