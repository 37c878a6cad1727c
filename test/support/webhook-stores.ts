import path from 'node:path';
import { SqliteBatchStore } from '../../src/adapters/local/sqlite-batch-store';
import { SqliteIdempotencyStore } from '../../src/adapters/local/sqlite-idempotency-store';
import { SqliteJobStore } from '../../src/adapters/local/sqlite-job-store';
import { SqliteWebhookSecrets } from '../../src/adapters/local/sqlite-webhook-secrets';

export interface WebhookStores {
  jobStore: SqliteJobStore;
  batches: SqliteBatchStore;
  secrets: SqliteWebhookSecrets;
  idempotency: SqliteIdempotencyStore;
}

/** The embedded stores a webhook delivery reads and writes, as files under `dir`. */
export function openWebhookStores(dir: string): WebhookStores {
  return {
    jobStore: new SqliteJobStore({ filePath: path.join(dir, 'jobs.sqlite') }),
    batches: new SqliteBatchStore({ filePath: path.join(dir, 'batches.sqlite') }),
    secrets: new SqliteWebhookSecrets({ filePath: path.join(dir, 'secrets.sqlite') }),
    idempotency: new SqliteIdempotencyStore({ filePath: path.join(dir, 'idempotency.sqlite') }),
  };
}
