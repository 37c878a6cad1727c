import { taskLaneOf, type TaskLane } from '../contracts/task-payload';
import type { TaskQueue, TaskSpec } from '../domain/ports/task-queue';

/**
 * One TaskQueue over a queue per lane (task-payload.ts): in gcp mode render tasks go to the renderer's queue and
 * webhook deliveries to a queue of their own that posts to the ingress, so a slow webhook target never holds a
 * renderer instance (each serves one request at a time). Names are deleted from every lane's queue: a name is
 * in one of them at most, and deleting an unknown name is a no-op.
 */
export function laneRoutedQueue(lanes: Record<TaskLane, TaskQueue>): TaskQueue {
  return {
    async enqueue({ tasks }) {
      const byLane = new Map<TaskLane, TaskSpec[]>();
      for (const task of tasks) {
        const lane = taskLaneOf(task.payload);
        byLane.set(lane, [...(byLane.get(lane) ?? []), task]);
      }
      await Promise.all([...byLane].map(([lane, laneTasks]) => lanes[lane].enqueue({ tasks: laneTasks })));
    },
    async deleteTasks({ names }) {
      await Promise.all(Object.values(lanes).map((queue) => queue.deleteTasks({ names })));
    },
    async pendingNames({ names }) {
      const found = await Promise.all(Object.values(lanes).map((queue) => queue.pendingNames({ names })));
      return new Set(found.flatMap((set) => [...set]));
    },
  };
}
