import { faultPoint } from '../chaos/fault-points';
import type { CreateRenderRequest } from '../contracts/render-request';
import { TASK_PAYLOAD_VERSION } from '../contracts/task-payload';
import { UnavailableError, ValidationError } from './errors';
import { isTerminal, type JobRecord } from './job';
import type { Clock } from './ports/clock';
import type { IdGenerator } from './ports/id-generator';
import type { IdempotencyStore } from './ports/idempotency-store';
import { idempotent } from './idempotent';
import type { SceneRecord } from './job';
import { codeDigest, renderKey } from './render-key';
import { jobPrefix } from './blob-keys';
import { reuseCachedRender, type RenderCacheDeps } from './reuse-cached-render';
import type { JobStore } from './ports/job-store';
import type { SceneInspector } from './ports/scene-inspector';
import type { TaskQueue } from './ports/task-queue';
import { renderTaskName } from './task-names';
import { resolveProjectFiles, type JobFile } from './project-files/resolve-project-files';
import type { ProjectFileDeps } from './project-files/stored-project-file';

export interface SubmitLimits {
  maxCodeBytes: number;
  /** Scenes one principal may have queued or rendering at once. */
  maxActiveScenes: number;
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
}

export interface CreateRenderJobDeps {
  jobStore: JobStore;
  idempotency: IdempotencyStore;
  /** Reuses identical earlier renders; absent means every submit renders. */
  cache?: RenderCacheDeps;
  taskQueue: TaskQueue;
  inspector: SceneInspector;
  ids: IdGenerator;
  clock: Clock;
  limits: SubmitLimits;
  /** Where the files a request carries or names are kept; without it, a request with files is refused. */
  projectFiles?: ProjectFileDeps;
  /** Queues the webhooks of a job that is finished at birth (every scene reused an earlier render). */
  notify?: (params: { jobId: string }) => Promise<void>;
}

/**
 * Scenes one job may render. Each costs a cache look-up and a task at submit, so a file of thousands of Scene
 * classes is refused before any of that rather than after; `scenes` picks some of a larger file.
 */
export const MAX_SCENES_PER_JOB = 100;

// Cloud Tasks allows one HTTP delivery at most 30 minutes.
const MAX_DISPATCH_DEADLINE_SECONDS = 1800;
// Room beyond the scene's own time limit for starting, probing and uploading.
const DISPATCH_MARGIN_SECONDS = 60;

/** The time one delivery of a render task may take: the render's limit plus a margin, within Cloud Tasks' cap. */
export function dispatchDeadlineSeconds(timeoutSeconds: number): number {
  return Math.min(MAX_DISPATCH_DEADLINE_SECONDS, timeoutSeconds + DISPATCH_MARGIN_SECONDS);
}

/**
 * Validates a render request against the code itself (it parses, its scenes exist), stores the job, and
 * enqueues one render task per scene. With an idempotency key, a repeated request returns the job the first made.
 */
export async function createRenderJob(
  deps: CreateRenderJobDeps,
  params: { owner: string; request: CreateRenderRequest; idempotencyKey?: string; batchId?: string },
): Promise<{ job: JobRecord; replayed: boolean }> {
  const { resource, replayed } = await idempotent(deps, {
    scope: `render:${params.owner}`,
    key: params.idempotencyKey,
    request: params.request,
    newId: () => deps.ids.newId(),
    load: (id) => deps.jobStore.getJob({ id }),
    create: (id) => createNewRenderJob(deps, { ...params, id }),
  });
  // The first submit may have stored the job and died before its tasks were queued; the retry queues them under
  // the same names (a no-op for every task that was queued), so the job it returns is one that will render.
  if (replayed) await enqueueRenderTasks(deps, resource, resource.scenes.filter((scene) => scene.status === 'queued' && !scene.split).map((scene) => scene.name));
  // A job whose every scene came from the cache is finished already: no render will tell anyone, so this does
  // (and again on a replay, in case the first died before; the webhook task's name makes that a no-op). A batch's
  // item is told by the batch, once the batch it belongs to is stored.
  if (!params.batchId && resource.scenes.every((scene) => isTerminal(scene.status))) await deps.notify?.({ jobId: resource.id });
  return { job: resource, replayed };
}

function enqueueRenderTasks(deps: Pick<CreateRenderJobDeps, 'taskQueue'>, job: JobRecord, scenes: string[]): Promise<void> {
  if (scenes.length === 0) return Promise.resolve();
  return deps.taskQueue.enqueue({
    tasks: scenes.map((scene) => ({
      name: renderTaskName(job.id, scene),
      payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: job.id, scene },
      dispatchDeadlineSeconds: dispatchDeadlineSeconds(job.timeoutSeconds),
    })),
  });
}

async function createNewRenderJob(
  deps: CreateRenderJobDeps,
  params: { owner: string; request: CreateRenderRequest; id: string; batchId?: string },
): Promise<JobRecord> {
  const { request } = params;
  const { limits } = deps;
  const codeBytes = Buffer.byteLength(request.code, 'utf8');
  if (codeBytes > limits.maxCodeBytes) {
    throw new ValidationError('code_too_large', `the code is ${codeBytes} bytes; the limit is ${limits.maxCodeBytes}`, {
      bytes: codeBytes,
      limit: limits.maxCodeBytes,
    });
  }
  const timeoutSeconds = request.timeoutSeconds ?? limits.defaultTimeoutSeconds;
  if (timeoutSeconds > limits.maxTimeoutSeconds) {
    throw new ValidationError('timeout_too_long', `timeoutSeconds may be at most ${limits.maxTimeoutSeconds}`, {
      limit: limits.maxTimeoutSeconds,
    });
  }

  const available = await deps.inspector.listScenes({ code: request.code });
  if (available.length === 0) {
    throw new ValidationError('no_scene', 'the code defines no Scene subclass (a class deriving from Scene) to render');
  }
  const scenes = request.scenes ? [...new Set(request.scenes)] : available;
  const unknown = scenes.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    throw new ValidationError('unknown_scene', `no scene named ${unknown.join(', ')} in the code`, { unknown, available });
  }

  if (scenes.length > MAX_SCENES_PER_JOB) {
    throw new ValidationError('too_many_scenes', `the job would render ${scenes.length} scenes; the limit is ${MAX_SCENES_PER_JOB} (name some in \`scenes\`)`, {
      scenes: scenes.length,
      limit: MAX_SCENES_PER_JOB,
    });
  }

  const files = await jobFilesOf(deps, params.owner, request);
  const now = deps.clock.now();
  const digest = deps.cache && codeDigest(request.code, files);
  // Until the job is stored, the files a cache hit copied under it belong to nothing: a submit that fails before
  // then takes them back (deleting the job's prefix is idempotent and harmless if nothing was copied).
  const discardCopies = async () => {
    await deps.cache?.blobStore.deletePrefix({ prefix: jobPrefix(params.id) }).catch(() => undefined);
  };
  const records = await Promise.allSettled(scenes.map((name) => sceneRecordFor(deps, { owner: params.owner, jobId: params.id, scene: name, request, digest, now })));
  const failed = records.find((record) => record.status === 'rejected');
  if (failed) {
    await discardCopies();
    throw failed.reason;
  }
  const stored = records.map((record) => (record as PromiseFulfilledResult<SceneRecord>).value);
  const toRender = stored.filter((scene) => scene.status === 'queued').map((scene) => scene.name);

  const job: JobRecord = {
    id: params.id,
    owner: params.owner,
    code: request.code,
    ...(files.length > 0 && { files }),
    quality: request.quality,
    format: request.format,
    timeoutSeconds,
    metadata: request.metadata ?? {},
    ...(request.webhookUrl && { webhookUrl: request.webhookUrl }),
    ...(params.batchId && { batchId: params.batchId }),
    scenes: stored,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  // The quota is checked where the job is stored, in one transaction with the count: concurrent submits cannot
  // all pass on the same count.
  try {
    await deps.jobStore.createJob({ job, maxActiveScenes: limits.maxActiveScenes });
  } catch (error) {
    await discardCopies();
    throw error;
  }
  faultPoint('submit.after-store');
  if (toRender.length === 0) return job; // every scene reused an earlier render
  try {
    await enqueueRenderTasks(deps, job, toRender);
  } catch (error) {
    // A job whose tasks were never queued would wait forever: take it back and let the caller retry.
    await deps.jobStore.deleteJob({ id: job.id });
    await discardCopies();
    throw new UnavailableError('the render queue is unavailable; nothing was created, try again', {
      cause: (error as Error).message,
    });
  }
  return job;
}

async function jobFilesOf(deps: CreateRenderJobDeps, owner: string, request: CreateRenderRequest): Promise<JobFile[]> {
  if (!request.files?.length) return [];
  if (!deps.projectFiles) throw new ValidationError('files_not_supported', 'this submit path takes no project files');
  return resolveProjectFiles(deps.projectFiles, { owner, files: request.files });
}

/** A new scene: reused from an identical earlier render when the cache has one, otherwise queued. */
async function sceneRecordFor(
  deps: CreateRenderJobDeps,
  params: { owner: string; jobId: string; scene: string; request: CreateRenderRequest; digest: string | undefined; now: Date },
): Promise<SceneRecord> {
  const { request } = params;
  const key = deps.cache && params.digest && renderKey({ codeDigest: params.digest, scene: params.scene, quality: request.quality, format: request.format, renderer: deps.cache.renderer });
  if (deps.cache && key) {
    const reused = await reuseCachedRender(deps.cache, { owner: params.owner, key, jobId: params.jobId, scene: params.scene, format: request.format, now: params.now });
    if (reused) return reused;
  }
  return { name: params.scene, status: 'queued', progress: 0, attempts: 0, ...(key && { renderKey: key }), updatedAt: params.now.toISOString() };
}
