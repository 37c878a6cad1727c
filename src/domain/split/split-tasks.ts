import { TASK_PAYLOAD_VERSION } from '../../contracts/task-payload';
import { dispatchDeadlineSeconds } from '../create-render-job';
import type { JobRecord, SceneRecord } from '../job';
import type { TaskQueue } from '../ports/task-queue';
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
  const deadline = dispatchDeadlineSeconds(job.timeoutSeconds);
  const split = scene.split;
  if (!split) return;
  if (split.fallback !== undefined) {
    if (scene.status !== 'queued') return; // rendering whole already, or over
    await taskQueue.enqueue({
      tasks: [
        {
          name: wholeRenderTaskName(job.id, scene.name),
          payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: job.id, scene: scene.name },
          dispatchDeadlineSeconds: deadline,
        },
      ],
    });
    return;
  }
  if (allPartsRendered(scene)) {
    await taskQueue.enqueue({
      tasks: [
        {
          name: stitchTaskName(job.id, scene.name),
          payload: { type: 'stitch-scene', version: TASK_PAYLOAD_VERSION, jobId: job.id, scene: scene.name },
          dispatchDeadlineSeconds: deadline,
        },
      ],
    });
    return;
  }
  if (!options.parts) return;
  const except = options.parts.except;
  await taskQueue.enqueue({
    tasks: split.parts.flatMap((part, index) =>
      part.rendered || index === except
        ? []
        : [
            {
              name: partTaskName(job.id, scene.name, index),
              payload: { type: 'render-part' as const, version: TASK_PAYLOAD_VERSION, jobId: job.id, scene: scene.name, part: index },
              dispatchDeadlineSeconds: deadline,
            },
          ],
    ),
  });
}
