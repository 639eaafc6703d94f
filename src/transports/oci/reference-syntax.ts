/**
 * The `PATH[:REF]` syntax of `oci:` and `oci-archive:` references (containers/image rules): the string is
 * split at the first ':', so PATH cannot contain one; REF is empty, `@N` (a zero-based position in
 * index.json, `oci:` sources only), or a name matching the image-spec `ref.name` grammar.
 */
import { TransportError } from '../errors.js';

const separator = '(?:[-._:@+]|--)';
const alphanum = '(?:[A-Za-z0-9]+)';
const component = `(?:${alphanum}(?:${separator}${alphanum})*)`;
const refNameGrammar = new RegExp(`^${component}(?:/${component})*$`);

/** True for a valid `org.opencontainers.image.ref.name` value. */
export function isValidRefName(name: string): boolean {
  return refNameGrammar.test(name);
}

export interface PathAndRef {
  readonly path: string;
  /** The ref name, or '' when none was given. */
  readonly refName: string;
  /** The `@N` source index, or -1 when none was given. */
  readonly sourceIndex: number;
}

/** Split and validate `PATH[:REF]`; throws `INVALID_REFERENCE`. */
export function parsePathAndRef(reference: string, transportName: string, allowIndex: boolean): PathAndRef {
  const colon = reference.indexOf(':');
  const path = colon === -1 ? reference : reference.slice(0, colon);
  const ref = colon === -1 ? '' : reference.slice(colon + 1);
  if (path === '') {
    throw new TransportError('INVALID_REFERENCE', `invalid ${transportName}: reference "${reference}": the path is empty`);
  }
  if (allowIndex && ref.startsWith('@')) {
    const digits = ref.slice(1);
    const index = Number(digits);
    if (!/^[0-9]+$/.test(digits) || !Number.isSafeInteger(index)) {
      throw new TransportError(
        'INVALID_REFERENCE',
        `invalid ${transportName}: reference "${reference}": source index "${ref}" must be @ followed by a non-negative integer`,
      );
    }
    return { path, refName: '', sourceIndex: index };
  }
  if (ref !== '' && !isValidRefName(ref)) {
    throw new TransportError(
      'INVALID_REFERENCE',
      `invalid ${transportName}: reference "${reference}": "${ref}" is not a valid image reference name ` +
        '(components of letters and digits separated by one of - . _ : @ + or --, joined by /)',
    );
  }
  return { path, refName: ref, sourceIndex: -1 };
}
