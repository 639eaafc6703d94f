/**
 * cosign's `--type` names and the predicate type URIs they stand for (cmd/cosign/cli/options/predicate.go
 * `PredicateTypeMap`; the URIs from in-toto-golang and pkg/cosign/attestation).
 */
import { AttestError } from './errors.js';

export const PREDICATE_CUSTOM = 'https://cosign.sigstore.dev/attestation/v1';

export const predicateTypeNames: Readonly<Record<string, string>> = {
  custom: PREDICATE_CUSTOM,
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

/**
 * The URI for a `--type` value: one of cosign's names, else the value itself when it is a URI (cosign accepts
 * what Go's `url.ParseRequestURI` accepts: an absolute URI or an absolute path).
 */
export function resolvePredicateType(type: string): string {
  const known = Object.prototype.hasOwnProperty.call(predicateTypeNames, type) ? predicateTypeNames[type] : undefined;
  if (known !== undefined) return known;
  let ok = false;
  if (type.startsWith('/')) ok = !/\s/.test(type);
  else {
    try {
      ok = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(type) && new URL(type).protocol !== '' && !/\s/.test(type);
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new AttestError('INVALID_PREDICATE_TYPE', `invalid predicate type "${type}": expected one of ${Object.keys(predicateTypeNames).join(', ')} or a URI`);
  return type;
}
