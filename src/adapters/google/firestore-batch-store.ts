import { Firestore } from '@google-cloud/firestore';
import type { BatchRecord } from '../../domain/batch';
import type { BatchStore } from '../../domain/ports/batch-store';

export const BATCHES_COLLECTION = 'renderBatches';

/** Batches in Firestore, one document each (at most 500 items, well under the document size limit). */
export class FirestoreBatchStore implements BatchStore {
  private readonly db: Firestore;

  constructor(params: { projectId: string; databaseId?: string; emulatorHost?: string }) {
    this.db = new Firestore({
      projectId: params.projectId,
      databaseId: params.databaseId,
      ignoreUndefinedProperties: true,
      ...(params.emulatorHost && { host: params.emulatorHost, ssl: false }),
    });
  }

  async createBatch({ batch }: { batch: BatchRecord }): Promise<void> {
    await this.db.collection(BATCHES_COLLECTION).doc(batch.id).create(batch);
  }

  async getBatch({ id }: { id: string }): Promise<BatchRecord | null> {
    const snapshot = await this.db.collection(BATCHES_COLLECTION).doc(id).get();
    return snapshot.exists ? (snapshot.data() as BatchRecord) : null;
  }

  async close(): Promise<void> {
    await this.db.terminate();
  }
}
