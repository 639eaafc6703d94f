import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { withStatementCache } from '../../src/store/database.js';

/** An in-memory SQLite connection that counts how often a statement is prepared. */
function counted(): { database: Database.Database; prepared: () => number } {
  const database = new Database(':memory:');
  let n = 0;
  const prepare = database.prepare.bind(database);
  database.prepare = ((sql: string) => {
    n++;
    return prepare(sql);
  }) as typeof database.prepare;
  return { database, prepared: () => n };
}

describe('withStatementCache (SQLite)', () => {
  it('prepares each query once and hands back the same statement, which still runs with new parameters', () => {
    const { database, prepared } = counted();
    const cached = withStatementCache(database);
    cached.prepare('CREATE TABLE t (x INTEGER)').run([]);
    const insert = cached.prepare('INSERT INTO t (x) VALUES (?)');
    for (let i = 0; i < 5; i++) assert.equal(cached.prepare('INSERT INTO t (x) VALUES (?)'), insert);
    for (let i = 0; i < 5; i++) insert.run([i]);
    assert.deepEqual(cached.prepare('SELECT sum(x) AS s FROM t').all([]), [{ s: 10 }]);
    assert.equal(prepared(), 3);
    cached.close();
    assert.equal(database.open, false);
  });

  it('keeps at most `capacity` statements, forgetting the oldest first', () => {
    const { database, prepared } = counted();
    const cached = withStatementCache(database, 2);
    cached.prepare('SELECT 1');
    cached.prepare('SELECT 2');
    cached.prepare('SELECT 3');
    assert.equal(prepared(), 3);
    cached.prepare('SELECT 3');
    cached.prepare('SELECT 2');
    assert.equal(prepared(), 3, 'the two newest are still held');
    cached.prepare('SELECT 1');
    assert.equal(prepared(), 4, 'the oldest was prepared again');
    cached.close();
  });
});
