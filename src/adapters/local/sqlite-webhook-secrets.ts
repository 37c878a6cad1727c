import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { WebhookSecrets } from '../../domain/ports/webhook-secrets';
import { openSqlite } from './open-sqlite';

/** The embedded webhook secret store: one random secret per principal in a SQLite file. */
export class SqliteWebhookSecrets implements WebhookSecrets {
  private readonly db: DatabaseSync;

  constructor(params: { filePath: string }) {
    this.db = openSqlite(params.filePath);
    this.db.exec('CREATE TABLE IF NOT EXISTS webhook_secrets (principal TEXT PRIMARY KEY, secret TEXT NOT NULL)');
  }

  close(): void {
    this.db.close();
  }

  async secretFor({ principal }: { principal: string }): Promise<string> {
    this.db
      .prepare('INSERT OR IGNORE INTO webhook_secrets (principal, secret) VALUES (?, ?)')
      .run(principal, `whsec_${randomBytes(24).toString('base64url')}`);
    const row = this.db.prepare('SELECT secret FROM webhook_secrets WHERE principal = ?').get(principal) as { secret: string };
    return row.secret;
  }
}
