/** Transports by name, and parsing of `transport:reference` image names. */
import { CoreInputError } from '../core/index.js';
import type { ImageReference, ImageTransport } from './types.js';
import { dirTransport } from './dir/index.js';
import { ociTransport } from './oci/index.js';
import { ociArchiveTransport } from './oci-archive/index.js';
import { dockerTransport } from './docker/index.js';

const transports = new Map<string, ImageTransport>(
  [dockerTransport, dirTransport, ociTransport, ociArchiveTransport].map((t) => [t.name, t]),
);

export function findTransport(name: string): ImageTransport | undefined {
  return transports.get(name);
}

export function listTransports(): string[] {
  return [...transports.keys()];
}

/** Parse `docker://…`, `dir:…`, `oci:…`, `oci-archive:…`. Throws `INVALID_REFERENCE` or `UNKNOWN_TRANSPORT`. */
export function parseImageName(name: string): ImageReference {
  const colon = name.indexOf(':');
  if (colon <= 0) {
    throw new CoreInputError(
      'INVALID_REFERENCE',
      `invalid image name "${name}": expected transport:reference (transports: ${listTransports().join(', ')})`,
    );
  }
  const transportName = name.slice(0, colon);
  const transport = transports.get(transportName);
  if (transport === undefined) {
    throw new CoreInputError(
      'UNKNOWN_TRANSPORT',
      `invalid image name "${name}": unknown transport "${transportName}" (known: ${listTransports().join(', ')})`,
    );
  }
  return transport.parseReference(name.slice(colon + 1));
}
