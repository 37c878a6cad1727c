import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreClient, type FirestoreConnection } from './firestore-client';
import type { BatchRecord } from '../../domain/batch';
import type { BatchStore } from '../../domain/ports/batch-store';
import { ConflictError } from '../../domain/errors';
import { GrpcCode, grpcCodeOf } from './grpc-code';

export const BATCHES_COLLECTION = 'renderBatches';

/** Batches in Firestore, one document each (at most 500 items, well under the document size limit). */
export class FirestoreBatchStore implements BatchStore {
  private readonly db: Firestore;

  constructor(connection: FirestoreConnection) {
    this.db = createFirestoreClient(connection);
  }

  async createBatch({ batch }: { batch: BatchRecord }): Promise<void> {
    try {
      await this.db.collection(BATCHES_COLLECTION).doc(batch.id).create(batch);
    } catch (error) {
      if (grpcCodeOf(error) === GrpcCode.ALREADY_EXISTS) throw new ConflictError(`a batch with id ${batch.id} already exists`);
      throw error;
    }
  }

  async getBatch({ id }: { id: string }): Promise<BatchRecord | null> {
    const snapshot = await this.db.collection(BATCHES_COLLECTION).doc(id).get();
    return snapshot.exists ? (snapshot.data() as BatchRecord) : null;
  }

  async close(): Promise<void> {
    await this.db.terminate();
  }
}
