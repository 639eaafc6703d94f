/**
 * Opening the metadata database: SQLite (better-sqlite3, the embedded default) or PostgreSQL (pg), both
 * through Kysely, brought up to date by the shared migrations before use.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Database as SqliteConnection, Statement } from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import { describeError } from '../core/index.js';
import { DatabaseError } from './errors.js';
import { migrationProvider, type DialectName } from './migrations.js';
import type { MetadataSchema } from './schema.types.js';

export interface OpenedDatabase {
  readonly db: Kysely<MetadataSchema>;
  readonly dialect: DialectName;
  /** Where it is, without credentials (for logs). */
  readonly location: string;
}

/** `sqlite:PATH`, `sqlite::memory:`, `postgres://…` or `postgresql://…`. */
export async function openDatabase(url: string): Promise<OpenedDatabase> {
  let opened: OpenedDatabase;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    if (path !== ':memory:') await mkdir(dirname(resolve(path)), { recursive: true });
    const database = new BetterSqlite3(path === ':memory:' ? ':memory:' : resolve(path));
    // WAL with full synchronisation: a commit is on disk when it returns, and readers never block writers.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('busy_timeout = 10000');
    opened = { db: new Kysely<MetadataSchema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) }), dialect: 'sqlite', location: path };
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    const { default: pg } = await import('pg');
    const int8 = 20;
    const pool = new pg.Pool({
      connectionString: url,
      max: 16,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === int8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
      },
    });
    const parsed = new URL(url);
    opened = {
      db: new Kysely<MetadataSchema>({ dialect: new PostgresDialect({ pool }) }),
      dialect: 'postgres',
      location: `${parsed.protocol}//${parsed.host}${parsed.pathname}`,
    };
  } else {
    throw new DatabaseError('UNSUPPORTED_DATABASE', `database.url must start with sqlite: or postgres://, got ${JSON.stringify(url.slice(0, 40))}`);
  }
  await migrate(opened);
  return opened;
}

/**
 * Kysely asks better-sqlite3 to prepare every query it runs; a registry runs the same few dozen queries all day, so
 * each is prepared once and kept (queries run one at a time on the one connection, none streamed).
 */
export function withStatementCache(database: SqliteConnection, capacity = 256): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= capacity) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

async function migrate(opened: OpenedDatabase): Promise<void> {
  const migrator = new Migrator({ db: opened.db, provider: migrationProvider(opened.dialect), migrationTableName: 'signet_migrations', migrationLockTableName: 'signet_migrations_lock' });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    await opened.db.destroy().catch(() => undefined);
    throw new DatabaseError('MIGRATION_FAILED', `cannot bring the database at ${opened.location} up to date: ${describeError(error)}`, { cause: error });
  }
}
