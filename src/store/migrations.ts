/**
 * The schema, as ordered migrations shared by SQLite and PostgreSQL. Column types differ only where the two
 * differ (binary content, 64-bit integers, generated ids); everything else is the same statement.
 */
import { type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

function types(dialect: DialectName): { bytes: 'blob' | 'bytea'; int64: 'integer' | 'bigint' } {
  return dialect === 'sqlite' ? { bytes: 'blob', int64: 'integer' } : { bytes: 'bytea', int64: 'bigint' };
}

function initial(dialect: DialectName): Migration {
  const t = types(dialect);
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against the schema as it was
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('repositories')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('blobs')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('size', t.int64, (c) => c.notNull())
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('repository_blobs')
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .addPrimaryKeyConstraint('repository_blobs_pk', ['repository', 'digest'])
        .execute();
      await db.schema.createIndex('repository_blobs_digest').on('repository_blobs').column('digest').execute();
      await db.schema
        .createTable('uploads')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('started_at', t.int64, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('manifests')
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('artifact_type', 'text')
        .addColumn('subject', 'text')
        .addColumn('size', t.int64, (c) => c.notNull())
        .addColumn('content', t.bytes, (c) => c.notNull())
        .addColumn('annotations', 'text')
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .addPrimaryKeyConstraint('manifests_pk', ['repository', 'digest'])
        .execute();
      await db.schema.createIndex('manifests_subject').on('manifests').columns(['repository', 'subject']).execute();
      await db.schema
        .createTable('manifest_children')
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('parent', 'text', (c) => c.notNull())
        .addColumn('child', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('manifest_children_pk', ['repository', 'parent', 'child', 'kind'])
        .execute();
      await db.schema.createIndex('manifest_children_child').on('manifest_children').columns(['child']).execute();
      await db.schema
        .createTable('tags')
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.int64, (c) => c.notNull())
        .addPrimaryKeyConstraint('tags_pk', ['repository', 'name'])
        .execute();
      await db.schema.createIndex('tags_digest').on('tags').columns(['repository', 'digest']).execute();
      await db.schema
        .createTable('signatures')
        .addColumn('id', dialect === 'sqlite' ? 'integer' : 'bigserial', (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('manifest_digest', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('content', t.bytes, (c) => c.notNull())
        .addColumn('signer', 'text')
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('signatures_manifest').on('signatures').columns(['repository', 'manifest_digest']).execute();
      await db.schema.createIndex('signatures_name').on('signatures').columns(['repository', 'name']).unique().execute();
      await db.schema
        .createTable('users')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', t.int64, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_roles')
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_roles_pk', ['user_name', 'repository', 'role'])
        .execute();
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

export function migrationProvider(dialect: DialectName): MigrationProvider {
  return {
    getMigrations: () => Promise.resolve({ '0001-initial': initial(dialect) }),
  };
}
