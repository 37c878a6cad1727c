import type { BatchRecord } from '../batch';

/** Where batches are kept. Implementations: SQLite (embedded) and Firestore. */
export interface BatchStore {
  createBatch(params: { batch: BatchRecord }): Promise<void>;
  getBatch(params: { id: string }): Promise<BatchRecord | null>;
}
