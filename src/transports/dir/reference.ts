/** `dir:PATH` references and the `dir` transport. */
import { TransportError } from '../errors.js';
import type { ImageDestination, ImageReference, ImageSource, ImageTransport, SystemContext } from '../types.js';
import { DirImageDestination } from './destination.js';
import { parentDirectories, resolvePathToFullyExplicit, validatePathScope } from './path.js';
import { DirImageSource } from './source.js';

export class DirReference implements ImageReference {
  readonly transport: ImageTransport = dirTransport;
  readonly dockerReference = undefined;
  /** The path as the user wrote it. */
  readonly path: string;
  /** Absolute, symlink-free path (at parse time); all file-system access and the policy identity use it. */
  readonly resolvedPath: string;

  constructor(path: string, resolvedPath: string) {
    this.path = path;
    this.resolvedPath = resolvedPath;
  }

  stringWithinTransport(): string {
    return this.path;
  }

  toString(): string {
    return `dir:${this.path}`;
  }

  policyConfigurationIdentity(): string {
    return this.resolvedPath;
  }

  policyConfigurationNamespaces(): string[] {
    return parentDirectories(this.resolvedPath);
  }

  newImageSource(_ctx: SystemContext): Promise<ImageSource> {
    return DirImageSource.open(this, this.resolvedPath);
  }

  newImageDestination(_ctx: SystemContext): Promise<ImageDestination> {
    return DirImageDestination.open(this, this.resolvedPath);
  }
}

/** Parse the part after `dir:`: a non-empty path whose parent directory exists. */
export function parseDirReference(reference: string): DirReference {
  if (reference === '') throw new TransportError('INVALID_REFERENCE', 'invalid dir: reference: the path is empty');
  return new DirReference(reference, resolvePathToFullyExplicit(reference, 'dir'));
}

export const dirTransport: ImageTransport = {
  name: 'dir',
  parseReference: parseDirReference,
  validatePolicyConfigurationScope(scope: string): void {
    validatePathScope(scope, 'dir');
  },
};
