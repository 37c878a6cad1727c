import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreClient, type FirestoreConnection } from './firestore-client';
import type { ApiKeyRecord, ApiKeyStore } from '../../domain/ports/api-key-store';

export const API_KEYS_COLLECTION = 'apiKeys';

/** API key records (hashes only) in Firestore, one document per key id. */
export class FirestoreApiKeyStore implements ApiKeyStore {
  private readonly db: Firestore;

  constructor(connection: FirestoreConnection) {
    this.db = createFirestoreClient(connection);
  }

  async putKey({ record }: { record: ApiKeyRecord }): Promise<void> {
    await this.db.collection(API_KEYS_COLLECTION).doc(record.keyId).create(record);
  }

  async getKey({ keyId }: { keyId: string }): Promise<ApiKeyRecord | null> {
    const snapshot = await this.db.collection(API_KEYS_COLLECTION).doc(keyId).get();
    return snapshot.exists ? (snapshot.data() as ApiKeyRecord) : null;
  }

  async revokeKey({ keyId, now }: { keyId: string; now: Date }): Promise<boolean> {
    const ref = this.db.collection(API_KEYS_COLLECTION).doc(keyId);
    return this.db.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      if (!snapshot.exists) return false;
      const record = snapshot.data() as ApiKeyRecord;
      if (!record.revokedAt) tx.update(ref, { revokedAt: now.toISOString() });
      return true;
    });
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const snapshot = await this.db.collection(API_KEYS_COLLECTION).orderBy('keyId').get();
    return snapshot.docs.map((doc) => doc.data() as ApiKeyRecord);
  }

  async close(): Promise<void> {
    await this.db.terminate();
  }
}
