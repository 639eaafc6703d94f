/** The lookaside signature storage layout (containers-registries.d(5)), shared by readers and writers. */
import { digestAlgorithm, digestHex, parseDigest, type Digest } from './digest.js';
import { CoreInputError } from './errors.js';

/**
 * The URL of signature number `index` (1-based, as the `signature-N` names) of manifest `digest` of the
 * repository `repositoryPath` (without the registry host) under the lookaside `base`:
 * `<base>/<path>@<algo>=<hex>/signature-<N>`. A query or fragment of `base` stays at the end.
 */
export function lookasideSignatureUrl(base: string, repositoryPath: string, digest: Digest, index: number): string {
  const d = parseDigest(digest);
  if (!Number.isInteger(index) || index < 1) throw new CoreInputError('INVALID_ARGUMENT', `lookaside signature index must be a positive integer, got ${index}`);
  const cut = base.search(/[?#]/);
  const head = cut < 0 ? base : base.slice(0, cut);
  const tail = cut < 0 ? '' : base.slice(cut);
  return `${head}/${repositoryPath}@${digestAlgorithm(d)}=${digestHex(d)}/signature-${index}${tail}`;
}
