import type { DatabaseSync } from 'node:sqlite';
import type { CachedRender, ResultCache } from '../../domain/ports/result-cache';
import { openSqlite } from './open-sqlite';

/** The embedded result cache: (owner, render key) → the scene that rendered it, in a SQLite file. */
export class SqliteResultCache implements ResultCache {
  private readonly db: DatabaseSync;

  constructor(params: { filePath: string }) {
    this.db = openSqlite(params.filePath);
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS result_cache (owner TEXT NOT NULL, key TEXT NOT NULL, job_id TEXT NOT NULL, scene TEXT NOT NULL, PRIMARY KEY (owner, key))',
    );
  }

  close(): void {
    this.db.close();
  }

  async remember({ owner, key, render }: { owner: string; key: string; render: CachedRender }): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO result_cache (owner, key, job_id, scene) VALUES (?, ?, ?, ?)')
      .run(owner, key, render.jobId, render.scene);
  }

  async lookup({ owner, key }: { owner: string; key: string }): Promise<CachedRender | null> {
    const row = this.db.prepare('SELECT job_id, scene FROM result_cache WHERE owner = ? AND key = ?').get(owner, key) as
      | { job_id: string; scene: string }
      | undefined;
    return row ? { jobId: row.job_id, scene: row.scene } : null;
  }
}
