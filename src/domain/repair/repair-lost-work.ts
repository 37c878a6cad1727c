import { TASK_PAYLOAD_VERSION } from '../../contracts/task-payload';
import type { Logger } from '../../logging/logger';
import { dispatchDeadlineSeconds } from '../create-render-job';
import { isSplitActive, isTerminal, type JobRecord, type SceneRecord } from '../job';
import type { Clock } from '../ports/clock';
import type { JobStore } from '../ports/job-store';
import type { TaskQueue } from '../ports/task-queue';
import { enqueueNextSplitTasks } from '../split/split-tasks';
import { renderTaskNamesOf, repairRenderTaskName } from '../task-names';

export interface RepairDeps {
  jobStore: JobStore;
  taskQueue: TaskQueue;
  clock: Clock;
  logger: Logger;
}

export interface RepairReport {
  /** Unfinished jobs looked at. */
  jobs: number;
  /** Scenes that waited with no task left to render them, queued again. */
  requeued: number;
  /** Split scenes whose due tasks (parts, join, whole render) were queued again by name. */
  splitsResumed: number;
  /** Stale scenes whose task the queue still holds (a backlog, not a loss): left alone. */
  waiting: number;
}

/**
 * Finds work whose queue entry was lost and queues it again. A scene can be left with no task when a process
 * dies between two writes (the ingress after storing a job, before queueing its tasks), or when its task ran out
 * of attempts without recording an outcome: the scene then waits forever, counted against its owner's quota.
 *
 * A scene is stale when it has been queued (or held by an expired lease) for `staleAfterMs`. For each, the queue
 * is asked whether it still holds any task under the names the scene was queued as; only if none, the scene's
 * repair generation is bumped in the job store (a conditional change: of two repairs at once, one wins) and a
 * task under that generation's name is queued. Deliveries are idempotent, so a task that turns up after all
 * costs one skipped delivery, never a second render.
 */
export async function repairLostWork(deps: RepairDeps, params: { staleAfterMs: number; pageSize?: number }): Promise<RepairReport> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - params.staleAfterMs);
  const report: RepairReport = { jobs: 0, requeued: 0, splitsResumed: 0, waiting: 0 };
  let pageToken: string | undefined;
  do {
    const page = await deps.jobStore.listUnfinishedJobs({ createdBefore: cutoff, pageSize: params.pageSize ?? 100, ...(pageToken && { pageToken }) });
    for (const job of page.jobs) {
      report.jobs++;
      for (const scene of job.scenes) await repairScene(deps, { job, scene, cutoff, report });
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  if (report.requeued + report.splitsResumed > 0) deps.logger.warn('repaired lost work', { ...report });
  return report;
}

async function repairScene(deps: RepairDeps, params: { job: JobRecord; scene: SceneRecord; cutoff: Date; report: RepairReport }): Promise<void> {
  const { job, scene, cutoff, report } = params;
  if (isTerminal(scene.status)) return;
  if (isSplitActive(scene)) {
    if (Date.parse(scene.updatedAt) >= cutoff.getTime()) return; // its parts report progress: it is moving
    // Its parts and join have deterministic names: queueing what is due is a no-op for what is queued already.
    await enqueueNextSplitTasks(deps.taskQueue, job, scene, { parts: {} });
    report.splitsResumed++;
    return;
  }
  if (!isStale(scene, cutoff)) return;
  const repairs = scene.repairs ?? 0;
  const held = await deps.taskQueue.pendingNames({ names: renderTaskNamesOf(job.id, scene.name, repairs) });
  if (held.size > 0) {
    report.waiting++;
    return;
  }
  const now = deps.clock.now();
  const seen = scene.updatedAt;
  const bumped = await deps.jobStore.updateScene({
    jobId: job.id,
    scene: scene.name,
    now,
    // Only the scene as it was seen: if anything changed it since (a claim, an outcome, another repair), leave it.
    change: (current) => (current.updatedAt === seen && current.status === scene.status ? { ...current, repairs: repairs + 1, updatedAt: now.toISOString() } : null),
  });
  if (!bumped) return;
  await deps.taskQueue.enqueue({
    tasks: [
      {
        name: repairRenderTaskName(job.id, scene.name, repairs + 1),
        payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: job.id, scene: scene.name },
        dispatchDeadlineSeconds: dispatchDeadlineSeconds(job.timeoutSeconds),
      },
    ],
  });
  report.requeued++;
}

/** Queued and untouched since `cutoff`, or held by a lease that expired before it (its holder is gone). */
function isStale(scene: SceneRecord, cutoff: Date): boolean {
  if (scene.status === 'queued') return Date.parse(scene.updatedAt) < cutoff.getTime();
  if (scene.status === 'rendering') return scene.lease !== undefined && Date.parse(scene.lease.expiresAt) < cutoff.getTime();
  return false;
}
