import type { Config } from '../config/config';
import { maxSplitParts } from '../config/max-split-parts';
import type { BatchStore } from '../domain/ports/batch-store';
import { systemClock } from '../domain/ports/clock';
import type { IdempotencyStore } from '../domain/ports/idempotency-store';
import type { JobStore } from '../domain/ports/job-store';
import type { ResultCache } from '../domain/ports/result-cache';
import type { WebhookSecrets } from '../domain/ports/webhook-secrets';
import type { TaskQueue } from '../domain/ports/task-queue';
import type { RunCanaryDeps } from '../domain/canary/run-canary-task';
import type { RunRenderTaskDeps } from '../domain/render-task-deps';
import type { Logger } from '../logging/logger';
import type { TaskHandlerDeps } from '../renderer/handle-task';
import type { DeliverWebhookDeps } from '../webhooks/deliver-webhook';
import { webhookPolicy } from './compose-api';

/** What the task handlers get in either mode: the render use case's deps and the webhook deliverer's. */
export function composeTaskHandlers(
  config: Config,
  ports: {
    renderDeps: RunRenderTaskDeps;
    notify: (params: { jobId: string }) => Promise<void>;
    resultCache: ResultCache;
    jobStore: JobStore;
    batches: BatchStore;
    webhookSecrets: WebhookSecrets;
    idempotency: IdempotencyStore;
    taskQueue: TaskQueue;
    /** The renderer's readiness report (as /readyz gives it), which a canary's outcome carries. */
    readiness: RunCanaryDeps['readiness'];
  },
  logger: Logger,
): TaskHandlerDeps {
  const policy = {
    maxParts: maxSplitParts(config),
    minSceneSeconds: config.SPLIT_MIN_SCENE_SECONDS,
    minPartSeconds: config.SPLIT_MIN_PART_SECONDS,
  };
  return {
    render: { ...ports.renderDeps, notify: ports.notify, resultCache: ports.resultCache, split: { policy, taskQueue: ports.taskQueue } },
    webhooks: composeWebhookDelivery(config, ports, logger),
    canary: {
      blobStore: ports.renderDeps.blobStore,
      renderer: ports.renderDeps.renderer,
      readiness: ports.readiness,
      revision: config.K_REVISION,
      clock: systemClock,
      logger: logger.child({ component: 'canary' }),
      seed: config.RENDER_SEED,
    },
  };
}

/** The webhook deliverer's deps: what the renderer (local mode) or the ingress (gcp mode) delivers with. */
export function composeWebhookDelivery(
  config: Config,
  ports: { jobStore: JobStore; batches: BatchStore; webhookSecrets: WebhookSecrets; idempotency: IdempotencyStore },
  logger: Logger,
): DeliverWebhookDeps {
  return {
    jobStore: ports.jobStore,
    batches: ports.batches,
    secrets: ports.webhookSecrets,
    idempotency: ports.idempotency,
    clock: systemClock,
    logger: logger.child({ component: 'webhooks' }),
    policy: webhookPolicy(config),
  };
}
