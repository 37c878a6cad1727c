import { createHash } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreClient, type FirestoreConnection } from './firestore-client';
import type { CachedRender, ResultCache } from '../../domain/ports/result-cache';

export const RESULT_CACHE_COLLECTION = 'renderCache';

/** The result cache in Firestore: one document per (owner, render key), named by their hash; reads by id only. */
export class FirestoreResultCache implements ResultCache {
  private readonly db: Firestore;

  constructor(connection: FirestoreConnection) {
    this.db = createFirestoreClient(connection);
  }

  async remember({ owner, key, render }: { owner: string; key: string; render: CachedRender }): Promise<void> {
    await this.ref(owner, key).set({ jobId: render.jobId, scene: render.scene });
  }

  async lookup({ owner, key }: { owner: string; key: string }): Promise<CachedRender | null> {
    const snapshot = await this.ref(owner, key).get();
    return snapshot.exists ? (snapshot.data() as CachedRender) : null;
  }

  async close(): Promise<void> {
    await this.db.terminate();
  }

  private ref(owner: string, key: string) {
    return this.db.collection(RESULT_CACHE_COLLECTION).doc(createHash('sha256').update(`${owner}\u0000${key}`).digest('hex'));
  }
}
