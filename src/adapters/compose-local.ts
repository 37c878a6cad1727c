import path from 'node:path';
import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import { handleTask } from '../renderer/handle-task';
import { composeTaskHandlers } from './compose-task-handlers';
import { composeApi, readinessOf } from './compose-api';
import { composeRenderer } from './compose-renderer';
import type { ComposedService } from './composed-service';
import { FileBlobStore } from './local/file-blob-store';
import { LocalTaskQueue } from './local/local-task-queue';
import { SqliteApiKeyStore } from './local/sqlite-api-key-store';
import { SqliteBatchStore } from './local/sqlite-batch-store';
import { SqliteIdempotencyStore } from './local/sqlite-idempotency-store';
import { SqliteJobStore } from './local/sqlite-job-store';
import { SqliteResultCache } from './local/sqlite-result-cache';
import { SqliteWebhookSecrets } from './local/sqlite-webhook-secrets';
import { ensureFirstApiKey, FIRST_KEY_PRINCIPAL } from '../auth/first-api-key';
import { startRepairSchedule } from '../domain/repair/repair-schedule';
import { startLocalRetention } from './local/local-retention';
import { systemClock } from '../domain/ports/clock';
import { withDeliveryFaults } from '../chaos/delivery-faults';

/**
 * Local mode: ingress and renderer in one process on the embedded adapters (SQLite job store, in-process task
 * queue delivering straight to the render use case, files under DATA_DIR).
 */
export function composeLocal(config: Config, logger: Logger): ComposedService {
  const jobStore = new SqliteJobStore({ filePath: path.join(config.DATA_DIR, 'jobs.sqlite') });
  const blobStore = new FileBlobStore({ rootDir: path.join(config.DATA_DIR, 'blobs') });
  const retry = {
    maxAttempts: config.TASK_MAX_ATTEMPTS,
    minBackoffMs: config.TASK_MIN_BACKOFF_MS,
    maxBackoffMs: config.TASK_MAX_BACKOFF_MS,
  };
  const taskQueue = new LocalTaskQueue({
    filePath: path.join(config.DATA_DIR, 'tasks.sqlite'),
    concurrency: config.RENDER_CONCURRENCY,
    webhookConcurrency: config.WEBHOOK_CONCURRENCY,
    retry,
    logger: logger.child({ component: 'task-queue' }),
  });
  const renderer = composeRenderer(config, { jobStore, blobStore }, logger, { heartbeatMs: 1000 });
  const apiKeys = new SqliteApiKeyStore({ filePath: path.join(config.DATA_DIR, 'api-keys.sqlite') });
  const idempotency = new SqliteIdempotencyStore({ filePath: path.join(config.DATA_DIR, 'idempotency.sqlite') });
  const batches = new SqliteBatchStore({ filePath: path.join(config.DATA_DIR, 'batches.sqlite') });
  const webhookSecrets = new SqliteWebhookSecrets({ filePath: path.join(config.DATA_DIR, 'webhook-secrets.sqlite') });
  const resultCache = new SqliteResultCache({ filePath: path.join(config.DATA_DIR, 'result-cache.sqlite') });
  const readiness = async () => readinessOf(await renderer.checks());
  const api = composeApi(config, { jobStore, taskQueue, blobStore, apiKeys, idempotency, batches, webhookSecrets, resultCache }, logger, readiness);
  const taskDeps = composeTaskHandlers(
    config,
    {
      renderDeps: renderer.renderDeps,
      notify: api.api.notify,
      resultCache,
      jobStore,
      batches,
      webhookSecrets,
      idempotency,
      taskQueue,
      readiness,
    },
    logger,
  );

  let repair: ReturnType<typeof startRepairSchedule> | undefined;
  let retention: ReturnType<typeof startLocalRetention> | undefined;

  return {
    api: api.api,
    async prepare() {
      if (config.AUTH_MODE !== 'keys') return;
      const first = await ensureFirstApiKey({ apiKeys, given: config.INITIAL_API_KEY, now: new Date() });
      if (first.kind === 'minted') {
        // Shown once, on the terminal (or the container's log) of whoever started the service; only its hash is kept.
        process.stderr.write(`manim-render: API key for principal ${FIRST_KEY_PRINCIPAL} (shown once): ${first.key}\n`);
      }
      logger.info('API keys required', { firstKey: first.kind, ...('keyId' in first && { keyId: first.keyId }) });
    },
    start() {
      api.warm();
      renderer.start();
      taskQueue.start(
        withDeliveryFaults((payload, delivery) => handleTask(taskDeps, payload, { ...delivery, maxAttempts: retry.maxAttempts })),
      );
      retention = startLocalRetention({
        jobStore,
        taskQueue,
        blobStore,
        blobRoot: path.join(config.DATA_DIR, 'blobs'),
        clock: systemClock,
        retentionDays: config.JOB_RETENTION_DAYS,
        intervalMs: 60 * 60 * 1000,
        logger: logger.child({ component: 'retention' }),
      });
      if (config.REPAIR_INTERVAL_SECONDS > 0) {
        repair = startRepairSchedule(
          { jobStore, taskQueue, clock: systemClock, logger: logger.child({ component: 'repair' }) },
          { intervalMs: config.REPAIR_INTERVAL_SECONDS * 1000, staleAfterMs: config.REPAIR_AFTER_SECONDS * 1000 },
        );
      }
    },
    async stop({ graceMs }) {
      await repair?.stop();
      await retention?.stop();
      await taskQueue.stop({ graceMs });
      await renderer.stop();
      api.close();
      taskQueue.close();
      jobStore.close();
      apiKeys.close();
      idempotency.close();
      batches.close();
      webhookSecrets.close();
      resultCache.close();
    },
  };
}
