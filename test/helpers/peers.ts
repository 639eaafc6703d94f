/**
 * Real programs some tests talk to (docker-registry, skopeo, gpg, htpasswd, openssl). A missing peer skips the test
 * with the command that installs it, except under CI (`CI` set), where a missing required peer fails loudly so
 * that a green run cannot hide untested code.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

export type PeerName = 'docker-registry' | 'skopeo' | 'gpg' | 'htpasswd' | 'openssl' | 'postgres';

interface PeerInfo {
  readonly executable: string;
  readonly debianPackage: string;
  /** Under CI a missing peer fails the run unless it is optional. */
  readonly optionalInCi: boolean;
}

const peers: Record<PeerName, PeerInfo> = {
  'docker-registry': { executable: 'docker-registry', debianPackage: 'docker-registry', optionalInCi: false },
  skopeo: { executable: 'skopeo', debianPackage: 'skopeo', optionalInCi: false },
  gpg: { executable: 'gpg', debianPackage: 'gpg', optionalInCi: false },
  htpasswd: { executable: 'htpasswd', debianPackage: 'apache2-utils', optionalInCi: false },
  openssl: { executable: 'openssl', debianPackage: 'openssl', optionalInCi: false },
  postgres: { executable: 'pg_ctlcluster', debianPackage: 'postgresql', optionalInCi: false },
};

const found = new Map<PeerName, string | undefined>();

/** Absolute path of the peer's executable, or undefined when it is not installed. */
export function findPeer(name: PeerName): string | undefined {
  if (found.has(name)) return found.get(name);
  const exe = peers[name].executable;
  const dirs = ['/usr/bin', '/usr/sbin', '/usr/local/bin', ...(process.env['PATH'] ?? '').split(delimiter)].filter((d) => d !== '');
  let path: string | undefined;
  for (const dir of dirs) {
    const candidate = join(dir, exe);
    try {
      accessSync(candidate, constants.X_OK);
      path = candidate;
      break;
    } catch {
      // not here
    }
  }
  found.set(name, path);
  return path;
}

/** The message a test skips with when `name` is missing. */
export function missingPeerMessage(name: PeerName): string {
  const info = peers[name];
  return `${name} not installed: apt-get install ${info.debianPackage}`;
}

/**
 * True when the peer is installed. When it is not: false (the caller skips), or, under CI for a required peer,
 * an exception, so the missing install step is noticed.
 */
export function peerAvailable(name: PeerName): boolean {
  if (findPeer(name) !== undefined) return true;
  if (process.env['CI'] && !peers[name].optionalInCi) {
    throw new Error(`${missingPeerMessage(name)} (required under CI)`);
  }
  return false;
}

/**
 * For use at the start of a test: returns true when the peer is there; otherwise skips the test with the install
 * hint and returns false (or throws under CI for a required peer).
 *
 *     it('…', async (t) => { if (!requirePeer('skopeo', t)) return; … });
 */
export function requirePeer(name: PeerName, t: Pick<TestContext, 'skip'>): boolean {
  if (peerAvailable(name)) return true;
  t.skip(missingPeerMessage(name));
  return false;
}

/** A `{ skip }` option for `describe` / `it`: false when every peer is present, else the install hint. */
export function skipUnlessPeers(...names: PeerName[]): string | false {
  for (const name of names) {
    if (!peerAvailable(name)) return missingPeerMessage(name);
  }
  return false;
}
