import fs from 'node:fs';
import type { Config } from '../config/config';
import { GOOGLE_ISSUERS, IdTokenVerifier } from '../auth/id-token-verifier';
import type { Logger } from '../logging/logger';
import { composeApi, readinessOf } from './compose-api';
import { notifyIfFinished } from '../domain/notify-if-finished';
import { FirestoreWebhookSecrets } from './google/firestore-webhook-secrets';
import { FirestoreResultCache } from './google/firestore-result-cache';
import { composeTaskHandlers, composeWebhookDelivery } from './compose-task-handlers';
import { laneRoutedQueue } from './lane-routed-queue';
import type { TaskQueue } from '../domain/ports/task-queue';
import { repairLostWork } from '../domain/repair/repair-lost-work';
import { systemClock } from '../domain/ports/clock';
import { composeRenderer } from './compose-renderer';
import type { ComposedService } from './composed-service';
import { CloudTasksQueue } from './google/cloud-tasks-queue';
import { FirestoreApiKeyStore } from './google/firestore-api-key-store';
import { FirestoreBatchStore } from './google/firestore-batch-store';
import { GcsSceneSource } from './google/gcs-scene-source';
import { FirestoreIdempotencyStore } from './google/firestore-idempotency-store';
import { FirestoreJobStore } from './google/firestore-job-store';
import { GcsBlobStore } from './google/gcs-blob-store';

/** Settings config validation guarantees in gcp mode; read through this so a missing one is a clear error. */
function required<K extends keyof Config>(config: Config, key: K): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null) throw new Error(`${String(key)} is required in gcp mode`);
  return value as NonNullable<Config[K]>;
}

function signingCredentials(config: Config): { client_email: string; private_key: string } | undefined {
  if (!config.GCS_SIGNING_KEY_FILE) return undefined;
  const key = JSON.parse(fs.readFileSync(config.GCS_SIGNING_KEY_FILE, 'utf8')) as { client_email: string; private_key: string };
  return { client_email: key.client_email, private_key: key.private_key };
}

/**
 * gcp mode: one role per process. The ingress stores jobs in Firestore and enqueues Cloud Tasks that post to the
 * renderer; the renderer verifies each task's OIDC token, renders, uploads to Cloud Storage and records the
 * outcome in Firestore.
 */
/** The job store of gcp mode: Firestore. */
export function gcpJobStore(config: Config): FirestoreJobStore {
  return new FirestoreJobStore({
    projectId: required(config, 'GOOGLE_CLOUD_PROJECT'),
    databaseId: config.FIRESTORE_DATABASE,
    emulatorHost: config.FIRESTORE_EMULATOR_HOST,
    retentionDays: config.JOB_RETENTION_DAYS,
  });
}

/** The task queue of gcp mode: renders to the renderer; webhook deliveries, which wait on other people's servers, to the ingress. */
export function gcpTaskQueue(config: Config): TaskQueue {
  const cloudTasks = {
    projectId: required(config, 'GOOGLE_CLOUD_PROJECT'),
    location: required(config, 'TASKS_LOCATION'),
    serviceAccountEmail: required(config, 'TASKS_INVOKER_SA'),
    emulatorHost: config.CLOUD_TASKS_EMULATOR_HOST,
  };
  const ingressUrl = required(config, 'INGRESS_URL');
  return laneRoutedQueue({
    render: new CloudTasksQueue({
      ...cloudTasks,
      queue: config.TASKS_QUEUE,
      targetUrl: new URL('/tasks', required(config, 'RENDERER_URL')).toString(),
      audience: required(config, 'RENDERER_AUDIENCE'),
    }),
    webhook: new CloudTasksQueue({
      ...cloudTasks,
      queue: config.WEBHOOK_QUEUE,
      targetUrl: new URL('/tasks/webhooks', ingressUrl).toString(),
      audience: ingressUrl,
    }),
  });
}

export function composeGcp(config: Config, logger: Logger): ComposedService {
  const projectId = required(config, 'GOOGLE_CLOUD_PROJECT');
  const jobStore = gcpJobStore(config);
  const blobStore = new GcsBlobStore({
    projectId,
    bucket: required(config, 'BUCKET'),
    apiEndpoint: config.GCS_API_ENDPOINT,
    credentials: signingCredentials(config),
  });

  const firestore = { projectId, databaseId: config.FIRESTORE_DATABASE, emulatorHost: config.FIRESTORE_EMULATOR_HOST };
  const ingressUrl = required(config, 'INGRESS_URL');
  const taskQueue = gcpTaskQueue(config);
  const idempotency = new FirestoreIdempotencyStore(firestore);
  const batches = new FirestoreBatchStore(firestore);
  const webhookSecrets = new FirestoreWebhookSecrets(firestore);
  const resultCache = new FirestoreResultCache(firestore);
  const notify = (params: { jobId: string }) => notifyIfFinished({ jobStore, batches, taskQueue }, params);

  const invoker = required(config, 'TASKS_INVOKER_SA').toLowerCase();
  /** Cloud Tasks' OIDC tokens of the invoker account, for one service's audience. */
  const taskVerifier = (audience: string) =>
    new IdTokenVerifier({
      issuers: config.OIDC_ISSUER === GOOGLE_ISSUERS[0] ? GOOGLE_ISSUERS : [config.OIDC_ISSUER],
      jwksUrl: config.OIDC_JWKS_URL,
      audience,
      isAllowed: (identity) => identity.email === invoker,
    });

  if (config.ROLE === 'renderer') {
    const renderer = composeRenderer(config, { jobStore, blobStore }, logger, { heartbeatMs: 2000 });
    const verifier = taskVerifier(required(config, 'RENDERER_AUDIENCE'));
    const readiness = async () => readinessOf(await renderer.checks());
    return {
      renderer: {
        taskDeps: composeTaskHandlers(
          config,
          {
            renderDeps: renderer.renderDeps,
            notify,
            resultCache,
            jobStore,
            batches,
            webhookSecrets,
            idempotency,
            taskQueue,
            readiness,
          },
          logger,
        ),
        verifier,
        maxAttempts: config.TASK_MAX_ATTEMPTS,
        readiness,
        logger,
        projectId,
      },
      start: () => renderer.start(),
      stop: () => renderer.stop(),
    };
  }

  const apiKeys = new FirestoreApiKeyStore(firestore);
  const sceneSource = new GcsSceneSource({ projectId, apiEndpoint: config.GCS_API_ENDPOINT });
  const webhookTasks = { verifier: taskVerifier(ingressUrl), webhooks: composeWebhookDelivery(config, { jobStore, batches, webhookSecrets, idempotency }, logger) };
  const repairTasks = {
    verifier: webhookTasks.verifier,
    run: () => repairLostWork({ jobStore, taskQueue, clock: systemClock, logger: logger.child({ component: 'repair' }) }, { staleAfterMs: config.REPAIR_AFTER_SECONDS * 1000 }),
  };
  const api = composeApi(
    config,
    { jobStore, taskQueue, blobStore, apiKeys, idempotency, batches, sceneSource, webhookSecrets, resultCache, webhookTasks, repairTasks },
    logger,
    async () => readinessOf({ config: { ok: true } }),
  );
  return {
    api: api.api,
    start() {
      api.warm();
      // One Firestore read opens the client's channel now, not on the first caller's request (a key id that is
      // never minted: the answer is that there is no such key).
      void apiKeys.getKey({ keyId: 'connection-warm-up' }).catch(() => undefined);
    },
    async stop() {
      api.close();
    },
  };
}
