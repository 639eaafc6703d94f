/**
 * Fulcio certificates, checked as containers/image checks them (signature/fulcio_cert.go): the leaf chains to one of
 * the given CAs at the Rekor integrated time, allows code signing, records the expected OIDC issuer
 * (OID 1.3.6.1.4.1.57264.1.1, raw, or .1.8, a DER UTF8String; both must agree when both are present) and carries the
 * expected email address as a SAN.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { SignatureVerificationError } from '../errors.js';
import { certificateExtensions, children, DerError, DerTag, readSingle } from './der.js';
import { decodePemBlocks } from './encoding.js';

export const FULCIO_OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
export const FULCIO_OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const oidSubjectAltName = '2.5.29.17';
const oidCodeSigning = '1.3.6.1.5.5.7.3.3';
const oidAnyExtendedKeyUsage = '2.5.29.37.0';
const maxChainLength = 10;

export interface FulcioIdentity {
  readonly oidcIssuer: string;
  readonly subjectEmail: string;
}

function invalid(message: string, cause?: unknown): SignatureVerificationError {
  return new SignatureVerificationError('CERTIFICATE_INVALID', `Fulcio certificate: ${message}`, cause === undefined ? undefined : { cause });
}

function certificatesFromPem(pem: string, what: string): X509Certificate[] {
  try {
    return decodePemBlocks(pem).map((block) => {
      if (block.type !== 'CERTIFICATE') throw invalid(`${what}: unexpected PEM block "${block.type}" (expected "CERTIFICATE")`);
      return new X509Certificate(block.bytes);
    });
  } catch (err: unknown) {
    if (err instanceof SignatureVerificationError) throw err;
    throw invalid(`${what}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

function validAt(cert: X509Certificate, at: Date): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return at.getTime() >= from && at.getTime() <= to;
}

function describe(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ', ') || '(empty subject)';
}

/** Issuer recorded by Fulcio; throws when missing, duplicated or inconsistent. */
export function fulcioIssuerOf(cert: X509Certificate): string {
  let v1: string | undefined;
  let v2: string | undefined;
  try {
    for (const ext of certificateExtensions(cert.raw)) {
      if (ext.oid === FULCIO_OID_ISSUER_V1) {
        if (v1 !== undefined) throw invalid('duplicate OIDC issuer (v1) extension');
        v1 = ext.value.toString('utf8');
      } else if (ext.oid === FULCIO_OID_ISSUER_V2) {
        if (v2 !== undefined) throw invalid('duplicate OIDC issuer (v2) extension');
        const el = readSingle(ext.value);
        if (el.tag !== DerTag.utf8String) throw invalid('the OIDC issuer (v2) extension is not a UTF8String');
        v2 = el.value.toString('utf8');
      }
    }
  } catch (err: unknown) {
    if (err instanceof DerError) throw invalid(`malformed extensions: ${err.message}`, err);
    throw err;
  }
  if (v1 !== undefined && v2 !== undefined && v1 !== v2) {
    throw invalid(`inconsistent OIDC issuer extensions: v1 "${v1}", v2 "${v2}"`);
  }
  const issuer = v2 ?? v1;
  if (issuer === undefined) throw invalid('the certificate has no OIDC issuer extension');
  return issuer;
}

/** The rfc822Name entries of the Subject Alternative Name extension. */
export function emailAddressesOf(cert: X509Certificate): string[] {
  try {
    const san = certificateExtensions(cert.raw).find((e) => e.oid === oidSubjectAltName);
    if (san === undefined) return [];
    const names = readSingle(san.value);
    if (names.tag !== DerTag.sequence) throw new DerError('SubjectAltName is not a SEQUENCE');
    return children(names)
      .filter((n) => n.tag === 0x81)
      .map((n) => n.value.toString('latin1'));
  } catch (err: unknown) {
    if (err instanceof DerError) throw invalid(`malformed SubjectAltName: ${err.message}`, err);
    throw err;
  }
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/**
 * Verify a Fulcio-issued certificate (PEM, the `dev.sigstore.cosign/certificate` annotation) and return its public
 * key. `chainPem` is the `dev.sigstore.cosign/chain` annotation: all but its last certificate (the root, which must
 * come from `caPems` instead) may serve as intermediates. Every certificate on the path must be valid at `at`.
 * Throws `SignatureVerificationError('CERTIFICATE_INVALID')` saying what was expected and what was found.
 */
export function verifyFulcioCertificate(
  certPem: string,
  chainPem: string | undefined,
  caPems: readonly string[],
  identity: FulcioIdentity,
  at: Date,
): KeyObject {
  const leaves = certificatesFromPem(certPem, 'certificate');
  if (leaves.length !== 1) throw invalid(`expected exactly one certificate, found ${leaves.length}`);
  const leaf = leaves[0]!;
  const chain = chainPem === undefined || chainPem === '' ? [] : certificatesFromPem(chainPem, 'certificate chain');
  const intermediates = chain.slice(0, -1);
  const roots = caPems.flatMap((pem, i) => certificatesFromPem(pem, `CA ${i + 1}`));
  if (roots.length === 0) throw invalid('no CA certificate given');

  // == The chain, at the time the signature was logged.
  if (!validAt(leaf, at)) {
    throw invalid(`not valid at ${at.toISOString()} (valid from ${leaf.validFrom} to ${leaf.validTo})`);
  }
  let current = leaf;
  let chained = false;
  for (let depth = 0; depth < maxChainLength && !chained; depth++) {
    const root = roots.find((r) => r.ca && validAt(r, at) && issuedBy(current, r));
    if (root !== undefined) {
      chained = true;
      break;
    }
    const next = intermediates.find((c) => c !== current && c.ca && validAt(c, at) && issuedBy(current, c));
    if (next === undefined) break;
    current = next;
  }
  if (!chained) {
    throw invalid(`"${describe(leaf)}" does not chain to a trusted CA at ${at.toISOString()} (last certificate reached: issuer "${current.issuer.replace(/\n/g, ', ')}")`);
  }

  // == Code signing must be allowed.
  const ekus = leaf.keyUsage;
  if (ekus !== undefined && ekus.length > 0 && !ekus.includes(oidCodeSigning) && !ekus.includes(oidAnyExtendedKeyUsage)) {
    throw invalid(`extended key usage does not include code signing (got ${ekus.join(', ')})`);
  }

  // == The OIDC issuer.
  const issuer = fulcioIssuerOf(leaf);
  if (issuer !== identity.oidcIssuer) throw invalid(`expected OIDC issuer "${identity.oidcIssuer}", got "${issuer}"`);

  // == The subject.
  const emails = emailAddressesOf(leaf);
  if (!emails.includes(identity.subjectEmail)) {
    throw invalid(`expected email "${identity.subjectEmail}", got ${emails.length === 0 ? 'none' : emails.map((e) => `"${e}"`).join(', ')}`);
  }
  return leaf.publicKey;
}

