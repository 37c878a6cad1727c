import type { TaskPayload } from '../../contracts/task-payload';

export interface TaskSpec {
  /**
   * Deterministic name: enqueueing the same name twice creates one task (like Cloud Tasks' task names,
   * an existing name is success, not an error).
   */
  name: string;
  payload: TaskPayload;
  /** How long one delivery may take before the queue counts it failed. */
  dispatchDeadlineSeconds: number;
}

/**
 * At-least-once delivery of tasks to the renderer. Implementations: an in-process dispatcher (embedded) and
 * Cloud Tasks. Delivery itself is configured in the adapter: the handler answers 2xx (done) or fails
 * (retried with backoff up to a maximum number of attempts).
 */
export interface TaskQueue {
  enqueue(params: { tasks: TaskSpec[] }): Promise<void>;
  /** Deletes tasks that have not been delivered yet; unknown names are ignored. */
  deleteTasks(params: { names: string[] }): Promise<void>;
  /**
   * Which of these names are tasks the queue still holds (waiting, backing off or being delivered), as opposed to
   * delivered for good, deleted, or never enqueued: what the repair of lost work (domain/repair/) asks.
   */
  pendingNames(params: { names: string[] }): Promise<Set<string>>;
}
