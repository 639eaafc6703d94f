/**
 * Policy evaluation with the decisions of containers/image (IsRunningImageAllowed) and a verdict that explains
 * them. Pure: keys and cryptography come from the injected `TrustMaterial`.
 *
 * - Every requirement of the applicable scope must allow the image; different requirements may be satisfied
 *   by different signatures; within one requirement any one accepted signature suffices.
 * - insecureAcceptAnything allows the image but accepts no signature; reject refuses the image and every
 *   signature; signedBaseLayer refuses every image (containers/image does not implement it).
 * - signedBy considers only simple-signing signatures, sigstoreSigned only sigstore signatures.
 * - Sigstore bundles (OCI referrers) are not read by containers/image policies: under a policy file they are
 *   listed as not applicable (UNSUPPORTED_FORMAT) and never change a decision. Only the implicit policy of
 *   `verify --key` (`verifyBundles`) verifies them, under its key-based sigstoreSigned requirement: key, then
 *   statement, then digest; a bundle names no image reference, so there is no identity to match.
 * - Each signature is checked in a fixed order — cryptography, key accepted, payload parse, manifest digest,
 *   identity — and reports the first failure. Unverified values are named `untrusted…` until then.
 * - A signature blob containers/image cannot even classify, stored as a `dir:` signature file or in lookaside
 *   storage, makes containers/image fail to read the image's signatures at all: every signing requirement
 *   then fails, whatever the other signatures are. The verdict says so on that signature.
 *
 * Unlike containers/image, every requirement and every signature is evaluated (not only up to the first
 * decisive one), so the verdict can explain all of them; the decision is the same.
 */
import { describeError, parseNormalizedNamed, referenceString, type Digest, type DockerReference } from '../core/index.js';
import { BundleAnnotations, COSIGN_SIGN_PREDICATE_TYPE, KeyError, SignatureVerificationError, type VerificationCode } from '../signature/index.js';
import { PolicyError } from './errors.js';
import { describeSignedIdentity, explainIdentityMismatch, matchesSignedIdentity } from './identity.js';
import type { Policy, Requirement, SignedByRequirement, SignedIdentity, SigstoreSignedRequirement } from './policy.types.js';
import { requirementsFor } from './scope.js';
import type { RequirementVerdict, SignatureFormat, SignatureSource, SignatureVerdict, Verdict } from './verdict.types.js';

/** The MIME type of a cosign signature layer; other sigstore attachments are not signatures. */
export const sigstoreSignatureMimeType = 'application/vnd.dev.cosign.simplesigning.v1+json';

export interface CandidateSignature {
  /** 1-based position in the list the signature was read from (signature-N, lookaside N, layer N). */
  readonly index: number;
  readonly source: SignatureSource;
  readonly format: SignatureFormat;
  /** The raw blob: an OpenPGP message for simple signing, the payload for a sigstore attachment. */
  readonly blob: Buffer;
  readonly annotations?: Readonly<Record<string, string>>;
  /** For sigstore attachments: the layer's media type; only cosign signature layers are signatures. */
  readonly mimeType?: string;
  /**
   * Why the candidate could not be read as its format (a referrer that is not a well-formed bundle attachment, a
   * blob that does not match its descriptor); `blob` is then empty. A requirement that considers it rejects it
   * with this code.
   */
  readonly defect?: { readonly code: VerificationCode; readonly message: string };
}

/** The claims of a signature payload, not yet checked against the image. */
export interface UntrustedClaims {
  readonly dockerManifestDigest: string;
  readonly dockerReference: string;
}

/** Keys and cryptography, injected so that evaluation does no I/O. */
export interface TrustMaterial {
  /** Keyring bytes for a signedBy requirement's keyPath/keyPaths (already read by the caller) or keyData. */
  gpgKeys(req: SignedByRequirement): Promise<Uint8Array[]>;
  /**
   * Verifies an OpenPGP simple signature against the keyrings: returns the signer's fingerprint and the
   * crypto-verified but otherwise untrusted payload. A signature by a key outside the keyrings is
   * `KEY_NOT_TRUSTED`. Throws `SignatureVerificationError`; a `KeyError` means the keyrings are unusable.
   */
  verifySimpleSigning(blob: Buffer, keyrings: readonly Uint8Array[]): Promise<{ signer: string; untrustedPayload: Buffer }>;
  /**
   * Parses a payload strictly; throws `SignatureVerificationError('MALFORMED_SIGNATURE')`. `format` says which
   * payload grammar applies (a sigstore payload has its own `type` and may have `"optional": null`).
   */
  parsePayload(untrustedPayload: Buffer, format?: 'simple-signing' | 'sigstore'): UntrustedClaims;
  /** Verifies a sigstore signature for the requirement and returns its payload. Absent: sigstore is unsupported. */
  verifySigstore?(sig: CandidateSignature, req: SigstoreSignedRequirement): Promise<{ signer: string; untrustedPayload: Buffer }>;
  /**
   * Verifies a sigstore bundle with the requirement's keys and checks that its statement is a cosign image
   * signature about `manifestDigest`; returns the signer. Throws `SignatureVerificationError` (`DIGEST_MISMATCH`
   * when the statement is about another manifest). Absent: bundles cannot be verified.
   */
  verifySigstoreBundle?(sig: CandidateSignature, req: SigstoreSignedRequirement, manifestDigest: Digest): Promise<{ signer: string }>;
}

export interface PolicyInput {
  readonly policy: Policy;
  /** The policy file's path, for the verdict. */
  readonly policySource: string;
  readonly image: {
    /** As given, e.g. `docker://registry.example.com/ns/app:1.2`. */
    readonly name: string;
    readonly transport: string;
    readonly policyIdentity: string;
    readonly namespaces: readonly string[];
    /** The docker reference signatures are matched against; undefined for transports without one. */
    readonly dockerReference: DockerReference | undefined;
    /** Computed from verified manifest bytes. */
    readonly manifestDigest: Digest;
  };
  readonly signatures: readonly CandidateSignature[];
  readonly trust: TrustMaterial;
  /**
   * Verify sigstore bundles under key-based sigstoreSigned requirements. Only for Signet's implicit policy of
   * `verify --key` (not a containers-policy.json): containers/image policies do not read bundles, so by default
   * they are not applicable.
   */
  readonly verifyBundles?: boolean;
}

interface Context {
  readonly input: PolicyInput;
  readonly scope: string;
}

/** How far a signature got through the checks: the rejection that came closest to acceptance explains best. */
const closeness: Readonly<Record<VerificationCode, number>> = {
  IDENTITY_MISMATCH: 9,
  DIGEST_MISMATCH: 8,
  MALFORMED_SIGNATURE: 7,
  KEY_NOT_TRUSTED: 6,
  KEY_EXPIRED: 6,
  KEY_REVOKED: 6,
  SIGNATURE_EXPIRED: 6,
  CERTIFICATE_INVALID: 5,
  TLOG_INVALID: 5,
  BAD_SIGNATURE: 4,
  UNSUPPORTED_FORMAT: 3,
  REJECTED: 2,
  NO_SIGNATURES: 1,
};

/**
 * Evaluates the policy for an image and its candidate signatures. Returns the verdict whether or not the
 * image is allowed; throws only when evaluation is impossible (unusable key material, an empty requirement
 * list).
 */
export async function evaluatePolicy(input: PolicyInput): Promise<Verdict> {
  const applied = requirementsFor(input.policy, input.image);
  if (applied.requirements.length === 0) {
    throw new PolicyError('CANNOT_EVALUATE', `the policy scope ${JSON.stringify(applied.scope)} has an empty requirement list`);
  }
  const ctx: Context = { input, scope: applied.scope };
  const requirements: RequirementVerdict[] = [];
  for (const req of applied.requirements) requirements.push(await evaluateRequirement(ctx, req));
  const allowed = requirements.every((r) => r.satisfied);
  const firstFailure = requirements.find((r) => !r.satisfied);
  const nextStep = allowed ? undefined : firstFailure?.nextStep;
  return {
    image: input.image.name,
    identity: input.image.dockerReference !== undefined ? referenceString(input.image.dockerReference) : input.image.policyIdentity,
    manifestDigest: input.image.manifestDigest,
    allowed,
    policy: { file: input.policySource, transport: input.image.transport, scope: applied.scope },
    requirements,
    ...(nextStep !== undefined ? { nextStep } : {}),
  };
}

function verdictOf(
  sig: CandidateSignature,
  status: SignatureVerdict['status'],
  message: string,
  extra: { code?: VerificationCode; signer?: string | undefined } = {},
): SignatureVerdict {
  return {
    index: sig.index,
    source: sig.source,
    format: sig.format,
    accepted: status === 'accepted',
    status,
    ...(extra.code !== undefined ? { code: extra.code } : {}),
    ...(extra.signer !== undefined ? { signer: extra.signer } : {}),
    message,
  };
}

async function evaluateRequirement(ctx: Context, req: Requirement): Promise<RequirementVerdict> {
  const sigs = ctx.input.signatures;
  switch (req.type) {
    case 'insecureAcceptAnything':
      return {
        type: req.type,
        summary: 'any image, without looking at signatures',
        satisfied: true,
        signatures: sigs.map((s) => (s.format === 'sigstore-bundle' ? bundleNotRead(s) : verdictOf(s, 'not-applicable', 'insecureAcceptAnything does not look at signatures'))),
      };
    case 'reject':
      return {
        type: req.type,
        summary: 'every image is rejected',
        satisfied: false,
        code: 'REJECTED',
        signatures: sigs.map((s) => (s.format === 'sigstore-bundle' ? bundleNotRead(s) : verdictOf(s, 'rejected', 'the policy rejects every signature in this scope', { code: 'REJECTED' }))),
        nextStep: `the policy rejects every image in scope ${scopeLabel(ctx.scope)} of ${ctx.input.policySource}; use an image from a scope the policy trusts, or change the policy`,
      };
    case 'signedBaseLayer':
      return {
        type: req.type,
        summary: `a signed base layer matching ${describeSignedIdentity(req.baseLayerIdentity)} (not implemented by containers/image)`,
        satisfied: false,
        code: 'UNSUPPORTED_FORMAT',
        signatures: sigs.map((s) => (s.format === 'sigstore-bundle' ? bundleNotRead(s) : verdictOf(s, 'not-applicable', 'signedBaseLayer does not look at signatures'))),
        nextStep: 'signedBaseLayer is not implemented by containers/image and rejects every image; replace it with signedBy or sigstoreSigned',
      };
    case 'signedBy':
      return evaluateSigning(ctx, req, signedBySummary(req));
    case 'sigstoreSigned':
      return evaluateSigning(ctx, req, sigstoreSummary(req));
  }
}

function scopeLabel(scope: string): string {
  if (scope === '') return '"" (the transport default)';
  if (scope === 'default') return '"default" (the global default)';
  return JSON.stringify(scope);
}

function identitySuffix(rule: SignedIdentity): string {
  return rule.type === 'matchRepoDigestOrExact' ? '' : `, identity: ${describeSignedIdentity(rule)}`;
}

function keySourceText(paths: { keyPath?: string | undefined; keyPaths?: readonly string[] | undefined }, inline: string): string {
  if (paths.keyPath !== undefined) return paths.keyPath;
  if (paths.keyPaths !== undefined) return paths.keyPaths.length === 0 ? '(an empty keyPaths list)' : paths.keyPaths.join(', ');
  return inline;
}

function signedBySummary(req: SignedByRequirement): string {
  const where = keySourceText(req, 'keyData in the policy');
  const kind = req.keyType === 'GPGKeys' ? 'GPG keys' : `${req.keyType} keys (not implemented)`;
  return `${kind} from ${where}${identitySuffix(req.signedIdentity)}`;
}

function sigstoreSummary(req: SigstoreSignedRequirement): string {
  let who: string;
  if (req.fulcio !== undefined) {
    who = `Fulcio certificates for ${req.fulcio.subjectEmail} issued by ${req.fulcio.oidcIssuer}`;
  } else if (req.pki !== undefined) {
    const subject = [req.pki.subjectEmail, req.pki.subjectHostname].filter((s) => s !== undefined).join(' / ');
    who = `certificates for ${subject} from the CA roots in ${req.pki.caRootsPath ?? 'caRootsData in the policy'}`;
  } else if (req.keyDatas !== undefined) {
    who = `public keys from keyDatas in the policy`;
  } else {
    who = `public keys from ${keySourceText(req, 'keyData in the policy')}`;
  }
  const rekor =
    req.rekorPublicKeyPath !== undefined || req.rekorPublicKeyPaths !== undefined || req.rekorPublicKeyData !== undefined || req.rekorPublicKeyDatas !== undefined
      ? ', with a Rekor entry'
      : '';
  return `sigstore signatures by ${who}${rekor}${identitySuffix(req.signedIdentity)}`;
}

type Applicability = 'applicable' | 'fatal-unreadable' | { readonly notApplicable: string; readonly code?: VerificationCode };

const bundlesNotReadMessage = 'a sigstore bundle (OCI referrer): containers/image policies do not read sigstore bundles, so it cannot count here; verify with --key to check it';

/** A bundle under a policy that does not read bundles: listed, never deciding anything. */
function bundleNotRead(sig: CandidateSignature): SignatureVerdict {
  return verdictOf(sig, 'not-applicable', bundlesNotReadMessage, { code: 'UNSUPPORTED_FORMAT' });
}

/** Whether a sigstore bundle counts under a requirement: only under the implicit `--key` policy's key requirement. */
function bundleApplicability(ctx: Context, req: SignedByRequirement | SigstoreSignedRequirement, sig: CandidateSignature): Applicability {
  if (ctx.input.verifyBundles !== true) return { notApplicable: bundlesNotReadMessage, code: 'UNSUPPORTED_FORMAT' };
  if (req.type === 'signedBy') return { notApplicable: 'a sigstore bundle; signedBy considers only simple-signing signatures' };
  if (req.fulcio !== undefined || req.pki !== undefined) {
    return { notApplicable: 'a sigstore bundle; only key-based bundles are verified, not certificate-based ones', code: 'UNSUPPORTED_FORMAT' };
  }
  const untrustedType = sig.annotations?.[BundleAnnotations.predicateType];
  if (sig.defect === undefined && untrustedType !== undefined && untrustedType !== COSIGN_SIGN_PREDICATE_TYPE) {
    return { notApplicable: `a sigstore bundle of predicate type ${untrustedType} (an attestation), not an image signature` };
  }
  return 'applicable';
}

/** Whether a signing requirement considers a candidate, as containers/image sorts signatures by format. */
function applicability(ctx: Context, req: SignedByRequirement | SigstoreSignedRequirement, sig: CandidateSignature): Applicability {
  if (sig.format === 'sigstore-bundle') return bundleApplicability(ctx, req, sig);
  if (sig.format === 'unknown') {
    // dir: and lookaside blobs go through containers/image's FromBlob, which fails on an unrecognised format;
    // the extension API hands every blob to the simple-signing verifier.
    if (sig.source === 'dir' || sig.source === 'lookaside') return 'fatal-unreadable';
    if (sig.source === 'extension' && req.type === 'signedBy') return 'applicable';
    return { notApplicable: 'not a signature format this requirement considers' };
  }
  if (req.type === 'signedBy') {
    return sig.format === 'simple-signing' ? 'applicable' : { notApplicable: 'a sigstore signature; signedBy considers only simple-signing signatures' };
  }
  if (sig.format !== 'sigstore') return { notApplicable: 'a simple-signing signature; sigstoreSigned considers only sigstore signatures' };
  if (sig.mimeType !== undefined && sig.mimeType !== sigstoreSignatureMimeType) {
    return { notApplicable: `a sigstore attachment of type ${sig.mimeType}, not a signature` };
  }
  return 'applicable';
}

async function evaluateSigning(ctx: Context, req: SignedByRequirement | SigstoreSignedRequirement, summary: string): Promise<RequirementVerdict> {
  const verdicts: SignatureVerdict[] = [];
  let applicable = 0;
  let unreadable: CandidateSignature | undefined;
  let keyrings: Uint8Array[] | undefined;
  for (const sig of ctx.input.signatures) {
    const a = applicability(ctx, req, sig);
    if (a === 'fatal-unreadable') {
      unreadable ??= sig;
      verdicts.push(
        verdictOf(
          sig,
          'rejected',
          'not a signature format containers/image can read; skopeo and podman refuse to check any signature of this image while it is present',
          { code: 'MALFORMED_SIGNATURE' },
        ),
      );
      continue;
    }
    if (a !== 'applicable') {
      verdicts.push(verdictOf(sig, 'not-applicable', a.notApplicable, a.code === undefined ? {} : { code: a.code }));
      continue;
    }
    applicable++;
    if (req.type === 'signedBy') {
      if (req.keyType !== 'GPGKeys') {
        verdicts.push(
          verdictOf(sig, 'rejected', `keyType ${req.keyType} is not implemented by containers/image, so no signature can be accepted`, {
            code: 'UNSUPPORTED_FORMAT',
          }),
        );
        continue;
      }
      keyrings ??= await ctx.input.trust.gpgKeys(req);
      verdicts.push(await checkSimpleSigning(ctx, req, sig, keyrings));
    } else if (sig.format === 'sigstore-bundle') {
      verdicts.push(await checkSigstoreBundle(ctx, req, sig));
    } else {
      verdicts.push(await checkSigstore(ctx, req, sig));
    }
  }

  const accepted = verdicts.some((v) => v.status === 'accepted');
  const satisfied = accepted && unreadable === undefined;
  const base = { type: req.type, summary, satisfied, signatures: verdicts };
  if (satisfied) return base;

  if (unreadable !== undefined) {
    return {
      ...base,
      code: 'MALFORMED_SIGNATURE',
      nextStep: `remove signature ${unreadable.index} (${sourceText(unreadable.source)}): it is not a signature, and while it is there skopeo and podman reject the image`,
    };
  }
  if (applicable === 0) {
    return { ...base, code: 'NO_SIGNATURES', nextStep: noSignaturesStep(ctx, req) };
  }
  const best = verdicts
    .filter((v) => v.status === 'rejected' && v.code !== undefined)
    .reduce<SignatureVerdict | undefined>((acc, v) => (acc === undefined || closeness[v.code as VerificationCode] > closeness[acc.code as VerificationCode] ? v : acc), undefined);
  if (best === undefined || best.code === undefined) return base;
  return { ...base, code: best.code, nextStep: nextStepFor(ctx, req, best) };
}

function sourceText(source: SignatureSource): string {
  switch (source) {
    case 'dir':
      return 'a signature file beside the manifest';
    case 'lookaside':
      return 'lookaside storage';
    case 'extension':
      return "the registry's signature API";
    case 'sigstore-attachment':
      return 'a cosign .sig attachment';
    case 'referrer':
      return 'an OCI referrer';
  }
}

function noSignaturesStep(ctx: Context, req: SignedByRequirement | SigstoreSignedRequirement): string {
  const others = ctx.input.signatures.length;
  if (req.type === 'signedBy') {
    return others > 0
      ? 'none of the signatures found is a simple-signing signature: sign the image with a GPG key (signet sign --format simple), or use a sigstoreSigned requirement for cosign signatures'
      : 'no signature was found: sign the image with a GPG key, or make registries.d point at the lookaside storage that holds its signatures';
  }
  if (ctx.input.signatures.some((s) => s.format === 'sigstore-bundle') && ctx.input.verifyBundles !== true) {
    return 'the image has sigstore bundles, which containers/image policies do not read: sign it in the cosign .sig format too (signet sign --format cosign), or check the bundles with signet verify --key';
  }
  return others > 0
    ? 'none of the signatures found is a sigstore signature: sign the image with cosign (signet sign --format cosign), or use a signedBy requirement for GPG signatures'
    : 'no signature was found: sign the image with cosign, and make sure registries.d sets use-sigstore-attachments: true for this registry';
}

function keyLocation(req: SignedByRequirement | SigstoreSignedRequirement): string {
  if (req.keyPath !== undefined) return `keyPath ${req.keyPath}`;
  if (req.keyPaths !== undefined) return `keyPaths ${req.keyPaths.join(', ')}`;
  if (req.type === 'sigstoreSigned' && req.fulcio !== undefined) return 'the Fulcio configuration';
  if (req.type === 'sigstoreSigned' && req.pki !== undefined) return 'the PKI configuration';
  return 'the keyData of the policy';
}

function nextStepFor(ctx: Context, req: SignedByRequirement | SigstoreSignedRequirement, v: SignatureVerdict): string {
  const n = `signature ${v.index}`;
  switch (v.code) {
    case 'KEY_NOT_TRUSTED':
      return v.signer !== undefined
        ? `signed by ${v.signer}, which is not in ${keyLocation(req)}: add that public key there, or sign with a key that is`
        : `${n} is by a key that is not in ${keyLocation(req)}: sign with a key that is, or add the signer's public key`;
    case 'IDENTITY_MISMATCH': {
      const named = untrustedNamedIn(v);
      return named !== undefined
        ? `the signature names ${named} — pull by that reference, or use matchRepository in signedIdentity if any tag of the repository will do`
        : `${n} names another image — pull by the reference it names, or relax signedIdentity`;
    }
    case 'DIGEST_MISMATCH':
      return `${n} is for a different manifest than ${ctx.input.image.manifestDigest} (the tag may have moved): sign the image as it is now, or pull the signed digest`;
    case 'MALFORMED_SIGNATURE':
      return `${n} has a malformed payload: re-create it with a conforming signer`;
    case 'BAD_SIGNATURE':
      return `${n} does not verify (altered or corrupted): sign the image again`;
    case 'KEY_EXPIRED':
    case 'KEY_REVOKED':
      return `${n} is by an expired or revoked key: sign again with a current key and add its public key to ${keyLocation(req)}`;
    case 'SIGNATURE_EXPIRED':
      return `${n} has expired: sign the image again`;
    case 'TLOG_INVALID':
      return `${n} has no valid transparency-log entry for the configured Rekor key: sign again with upload to Rekor, or check rekorPublicKey*`;
    case 'CERTIFICATE_INVALID':
      return `${n} carries a certificate that does not chain to the configured CA or names another subject: check fulcio/pki in the policy`;
    case 'UNSUPPORTED_FORMAT':
      return req.type === 'signedBy' && req.keyType !== 'GPGKeys'
        ? `keyType ${req.keyType} is not implemented by containers/image: use keyType GPGKeys`
        : `${n} cannot be checked here: use a signature format both Signet and containers/image verify`;
    default:
      return v.message;
  }
}

/** The (untrusted) reference each identity-mismatched signature claims, for the next step. */
const claimedReference = new WeakMap<SignatureVerdict, string>();

function untrustedNamedIn(v: SignatureVerdict): string | undefined {
  return claimedReference.get(v);
}

/** The signer a verifier may attach to its error (`signer` or `keyId`), e.g. for KEY_NOT_TRUSTED. */
function signerFromError(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  for (const field of ['signer', 'keyId', 'fingerprint']) {
    const value: unknown = (err as Record<string, unknown>)[field];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function rejection(sig: CandidateSignature, err: unknown, fallback: VerificationCode, signer?: string): SignatureVerdict {
  if (err instanceof KeyError) throw err;
  if (err instanceof PolicyError) throw err;
  const code = err instanceof SignatureVerificationError ? err.code : fallback;
  const who = signer ?? signerFromError(err);
  const message =
    code === 'KEY_NOT_TRUSTED' && who !== undefined ? `signed with a key that is not trusted here (fingerprint ${who})` : describeError(err);
  return verdictOf(sig, 'rejected', message, { code, signer: who });
}

/** Digest and identity checks shared by both formats, after crypto, key and parse. */
function checkClaims(ctx: Context, rule: SignedIdentity, sig: CandidateSignature, signer: string, claims: UntrustedClaims): SignatureVerdict {
  const { manifestDigest, dockerReference } = ctx.input.image;
  const untrustedDigest = claims.dockerManifestDigest;
  if (untrustedDigest !== manifestDigest) {
    return verdictOf(sig, 'rejected', `valid, but it signs manifest ${untrustedDigest}, not this image's ${manifestDigest}`, {
      code: 'DIGEST_MISMATCH',
      signer,
    });
  }
  let untrustedRef: DockerReference;
  try {
    untrustedRef = parseNormalizedNamed(claims.dockerReference);
  } catch (err) {
    return verdictOf(sig, 'rejected', `its docker-reference ${JSON.stringify(claims.dockerReference)} is not a valid reference: ${describeError(err)}`, {
      code: 'MALFORMED_SIGNATURE',
      signer,
    });
  }
  if (!matchesSignedIdentity(rule, dockerReference, untrustedRef)) {
    const v = verdictOf(sig, 'rejected', explainIdentityMismatch(rule, dockerReference, untrustedRef), { code: 'IDENTITY_MISMATCH', signer });
    claimedReference.set(v, referenceString(untrustedRef));
    return v;
  }
  return verdictOf(sig, 'accepted', `signed by ${signer} for ${referenceString(untrustedRef)}`, { signer });
}

async function checkSimpleSigning(ctx: Context, req: SignedByRequirement, sig: CandidateSignature, keyrings: readonly Uint8Array[]): Promise<SignatureVerdict> {
  if (keyrings.length === 0 || keyrings.every((k) => k.byteLength === 0)) {
    return verdictOf(sig, 'rejected', `no public keys in ${keyLocation(req)}, so no signature can be trusted`, { code: 'KEY_NOT_TRUSTED' });
  }
  let verified: { signer: string; untrustedPayload: Buffer };
  try {
    verified = await ctx.input.trust.verifySimpleSigning(sig.blob, keyrings);
  } catch (err) {
    return rejection(sig, err, 'BAD_SIGNATURE');
  }
  let claims: UntrustedClaims;
  try {
    claims = ctx.input.trust.parsePayload(verified.untrustedPayload, 'simple-signing');
  } catch (err) {
    return rejection(sig, err, 'MALFORMED_SIGNATURE', verified.signer);
  }
  return checkClaims(ctx, req.signedIdentity, sig, verified.signer, claims);
}

async function checkSigstore(ctx: Context, req: SigstoreSignedRequirement, sig: CandidateSignature): Promise<SignatureVerdict> {
  const verify = ctx.input.trust.verifySigstore;
  if (verify === undefined) {
    return verdictOf(sig, 'rejected', 'sigstore signatures cannot be verified with the trust material given', { code: 'UNSUPPORTED_FORMAT' });
  }
  let verified: { signer: string; untrustedPayload: Buffer };
  try {
    verified = await verify.call(ctx.input.trust, sig, req);
  } catch (err) {
    return rejection(sig, err, 'BAD_SIGNATURE');
  }
  let claims: UntrustedClaims;
  try {
    claims = ctx.input.trust.parsePayload(verified.untrustedPayload, 'sigstore');
  } catch (err) {
    return rejection(sig, err, 'MALFORMED_SIGNATURE', verified.signer);
  }
  return checkClaims(ctx, req.signedIdentity, sig, verified.signer, claims);
}

/**
 * A sigstore bundle under the implicit `--key` policy: the trust material checks key, statement and digest (in that
 * order). A bundle's statement names only a digest, no image reference, so the requirement's signedIdentity has
 * nothing to match.
 */
async function checkSigstoreBundle(ctx: Context, req: SigstoreSignedRequirement, sig: CandidateSignature): Promise<SignatureVerdict> {
  if (sig.defect !== undefined) return verdictOf(sig, 'rejected', sig.defect.message, { code: sig.defect.code });
  const verify = ctx.input.trust.verifySigstoreBundle;
  if (verify === undefined) {
    return verdictOf(sig, 'rejected', 'sigstore bundles cannot be verified with the trust material given', { code: 'UNSUPPORTED_FORMAT' });
  }
  let verified: { signer: string };
  try {
    verified = await verify.call(ctx.input.trust, sig, req, ctx.input.image.manifestDigest);
  } catch (err) {
    return rejection(sig, err, 'BAD_SIGNATURE');
  }
  return verdictOf(sig, 'accepted', `signed by ${verified.signer} for ${ctx.input.image.manifestDigest} (a sigstore bundle names no image reference)`, { signer: verified.signer });
}
