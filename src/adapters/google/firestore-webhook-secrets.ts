import { createHash, randomBytes } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreClient, type FirestoreConnection } from './firestore-client';
import type { WebhookSecrets } from '../../domain/ports/webhook-secrets';
import { GrpcCode, grpcCodeOf } from './grpc-code';

export const WEBHOOK_SECRETS_COLLECTION = 'webhookSecrets';

/** Webhook secrets in Firestore, one document per principal (named by a hash), created once with `create`. */
export class FirestoreWebhookSecrets implements WebhookSecrets {
  private readonly db: Firestore;

  constructor(connection: FirestoreConnection) {
    this.db = createFirestoreClient(connection);
  }

  async secretFor({ principal }: { principal: string }): Promise<string> {
    const ref = this.db.collection(WEBHOOK_SECRETS_COLLECTION).doc(createHash('sha256').update(principal).digest('hex'));
    const existing = await ref.get();
    if (existing.exists) return (existing.data() as { secret: string }).secret;
    try {
      const secret = `whsec_${randomBytes(24).toString('base64url')}`;
      await ref.create({ principal, secret });
      return secret;
    } catch (error) {
      if (grpcCodeOf(error) !== GrpcCode.ALREADY_EXISTS) throw error;
      return ((await ref.get()).data() as { secret: string }).secret;
    }
  }

  async close(): Promise<void> {
    await this.db.terminate();
  }
}
