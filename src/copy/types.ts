/** What the copy engine reports while it works; the CLI renders it (bars on a terminal, lines otherwise). */
import type { Digest } from '../core/index.js';
import type { BlobInfo, ImageSource, SystemContext } from '../transports/index.js';

export type BlobKind = 'blob' | 'config';

/** One blob transfer as seen by a progress renderer. */
export interface BlobTransfer {
  readonly kind: BlobKind;
  readonly info: BlobInfo;
  /** Bytes that have passed verification so far (poll it; it is not pushed). */
  bytesDone(): number;
}

export interface CopyProgress {
  /** "Getting image source signatures" / "Getting image list signatures". */
  gettingSignatures(list: boolean): void;
  /** `--all`: about to copy `count` of `total` instances. */
  copyingList(count: number, total: number): void;
  /** `--all`: starting one instance. */
  copyingInstance(digest: Digest, index: number, total: number): void;
  blobStarted(transfer: BlobTransfer): void;
  blobFinished(transfer: BlobTransfer, outcome: 'copied' | 'skipped'): void;
  blobFailed(transfer: BlobTransfer): void;
  writingManifest(list: boolean): void;
  storingSignatures(list: boolean): void;
}

export interface CopyOptions {
  readonly sourceContext?: SystemContext;
  readonly destinationContext?: SystemContext;
  /** Copy every instance of an index (`--all`), not just the current platform's. */
  readonly all?: boolean;
  /** Do not carry signatures over (`--remove-signatures`). */
  readonly removeSignatures?: boolean;
  /** Force the destination manifest type (`--format oci|v2s2`), converting if needed. */
  readonly manifestMediaType?: string;
  readonly progress?: CopyProgress;
  /** Blobs transferred at once; default 6 (as containers/image). */
  readonly maxParallelTransfers?: number;
  /**
   * Called with the source's top-level manifest (already checked against the digest naming it) before
   * anything is written; throws to refuse the source (the trust policy check of `copy`).
   */
  readonly approveSource?: (source: ImageSource, manifest: Buffer, digest: Digest) => Promise<void>;
  /**
   * Signatures to add for the manifest written at the top level of the destination (`--sign-by…`); they are
   * stored with the image before it is committed.
   */
  readonly sign?: (manifest: Buffer, digest: Digest) => Promise<readonly Buffer[]>;
}

export interface CopiedInstance {
  readonly sourceDigest: Digest;
  readonly digest: Digest;
  readonly mediaType: string;
}

export interface CopyResult {
  /** Digest of the manifest written at the top level of the destination. */
  readonly manifestDigest: Digest;
  readonly mediaType: string;
  /** The manifest bytes written at the top level of the destination. */
  readonly manifest: Buffer;
  /** For `--all` copies, each instance written. */
  readonly instances: readonly CopiedInstance[];
  readonly blobsCopied: number;
  readonly blobsSkipped: number;
}
