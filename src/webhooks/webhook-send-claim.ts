import { randomUUID } from 'node:crypto';
import type { IdempotencyStore } from '../domain/ports/idempotency-store';

const SENDING = 'webhook-sending';

/**
 * A short claim on sending one event, so two deliveries of its task at the same moment (Cloud Tasks may deliver
 * twice) do not both post it. A claim older than `leaseMs` belonged to a delivery that died (its process killed
 * mid-post) and is taken over; longer than any post may take, so a live one is never taken from.
 */
export async function claimWebhookSend(params: {
  idempotency: IdempotencyStore;
  eventId: string;
  resourceId: string;
  now: Date;
  leaseMs: number;
}): Promise<{ claimed: true; release(): Promise<void> } | { claimed: false }> {
  const { idempotency, eventId, resourceId, now } = params;
  // Unique to this claim, so releasing it (or taking it over once stale) can never remove another's.
  const requestHash = `sending:${now.getTime()}:${randomUUID()}`;
  const claim = { scope: SENDING, key: eventId, record: { requestHash, resourceId }, now };
  let answer = await idempotency.reserve(claim);
  if (!answer.reserved) {
    const stale = answer.existing.requestHash;
    const since = Number(/^sending:(\d+)/.exec(stale)?.[1] ?? 0);
    if (now.getTime() - since < params.leaseMs) return { claimed: false };
    // Of several deliveries that find it stale, only the first removes that very claim; the reservation then lets
    // one through.
    await idempotency.release({ scope: SENDING, key: eventId, requestHash: stale });
    answer = await idempotency.reserve(claim);
    if (!answer.reserved) return { claimed: false };
  }
  return { claimed: true, release: () => idempotency.release({ scope: SENDING, key: eventId, requestHash }) };
}
