import type { Logger } from '../../logging/logger';
import { partsPrefix } from '../blob-keys';
import type { JobRecord, SceneRecord } from '../job';
import { RetryableTaskError } from '../retryable-task-error';
import type { RunRenderTaskDeps } from '../render-task-deps';
import { enqueueNextSplitTasks } from './split-tasks';
import { fallBackTransition } from './split-transitions';

type SplitDeps = Pick<RunRenderTaskDeps, 'jobStore' | 'blobStore' | 'clock' | 'split'>;

/**
 * What follows a change of a split scene: the tasks it made due, and, if the scene fell back to a whole render (which
 * recording a part can do too), its parts' files removed.
 */
export async function afterSplitChange(deps: SplitDeps, job: JobRecord, scene: SceneRecord): Promise<void> {
  if (scene.split?.fallback !== undefined) await deps.blobStore.deletePrefix({ prefix: partsPrefix(job.id, scene.name) });
  if (deps.split) await enqueueNextSplitTasks(deps.split.taskQueue, job, scene);
}

/** Sends a split scene back to be rendered whole, saying why. Null when it was no longer being rendered in parts. */
export async function fallBackToWhole(deps: SplitDeps, params: { job: JobRecord; scene: string; reason: string }): Promise<SceneRecord | null> {
  const next = await deps.jobStore.updateScene({
    jobId: params.job.id,
    scene: params.scene,
    now: deps.clock.now(),
    change: (s) => fallBackTransition(s, { reason: params.reason, now: deps.clock.now() }),
  });
  if (next) await afterSplitChange(deps, params.job, next);
  return next;
}

/**
 * A part or a join that failed on our side: the queue delivers it again, or, after its last attempt, the scene is
 * rendered whole rather than left waiting for a delivery that will never come.
 */
export async function retryOrFallBack(
  deps: SplitDeps,
  params: { job: JobRecord; scene: string; retryCount: number; maxAttempts: number; reason: string; fallbackReason: string },
): Promise<void> {
  if (params.retryCount + 1 < params.maxAttempts) throw new RetryableTaskError(params.reason);
  await fallBackToWhole(deps, { job: params.job, scene: params.scene, reason: params.fallbackReason }).catch(() => null);
}

/**
 * The end of a part or join task that threw: a RetryableTaskError goes back to the queue as it is; anything else
 * failed on our side, and is retried or, after the last attempt, sent to a whole render.
 */
export async function onTaskError(
  deps: SplitDeps,
  error: unknown,
  params: { job: JobRecord; scene: string; retryCount: number; maxAttempts: number; log: Logger; logMessage: string; fallbackReason: (message: string) => string },
): Promise<void> {
  if (error instanceof RetryableTaskError) throw error;
  const message = (error as Error).message;
  params.log.error(params.logMessage, { error: message });
  const { job, scene, retryCount, maxAttempts } = params;
  await retryOrFallBack(deps, { job, scene, retryCount, maxAttempts, reason: message, fallbackReason: params.fallbackReason(message) });
}
