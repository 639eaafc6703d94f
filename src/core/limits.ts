/**
 * Size caps for every read of untrusted data. Every reader that buffers input takes its cap from here.
 */
const MiB = 1024 * 1024;

export const limits = {
  /** A manifest or index (containers/image maxManifestBodySize). */
  manifestBytes: 4 * MiB,
  /** An image config blob (containers/image maxConfigBodySize). */
  configBytes: 4 * MiB,
  /** One signature blob. */
  signatureBytes: 4 * MiB,
  /** How many signatures are read for one image. */
  signatureCount: 128,
  /** An OCI layout's index.json or oci-layout file. */
  layoutIndexBytes: 16 * MiB,
  /** A `dir:` layout's `version` file. */
  versionFileBytes: 1024,
  /** A registry error body, token response or other small JSON reply. */
  smallJsonBytes: 1 * MiB,
  /** A tags/list or _catalog page. */
  tagListBytes: 16 * MiB,
  /** An auth file (auth.json, docker config.json). */
  authFileBytes: 1 * MiB,
  /** The registry's YAML config file. */
  registryConfigBytes: 1 * MiB,
} as const;

export type LimitName = keyof typeof limits;
