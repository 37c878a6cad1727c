import { createHash } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { createFirestoreClient, type FirestoreConnection } from './firestore-client';
import type { IdempotencyRecord, IdempotencyStore } from '../../domain/ports/idempotency-store';
import { GrpcCode, grpcCodeOf } from './grpc-code';

export const IDEMPOTENCY_COLLECTION = 'idempotencyKeys';
const RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Idempotency keys in Firestore: one document per (scope, key), named by their hash and made with `create`, which
 * fails for an existing document; that failure is the atomic "already reserved". `expireAt` drives a TTL policy.
 */
export class FirestoreIdempotencyStore implements IdempotencyStore {
  private readonly db: Firestore;

  constructor(connection: FirestoreConnection) {
    this.db = createFirestoreClient(connection);
  }

  async reserve(params: { scope: string; key: string; record: IdempotencyRecord; now: Date }) {
    const ref = this.ref(params.scope, params.key);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await ref.create({ ...params.record, expireAt: Timestamp.fromMillis(params.now.getTime() + RETENTION_MS) });
        return { reserved: true as const };
      } catch (error) {
        if (grpcCodeOf(error) !== GrpcCode.ALREADY_EXISTS) throw error;
      }
      const snapshot = await ref.get();
      const data = snapshot.data() as (IdempotencyRecord & { expireAt: Timestamp }) | undefined;
      // Past its day but not yet removed by the TTL policy: as good as gone.
      if (data && data.expireAt.toMillis() > params.now.getTime()) {
        return { reserved: false as const, existing: { requestHash: data.requestHash, resourceId: data.resourceId } };
      }
      if (data) await ref.delete({ lastUpdateTime: snapshot.updateTime });
    }
    throw new Error('could not reserve the idempotency key');
  }

  async has(params: { scope: string; key: string; now: Date }): Promise<boolean> {
    const data = (await this.ref(params.scope, params.key).get()).data() as { expireAt: Timestamp } | undefined;
    return data !== undefined && data.expireAt.toMillis() > params.now.getTime();
  }

  async release(params: { scope: string; key: string; requestHash?: string }): Promise<void> {
    const ref = this.ref(params.scope, params.key);
    if (params.requestHash === undefined) return void (await ref.delete());
    const snapshot = await ref.get();
    if ((snapshot.data() as IdempotencyRecord | undefined)?.requestHash !== params.requestHash) return;
    try {
      // Deleted only if nobody wrote it since it was read.
      await ref.delete({ lastUpdateTime: snapshot.updateTime! });
    } catch (error) {
      if (grpcCodeOf(error) !== GrpcCode.FAILED_PRECONDITION && grpcCodeOf(error) !== GrpcCode.NOT_FOUND) throw error;
    }
  }

  async close(): Promise<void> {
    await this.db.terminate();
  }

  private ref(scope: string, key: string) {
    const id = createHash('sha256').update(`${scope}\u0000${key}`).digest('hex');
    return this.db.collection(IDEMPOTENCY_COLLECTION).doc(id);
  }
}
