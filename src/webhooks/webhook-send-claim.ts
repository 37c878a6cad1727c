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
  const claim = { scope: SENDING, key: eventId, record: { requestHash: `sending:${now.getTime()}`, resourceId }, now };
  const release = () => idempotency.release({ scope: SENDING, key: eventId });
  let answer = await idempotency.reserve(claim);
  if (!answer.reserved) {
    const since = Number(/^sending:(\d+)$/.exec(answer.existing.requestHash)?.[1] ?? 0);
    if (now.getTime() - since < params.leaseMs) return { claimed: false };
    // Of several deliveries that find it stale, the reservation lets one through.
    await release();
    answer = await idempotency.reserve(claim);
    if (!answer.reserved) return { claimed: false };
  }
  return { claimed: true, release };
}
