import type { DatabaseSync } from 'node:sqlite';
import type { IdempotencyRecord, IdempotencyStore } from '../../domain/ports/idempotency-store';
import { inTransaction, openSqlite } from './open-sqlite';

const RETENTION_MS = 24 * 60 * 60 * 1000;

/** The embedded idempotency store: one SQLite table keyed by (scope, key), purged after a day. */
export class SqliteIdempotencyStore implements IdempotencyStore {
  private readonly db: DatabaseSync;

  constructor(params: { filePath: string }) {
    this.db = openSqlite(params.filePath);
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, resource_id TEXT NOT NULL, created_at INTEGER NOT NULL,
      PRIMARY KEY (scope, key))`);
  }

  close(): void {
    this.db.close();
  }

  async reserve(params: { scope: string; key: string; record: IdempotencyRecord; now: Date }) {
    return inTransaction(this.db, () => {
      const now = params.now.getTime();
      this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(now - RETENTION_MS);
      const row = this.db
        .prepare('SELECT request_hash, resource_id FROM idempotency_keys WHERE scope = ? AND key = ?')
        .get(params.scope, params.key) as { request_hash: string; resource_id: string } | undefined;
      if (row) return { reserved: false as const, existing: { requestHash: row.request_hash, resourceId: row.resource_id } };
      this.db
        .prepare('INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(params.scope, params.key, params.record.requestHash, params.record.resourceId, now);
      return { reserved: true as const };
    });
  }

  async has(params: { scope: string; key: string; now: Date }): Promise<boolean> {
    const row = this.db
      .prepare('SELECT 1 FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at >= ?')
      .get(params.scope, params.key, params.now.getTime() - RETENTION_MS);
    return row !== undefined;
  }

  async release(params: { scope: string; key: string; requestHash?: string }): Promise<void> {
    if (params.requestHash === undefined) this.db.prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ?').run(params.scope, params.key);
    else this.db.prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND request_hash = ?').run(params.scope, params.key, params.requestHash);
  }
}
