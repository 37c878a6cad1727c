import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Opens (creating if needed) a SQLite file tuned for one process with a few readers: WAL, a busy timeout. */
export function openSqlite(filePath: string): DatabaseSync {
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const db = new DatabaseSync(filePath);
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA busy_timeout = 5000;
    PRAGMA foreign_keys = ON;
  `);
  return db;
}

/** Runs `work` in one IMMEDIATE transaction, so a read-modify-write cannot interleave with another writer. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // A failed COMMIT (a full disk: SQLITE_FULL) has already rolled back; the caller hears the first error.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
