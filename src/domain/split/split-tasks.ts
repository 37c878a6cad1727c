import { TASK_PAYLOAD_VERSION } from '../../contracts/task-payload';
import { dispatchDeadlineSeconds } from '../create-render-job';
import type { JobRecord, SceneRecord } from '../job';
import type { JobStore } from '../ports/job-store';
import type { TaskQueue, TaskSpec } from '../ports/task-queue';
import { partTaskName, stitchTaskName, wholeRenderTaskName } from '../task-names';
import { allPartsRendered } from './split-transitions';

/**
 * The tasks that carry a split scene forward: its whole render after a fallback, its join once every part is in,
 * or, only when `parts` says so, its parts (at the hand-over, and when a redelivered hand-over finds them perhaps
 * never queued). Each is enqueued by whoever notices it is due, as often as that happens: deterministic names
 * make every enqueue after the first a no-op.
 */
export async function enqueueNextSplitTasks(
  taskQueue: TaskQueue,
  job: JobRecord,
  scene: SceneRecord,
  /** Queue the parts not yet rendered, but `except` (the one the caller renders itself). */
  options: { parts?: { except?: number } } = {},
): Promise<void> {
  const split = scene.split;
  if (!split) return;
  const task = (name: string, payload: TaskSpec['payload']): TaskSpec => ({ name, payload, dispatchDeadlineSeconds: dispatchDeadlineSeconds(job.timeoutSeconds) });
  const ids = { version: TASK_PAYLOAD_VERSION, jobId: job.id, scene: scene.name };
  let tasks: TaskSpec[];
  if (split.fallback !== undefined) {
    if (scene.status !== 'queued') return; // rendering whole already, or over
    tasks = [task(wholeRenderTaskName(job.id, scene.name), { type: 'render-scene', ...ids })];
  } else if (allPartsRendered(scene)) {
    tasks = [task(stitchTaskName(job.id, scene.name), { type: 'stitch-scene', ...ids })];
  } else if (options.parts) {
    const except = options.parts.except;
    tasks = split.parts.flatMap((part, index) =>
      part.rendered || index === except ? [] : [task(partTaskName(job.id, scene.name, index), { type: 'render-part', ...ids, part: index })],
    );
  } else {
    return;
  }
  await taskQueue.enqueue({ tasks });
}

/** Queues whatever a split scene is waiting for (its parts, its join, or its whole render after a fallback). */
export async function resumeSplit(deps: { jobStore: JobStore; taskQueue: TaskQueue | undefined }, params: { jobId: string; scene: string }): Promise<void> {
  const job = await deps.jobStore.getJob({ id: params.jobId });
  const scene = job?.scenes.find((s) => s.name === params.scene);
  if (job && scene && deps.taskQueue) await enqueueNextSplitTasks(deps.taskQueue, job, scene, { parts: {} });
}
