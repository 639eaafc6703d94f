/** `oci:PATH[:REF]` references and the `oci` transport. */
import { pathAndParentDirectories, resolvePathToFullyExplicit, validatePathScope } from '../dir/index.js';
import { TransportError } from '../errors.js';
import type { ImageDestination, ImageReference, ImageSource, ImageTransport, SystemContext } from '../types.js';
import { OciImageDestination } from './destination.js';
import { parsePathAndRef } from './reference-syntax.js';
import { OciImageSource } from './source.js';

export class OciReference implements ImageReference {
  readonly transport: ImageTransport = ociTransport;
  readonly dockerReference = undefined;
  /** The layout directory as the user wrote it. */
  readonly dir: string;
  /** Absolute, symlink-free layout directory (at parse time); used for file access and the policy identity. */
  readonly resolvedDir: string;
  /** The `org.opencontainers.image.ref.name` to read or write, or '' for none. */
  readonly refName: string;
  /** A zero-based position in index.json (`PATH:@N`, sources only), or -1. */
  readonly sourceIndex: number;

  constructor(dir: string, resolvedDir: string, refName: string, sourceIndex: number) {
    this.dir = dir;
    this.resolvedDir = resolvedDir;
    this.refName = refName;
    this.sourceIndex = sourceIndex;
  }

  stringWithinTransport(): string {
    if (this.sourceIndex >= 0) return `${this.dir}:@${this.sourceIndex}`;
    return this.refName === '' ? this.dir : `${this.dir}:${this.refName}`;
  }

  toString(): string {
    return `oci:${this.stringWithinTransport()}`;
  }

  /** The layout directory: the ref name is not part of the identity, as in containers/image. */
  policyConfigurationIdentity(): string {
    return this.resolvedDir;
  }

  policyConfigurationNamespaces(): string[] {
    return pathAndParentDirectories(this.resolvedDir);
  }

  newImageSource(_ctx: SystemContext): Promise<ImageSource> {
    return OciImageSource.open(this, this.resolvedDir, { refName: this.refName, sourceIndex: this.sourceIndex });
  }

  async newImageDestination(_ctx: SystemContext): Promise<ImageDestination> {
    if (this.sourceIndex >= 0) {
      throw new TransportError('INVALID_REFERENCE', `${this.toString()}: a destination cannot be given by index (@${this.sourceIndex})`);
    }
    return OciImageDestination.open(this, this.resolvedDir, this.refName);
  }
}

export function parseOciReference(reference: string): OciReference {
  const { path, refName, sourceIndex } = parsePathAndRef(reference, 'oci', true);
  return new OciReference(path, resolvePathToFullyExplicit(path, 'oci'), refName, sourceIndex);
}

export const ociTransport: ImageTransport = {
  name: 'oci',
  parseReference: parseOciReference,
  validatePolicyConfigurationScope(scope: string): void {
    validatePathScope(scope, 'oci');
  },
};
