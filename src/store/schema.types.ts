/** The metadata database's tables, as Kysely sees them. Sizes and times are integers (times in ms since 1970). */
import type { Generated } from 'kysely';

export interface RepositoriesTable {
  name: string;
  created_at: number;
}

/** Blobs present in the blob store (global; content-addressed). */
export interface BlobsTable {
  digest: string;
  size: number;
  created_at: number;
}

/** Which repositories may serve which blobs (pushed there, mounted, or named by a manifest there). */
export interface RepositoryBlobsTable {
  repository: string;
  digest: string;
  created_at: number;
}

export interface UploadsTable {
  id: string;
  repository: string;
  started_at: number;
}

export interface ManifestsTable {
  repository: string;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  /** The digest of the manifest's `subject`, when it has one (OCI 1.1 referrers). */
  subject: string | null;
  size: number;
  content: Buffer;
  /** The manifest's annotations as JSON, for the referrers API (null when it has none). */
  annotations: string | null;
  created_at: number;
}

/** What a manifest names: its config and layers (`blob`) or, for an index, its images (`manifest`). */
export interface ManifestChildrenTable {
  repository: string;
  parent: string;
  child: string;
  kind: 'blob' | 'manifest';
}

export interface TagsTable {
  repository: string;
  name: string;
  digest: string;
  updated_at: number;
}

/** Simple signatures received through the signature extension API (atomic container signatures). */
export interface SignaturesTable {
  id: Generated<number>;
  repository: string;
  manifest_digest: string;
  /** `<digest>@<32 hex>`, as the extension API names it. */
  name: string;
  content: Buffer;
  /** Primary key fingerprint of the signer when the server could read it; null otherwise. */
  signer: string | null;
  created_at: number;
}

export interface UsersTable {
  name: string;
  password_hash: string;
  created_at: number;
}

export interface UserRolesTable {
  user_name: string;
  repository: string;
  role: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface MetadataSchema {
  repositories: RepositoriesTable;
  blobs: BlobsTable;
  repository_blobs: RepositoryBlobsTable;
  uploads: UploadsTable;
  manifests: ManifestsTable;
  manifest_children: ManifestChildrenTable;
  tags: TagsTable;
  signatures: SignaturesTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  settings: SettingsTable;
}
