import path from 'node:path';
import type { ApiDeps, ReadinessReport } from '../api/deps';
import type { Config } from '../config/config';
import { systemClock } from '../domain/ports/clock';
import type { BlobStore } from '../domain/ports/blob-store';
import type { JobStore } from '../domain/ports/job-store';
import type { TaskQueue } from '../domain/ports/task-queue';
import type { Logger } from '../logging/logger';
import { PythonSceneInspector } from './python/python-scene-inspector';
import { timeOrderedIds } from './time-ordered-ids';
import { APP_ROOT } from '../config/config';
import type { ApiKeyStore } from '../domain/ports/api-key-store';
import type { IdempotencyStore } from '../domain/ports/idempotency-store';
import type { BatchStore } from '../domain/ports/batch-store';
import type { SceneSource } from '../domain/ports/scene-source';
import type { WebhookSecrets } from '../domain/ports/webhook-secrets';
import type { ResultCache } from '../domain/ports/result-cache';
import { rendererFingerprint } from '../renderer/renderer-fingerprint';
import { notifyIfFinished } from '../domain/notify-if-finished';
import type { WebhookTargetPolicy } from '../webhooks/post-webhook';
import type { IngressAuth } from '../api/middleware/authenticate';
import type { WebhookTaskDeps } from '../api/routes/webhook-tasks';
import type { RepairTaskDeps } from '../api/routes/repair-tasks';
import { GOOGLE_ISSUERS, IdTokenVerifier } from '../auth/id-token-verifier';
import { parseAllowlist } from '../auth/principal-allowlist';

/** The public API's dependencies in either mode, around the stores and queue the mode provides. */
export function composeApi(
  config: Config,
  ports: {
    jobStore: JobStore;
    taskQueue: TaskQueue;
    blobStore: BlobStore;
    apiKeys: ApiKeyStore;
    idempotency: IdempotencyStore;
    batches: BatchStore;
    sceneSource?: SceneSource;
    webhookSecrets: WebhookSecrets;
    resultCache: ResultCache;
    webhookTasks?: WebhookTaskDeps;
    repairTasks?: RepairTaskDeps;
  },
  logger: Logger,
  readiness: () => Promise<ReadinessReport>,
): { api: ApiDeps; warm(): void; close(): void } {
  const inspector = new PythonSceneInspector({ python: config.PYTHON, pythonPath: path.join(APP_ROOT, 'python'), lint: config.SUBMIT_LINT });
  const { apiKeys, resultCache, ...stores } = ports;
  return {
    api: {
      ...stores,
      auth: ingressAuth(config),
      ...(config.API_KEYS && { apiKeys }),
      submitsPerMinute: config.QUOTA_SUBMITS_PER_MINUTE,
      batchSources: config.BATCH_SOURCES,
      webhookPolicy: webhookPolicy(config),
      ...(config.RESULT_CACHE && {
        cache: { resultCache, jobStore: ports.jobStore, blobStore: ports.blobStore, renderer: rendererFingerprint({ appRoot: APP_ROOT, seed: config.RENDER_SEED }) },
      }),
      notify: (params) => notifyIfFinished(stores, params),
      inspector,
      ids: timeOrderedIds(),
      clock: systemClock,
      logger,
      projectId: config.GOOGLE_CLOUD_PROJECT,
      limits: {
        maxCodeBytes: config.MAX_CODE_BYTES,
        maxActiveScenes: config.QUOTA_ACTIVE_SCENES,
        defaultTimeoutSeconds: config.DEFAULT_TIMEOUT_SECONDS,
        maxTimeoutSeconds: config.MAX_TIMEOUT_SECONDS,
      },
      projectFiles: {
        blobStore: ports.blobStore,
        clock: systemClock,
        limits: {
          maxFiles: config.MAX_PROJECT_FILES,
          maxFileBytes: config.MAX_PROJECT_FILE_BYTES,
          maxTotalBytes: config.MAX_PROJECT_BYTES,
          maxInlineBytes: config.MAX_INLINE_FILE_BYTES,
          retentionDays: config.JOB_RETENTION_DAYS,
        },
      },
      readiness,
      signedUrlSeconds: config.SIGNED_URL_SECONDS,
      playground: config.PLAYGROUND,
    },
    warm: () => inspector.warm(),
    close: () => inspector.close(),
  };
}

/** Folds named checks into a readiness report: ready when every check is. */
export function readinessOf(checks: Record<string, { ok: boolean; detail?: string }>): ReadinessReport {
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

/** How the ingress authenticates callers, from AUTH_MODE and its settings. */
function ingressAuth(config: Config): IngressAuth {
  const isAllowed = parseAllowlist(config.AUTH_ALLOWLIST);
  switch (config.AUTH_MODE) {
    case 'none':
      return { mode: 'none' };
    case 'keys':
      return { mode: 'keys' };
    case 'iam':
      return { mode: 'iam', isAllowed };
    case 'verify':
      return {
        mode: 'verify',
        verifier: new IdTokenVerifier({
          issuers: config.OIDC_ISSUER === GOOGLE_ISSUERS[0] ? GOOGLE_ISSUERS : [config.OIDC_ISSUER],
          jwksUrl: config.OIDC_JWKS_URL,
          audience: config.AUTH_AUDIENCE ?? '',
          isAllowed: (identity) => isAllowed(identity.email),
        }),
      };
  }
}

/** Where webhooks may go: https only in gcp mode; private addresses only where a local setting allows it. */
export function webhookPolicy(config: Config): WebhookTargetPolicy {
  return {
    requireHttps: config.MODE === 'gcp',
    allowPrivateAddresses: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    timeoutMs: 10_000,
    maxResponseBytes: 64 * 1024,
  };
}
