import { NotFoundError } from './errors';
import type { JobRecord } from './job';
import type { Clock } from './ports/clock';
import type { JobStore } from './ports/job-store';
import type { TaskQueue } from './ports/task-queue';
import { getOwnedJob } from './get-owned-job';
import { renderTaskName } from './task-names';

/**
 * Cancels every unfinished scene. Queued ones never start (their tasks are deleted, and a task delivered anyway
 * finds the scene terminal); a rendering one is stopped by its renderer at the next heartbeat.
 */
export async function cancelRenderJob(
  deps: { jobStore: JobStore; taskQueue: TaskQueue; clock: Clock; notify?: (params: { jobId: string }) => Promise<void> },
  params: { id: string; owner: string },
): Promise<JobRecord> {
  const before = await getOwnedJob(deps.jobStore, params);
  const after = await deps.jobStore.cancelJob({ id: params.id, now: deps.clock.now() });
  if (!after) throw new NotFoundError(`no render job ${params.id}`);
  const wasQueued = before.scenes.filter((s) => s.status === 'queued').map((s) => renderTaskName(before.id, s.name));
  if (wasQueued.length > 0) await deps.taskQueue.deleteTasks({ names: wasQueued });
  await deps.notify?.({ jobId: after.id });
  return after;
}
