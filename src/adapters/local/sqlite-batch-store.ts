import type { DatabaseSync } from 'node:sqlite';
import type { BatchRecord } from '../../domain/batch';
import type { BatchStore } from '../../domain/ports/batch-store';
import { openSqlite } from './open-sqlite';
import { ConflictError } from '../../domain/errors';

/** The embedded batch store: one row per batch in a SQLite file. */
export class SqliteBatchStore implements BatchStore {
  private readonly db: DatabaseSync;

  constructor(params: { filePath: string }) {
    this.db = openSqlite(params.filePath);
    this.db.exec('CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, record TEXT NOT NULL)');
  }

  close(): void {
    this.db.close();
  }

  async createBatch({ batch }: { batch: BatchRecord }): Promise<void> {
    if (this.db.prepare('SELECT 1 FROM batches WHERE id = ?').get(batch.id)) throw new ConflictError(`a batch with id ${batch.id} already exists`);
    this.db.prepare('INSERT INTO batches (id, record) VALUES (?, ?)').run(batch.id, JSON.stringify(batch));
  }

  async getBatch({ id }: { id: string }): Promise<BatchRecord | null> {
    const row = this.db.prepare('SELECT record FROM batches WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as BatchRecord) : null;
  }
}
