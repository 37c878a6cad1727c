import { faultPoint } from '../chaos/fault-points';
import type { DeliverWebhookTask } from '../contracts/task-payload';
import { WEBHOOK_SIGNATURE_HEADER, type WebhookEvent } from '../contracts/webhook-event';
import { toJobView } from '../api/job-view';
import { loadBatchView } from '../domain/load-batch-view';
import type { BatchStore } from '../domain/ports/batch-store';
import type { Clock } from '../domain/ports/clock';
import type { IdempotencyStore } from '../domain/ports/idempotency-store';
import type { JobStore } from '../domain/ports/job-store';
import type { WebhookSecrets } from '../domain/ports/webhook-secrets';
import { RetryableTaskError } from '../domain/retryable-task-error';
import type { Logger } from '../logging/logger';
import { postWebhook, WebhookTargetError, type WebhookTargetPolicy } from './post-webhook';
import { signWebhook } from './sign-webhook';
import { claimWebhookSend } from './webhook-send-claim';

export interface DeliverWebhookDeps {
  jobStore: JobStore;
  batches: BatchStore;
  secrets: WebhookSecrets;
  /** Remembers delivered event ids, so an event is delivered successfully at most once. */
  idempotency: IdempotencyStore;
  clock: Clock;
  logger: Logger;
  policy: WebhookTargetPolicy;
}

const DELIVERED = 'webhook-delivered';

/**
 * Delivers one finished-event to its webhook, signed with the owner's secret, one delivery at a time
 * (webhook-send-claim.ts). A 2xx answer is recorded so a redelivered task does nothing; any other answer or a
 * network error is retried by the queue with backoff; a URL the target policy refuses (not https, a private
 * address) is dropped with a log line, since retrying cannot help.
 */
export async function deliverWebhook(deps: DeliverWebhookDeps, task: DeliverWebhookTask): Promise<void> {
  const eventId = `${task.event}:${task.resourceId}`;
  const log = deps.logger.child({ webhookEvent: eventId });
  const now = deps.clock.now();
  const claim = await claimWebhookSend({ idempotency: deps.idempotency, eventId, resourceId: task.resourceId, now, leaseMs: deps.policy.timeoutMs * 2 + 10_000 });
  if (!claim.claimed) throw new RetryableTaskError('another delivery of this event is posting it');
  try {
    await post(deps, task, eventId, now, log);
  } finally {
    await claim.release();
  }
}

async function post(deps: DeliverWebhookDeps, task: DeliverWebhookTask, eventId: string, now: Date, log: Logger): Promise<void> {
  // Posted already (by an earlier delivery, or one that finished while this one waited for its claim).
  if (await deps.idempotency.has({ scope: DELIVERED, key: eventId, now })) return;
  const target = await eventOf(deps, task, eventId, now.toISOString());
  if (!target) return; // deleted since: nothing to tell
  const body = JSON.stringify(target.event);
  const secret = await deps.secrets.secretFor({ principal: target.owner });
  const signature = signWebhook({ body, secret, timestampSeconds: Math.floor(now.getTime() / 1000) });
  let status: number;
  try {
    ({ status } = await postWebhook({ url: target.url, body, headers: { [WEBHOOK_SIGNATURE_HEADER]: signature }, policy: deps.policy }));
  } catch (error) {
    if (error instanceof WebhookTargetError) {
      log.warn('webhook dropped', { reason: error.message });
      return;
    }
    throw new RetryableTaskError(`webhook delivery failed: ${(error as Error).message}`);
  }
  if (status < 200 || status >= 300) throw new RetryableTaskError(`the webhook answered ${status}`);
  faultPoint('webhook.after-post');
  await deps.idempotency.reserve({ scope: DELIVERED, key: eventId, record: { requestHash: 'delivered', resourceId: task.resourceId }, now });
  log.info('webhook delivered', { status });
}

async function eventOf(
  deps: DeliverWebhookDeps,
  task: DeliverWebhookTask,
  eventId: string,
  createdAt: string,
): Promise<{ event: WebhookEvent; url: string; owner: string } | null> {
  if (task.event === 'render.finished') {
    const job = await deps.jobStore.getJob({ id: task.resourceId });
    if (!job?.webhookUrl) return null;
    return { event: { id: eventId, type: task.event, createdAt, data: toJobView(job) }, url: job.webhookUrl, owner: job.owner };
  }
  const batch = await deps.batches.getBatch({ id: task.resourceId });
  if (!batch?.webhookUrl) return null;
  const data = await loadBatchView(deps.jobStore, batch);
  return { event: { id: eventId, type: task.event, createdAt, data }, url: batch.webhookUrl, owner: batch.owner };
}
