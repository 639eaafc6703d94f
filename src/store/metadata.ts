/**
 * The registry's metadata: repositories, which blobs each may serve, manifests and what they name, tags,
 * uploads, simple signatures, users and settings. Verbs: `find` (one or undefined), `list`, `save`, `remove`.
 * Every write that must be all-or-nothing (a manifest with its references and tag) is one transaction.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DialectName } from './migrations.js';
import type { ManifestsTable, MetadataSchema } from './schema.types.js';

type Db = Kysely<MetadataSchema> | Transaction<MetadataSchema>;

export interface ManifestRecord {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string | null;
  readonly subject: string | null;
  readonly size: number;
  readonly content: Buffer;
  readonly annotations: Readonly<Record<string, string>> | null;
  readonly createdAt: Date;
}

export interface ManifestToSave {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string | null;
  readonly subject: string | null;
  readonly content: Buffer;
  readonly annotations: Readonly<Record<string, string>> | null;
  readonly blobs: readonly string[];
  readonly manifests: readonly string[];
  readonly tag?: string;
}

export type SaveManifestOutcome =
  | { readonly kind: 'saved' }
  | { readonly kind: 'missing-blobs'; readonly digests: readonly string[] }
  | { readonly kind: 'missing-manifests'; readonly digests: readonly string[] };

export interface SignatureRecord {
  readonly id: number;
  readonly repository: string;
  readonly manifestDigest: string;
  readonly name: string;
  readonly content: Buffer;
  readonly signer: string | null;
  readonly createdAt: Date;
}

export interface UserRecord {
  readonly name: string;
  readonly passwordHash: string;
  readonly roles: readonly { readonly repository: string; readonly role: string }[];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function toBuffer(value: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** A manifest row as a record (content aside). Annotations were validated when the manifest was pushed. */
function manifestEntry(row: Omit<Selectable<ManifestsTable>, 'content'>): Omit<ManifestRecord, 'content'> {
  return {
    repository: row.repository,
    digest: row.digest,
    mediaType: row.media_type,
    artifactType: row.artifact_type,
    subject: row.subject,
    size: Number(row.size),
    annotations: row.annotations === null ? null : (JSON.parse(row.annotations) as Record<string, string>),
    createdAt: new Date(Number(row.created_at)),
  };
}

export class Metadata {
  readonly db: Kysely<MetadataSchema>;
  readonly dialect: DialectName;

  constructor(db: Kysely<MetadataSchema>, dialect: DialectName) {
    this.db = db;
    this.dialect = dialect;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // Repositories

  async saveRepository(name: string, db: Db = this.db): Promise<void> {
    await db.insertInto('repositories').values({ name, created_at: Date.now() }).onConflict((oc) => oc.column('name').doNothing()).execute();
  }

  async findRepository(name: string): Promise<boolean> {
    const row = await this.db.selectFrom('repositories').select('name').where('name', '=', name).executeTakeFirst();
    return row !== undefined;
  }

  /** Repository names in order, after `last`, at most `limit`. */
  async listRepositories(limit: number, last?: string): Promise<string[]> {
    let q = this.db.selectFrom('repositories').select('name').orderBy('name').limit(limit);
    if (last !== undefined && last !== '') q = q.where('name', '>', last);
    return (await q.execute()).map((r) => r.name);
  }

  // Blobs

  /** Record a blob that is now in the blob store, and let `repository` serve it. */
  async saveBlob(repository: string, digest: string, size: number): Promise<void> {
    const now = Date.now();
    await this.db.transaction().execute(async (tx) => {
      await this.saveRepository(repository, tx);
      await tx.insertInto('blobs').values({ digest, size, created_at: now }).onConflict((oc) => oc.column('digest').doNothing()).execute();
      await tx
        .insertInto('repository_blobs')
        .values({ repository, digest, created_at: now })
        .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
        .execute();
    });
  }

  /** The size of a blob `repository` may serve, or undefined. */
  async findRepositoryBlob(repository: string, digest: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('repository_blobs')
      .innerJoin('blobs', 'blobs.digest', 'repository_blobs.digest')
      .select('blobs.size')
      .where('repository_blobs.repository', '=', repository)
      .where('repository_blobs.digest', '=', digest)
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.size);
  }

  /** The size of a blob in the store (any repository), or undefined. */
  async findBlob(digest: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('blobs').select('size').where('digest', '=', digest).executeTakeFirst();
    return row === undefined ? undefined : Number(row.size);
  }

  /** Stop serving a blob from `repository`. Returns whether it was linked there. */
  async removeRepositoryBlob(repository: string, digest: string): Promise<boolean> {
    const result = await this.db.deleteFrom('repository_blobs').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  // Uploads

  async saveUpload(id: string, repository: string): Promise<void> {
    await this.db.insertInto('uploads').values({ id, repository, started_at: Date.now() }).execute();
  }

  async findUpload(id: string): Promise<{ repository: string; startedAt: Date } | undefined> {
    const row = await this.db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : { repository: row.repository, startedAt: new Date(Number(row.started_at)) };
  }

  async removeUpload(id: string): Promise<void> {
    await this.db.deleteFrom('uploads').where('id', '=', id).execute();
  }

  // Manifests and tags

  /**
   * Save a manifest with what it names and, optionally, a tag pointing at it — all or nothing. The blobs it
   * names must be servable from the repository and the manifests it names must be in it; otherwise nothing
   * is written and the missing digests are returned.
   */
  async saveManifest(m: ManifestToSave): Promise<SaveManifestOutcome> {
    return this.db.transaction().execute(async (tx) => {
      const blobs = [...new Set(m.blobs)];
      const present = new Set<string>();
      for (const part of chunks(blobs, 200)) {
        const rows = await tx.selectFrom('repository_blobs').select('digest').where('repository', '=', m.repository).where('digest', 'in', part).execute();
        for (const r of rows) present.add(r.digest);
      }
      const missingBlobs = blobs.filter((d) => !present.has(d));
      if (missingBlobs.length > 0) return { kind: 'missing-blobs', digests: missingBlobs };
      const children = [...new Set(m.manifests)];
      const presentManifests = new Set<string>();
      for (const part of chunks(children, 200)) {
        const rows = await tx.selectFrom('manifests').select('digest').where('repository', '=', m.repository).where('digest', 'in', part).execute();
        for (const r of rows) presentManifests.add(r.digest);
      }
      const missingManifests = children.filter((d) => !presentManifests.has(d));
      if (missingManifests.length > 0) return { kind: 'missing-manifests', digests: missingManifests };

      const now = Date.now();
      await this.saveRepository(m.repository, tx);
      await tx
        .insertInto('manifests')
        .values({
          repository: m.repository,
          digest: m.digest,
          media_type: m.mediaType,
          artifact_type: m.artifactType,
          subject: m.subject,
          size: m.content.length,
          content: m.content,
          annotations: m.annotations === null ? null : JSON.stringify(m.annotations),
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
        .execute();
      const childRows = [
        ...blobs.map((child) => ({ repository: m.repository, parent: m.digest, child, kind: 'blob' as const })),
        ...children.map((child) => ({ repository: m.repository, parent: m.digest, child, kind: 'manifest' as const })),
      ];
      for (const part of chunks(childRows, 200)) {
        await tx
          .insertInto('manifest_children')
          .values(part)
          .onConflict((oc) => oc.columns(['repository', 'parent', 'child', 'kind']).doNothing())
          .execute();
      }
      if (m.tag !== undefined) await this.saveTag(m.repository, m.tag, m.digest, tx);
      return { kind: 'saved' };
    });
  }

  async findManifest(repository: string, digest: string): Promise<ManifestRecord | undefined> {
    const row = await this.db.selectFrom('manifests').selectAll().where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
    return row === undefined ? undefined : { ...manifestEntry(row), content: toBuffer(row.content) };
  }

  /** Manifests in `repository` whose `subject` is `digest` (without their content). */
  async listReferrers(repository: string, digest: string): Promise<Omit<ManifestRecord, 'content'>[]> {
    const rows = await this.db
      .selectFrom('manifests')
      .select(['repository', 'digest', 'media_type', 'artifact_type', 'subject', 'size', 'annotations', 'created_at'])
      .where('repository', '=', repository)
      .where('subject', '=', digest)
      .orderBy('created_at')
      .orderBy('digest')
      .execute();
    return rows.map(manifestEntry);
  }

  /**
   * Remove a manifest, the tags that point at it and the simple signatures of it. Returns false when it was not
   * there. The blobs it named stay (garbage collection decides about them).
   */
  async removeManifest(repository: string, digest: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const result = await tx.deleteFrom('manifests').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await tx.deleteFrom('manifest_children').where('repository', '=', repository).where('parent', '=', digest).execute();
      await tx.deleteFrom('tags').where('repository', '=', repository).where('digest', '=', digest).execute();
      await tx.deleteFrom('signatures').where('repository', '=', repository).where('manifest_digest', '=', digest).execute();
      return true;
    });
  }

  /** Whether an index in `repository` still names this manifest. */
  async findManifestParent(repository: string, digest: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('manifest_children')
      .select('parent')
      .where('repository', '=', repository)
      .where('child', '=', digest)
      .where('kind', '=', 'manifest')
      .executeTakeFirst();
    return row?.parent;
  }

  async saveTag(repository: string, tag: string, digest: string, db: Db = this.db): Promise<void> {
    await db
      .insertInto('tags')
      .values({ repository, name: tag, digest, updated_at: Date.now() })
      .onConflict((oc) => oc.columns(['repository', 'name']).doUpdateSet({ digest, updated_at: Date.now() }))
      .execute();
  }

  async findTag(repository: string, tag: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('tags').select('digest').where('repository', '=', repository).where('name', '=', tag).executeTakeFirst();
    return row?.digest;
  }

  async removeTag(repository: string, tag: string): Promise<boolean> {
    const result = await this.db.deleteFrom('tags').where('repository', '=', repository).where('name', '=', tag).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Tags of a repository in lexical order, after `last`, at most `limit`. */
  async listTags(repository: string, limit: number, last?: string): Promise<string[]> {
    let q = this.db.selectFrom('tags').select('name').where('repository', '=', repository).orderBy('name').limit(limit);
    if (last !== undefined && last !== '') q = q.where('name', '>', last);
    return (await q.execute()).map((r) => r.name);
  }

  async listTagsOf(repository: string, digest: string): Promise<string[]> {
    const rows = await this.db.selectFrom('tags').select('name').where('repository', '=', repository).where('digest', '=', digest).orderBy('name').execute();
    return rows.map((r) => r.name);
  }

  // Simple signatures

  async listSignatures(repository: string, manifestDigest: string): Promise<SignatureRecord[]> {
    const rows = await this.db
      .selectFrom('signatures')
      .selectAll()
      .where('repository', '=', repository)
      .where('manifest_digest', '=', manifestDigest)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      repository: r.repository,
      manifestDigest: r.manifest_digest,
      name: r.name,
      content: toBuffer(r.content),
      signer: r.signer,
      createdAt: new Date(Number(r.created_at)),
    }));
  }

  /** Save a signature unless the same name exists. Returns false for a duplicate. */
  async saveSignature(s: { repository: string; manifestDigest: string; name: string; content: Buffer; signer: string | null }): Promise<boolean> {
    const result = await this.db
      .insertInto('signatures')
      .values({ repository: s.repository, manifest_digest: s.manifestDigest, name: s.name, content: s.content, signer: s.signer, created_at: Date.now() })
      .onConflict((oc) => oc.columns(['repository', 'name']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  // Users

  async listUsers(): Promise<UserRecord[]> {
    const users = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
    const roles = await this.db.selectFrom('user_roles').selectAll().orderBy('user_name').orderBy('repository').orderBy('role').execute();
    return users.map((u) => ({
      name: u.name,
      passwordHash: u.password_hash,
      roles: roles.filter((r) => r.user_name === u.name).map((r) => ({ repository: r.repository, role: r.role })),
    }));
  }

  async findUser(name: string): Promise<UserRecord | undefined> {
    const user = await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    if (user === undefined) return undefined;
    const roles = await this.db.selectFrom('user_roles').select(['repository', 'role']).where('user_name', '=', name).orderBy('repository').orderBy('role').execute();
    return { name: user.name, passwordHash: user.password_hash, roles };
  }

  async countUsers(): Promise<number> {
    const row = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Create or replace a user (password and roles). */
  async saveUser(user: UserRecord): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('users')
        .values({ name: user.name, password_hash: user.passwordHash, created_at: Date.now() })
        .onConflict((oc) => oc.column('name').doUpdateSet({ password_hash: user.passwordHash }))
        .execute();
      await tx.deleteFrom('user_roles').where('user_name', '=', user.name).execute();
      if (user.roles.length > 0) {
        await tx
          .insertInto('user_roles')
          .values(user.roles.map((r) => ({ user_name: user.name, repository: r.repository, role: r.role })))
          .onConflict((oc) => oc.columns(['user_name', 'repository', 'role']).doNothing())
          .execute();
      }
    });
  }

  async removeUser(name: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('user_roles').where('user_name', '=', name).execute();
      const result = await tx.deleteFrom('users').where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  // Settings

  async findSetting(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  }

  /** Set `key` to `value` unless it is set already; returns the value that holds afterwards. */
  async saveSettingOnce(key: string, value: string): Promise<string> {
    await this.db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.findSetting(key)) ?? value;
  }
}
