/**
 * Trust material from the file system: the one place where the keys a policy names are read. The policy and
 * signature code stay pure; they are handed this object.
 */
import { readFile } from 'node:fs/promises';
import { limits, type Digest } from '../core/index.js';
import type { KeyObject } from 'node:crypto';
import type { CandidateSignature, SignedByRequirement, SigstoreSignedRequirement, TrustMaterial } from '../policy/index.js';
import {
  CosignAnnotations,
  KeyError,
  SignatureVerificationError,
  loadKeyring,
  parseCosignPayload,
  parsePublicKey,
  parseSignatureBlob,
  parseSimpleSigningPayload,
  publicKeyHint,
  publicKeyPem,
  verifyCosignSignature,
  verifyFulcioCertificate,
  verifyOpenPgpSignature,
  verifyImageSignatureBundle,
  verifyRekorSet,
} from '../signature/index.js';

async function readKeyFile(path: string, what: string): Promise<Buffer> {
  try {
    const bytes = await readFile(path);
    if (bytes.length > limits.signatureBytes) throw new KeyError('INVALID_KEY', `${what} ${path} is larger than ${limits.signatureBytes} bytes`);
    return bytes;
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError('INVALID_KEY', `cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Trust material that reads key files named by the policy. */
export function fileTrustMaterial(): TrustMaterial {
  return {
    async gpgKeys(req: SignedByRequirement): Promise<Uint8Array[]> {
      if (req.keyData !== undefined) return [req.keyData];
      const paths = req.keyPaths ?? (req.keyPath === undefined ? [] : [req.keyPath]);
      return Promise.all(paths.map((p) => readKeyFile(p, 'GPG keyring')));
    },
    async verifySimpleSigning(blob: Buffer, keyrings: readonly Uint8Array[]) {
      const parsed = parseSignatureBlob(blob);
      if (parsed.kind !== 'simple-signing') throw new Error('not a simple signing signature');
      const loaded = await loadKeyring(Buffer.concat(keyrings.map((k) => Buffer.from(k))), 'policy keys');
      const verified = await verifyOpenPgpSignature(parsed.openpgp, loaded);
      return { signer: verified.signer, untrustedPayload: verified.content };
    },
    parsePayload(untrustedPayload: Buffer, format: 'simple-signing' | 'sigstore' = 'simple-signing') {
      const p = format === 'sigstore' ? parseCosignPayload(untrustedPayload) : parseSimpleSigningPayload(untrustedPayload);
      return { dockerManifestDigest: p.dockerManifestDigest, dockerReference: p.dockerReference };
    },
    verifySigstore,
    verifySigstoreBundle,
  };
}

/** Read one key source of a requirement: a path (read here) or inline data. */
async function keySources(paths: readonly string[] | undefined, datas: readonly Uint8Array[] | undefined, what: string): Promise<Buffer[]> {
  const fromFiles = await Promise.all((paths ?? []).map((p) => readKeyFile(p, what)));
  return [...fromFiles, ...(datas ?? []).map((d) => Buffer.from(d))];
}

function one<T>(single: T | undefined, many: readonly T[] | undefined): readonly T[] | undefined {
  return single !== undefined ? [single] : many;
}

/**
 * A sigstore (cosign) signature under a sigstoreSigned requirement, in containers/image's order: the Rekor
 * SET when Rekor keys are configured (its time anchors a Fulcio certificate), the certificate or public key,
 * then the signature over the payload.
 */
async function verifySigstore(sig: CandidateSignature, req: SigstoreSignedRequirement): Promise<{ signer: string; untrustedPayload: Buffer }> {
  const annotations = sig.annotations ?? {};
  const signature = annotations[CosignAnnotations.signature];
  if (signature === undefined) {
    throw new SignatureVerificationError('MALFORMED_SIGNATURE', `the layer has no ${CosignAnnotations.signature} annotation`);
  }
  const rekorKeyBytes = await keySources(one(req.rekorPublicKeyPath, req.rekorPublicKeyPaths), one(req.rekorPublicKeyData, req.rekorPublicKeyDatas), 'Rekor public key');
  const rekorKeys = rekorKeyBytes.map((b) => parsePublicKey(b.toString('utf8')));
  const bundle = annotations[CosignAnnotations.bundle];

  let candidates: { key: KeyObject; signer: string }[];
  if (req.fulcio !== undefined) {
    const certificate = annotations[CosignAnnotations.certificate];
    if (certificate === undefined) throw new SignatureVerificationError('CERTIFICATE_INVALID', 'the signature carries no Fulcio certificate');
    if (bundle === undefined) throw new SignatureVerificationError('TLOG_INVALID', 'the signature carries no Rekor bundle, which a Fulcio certificate needs');
    const { integratedTime } = verifyRekorSet(bundle, rekorKeys, certificate, signature, sig.blob);
    const ca = await keySources(one(req.fulcio.caPath, undefined), one(req.fulcio.caData, undefined), 'Fulcio CA');
    const key = verifyFulcioCertificate(certificate, annotations[CosignAnnotations.chain], ca.map((c) => c.toString('utf8')), req.fulcio, integratedTime);
    candidates = [{ key, signer: req.fulcio.subjectEmail }];
  } else if (req.pki !== undefined) {
    throw new SignatureVerificationError('UNSUPPORTED_FORMAT', 'sigstoreSigned with "pki" is not supported yet');
  } else {
    const keys = await keySources(one(req.keyPath, req.keyPaths), one(req.keyData, req.keyDatas), 'sigstore public key');
    candidates = keys.map((k) => {
      const key = parsePublicKey(k.toString('utf8'));
      return { key, signer: `key ${publicKeyHint(key)}` };
    });
    if (rekorKeys.length > 0) {
      if (bundle === undefined) throw new SignatureVerificationError('TLOG_INVALID', 'the signature carries no Rekor bundle, and the policy requires one');
      // The SET names the signing key; try each trusted key.
      const anchored = candidates.filter((c) => {
        try {
          verifyRekorSet(bundle, rekorKeys, publicKeyPem(c.key), signature, sig.blob);
          return true;
        } catch {
          return false;
        }
      });
      if (anchored.length === 0) {
        verifyRekorSet(bundle, rekorKeys, publicKeyPem(candidates[0]!.key), signature, sig.blob);
      }
      candidates = anchored;
    }
  }
  let last: unknown;
  for (const c of candidates) {
    try {
      verifyCosignSignature(sig.blob, signature, c.key);
      return { signer: c.signer, untrustedPayload: sig.blob };
    } catch (err) {
      last = err;
    }
  }
  if (last instanceof SignatureVerificationError && last.code === 'MALFORMED_SIGNATURE') throw last;
  throw new SignatureVerificationError('KEY_NOT_TRUSTED', 'not signed by any of the trusted sigstore keys', { cause: last });
}

/**
 * A sigstore bundle under a key-based sigstoreSigned requirement (the implicit policy of `verify --key`): the keys of
 * the requirement, offline — no transparency log is consulted, so a requirement that asks for a Rekor entry cannot
 * be met by a bundle here.
 */
async function verifySigstoreBundle(sig: CandidateSignature, req: SigstoreSignedRequirement, manifestDigest: Digest): Promise<{ signer: string }> {
  if (req.fulcio !== undefined || req.pki !== undefined) {
    throw new SignatureVerificationError('UNSUPPORTED_FORMAT', 'certificate-based (keyless) sigstore bundles are not verified; give public keys');
  }
  if (req.rekorPublicKeyPath !== undefined || req.rekorPublicKeyPaths !== undefined || req.rekorPublicKeyData !== undefined || req.rekorPublicKeyDatas !== undefined) {
    throw new SignatureVerificationError('UNSUPPORTED_FORMAT', 'sigstore bundles are verified offline with keys only; a requirement for a Rekor entry cannot be met');
  }
  const keys = await keySources(one(req.keyPath, req.keyPaths), one(req.keyData, req.keyDatas), 'sigstore public key');
  const verified = await verifyImageSignatureBundle(sig.blob, keys.map((k) => parsePublicKey(k.toString('utf8'))), manifestDigest);
  return { signer: verified.signer };
}
