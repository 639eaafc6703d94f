/** `oci-archive:PATH[:REF]` references and the `oci-archive` transport. */
import { pathAndParentDirectories, resolvePathToFullyExplicit, validatePathScope } from '../dir/index.js';
import { parsePathAndRef } from '../oci/index.js';
import type { ImageDestination, ImageReference, ImageSource, ImageTransport, SystemContext } from '../types.js';

export class OciArchiveReference implements ImageReference {
  readonly transport: ImageTransport = ociArchiveTransport;
  readonly dockerReference = undefined;
  /** The archive path as the user wrote it. */
  readonly file: string;
  /** Absolute, symlink-free archive path (at parse time); used for file access and the policy identity. */
  readonly resolvedFile: string;
  /** The `org.opencontainers.image.ref.name` to read or write, or '' for none. */
  readonly refName: string;

  constructor(file: string, resolvedFile: string, refName: string) {
    this.file = file;
    this.resolvedFile = resolvedFile;
    this.refName = refName;
  }

  stringWithinTransport(): string {
    return this.refName === '' ? this.file : `${this.file}:${this.refName}`;
  }

  toString(): string {
    return `oci-archive:${this.stringWithinTransport()}`;
  }

  policyConfigurationIdentity(): string {
    return this.resolvedFile;
  }

  policyConfigurationNamespaces(): string[] {
    return pathAndParentDirectories(this.resolvedFile);
  }

  // The tar code is loaded only when an archive is actually opened: every other command starts without it.
  async newImageSource(_ctx: SystemContext): Promise<ImageSource> {
    const { OciArchiveImageSource } = await import('./archive.js');
    return OciArchiveImageSource.open(this, this.resolvedFile, this.refName);
  }

  async newImageDestination(_ctx: SystemContext): Promise<ImageDestination> {
    const { OciArchiveImageDestination } = await import('./archive.js');
    return OciArchiveImageDestination.open(this, this.resolvedFile, this.refName);
  }
}

export function parseOciArchiveReference(reference: string): OciArchiveReference {
  const { path, refName } = parsePathAndRef(reference, 'oci-archive', false);
  return new OciArchiveReference(path, resolvePathToFullyExplicit(path, 'oci-archive'), refName);
}

export const ociArchiveTransport: ImageTransport = {
  name: 'oci-archive',
  parseReference: parseOciArchiveReference,
  validatePolicyConfigurationScope(scope: string): void {
    validatePathScope(scope, 'oci-archive');
  },
};
