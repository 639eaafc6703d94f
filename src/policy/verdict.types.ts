/**
 * The verdict of a policy evaluation (SPEC §3.2): what the CLI prints with `--output json` and what the
 * server records. Rendered as text by `renderVerdictText`.
 */
import type { VerificationCode } from '../signature/index.js';
import type { RequirementType } from './policy.types.js';

/** Where a candidate signature was found. */
export type SignatureSource = 'dir' | 'lookaside' | 'extension' | 'sigstore-attachment' | 'referrer';

/**
 * The format of a candidate signature as read: `sigstore` is a cosign `.sig` layer, `sigstore-bundle` a sigstore
 * bundle attached as an OCI referrer; `unknown` when the blob is not a recognisable signature.
 */
export type SignatureFormat = 'simple-signing' | 'sigstore' | 'sigstore-bundle' | 'unknown';

/**
 * - `accepted`: the signature satisfies the requirement;
 * - `rejected`: the requirement looked at it and refused it (`code` says why);
 * - `not-applicable`: the requirement does not consider signatures of this kind (a sigstore signature under
 *   signedBy, anything under insecureAcceptAnything).
 */
export type SignatureStatus = 'accepted' | 'rejected' | 'not-applicable';

export interface SignatureVerdict {
  readonly index: number;
  readonly source: SignatureSource;
  readonly format: SignatureFormat;
  readonly accepted: boolean;
  readonly status: SignatureStatus;
  readonly code?: VerificationCode;
  /** The key (fingerprint) or certificate identity that made the signature, once known. */
  readonly signer?: string;
  readonly message: string;
}

export interface RequirementVerdict {
  /** The requirement's `type` as the policy names it. */
  readonly type: RequirementType;
  /** What the requirement asks for, e.g. "GPG keys from /etc/pki/vendor.gpg". */
  readonly summary: string;
  readonly satisfied: boolean;
  /**
   * Why the requirement as a whole is not satisfied when no single signature says it: `NO_SIGNATURES`,
   * `REJECTED`, `UNSUPPORTED_FORMAT` (signedBaseLayer); otherwise the code of the signature that came closest.
   */
  readonly code?: VerificationCode;
  readonly signatures: readonly SignatureVerdict[];
  /** The one step that would satisfy this requirement. */
  readonly nextStep?: string;
}

export interface Verdict {
  /** The image as given, e.g. `docker://registry.example.com/ns/app:1.2`. */
  readonly image: string;
  /** The docker reference the policy checked signatures against, or the transport's policy identity. */
  readonly identity: string;
  readonly manifestDigest: string;
  readonly allowed: boolean;
  readonly policy: {
    readonly file: string;
    readonly transport: string;
    /** The scope that applied: the matching identity or namespace, `""` (transport default) or `"default"`. */
    readonly scope: string;
  };
  readonly requirements: readonly RequirementVerdict[];
  /** The single next step that would fix a rejection (that of the first unsatisfied requirement). */
  readonly nextStep?: string;
}
