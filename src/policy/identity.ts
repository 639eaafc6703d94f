/**
 * `signedIdentity` matching with the semantics of containers/image (signature/policy_reference_match.go):
 * how the identity a signature claims must relate to the image being checked ("intended").
 *
 * - matchExact: neither reference name-only; full strings equal.
 * - matchRepoDigestOrExact: the signature must carry a tag or digest; a tagged image needs the exact string;
 *   a digest-only image needs only the same repository (the digest itself was checked against the manifest).
 * - matchRepository: repository names equal (name-only signatures, as cosign writes them, are fine).
 * - exactReference / exactRepository: compared with the value in the policy; the image's own reference is
 *   not used, so these also work for transports without a docker identity.
 * - remapIdentity: if the image's name equals `prefix` or continues it with "/", the first occurrence of
 *   `prefix` in the full reference is replaced by `signedPrefix` and the result must parse as a canonical
 *   reference (otherwise nothing matches); then matchRepoDigestOrExact applies.
 * - Every rule that uses the image's reference fails for images without a docker identity (dir:, oci:).
 */
import { isNameOnly, parseNamed, parseNormalizedNamed, referenceName, referenceString, type DockerReference } from '../core/index.js';
import type { SignedIdentity } from './policy.types.js';

function tryParseNormalized(s: string): DockerReference | undefined {
  try {
    return parseNormalizedNamed(s);
  } catch {
    return undefined;
  }
}

/** matchRepoDigestOrExact on two parsed references. */
function repoDigestOrExact(intended: DockerReference, signature: DockerReference): boolean {
  if (isNameOnly(signature)) return false;
  if (intended.tag !== undefined) return referenceString(signature) === referenceString(intended);
  if (intended.digest !== undefined) return referenceName(signature) === referenceName(intended);
  return false;
}

function exact(a: DockerReference, b: DockerReference): boolean {
  if (isNameOnly(a) || isNameOnly(b)) return false;
  return referenceString(a) === referenceString(b);
}

/** True when `ref`'s name is `prefix` or starts with `prefix` + "/". */
function matchesRemapPrefix(ref: DockerReference, prefix: string): boolean {
  const name = referenceName(ref);
  if (name.length < prefix.length) return false;
  if (name.length === prefix.length) return name === prefix;
  return name.startsWith(prefix) && name[prefix.length] === '/';
}

export type RemapResult =
  | { readonly kind: 'unchanged'; readonly ref: DockerReference }
  | { readonly kind: 'rewritten'; readonly ref: DockerReference; readonly from: string; readonly to: string }
  | { readonly kind: 'invalid'; readonly from: string; readonly to: string };

/** What remapIdentity makes of the image's reference. */
export function remapReference(rule: { readonly prefix: string; readonly signedPrefix: string }, intended: DockerReference): RemapResult {
  if (!matchesRemapPrefix(intended, rule.prefix)) return { kind: 'unchanged', ref: intended };
  const from = referenceString(intended);
  const at = from.indexOf(rule.prefix);
  const to = from.slice(0, at) + rule.signedPrefix + from.slice(at + rule.prefix.length);
  try {
    return { kind: 'rewritten', ref: parseNamed(to), from, to };
  } catch {
    return { kind: 'invalid', from, to };
  }
}

/**
 * Whether the signature's claimed reference is accepted for the image under `rule`. `intended` is the image's
 * docker reference, undefined for transports without one.
 */
export function matchesSignedIdentity(rule: SignedIdentity, intended: DockerReference | undefined, signature: DockerReference): boolean {
  switch (rule.type) {
    case 'matchExact':
      return intended !== undefined && exact(intended, signature);
    case 'matchRepoDigestOrExact':
      return intended !== undefined && repoDigestOrExact(intended, signature);
    case 'matchRepository':
      return intended !== undefined && referenceName(signature) === referenceName(intended);
    case 'exactReference': {
      const wanted = tryParseNormalized(rule.dockerReference);
      return wanted !== undefined && exact(wanted, signature);
    }
    case 'exactRepository': {
      const wanted = tryParseNormalized(rule.dockerRepository);
      return wanted !== undefined && referenceName(signature) === referenceName(wanted);
    }
    case 'remapIdentity': {
      if (intended === undefined) return false;
      const remapped = remapReference(rule, intended);
      return remapped.kind !== 'invalid' && repoDigestOrExact(remapped.ref, signature);
    }
  }
}

/** A short description of a rule, for summaries: "the same repository, any tag". */
export function describeSignedIdentity(rule: SignedIdentity): string {
  switch (rule.type) {
    case 'matchExact':
      return 'exactly the reference the image was named by (matchExact)';
    case 'matchRepoDigestOrExact':
      return 'the same tag, or any tag of the repository when pulled by digest (matchRepoDigestOrExact)';
    case 'matchRepository':
      return 'any reference in the same repository (matchRepository)';
    case 'exactReference':
      return `exactly ${rule.dockerReference} (exactReference)`;
    case 'exactRepository':
      return `any reference in ${rule.dockerRepository} (exactRepository)`;
    case 'remapIdentity':
      return `the image's reference with ${rule.prefix} read as ${rule.signedPrefix} (remapIdentity)`;
  }
}

/**
 * One sentence saying why the signature's identity is not accepted, for a verdict: "valid, but it names X,
 * not Y". Meant for cases where `matchesSignedIdentity` returned false.
 */
export function explainIdentityMismatch(rule: SignedIdentity, intended: DockerReference | undefined, signature: DockerReference): string {
  const sig = referenceString(signature);
  const nameOnly = isNameOnly(signature);
  const needsImageRef = rule.type !== 'exactReference' && rule.type !== 'exactRepository';
  if (needsImageRef && intended === undefined) {
    return `valid, but the image has no docker reference to compare the signed identity ${sig} with (${rule.type} needs one; use exactReference or exactRepository)`;
  }
  switch (rule.type) {
    case 'exactReference': {
      if (nameOnly) return `valid, but it names only the repository ${sig}, and exactReference needs ${rule.dockerReference} with its tag or digest`;
      return `valid, but it names ${sig}, not ${referenceOrRaw(rule.dockerReference)}`;
    }
    case 'exactRepository':
      return `valid, but it names the repository ${referenceName(signature)}, not ${nameOrRaw(rule.dockerRepository)}`;
    default:
      break;
  }
  const image = intended as DockerReference;
  const imageString = referenceString(image);
  switch (rule.type) {
    case 'matchRepository':
      return `valid, but it names the repository ${referenceName(signature)}, not ${referenceName(image)}`;
    case 'matchExact':
      if (nameOnly) return `valid, but it names only the repository ${sig}; matchExact needs a tag or digest`;
      if (isNameOnly(image)) return `valid, but the image reference ${imageString} has neither tag nor digest, which matchExact cannot match`;
      return `valid, but it names ${sig}, not ${imageString}`;
    case 'matchRepoDigestOrExact':
      return repoDigestOrExactMismatch(sig, nameOnly, signature, image, imageString);
    case 'remapIdentity': {
      const remapped = remapReference(rule, image);
      if (remapped.kind === 'invalid') {
        return `valid, but remapping ${rule.prefix} to ${rule.signedPrefix} turns ${remapped.from} into ${remapped.to}, which is not a valid canonical reference, so no signature can match`;
      }
      const target = referenceString(remapped.ref);
      const how = remapped.kind === 'rewritten' ? ` (${imageString} remapped)` : ` (the prefix ${rule.prefix} does not apply)`;
      return repoDigestOrExactMismatch(sig, nameOnly, signature, remapped.ref, target) + how;
    }
  }
}

function repoDigestOrExactMismatch(sig: string, nameOnly: boolean, signature: DockerReference, image: DockerReference, imageString: string): string {
  if (nameOnly) return `valid, but it names only the repository ${sig} (as cosign signs); this policy needs a tag or digest — use matchRepository or exactRepository`;
  if (image.tag !== undefined) return `valid, but it names ${sig}, not ${imageString}`;
  if (image.digest !== undefined) return `valid, but it names the repository ${referenceName(signature)}, not ${referenceName(image)}`;
  return `valid, but the image reference ${imageString} has neither tag nor digest`;
}

function referenceOrRaw(s: string): string {
  const r = tryParseNormalized(s);
  return r === undefined ? s : referenceString(r);
}

function nameOrRaw(s: string): string {
  const r = tryParseNormalized(s);
  return r === undefined ? s : referenceName(r);
}
