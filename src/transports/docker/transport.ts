/** `docker://HOST[:PORT]/PATH[:TAG|@DIGEST]`: images in a registry. */
import {
  CoreInputError,
  familiarString,
  parseNormalizedNamed,
  policyConfigurationIdentity,
  policyConfigurationNamespaces,
  referenceString,
  tagNameOnly,
  type DockerReference,
} from '../../core/index.js';
import { manifestDigest } from '../../manifest/index.js';
import type { ImageDestination, ImageReference, ImageSource, ImageTransport, SystemContext } from '../types.js';
import { RegistryClient } from './client.js';
import { DockerImageDestination } from './destination.js';
import { DockerImageSource } from './source.js';

export const dockerTransport: ImageTransport = {
  name: 'docker',
  parseReference(reference: string): DockerImageReference {
    return parseDockerReference(reference);
  },
  /** As containers/image: any scope is accepted (one that never matches only confuses). */
  validatePolicyConfigurationScope(_scope: string): void {},
};

/** Parse the part after `docker:`; it must start with `//`. A name without tag or digest gets `:latest`. */
export function parseDockerReference(reference: string): DockerImageReference {
  if (!reference.startsWith('//')) {
    throw new CoreInputError('INVALID_REFERENCE', `docker: image reference ${JSON.stringify(reference)} does not start with //`);
  }
  return newDockerImageReference(tagNameOnly(parseNormalizedNamed(reference.slice(2))));
}

/** A docker ImageReference for a parsed reference, which must have a tag or a digest but not both. */
export function newDockerImageReference(ref: DockerReference): DockerImageReference {
  if (ref.tag === undefined && ref.digest === undefined) {
    throw new CoreInputError('INVALID_REFERENCE', `docker reference ${referenceString(ref)} has neither a tag nor a digest`);
  }
  if (ref.tag !== undefined && ref.digest !== undefined) {
    throw new CoreInputError(
      'INVALID_REFERENCE',
      `docker reference ${referenceString(ref)} has both a tag and a digest; docker references with both are not supported`,
    );
  }
  return new DockerImageReference(ref);
}

export interface DockerOpenOptions {
  /** Use this client (shared with other sources and destinations) instead of a new one closed with the image. */
  readonly client?: RegistryClient;
}

export class DockerImageReference implements ImageReference {
  readonly transport: ImageTransport = dockerTransport;
  readonly dockerReference: DockerReference;

  constructor(ref: DockerReference) {
    this.dockerReference = ref;
  }

  stringWithinTransport(): string {
    return `//${familiarString(this.dockerReference)}`;
  }

  toString(): string {
    return `docker:${this.stringWithinTransport()}`;
  }

  policyConfigurationIdentity(): string {
    return policyConfigurationIdentity(this.dockerReference);
  }

  policyConfigurationNamespaces(): string[] {
    return policyConfigurationNamespaces(this.dockerReference);
  }

  /** The tag or digest that names the image in API paths. */
  tagOrDigest(): string {
    return this.dockerReference.digest ?? this.dockerReference.tag ?? 'latest';
  }

  newImageSource(ctx: SystemContext, options: DockerOpenOptions = {}): Promise<ImageSource & DockerImageSource> {
    const client = options.client ?? new RegistryClient(ctx);
    return Promise.resolve(new DockerImageSource(this, this.dockerReference, client, options.client === undefined));
  }

  newImageDestination(ctx: SystemContext, options: DockerOpenOptions = {}): Promise<ImageDestination & DockerImageDestination> {
    const client = options.client ?? new RegistryClient(ctx);
    return Promise.resolve(new DockerImageDestination(this, this.dockerReference, client, options.client === undefined, ctx));
  }

  /** Delete the manifest the reference names (a tag is resolved to its digest first); blobs stay for the registry's GC. */
  async deleteImage(ctx: SystemContext, options: DockerOpenOptions = {}): Promise<void> {
    const client = options.client ?? new RegistryClient(ctx);
    try {
      await deleteDockerImage(client, this.dockerReference);
    } finally {
      if (options.client === undefined) await client.close();
    }
  }
}

async function deleteDockerImage(client: RegistryClient, ref: DockerReference): Promise<void> {
  if (ref.digest !== undefined) {
    await client.deleteManifest(ref, ref.digest);
    return;
  }
  const tag = ref.tag ?? 'latest';
  const head = await client.headManifest(ref, tag);
  let digest = head?.untrustedDigest;
  if (head === undefined || digest === undefined) {
    // No HEAD digest (or no HEAD support): fetch the manifest and compute it; a 404 surfaces as MANIFEST_UNKNOWN.
    const { bytes } = await client.getManifest(ref, tag);
    digest = manifestDigest(bytes);
  }
  await client.deleteManifest(ref, digest);
}
