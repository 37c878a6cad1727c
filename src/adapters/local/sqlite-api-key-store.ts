import type { DatabaseSync } from 'node:sqlite';
import type { ApiKeyRecord, ApiKeyStore } from '../../domain/ports/api-key-store';
import { openSqlite } from './open-sqlite';

/** The embedded API key store: hashed key records in a SQLite file. */
export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly db: DatabaseSync;

  constructor(params: { filePath: string }) {
    this.db = openSqlite(params.filePath);
    this.db.exec('CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, record TEXT NOT NULL)');
  }

  close(): void {
    this.db.close();
  }

  async putKey({ record }: { record: ApiKeyRecord }): Promise<void> {
    this.db.prepare('INSERT INTO api_keys (key_id, record) VALUES (?, ?)').run(record.keyId, JSON.stringify(record));
  }

  async getKey({ keyId }: { keyId: string }): Promise<ApiKeyRecord | null> {
    const row = this.db.prepare('SELECT record FROM api_keys WHERE key_id = ?').get(keyId) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ApiKeyRecord) : null;
  }

  async revokeKey({ keyId, now }: { keyId: string; now: Date }): Promise<boolean> {
    const record = await this.getKey({ keyId });
    if (!record) return false;
    const revoked = { ...record, revokedAt: record.revokedAt ?? now.toISOString() };
    this.db.prepare('UPDATE api_keys SET record = ? WHERE key_id = ?').run(JSON.stringify(revoked), keyId);
    return true;
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const rows = this.db.prepare('SELECT record FROM api_keys ORDER BY key_id').all() as Array<{ record: string }>;
    return rows.map((r) => JSON.parse(r.record) as ApiKeyRecord);
  }
}
