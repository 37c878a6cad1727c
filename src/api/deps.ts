import type { BatchSourcePolicy } from '../domain/batch-source-policy';
import type { WebhookTaskDeps } from './routes/webhook-tasks';
import type { Logger } from '../logging/logger';
import type { SubmitLimits } from '../domain/create-render-job';
import type { BlobStore } from '../domain/ports/blob-store';
import type { Clock } from '../domain/ports/clock';
import type { IdGenerator } from '../domain/ports/id-generator';
import type { JobStore } from '../domain/ports/job-store';
import type { IdempotencyStore } from '../domain/ports/idempotency-store';
import type { BatchStore } from '../domain/ports/batch-store';
import type { RenderCacheDeps } from '../domain/reuse-cached-render';
import type { SceneSource } from '../domain/ports/scene-source';
import type { SceneInspector } from '../domain/ports/scene-inspector';
import type { TaskQueue } from '../domain/ports/task-queue';
import type { ApiKeyStore } from '../domain/ports/api-key-store';
import type { IngressAuth } from './middleware/authenticate';
import type { WebhookSecrets } from '../domain/ports/webhook-secrets';
import type { WebhookTargetPolicy } from '../webhooks/post-webhook';
import type { ProjectFileDeps } from '../domain/project-files/stored-project-file';
import type { RepairTaskDeps } from './routes/repair-tasks';

/** What a readiness check reports: ready or not, and why, per dependency. */
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** Everything the public API needs, injected by the composition root (and by tests). */
export interface ApiDeps {
  jobStore: JobStore;
  idempotency: IdempotencyStore;
  batches: BatchStore;
  /** Reuses identical earlier renders; absent when RESULT_CACHE is off. */
  cache?: RenderCacheDeps;
  /** Reads scene files from Cloud Storage for batches; absent in local mode. */
  sceneSource?: SceneSource;
  /** The Cloud Storage prefixes each principal may name as a batch source. */
  batchSources: BatchSourcePolicy;
  taskQueue: TaskQueue;
  blobStore: BlobStore;
  inspector: SceneInspector;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  /** The Google Cloud project, so request logs carry trace ids Cloud Logging links (gcp mode). */
  projectId?: string;
  limits: SubmitLimits;
  /** Where project files are kept and how many a render may carry. */
  projectFiles: ProjectFileDeps;
  readiness: () => Promise<ReadinessReport>;
  /** Lifetime of the signed URLs video downloads redirect to, where the blob store signs them. */
  signedUrlSeconds: number;
  /** Serve the playground page at `/` (default on). */
  playground?: boolean;
  auth: IngressAuth;
  /** Accepted API keys; absent when API keys are off. */
  apiKeys?: ApiKeyStore;
  submitsPerMinute: number;
  webhookSecrets: WebhookSecrets;
  /** Checks a webhook URL when it is submitted (https in gcp mode). */
  webhookPolicy: WebhookTargetPolicy;
  /** Delivers webhooks for Cloud Tasks' webhook queue (gcp mode); absent where deliveries run in-process. */
  webhookTasks?: WebhookTaskDeps;
  /** Runs the repair of lost work for Cloud Scheduler (gcp mode); absent where it runs in-process. */
  repairTasks?: RepairTaskDeps;
  /** Queues the webhooks of a job that just became terminal (e.g. by a cancel). */
  notify: (params: { jobId: string }) => Promise<void>;
}
