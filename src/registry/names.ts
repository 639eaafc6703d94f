/** Repository names, tags and references as the distribution spec allows them in URLs. */
import { isDigest, type Digest } from '../core/index.js';
import { RegistryHttpError } from './errors.js';

const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const namePattern = new RegExp(`^${component}(?:/${component})*$`);
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** distribution's limit for a whole name (host included); ours has no host, so the name alone. */
export const maxNameLength = 255;

export function checkRepositoryName(name: string): string {
  if (name.length > maxNameLength) {
    throw new RegistryHttpError('NAME_INVALID', `repository name is ${name.length} characters long; the limit is ${maxNameLength}`, { detail: { name: name.slice(0, 64) + '…' } });
  }
  if (!namePattern.test(name)) {
    throw new RegistryHttpError('NAME_INVALID', `invalid repository name ${JSON.stringify(name)}: path components of lower-case letters and digits, separated by . _ __ or -`, {
      detail: { name },
    });
  }
  return name;
}

export function checkTag(tag: string): string {
  if (!tagPattern.test(tag)) throw new RegistryHttpError('TAG_INVALID', `invalid tag ${JSON.stringify(tag)}`, { detail: { tag } });
  return tag;
}

export function checkDigest(value: string, code: 'DIGEST_INVALID' | 'BLOB_UNKNOWN' | 'MANIFEST_UNKNOWN' = 'DIGEST_INVALID'): Digest {
  if (!isDigest(value)) throw new RegistryHttpError(code, `invalid digest ${JSON.stringify(value)}`, { detail: { digest: value } });
  return value as Digest;
}

export type ManifestReference = { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'digest'; readonly digest: Digest };

export function parseManifestReference(value: string): ManifestReference {
  if (value.includes(':')) return { kind: 'digest', digest: checkDigest(value, 'MANIFEST_UNKNOWN') };
  return { kind: 'tag', tag: checkTag(value) };
}
