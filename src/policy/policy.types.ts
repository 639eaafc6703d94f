/**
 * containers-policy.json as Signet holds it after `parsePolicy`: the policy's own names, requirements as a
 * tagged union on `type`. Values are exactly what the file said (paths are not resolved, key data is not
 * parsed): reading keys is the trust-material loader's job.
 */

/** How the identity a signature claims must relate to the image (policy `signedIdentity`). */
export type SignedIdentity =
  | { readonly type: 'matchExact' }
  | { readonly type: 'matchRepoDigestOrExact' }
  | { readonly type: 'matchRepository' }
  | { readonly type: 'exactReference'; readonly dockerReference: string }
  | { readonly type: 'exactRepository'; readonly dockerRepository: string }
  | { readonly type: 'remapIdentity'; readonly prefix: string; readonly signedPrefix: string };

export type SignedIdentityType = SignedIdentity['type'];

/** `signedBy.keyType`. Only `GPGKeys` can be evaluated; the others parse but reject every signature. */
export type SignedByKeyType = 'GPGKeys' | 'signedByGPGKeys' | 'X509Certificates' | 'signedByX509CAs';

export interface InsecureAcceptAnythingRequirement {
  readonly type: 'insecureAcceptAnything';
}

export interface RejectRequirement {
  readonly type: 'reject';
}

/** Simple-signing (OpenPGP) signatures by keys from exactly one of keyPath, keyPaths, keyData. */
export interface SignedByRequirement {
  readonly type: 'signedBy';
  readonly keyType: SignedByKeyType;
  readonly keyPath?: string;
  readonly keyPaths?: readonly string[];
  /** The decoded bytes of the base64 `keyData`. */
  readonly keyData?: Uint8Array;
  readonly signedIdentity: SignedIdentity;
}

/** Parsed for compatibility; containers/image rejects every image under it ("not implemented"). */
export interface SignedBaseLayerRequirement {
  readonly type: 'signedBaseLayer';
  readonly baseLayerIdentity: SignedIdentity;
}

export interface SigstoreFulcio {
  readonly caPath?: string;
  readonly caData?: Uint8Array;
  readonly oidcIssuer: string;
  readonly subjectEmail: string;
}

export interface SigstorePki {
  readonly caRootsPath?: string;
  readonly caRootsData?: Uint8Array;
  readonly caIntermediatesPath?: string;
  readonly caIntermediatesData?: Uint8Array;
  readonly subjectEmail?: string;
  readonly subjectHostname?: string;
}

/** Sigstore (cosign) signatures: exactly one of the key sources, optionally a Rekor key. */
export interface SigstoreSignedRequirement {
  readonly type: 'sigstoreSigned';
  readonly keyPath?: string;
  readonly keyPaths?: readonly string[];
  readonly keyData?: Uint8Array;
  readonly keyDatas?: readonly Uint8Array[];
  readonly fulcio?: SigstoreFulcio;
  readonly pki?: SigstorePki;
  readonly rekorPublicKeyPath?: string;
  readonly rekorPublicKeyPaths?: readonly string[];
  readonly rekorPublicKeyData?: Uint8Array;
  readonly rekorPublicKeyDatas?: readonly Uint8Array[];
  readonly signedIdentity: SignedIdentity;
}

export type Requirement =
  | InsecureAcceptAnythingRequirement
  | RejectRequirement
  | SignedByRequirement
  | SignedBaseLayerRequirement
  | SigstoreSignedRequirement;

export type RequirementType = Requirement['type'];

/** Scope → requirements of one transport. The key `""` is the transport's default. */
export type TransportScopes = ReadonlyMap<string, readonly Requirement[]>;

export interface Policy {
  /** The global default; never empty. */
  readonly default: readonly Requirement[];
  /** Transport name → its scopes. Unknown transport names are kept as they are. */
  readonly transports: ReadonlyMap<string, TransportScopes>;
}
